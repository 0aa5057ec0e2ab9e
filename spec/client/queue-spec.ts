import { readFileSync } from 'fs';
import { filter, firstValueFrom } from 'rxjs';
import { EnqueueBatchResult, SessionQueueStatus } from '../../lib/protocol/dto';
import { NotFoundError } from '../../lib/client/resource';
import { buildBatch } from '../../lib/workflow/batch';
import { syncModels } from '../../lib/workflow/sync-models';
import { Workflow } from '../../lib/workflow/workflow';
import { defaultModels } from '../../lib/testing';
import crossFetch from 'cross-fetch';
import { FetchLike } from '../../lib/client/http';
import { ResourceDiagnostic } from '../../lib/client/resource';
import { SimClient, requestsTo, startSim, until } from './sim-helpers';

const t2i = syncModels(
  Workflow.fromJson(readFileSync('spec/fixtures/default-workflows/Text to Image - SD1.5.json', 'utf8')),
  defaultModels(),
  { byBase: true },
).workflow;

const enqueue = (sim: SimClient, options: { runs?: number; destination?: string } = {}) =>
  sim.client.context.http.request({
    method: 'POST',
    path: '/api/v1/queue/default/enqueue_batch',
    body: { json: { batch: buildBatch(t2i, { runs: options.runs ?? 1, ...(options.destination ? { destination: options.destination } : {}) }) } },
    decode: EnqueueBatchResult,
  });

describe('client.queue', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('reads status, current (null when idle), items, list and batch status', async () => {
    await expect(sim.client.queue.current()).resolves.toBeNull();
    await sim.client.queue.pause();
    const batch = await enqueue(sim, { runs: 3, destination: 'spec' });
    const status = await sim.client.queue.status();
    expect(status.queue).toMatchObject({ pending: 3, in_progress: 0, total: 3 });
    expect(status.processor.is_started).toBe(false);
    const ids = [...batch.item_ids].sort((a, b) => a - b);
    await expect(sim.client.queue.item(ids[0])).resolves.toMatchObject({ item_id: ids[0], status: 'pending', destination: 'spec' });
    await expect(sim.client.queue.item(999999)).resolves.toBeNull();
    const items = await sim.client.queue.items([ids[2], 999999, ids[0]]);
    expect(items.map((i) => i.item_id)).toEqual([ids[2], ids[0]]);
    await expect(sim.client.queue.list({ destination: 'spec' })).resolves.toHaveLength(3);
    await expect(sim.client.queue.list({ destination: 'elsewhere' })).resolves.toHaveLength(0);
    await expect(sim.client.queue.batchStatus(batch.batch.batch_id)).resolves.toMatchObject({ pending: 3, total: 3 });
    await sim.client.queue.resume();
    await until(() => sim.server.queueItems().every((i) => i.status === 'completed'));
    await expect(sim.client.queue.batchStatus(batch.batch.batch_id)).resolves.toMatchObject({ completed: 3, pending: 0 });
  });

  it('cancels one item, batches, a destination and all but the current one', async () => {
    await sim.client.queue.pause();
    const a = await enqueue(sim, { runs: 2 });
    const b = await enqueue(sim, { runs: 2, destination: 'd' });
    const c = await enqueue(sim, { runs: 2 });
    const canceled = await sim.client.queue.cancel(a.item_ids[0]);
    expect(canceled).toMatchObject({ item_id: a.item_ids[0], status: 'canceled' });
    await expect(sim.client.queue.cancelBatches([a.batch.batch_id])).resolves.toBe(1);
    await expect(sim.client.queue.cancelDestination('d')).resolves.toBe(2);
    await expect(sim.client.queue.cancelAllExceptCurrent()).resolves.toBe(2);
    expect(sim.server.queueItems().every((i) => i.status === 'canceled')).toBe(true);
    expect([...c.item_ids, ...b.item_ids]).toHaveLength(4);
    const missing = await sim.client.queue.cancel(424242).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ resource: 'queue item', id: '424242' });
  });

  it('retries failed items as new ones, prunes finished ones, deletes and clears', async () => {
    sim.server.faults.failNodes({ type: 'l2i', count: 1 });
    const failedRun = await enqueue(sim);
    await until(() => sim.server.queueItem(failedRun.item_ids[0])?.status === 'failed');
    const retried = await sim.client.queue.retry(failedRun.item_ids);
    expect(retried.retried_item_ids).toHaveLength(1);
    expect(retried.retried_item_ids[0]).not.toBe(failedRun.item_ids[0]);
    await until(() => sim.server.queueItem(retried.retried_item_ids[0])?.status === 'completed');
    expect(requestsTo(sim.server, 'PUT', '/api/v1/queue/default/retry_items_by_id').map((r) => r.status)).toEqual([200]);
    await expect(sim.client.queue.prune()).resolves.toBe(2);
    await sim.client.queue.pause();
    const pending = await enqueue(sim, { runs: 3 });
    await sim.client.queue.delete(pending.item_ids[0]);
    expect(sim.server.queueItem(pending.item_ids[0])).toBeUndefined();
    await expect(sim.client.queue.delete(pending.item_ids[0])).rejects.toBeInstanceOf(NotFoundError);
    await expect(sim.client.queue.clear()).resolves.toBe(2);
    expect(sim.server.queueItems()).toEqual([]);
  });

  it('status$ follows the counts from events, and re-reads them over REST on connect and reconnect', async () => {
    const seen: SessionQueueStatus[] = [];
    const sub = sim.client.queue.status$.subscribe((s) => seen.push(s));
    await until(() => seen.length > 0);
    expect(seen[0]).toMatchObject({ pending: 0, total: 0 });
    const readsAfterConnect = requestsTo(sim.server, 'GET', '/api/v1/queue/default/status').length;
    expect(readsAfterConnect).toBe(1);

    // an enqueue has no status event; status$ re-reads, then follows the items' events to completion
    const run = await enqueue(sim, { runs: 2 });
    await firstValueFrom(sim.client.queue.status$.pipe(filter((s) => s.completed === 2)));
    expect(seen.some((s) => s.in_progress === 1)).toBe(true);
    expect(seen.some((s) => s.pending === 2 || s.pending === 1)).toBe(true);
    expect(run.item_ids).toHaveLength(2);

    // while the socket server is down, the queue changes without any event reaching the client
    await sim.client.queue.pause();
    const restart = sim.server.faults.restartSocketServer(50);
    const before = requestsTo(sim.server, 'GET', '/api/v1/queue/default/status').length;
    await enqueue(sim, { runs: 3 });
    await restart;
    const latest = await firstValueFrom(sim.client.queue.status$.pipe(filter((s) => s.pending === 3)));
    expect(latest).toMatchObject({ pending: 3, completed: 2, total: 5 });
    expect(requestsTo(sim.server, 'GET', '/api/v1/queue/default/status').length).toBeGreaterThan(before);
    sub.unsubscribe();
  });

  it('list() keeps the items it can read when a newer server sends one with an unknown status, and reports that one', async () => {
    await sim.close();
    // a server of the future: the first listed item has a status this client does not know
    const future: FetchLike = async (url, init) => {
      const res = await crossFetch(url, init as RequestInit);
      if (!url.includes('/list_all')) return res;
      const items = JSON.parse(await res.text()) as Array<Record<string, unknown>>;
      const body = JSON.stringify(items.map((item, i) => (i === 0 ? { ...item, status: 'hibernating' } : item)));
      return { status: res.status, headers: res.headers, text: async () => body, arrayBuffer: async () => new TextEncoder().encode(body).buffer };
    };
    sim = await startSim({}, { fetch: future });
    await sim.client.queue.pause();
    await enqueue(sim, { runs: 3 });
    const reported: ResourceDiagnostic[] = [];
    const sub = sim.client.resourceDiagnostics$.subscribe((d) => reported.push(d));
    const items = await sim.client.queue.list();
    sub.unsubscribe();
    expect(items).toHaveLength(2);
    expect(reported).toEqual([expect.objectContaining({ endpoint: 'GET /api/v1/queue/default/list_all', index: 0, item: expect.objectContaining({ status: 'hibernating' }) })]);
  });
});

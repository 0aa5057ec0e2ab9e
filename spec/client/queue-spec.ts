import { readFileSync } from 'fs';
import { NEVER, Subject, defer, filter, firstValueFrom, map, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isLeft } from 'fp-ts/Either';
import { EnqueueBatchResult, SessionQueueStatus } from '../../lib/protocol/dto';
import { NotFoundError } from '../../lib/client/resource';
import { buildBatch } from '../../lib/workflow/batch';
import { syncModels } from '../../lib/workflow/sync-models';
import { Workflow } from '../../lib/workflow/workflow';
import { defaultModels } from '../../lib/testing';
import crossFetch from 'cross-fetch';
import { FetchLike, HttpClient, RequestOptions, tokenStore } from '../../lib/transport/http';
import { ResourceDiagnostic, diagnosticSink } from '../../lib/client/resource';
import { ClientContext } from '../../lib/transport/context';
import { queueResource, queue } from '../../lib/client/queue';
import { ConnectionState } from '../../lib/transport/socket';
import { ServerEvent } from '../../lib/protocol/events';
import { SimClient, requestsTo, startSim, until } from './sim-helpers';
import * as ids from '../run/ids';

const t2i = syncModels(
  Workflow.fromJson(readFileSync('spec/fixtures/default-workflows/Text to Image - SD1.5.json', 'utf8')),
  defaultModels(),
  { byBase: true },
).workflow;

const enqueue = (sim: SimClient, options: { runs?: number; destination?: string; prepend?: boolean } = {}) =>
  sim.client.context.http.request({
    method: 'POST',
    path: '/api/v1/queue/default/enqueue_batch',
    body: {
      json: {
        batch: buildBatch(t2i, { runs: options.runs ?? 1, ...(options.destination ? { destination: options.destination } : {}) }),
        ...(options.prepend ? { prepend: true } : {}),
      },
    },
    decode: EnqueueBatchResult,
  });

describe('queue(client)', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('reads status, current (null when idle), items, list and batch status', async () => {
    await expect(queue(sim.client).current()).resolves.toBeNull();
    await queue(sim.client).pause();
    const batch = await enqueue(sim, { runs: 3, destination: 'spec' });
    const status = await queue(sim.client).status();
    expect(status.queue).toMatchObject({ pending: 3, in_progress: 0, total: 3 });
    expect(status.processor.is_started).toBe(false);
    const itemIds = [...batch.item_ids].sort((a, b) => a - b);
    await expect(queue(sim.client).item(itemIds[0])).resolves.toMatchObject({ item_id: itemIds[0], status: 'pending', destination: 'spec' });
    await expect(queue(sim.client).item(ids.itemId(999999))).resolves.toBeNull();
    const items = await queue(sim.client).items([itemIds[2], ids.itemId(999999), itemIds[0]]);
    expect(items.map((i) => i.item_id)).toEqual([itemIds[2], itemIds[0]]);
    await expect(queue(sim.client).list({ destination: 'spec' })).resolves.toHaveLength(3);
    await expect(queue(sim.client).list({ destination: 'elsewhere' })).resolves.toHaveLength(0);
    await expect(queue(sim.client).batchStatus(batch.batch.batch_id)).resolves.toMatchObject({ pending: 3, total: 3 });
    await queue(sim.client).resume();
    await until(() => sim.server.queueItems().every((i) => i.status === 'completed'));
    await expect(queue(sim.client).batchStatus(batch.batch.batch_id)).resolves.toMatchObject({ completed: 3, pending: 0 });
  });

  it('cancels one item, batches, a destination and all but the current one', async () => {
    await queue(sim.client).pause();
    const a = await enqueue(sim, { runs: 2 });
    const b = await enqueue(sim, { runs: 2, destination: 'd' });
    const c = await enqueue(sim, { runs: 2 });
    const canceled = await queue(sim.client).cancel(a.item_ids[0]);
    expect(canceled).toMatchObject({ item_id: a.item_ids[0], status: 'canceled' });
    await expect(queue(sim.client).cancelBatches([a.batch.batch_id])).resolves.toBe(1);
    await expect(queue(sim.client).cancelDestination('d')).resolves.toBe(2);
    await expect(queue(sim.client).cancelAllExceptCurrent()).resolves.toBe(2);
    expect(sim.server.queueItems().every((i) => i.status === 'canceled')).toBe(true);
    expect([...c.item_ids, ...b.item_ids]).toHaveLength(4);
    const missing = await queue(sim.client).cancel(ids.itemId(424242)).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ resource: 'queue item', id: '424242' });
  });

  it('retries failed items as new ones, prunes finished ones, deletes and clears', async () => {
    sim.server.faults.failNodes({ type: 'l2i', count: 1 });
    const failedRun = await enqueue(sim);
    await until(() => sim.server.queueItem(failedRun.item_ids[0])?.status === 'failed');
    const retried = await queue(sim.client).retry(failedRun.item_ids);
    expect(retried.retried_item_ids).toHaveLength(1);
    expect(retried.retried_item_ids[0]).not.toBe(failedRun.item_ids[0]);
    await until(() => sim.server.queueItem(retried.retried_item_ids[0])?.status === 'completed');
    expect(requestsTo(sim.server, 'PUT', '/api/v1/queue/default/retry_items_by_id').map((r) => r.status)).toEqual([200]);
    await expect(queue(sim.client).prune()).resolves.toBe(2);
    await queue(sim.client).pause();
    const pending = await enqueue(sim, { runs: 3 });
    await queue(sim.client).delete(pending.item_ids[0]);
    expect(sim.server.queueItem(pending.item_ids[0])).toBeUndefined();
    await expect(queue(sim.client).delete(pending.item_ids[0])).rejects.toBeInstanceOf(NotFoundError);
    await expect(queue(sim.client).clear()).resolves.toBe(2);
    expect(sim.server.queueItems()).toEqual([]);
  });

  it('next() is the item the processor takes next (a prepended batch first), and null when nothing is pending', async () => {
    await expect(queue(sim.client).next()).resolves.toBeNull();
    await queue(sim.client).pause();
    const first = await enqueue(sim, { runs: 2 });
    const oldest = Math.min(...first.item_ids);
    await expect(queue(sim.client).next()).resolves.toMatchObject({ item_id: oldest, status: 'pending' });
    const urgent = await enqueue(sim, { prepend: true });
    await expect(queue(sim.client).next()).resolves.toMatchObject({ item_id: urgent.item_ids[0] });
    await queue(sim.client).cancelAllExceptCurrent();
    await expect(queue(sim.client).next()).resolves.toBeNull();
  });

  it('itemIds() lists every id newest first by default, oldest first on request', async () => {
    await expect(queue(sim.client).itemIds()).resolves.toEqual({ item_ids: [], total_count: 0 });
    await queue(sim.client).pause();
    const a = await enqueue(sim, { runs: 2 });
    const b = await enqueue(sim, { runs: 1, destination: 'other' });
    const all = [...a.item_ids, ...b.item_ids].sort((x, y) => x - y);
    await expect(queue(sim.client).itemIds()).resolves.toEqual({ item_ids: [...all].reverse(), total_count: 3 });
    await expect(queue(sim.client).itemIds({ order: 'ASC' })).resolves.toEqual({ item_ids: all, total_count: 3 });
  });

  it('summaries() reads items without their sessions, in the order asked, skipping unknown ids, 1000 ids per request', async () => {
    await queue(sim.client).pause();
    const batch = await enqueue(sim, { runs: 2, destination: 'spec' });
    const [older, newer] = [...batch.item_ids].sort((x, y) => x - y);
    await queue(sim.client).cancel(older);
    const summaries = await queue(sim.client).summaries([newer, ids.itemId(999999), older]);
    expect(summaries).toEqual([
      expect.objectContaining({ item_id: newer, status: 'pending', destination: 'spec', batch_id: batch.batch.batch_id }),
      expect.objectContaining({ item_id: older, status: 'canceled', destination: 'spec' }),
    ]);
    expect(summaries[0]).not.toHaveProperty('session');
    await expect(queue(sim.client).summaries([])).resolves.toEqual([]);
    // the server takes at most 1000 ids: 2500 ids go in three requests, answered in the order asked
    const many = Array.from({ length: 2500 }, (_, i) => (i === 0 ? newer : i === 2499 ? older : ids.itemId(500000 + i)));
    const before = requestsTo(sim.server, 'POST', '/api/v1/queue/default/item_summaries_by_ids').length;
    const found = await queue(sim.client).summaries(many);
    expect(found.map((s) => s.item_id)).toEqual([newer, older]);
    expect(requestsTo(sim.server, 'POST', '/api/v1/queue/default/item_summaries_by_ids').length - before).toBe(3);
  });

  it('countsByDestination() counts the items of one destination only', async () => {
    await queue(sim.client).pause();
    const mine = await enqueue(sim, { runs: 3, destination: 'mine' });
    await enqueue(sim, { runs: 2, destination: 'theirs' });
    await queue(sim.client).cancel(mine.item_ids[0]);
    await expect(queue(sim.client).countsByDestination('mine')).resolves.toMatchObject({
      queue_id: 'default',
      destination: 'mine',
      pending: 2,
      canceled: 1,
      completed: 0,
      total: 3,
    });
    await expect(queue(sim.client).countsByDestination('nobody')).resolves.toMatchObject({ pending: 0, total: 0 });
  });

  it('deleteDestination() deletes the items of one destination (escaping the name in the path); deleteAllExceptCurrent() keeps only the running item', async () => {
    await queue(sim.client).pause();
    const odd = 'my canvas #1'; // a space and a '#' must be escaped in the path
    const gone = await enqueue(sim, { runs: 2, destination: odd });
    const kept = await enqueue(sim, { runs: 1, destination: 'kept' });
    await expect(queue(sim.client).deleteDestination(odd)).resolves.toBe(2);
    expect(gone.item_ids.map((id) => sim.server.queueItem(id))).toEqual([undefined, undefined]);
    expect(sim.server.queueItems().map((i) => i.item_id)).toEqual(kept.item_ids);
    await expect(queue(sim.client).deleteDestination(odd)).resolves.toBe(0);

    // one item running (the processor is slowed down), two pending behind it
    await sim.close();
    sim = await startSim({ stepMs: 60_000, steps: 1 });
    await enqueue(sim, { runs: 3 });
    await until(() => sim.server.queueItems().some((i) => i.status === 'in_progress'));
    const running = await queue(sim.client).current();
    expect(running).not.toBeNull();
    await expect(queue(sim.client).deleteAllExceptCurrent()).resolves.toBe(2);
    expect(sim.server.queueItems().map((i) => i.item_id)).toEqual([running?.item_id]);
    await queue(sim.client).cancel(running!.item_id);
  });

  it('status$ follows the counts from events, and re-reads them over REST on connect and reconnect', async () => {
    const seen: SessionQueueStatus[] = [];
    const sub = queue(sim.client).status$.subscribe((s) => seen.push(s));
    await until(() => seen.length > 0);
    expect(seen[0]).toMatchObject({ pending: 0, total: 0 });
    const readsAfterConnect = requestsTo(sim.server, 'GET', '/api/v1/queue/default/status').length;
    expect(readsAfterConnect).toBe(1);

    // an enqueue has no status event; status$ re-reads, then follows the items' events to completion
    const run = await enqueue(sim, { runs: 2 });
    await firstValueFrom(queue(sim.client).status$.pipe(filter((s) => s.completed === 2)));
    expect(seen.some((s) => s.in_progress === 1)).toBe(true);
    expect(seen.some((s) => s.pending === 2 || s.pending === 1)).toBe(true);
    expect(run.item_ids).toHaveLength(2);

    // while the socket server is down, the queue changes without any event reaching the client
    await queue(sim.client).pause();
    const restart = sim.server.faults.restartSocketServer(50);
    const before = requestsTo(sim.server, 'GET', '/api/v1/queue/default/status').length;
    await enqueue(sim, { runs: 3 });
    await restart;
    const latest = await firstValueFrom(queue(sim.client).status$.pipe(filter((s) => s.pending === 3)));
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
    await queue(sim.client).pause();
    await enqueue(sim, { runs: 3 });
    const reported: ResourceDiagnostic[] = [];
    const sub = sim.client.resourceDiagnostics$.subscribe((d) => reported.push(d));
    const items = await queue(sim.client).list();
    sub.unsubscribe();
    expect(items).toHaveLength(2);
    expect(reported).toEqual([expect.objectContaining({ endpoint: 'GET /api/v1/queue/default/list_all', index: 0, item: expect.objectContaining({ status: 'hibernating' }) })]);
  });
});

describe('queue(client).status$ while the socket is down', () => {
  it('re-reads the status over REST every pollIntervalMs while (re)connecting, and stops once connected or stopped, in virtual time', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = 10000;
    const connection = new Subject<ConnectionState>();
    const readTimes: number[] = [];
    // Each status read takes 300 ms and answers `pending` = its own number.
    const http: HttpClient = {
      request$: <A>(options: RequestOptions<A>) =>
        defer(() => {
          readTimes.push(scheduler.now());
          const n = readTimes.length;
          const body = {
            queue: { queue_id: 'default', pending: n, in_progress: 0, completed: 0, failed: 0, canceled: 0, total: n },
            processor: { is_started: true, is_processing: false },
          };
          return timer(300, scheduler).pipe(
            map(() => {
              const decoded = options.decode.decode(body);
              if (isLeft(decoded)) throw new Error(`the fake answer does not fit ${options.path}`);
              return decoded.right;
            }),
          );
        }),
      request: () => Promise.reject(new Error('not used')),
      url: (path) => path,
    };
    const context: ClientContext = {
      options: { baseUrl: 'http://invoke.test', pollIntervalMs: 1000 },
      baseUrl: 'http://invoke.test',
      queueId: 'default',
      http,
      socket: { events$: new Subject<ServerEvent>(), connection$: connection, diagnostics$: NEVER, close: () => undefined },
      token: tokenStore(),
      scheduler,
      random: () => 0,
    };
    const seen: Array<[number, number]> = [];
    const sub = queueResource(context, diagnosticSink()).status$.subscribe((s) => seen.push([scheduler.now(), s.pending]));
    const at = (time: number, state: ConnectionState) => scheduler.schedule(() => connection.next(state), time);
    at(0, { type: 'connecting', attempt: 0 });
    // reconnect attempts faster than the interval do not restart it
    at(1500, { type: 'reconnecting', attempt: 1, delayMs: 100, reason: 'lost' });
    at(1600, { type: 'connecting', attempt: 1 });
    at(3000, { type: 'connected', sid: 's1' });
    at(5000, { type: 'reconnecting', attempt: 1, delayMs: 100, reason: 'lost' });
    at(8000, { type: 'disconnected', reason: 'the client was closed' });
    scheduler.flush();
    sub.unsubscribe();
    // polls 1 s apart counted from the end of the previous read; one read on connect and no poll
    // while connected; polling again once the socket drops; nothing after it stopped for good
    expect(readTimes).toEqual([1000, 2300, 3000, 6000, 7300]);
    expect(seen).toEqual([
      [1300, 1],
      [2600, 2],
      [3300, 3],
      [6300, 4],
      [7600, 5],
    ]);
  });
});

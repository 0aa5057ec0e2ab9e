// The run pipeline end to end against the simulated server: events, outputs, results, fan-out,
// the quirks of the server (docs/server-contract.md, Quirks) that touch runs, and the number of requests a run costs.
import * as fs from 'fs';
import * as path from 'path';
import { pipe } from 'fp-ts/function';
import { lastValueFrom, toArray } from 'rxjs';
import { createClient, InvokeAIClient } from '../../lib/client/client';
import { AuthError, HttpError } from '../../lib/transport/errors';
import type { RunEvent } from '../../lib/run/events';
import { MockServer, modelIdentifier, startMockServer } from '../../lib/testing';
import { setInput } from '../../lib/workflow/inputs';
import { Workflow } from '../../lib/workflow/workflow';
import { collect, eventually, imageWorkflow, integerWorkflow, runViolations, sweepWorkflow } from './run-helpers';

const fixture = (name: string): string =>
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'default-workflows', name), 'utf8');

const itemEvents = (events: readonly RunEvent[], itemId: number): RunEvent[] =>
  events.filter((e) => e.type !== 'enqueued' && e.itemId === itemId);

const enqueuedOf = (events: readonly RunEvent[]) => {
  const first = events[0];
  if (first?.type !== 'enqueued') throw new Error('the run did not start with enqueued');
  return first;
};

describe('client.run against the simulator', () => {
  let server: MockServer;
  let client: InvokeAIClient;
  const start = async (options: Parameters<typeof startMockServer>[0] = {}) => {
    server = await startMockServer({ stepMs: 1, steps: 2, ...options });
    client = createClient({ baseUrl: server.url });
  };
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('runs a real default workflow (Text to Image - SD1.5); its outputs are the images the server recorded, byte for byte', async () => {
    await start();
    const model = server.models().find((m) => m.name === 'stable-diffusion-v1-5');
    if (model === undefined) throw new Error('the simulator has no SD1.5 model');
    const wf = pipe(
      Workflow.fromJson(fixture('Text to Image - SD1.5.json')),
      setInput('Model', modelIdentifier(model)),
      setInput('Positive Prompt', 'a lighthouse at dawn'),
      setInput('Width', 256),
      setInput('Height', 128),
    );
    const run = await collect(client.run(wf));
    expect(runViolations(run, server)).toEqual([]);
    const completed = run.events.filter((e) => e.type === 'completed');
    expect(completed).toHaveLength(1);
    if (completed[0].type !== 'completed') throw new Error('unreachable');
    const outputs = completed[0].outputs;
    expect(outputs.map((o) => o.nodeId)).toEqual(['58c957f5-0d01-41fc-a803-b2bbf0413d4f']);
    const images = outputs.flatMap((o) => o.images);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ width: 256, height: 128 });
    // The early `output` event names the same image as the authoritative outputs.
    const early = run.events.filter((e) => e.type === 'output');
    expect(early.flatMap((e) => (e.type === 'output' ? e.output.images.map((i) => i.imageName) : []))).toEqual([images[0].imageName]);
    const response = await fetch(`${server.url}/api/v1/images/i/${images[0].imageName}/full`);
    expect(response.status).toBe(200);
    const downloaded = Buffer.from(await response.arrayBuffer());
    const recorded = server.imageBytes(images[0].imageName);
    expect(recorded).toBeDefined();
    expect(downloaded.equals(recorded as Buffer)).toBe(true);
    // Node events carry the workflow's node ids, never the server's prepared copies.
    const workflowNodeIds = new Set(wf.json.nodes.map((n) => n.id));
    for (const e of run.events) {
      if (e.type === 'node_started' || e.type === 'node_completed' || e.type === 'node_progress') {
        expect(workflowNodeIds.has(e.nodeId)).toBe(true);
        expect(e.preparedId).not.toBe(e.nodeId);
      }
    }
    expect(run.events.some((e) => e.type === 'node_progress' && e.percentage !== null && e.image !== null)).toBe(true);
  });

  it('costs a handful of requests with a healthy socket: the enqueue and one read per item (the socket was connected before the POST, so no read at the start)', async () => {
    await start();
    const run = await collect(client.run(imageWorkflow()));
    expect(runViolations(run, server)).toEqual([]);
    const requests = server.requests.map((r) => `${r.method} ${r.path.replace(/\d+$/, '{id}')}`);
    expect(requests).toEqual(['POST /api/v1/queue/default/enqueue_batch', 'GET /api/v1/queue/default/i/{id}']);

    // Three items, still a handful: their end reads are coalesced when they end together.
    const before = server.requests.length;
    const three = await collect(client.run(imageWorkflow(), { runs: 3 }));
    expect(runViolations(three, server)).toEqual([]);
    expect(server.requests.length - before).toBeLessThanOrEqual(4);
  });

  it('costs the same few requests however long the run (many progress events)', async () => {
    await start({ stepMs: 2, steps: 60 });
    const run = await collect(client.run(imageWorkflow()));
    expect(runViolations(run, server)).toEqual([]);
    expect(run.events.filter((e) => e.type === 'node_progress').length).toBeGreaterThanOrEqual(60);
    expect(server.requests.length).toBeLessThanOrEqual(3);
  });

  it('emits each item in order: enqueued, in_progress, node events, output, completed; and nothing after', async () => {
    await start();
    const run = await collect(client.run(imageWorkflow()));
    const { itemIds, requested, enqueued } = enqueuedOf(run.events);
    expect({ requested, enqueued, count: itemIds.length }).toEqual({ requested: 1, enqueued: 1, count: 1 });
    const types = itemEvents(run.events, itemIds[0]).map((e) => e.type);
    expect(types[0]).toBe('status');
    expect(types.indexOf('node_started')).toBeLessThan(types.indexOf('node_completed'));
    expect(types.indexOf('node_completed')).toBeLessThan(types.indexOf('output'));
    expect(types.slice(-2)).toEqual(['status', 'completed']);
    const statuses = run.events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
    expect(statuses).toEqual(['in_progress', 'completed']);
  });

  it('submit resolves with every item: status, outputs, field values and the queue item', async () => {
    await start();
    const result = await client.submit(sweepWorkflow(), { sweep: { values: { 'int.value': [16, 24, 32] } } });
    expect(result.items).toHaveLength(3);
    expect(result.items.map((i) => i.itemId)).toEqual([...result.items.map((i) => i.itemId)].sort((a, b) => a - b));
    const widths = result.items.map((item) => {
      expect(item.status).toBe('completed');
      expect(item.queueItem?.batch_id).toBe(result.batchId);
      expect(item.outputs).toHaveLength(1);
      return item.outputs[0].images[0].width;
    });
    expect(widths.sort()).toEqual([16, 24, 32]);
    expect(result.items.map((i) => i.fieldValues[0]?.value).sort()).toEqual([16, 24, 32]);
  });

  it('fans out with runs × sweep product in one batch, every item in the same stream', async () => {
    await start();
    const run = await collect(client.run(sweepWorkflow(), { runs: 2, sweep: { values: { 'int.value': [8, 16, 24] } } }));
    expect(runViolations(run, server)).toEqual([]);
    const { itemIds, requested, enqueued, batchId } = enqueuedOf(run.events);
    expect({ requested, enqueued, items: itemIds.length }).toEqual({ requested: 6, enqueued: 6, items: 6 });
    expect(server.queueItems().filter((i) => i.batch_id === batchId)).toHaveLength(6);
    expect(run.events.filter((e) => e.type === 'completed')).toHaveLength(6);
  });

  it('reports enqueued < requested when the queue is full, and runs what was enqueued', async () => {
    await start({ maxQueueSize: 2 });
    const run = await collect(client.run(integerWorkflow(), { runs: 5 }));
    expect(runViolations(run, server)).toEqual([]);
    const { requested, enqueued, itemIds } = enqueuedOf(run.events);
    expect({ requested, enqueued, items: itemIds.length }).toEqual({ requested: 5, enqueued: 2, items: 2 });
  });

  it('a failing node is a failed event with the error and the workflow node (the server sends failed before the error)', async () => {
    await start();
    server.faults.failNodes({ type: 'blank_image', errorType: 'ValueError', message: 'no canvas today' });
    const run = await collect(client.run(imageWorkflow()));
    expect(runViolations(run, server)).toEqual([]);
    const failed = run.events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({ type: 'failed', nodeId: 'img', error: { type: 'ValueError', message: 'no canvas today' } });
    if (failed?.type !== 'failed') throw new Error('unreachable');
    expect(failed.error.traceback).toContain('ValueError');
    // The simulator did send the status before the error, as InvokeAI does.
    const names = server.events.map((e) => e.name).filter((n) => n === 'queue_item_status_changed' || n === 'invocation_error');
    expect(names.slice(-2)).toEqual(['queue_item_status_changed', 'invocation_error']);
    // An item failure is a result, not a rejection.
    const result = await client.submit(imageWorkflow());
    expect(result.items[0]).toMatchObject({ status: 'failed', failedNodeId: 'img', error: { type: 'ValueError' } });
  });

  it('keeps the events that arrive before the enqueue response', async () => {
    await start();
    server.faults.eventsBeforeEnqueueResponse(true);
    const run = await collect(client.run(imageWorkflow(), { runs: 2 }));
    expect(runViolations(run, server)).toEqual([]);
    const { itemIds } = enqueuedOf(run.events);
    for (const id of itemIds) {
      const types = itemEvents(run.events, id).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['node_started', 'node_progress', 'node_completed', 'output', 'completed']));
    }
  });

  it('treats waiting as a status, not an end', async () => {
    await start();
    server.faults.holdWaiting(30);
    const run = await collect(client.run(imageWorkflow()));
    expect(runViolations(run, server)).toEqual([]);
    const statuses = run.events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
    expect(statuses).toContain('waiting');
    expect(statuses[statuses.length - 1]).toBe('completed');
    expect(run.events[run.events.length - 1].type).toBe('completed');
  });

  it('reads REST items whose null fields are omitted', async () => {
    await start();
    const run = await collect(client.run(imageWorkflow()));
    const completed = run.events.find((e) => e.type === 'completed');
    if (completed?.type !== 'completed') throw new Error('no completed event');
    // The server left the nulls out; the decoded item simply lacks them.
    const served = server.queueItem(completed.itemId) ?? {};
    expect('error_type' in served).toBe(false);
    expect(completed.queueItem.error_type).toBeUndefined();
    expect(completed.queueItem.status).toBe('completed');
  });

  it('survives a 500 on an item read (as the server answers for an item of another queue) by reading again later', async () => {
    await start();
    server.faults.failRequests({ path: /\/i\/\d+$/, method: 'GET', status: 500, count: 2 });
    const run = await collect(client.run(imageWorkflow(), { pollIntervalMs: 10 }));
    expect(runViolations(run, server)).toEqual([]);
    expect(server.requests.filter((r) => r.status === 500).length).toBe(2);
  });

  it('rejects an enqueue the server refuses with an HttpError that lists the 422 issues', async () => {
    await start();
    server.faults.failRequests({
      path: 'enqueue_batch',
      status: 422,
      body: { detail: [{ type: 'value_error', loc: ['body', 'batch', 'graph'], msg: 'Value error, node ids must be unique', input: null }] },
    });
    const run = await collect(client.run(imageWorkflow()));
    expect(run.completed).toBe(false);
    expect(run.events).toEqual([]);
    expect(run.error).toBeInstanceOf(HttpError);
    const error = run.error as HttpError;
    expect(error.status).toBe(422);
    expect(error.issues.map((i) => i.msg)).toEqual(['Value error, node ids must be unique']);
    expect(error.message).toContain('body.batch.graph');
    await expect(client.submit(imageWorkflow())).resolves.toBeDefined();
  });

  it('errors with AuthError when the server refuses the client', async () => {
    await start({ multiUser: { users: [{ email: 'a@example.com', password: 'pw', isAdmin: true }] } });
    const run = await collect(client.run(imageWorkflow(), { connectWaitMs: 50 }));
    expect(run.completed).toBe(false);
    expect(run.error).toBeInstanceOf(AuthError);
    expect(server.queueItems()).toHaveLength(0);
  });

  it('runMany keeps at most `concurrency` runs in flight and tags events with the workflow index', async () => {
    await start();
    const workflows = [imageWorkflow(16), imageWorkflow(24), { workflow: imageWorkflow(32), options: { runs: 2 } }, imageWorkflow(40), imageWorkflow(48)];
    const tagged = await lastValueFrom(client.runMany(workflows, { concurrency: 2 }).pipe(toArray()));
    const byIndex = new Map<number, RunEvent[]>();
    for (const { index, event } of tagged) byIndex.set(index, [...(byIndex.get(index) ?? []), event]);
    expect([...byIndex.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const [index, events] of byIndex) {
      expect(runViolations({ events, completed: true }, server)).toEqual([]);
      const sizes = events.flatMap((e) => (e.type === 'completed' ? e.outputs.flatMap((o) => o.images.map((i) => i.width)) : []));
      expect(sizes).toEqual(index === 2 ? [32, 32] : [[16, 24, 32, 40, 48][index]]);
    }
    // At most two runs between their enqueued and their last terminal event at any time.
    const open = new Set<number>();
    let peak = 0;
    const remaining = new Map([...byIndex].map(([i, evs]) => [i, evs.filter((e) => e.type === 'completed' || e.type === 'failed' || e.type === 'canceled').length]));
    for (const { index, event } of tagged) {
      if (event.type === 'enqueued') open.add(index);
      peak = Math.max(peak, open.size);
      if (event.type === 'completed' || event.type === 'failed' || event.type === 'canceled') {
        remaining.set(index, (remaining.get(index) ?? 1) - 1);
        if (remaining.get(index) === 0) open.delete(index);
      }
    }
    expect(peak).toBe(2);
  });

  it('passes origin, destination and prepend to the server, and picks a unique origin by default', async () => {
    await start();
    server.faults.pauseProcessor();
    const first = collect(client.run(integerWorkflow()));
    await eventually(() => server.queueItems().length === 1, 'the first batch queued');
    const second = collect(client.run(integerWorkflow(), { origin: 'my-app', destination: 'my-dest', prepend: true }));
    await eventually(() => server.queueItems().length === 2, 'the second batch queued');
    server.faults.resumeProcessor();
    const [a, b] = await Promise.all([first, second]);
    const idOf = (run: typeof a) => enqueuedOf(run.events).itemIds[0];
    const itemA = server.queueItem(idOf(a)) ?? {};
    const itemB = server.queueItem(idOf(b)) ?? {};
    expect(itemA.origin).toBe(`invokeai-rx:${enqueuedOf(a.events).batchId}`);
    expect(itemA.destination).toBe('gallery');
    expect({ origin: itemB.origin, destination: itemB.destination }).toEqual({ origin: 'my-app', destination: 'my-dest' });
    // The prepended item ran first although it was enqueued second.
    expect(String(itemB.started_at) <= String(itemA.started_at)).toBe(true);
    expect((itemB.priority as number) > (itemA.priority as number)).toBe(true);
  });

  it('errors at once, before any request, when the batch cannot be built (bad sweep)', async () => {
    await start();
    const run = await collect(client.run(sweepWorkflow(), { sweep: { values: { 'int.value': [] } } }));
    expect(run.error).toMatchObject({ name: 'BatchError' });
    expect(server.requests).toHaveLength(0);
  });

  it('runMany errors as a whole when one run cannot go on, and starts no further run', async () => {
    await start();
    server.faults.failRequests({ path: 'enqueue_batch', status: 422, body: { detail: [{ type: 'x', loc: ['body', 'batch'], msg: 'bad', input: null }] } });
    const seen: number[] = [];
    const error = await new Promise<unknown>((resolve) =>
      client.runMany([integerWorkflow(), integerWorkflow(), integerWorkflow()], { concurrency: 1 }).subscribe({
        next: ({ index }) => seen.push(index),
        error: resolve,
        complete: () => resolve(undefined),
      }),
    );
    expect(error).toBeInstanceOf(HttpError);
    expect(seen).toEqual([]);
    expect(server.requests.filter((r) => r.path.endsWith('enqueue_batch'))).toHaveLength(1);
  });

  it('enqueues nothing until subscribed (cold), and once per subscription', async () => {
    await start();
    const run$ = client.run(integerWorkflow());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.queueItems()).toHaveLength(0);
    await collect(run$);
    await collect(run$);
    await eventually(() => server.queueItems().length === 2, 'two items');
    expect(new Set(server.queueItems().map((i) => i.batch_id)).size).toBe(2);
  });
});

// Enqueue at most once against real misbehaving servers: a proxy in front of the simulator that
// delays the enqueue POST past the client's request timeout, answers 500/502/504 after the server
// committed it, or resets the connection after the request was sent; a server that never answers;
// a client closed mid-run; node ids that are names of Object.prototype.
import { createClient, InvokeAIClient } from '../../lib/client/client';
import { ConnectionLostError, RunTimeoutError } from '../../lib/run/errors';
import type { RunOptions } from '../../lib/run/options';
import { ManualClock, MockServer, startMockServer } from '../../lib/testing';
import type { ClientOptions } from '../../lib/transport/context';
import { Workflow } from '../../lib/workflow/workflow';
import { edge, invocation, makeWorkflowJson } from '../workflow/builders';
import { EnqueueFault, FaultyProxy, SilentServer, startFaultyProxy, startSilentServer } from './proxy';
import { collect, Collected, eventually, imageWorkflow, runViolations } from './run-helpers';

const FAST: RunOptions = { pollIntervalMs: 20, maxPollIntervalMs: 100, silenceMs: 300 };

describe('enqueue at most once, through a misbehaving proxy', () => {
  let server: MockServer;
  let proxy: FaultyProxy;
  let client: InvokeAIClient;
  const start = async (clientOptions: Partial<ClientOptions> = {}) => {
    server = await startMockServer({ stepMs: 1, steps: 2 });
    proxy = await startFaultyProxy(server.url);
    client = createClient({ baseUrl: proxy.url, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...clientOptions });
  };
  afterEach(async () => {
    await client.close();
    await proxy.close();
    await server.close();
  });

  /** The items the server holds of the run's batch, and the enqueue POSTs that reached it. */
  const onServer = (run: Collected) => {
    const enqueued = run.events[0];
    const batchId = enqueued?.type === 'enqueued' ? enqueued.batchId : '';
    return {
      items: server.queueItems().filter((item) => item.batch_id === batchId).length,
      posts: server.requests.filter((r) => r.path.endsWith('/enqueue_batch')).length,
    };
  };

  it('an enqueue held past requestTimeoutMs is followed by its batch id, never posted again: the server holds exactly the items asked for', async () => {
    await start({ requestTimeoutMs: 300 });
    proxy.enqueueFault({ kind: 'delay', ms: 900 });
    const run = await collect(client.run(imageWorkflow(), { ...FAST, runs: 5 }));
    expect(runViolations(run, server)).toEqual([]);
    expect(run.events[0]).toMatchObject({ type: 'enqueued', requested: 5, enqueued: 5 });
    expect(onServer(run)).toEqual({ items: 5, posts: 1 });
    expect(proxy.posts()).toBe(1);
    // It looked for the batch while the POST was held, and found it once it landed.
    expect(server.requests.filter((r) => r.path.includes('/b/')).length).toBeGreaterThanOrEqual(2);
  });

  it.each([500, 502, 504])('an enqueue answered %i after the server committed it: the run goes on with the batch, exactly the items asked for', async (status) => {
    await start();
    proxy.enqueueFault({ kind: 'answer_after_commit', status });
    const run = await collect(client.run(imageWorkflow(), { ...FAST, runs: 4 }));
    expect(runViolations(run, server)).toEqual([]);
    expect(run.events.filter((e) => e.type === 'completed')).toHaveLength(4);
    expect(onServer(run)).toEqual({ items: 4, posts: 1 });
    expect(proxy.posts()).toBe(1);
  });

  it.each<EnqueueFault['kind']>(['reset_after_send', 'reset_after_commit'])('a connection %s: the server holds exactly the items asked for', async (kind) => {
    await start();
    proxy.enqueueFault({ kind } as EnqueueFault);
    const run = await collect(client.run(imageWorkflow(), { ...FAST, runs: 3 }));
    expect(runViolations(run, server)).toEqual([]);
    expect(onServer(run)).toEqual({ items: 3, posts: 1 });
    expect(proxy.posts()).toBe(1);
  });

  it('node ids named constructor, __proto__ and toString, and item reads whose mappings are empty: the run completes, nothing is thrown outside it', async () => {
    await start();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const wf = Workflow.fromObject(
        makeWorkflowJson(
          [
            invocation('constructor', 'integer', { value: 16 }),
            invocation('__proto__', 'blank_image', { width: undefined, height: 8 }, { isIntermediate: false }),
            invocation('toString', 'blank_image', { width: 8, height: 8 }, { isIntermediate: false }),
          ],
          [edge('constructor', 'value', '__proto__', 'width')],
          [['constructor', 'value']],
        ),
      );
      // As the simulator answers: each node runs and its output maps back to its own id.
      const plain = await collect(client.run(wf, FAST));
      expect(runViolations(plain, server)).toEqual([]);
      const outputs = plain.events.flatMap((e) => (e.type === 'completed' ? e.outputs.map((o) => [o.nodeId, o.images[0]?.width]) : []));
      expect(outputs).toEqual([
        ['__proto__', 16],
        ['toString', 8],
      ]);
      // A server whose item reads name no node: the run still completes, with no outputs to map.
      proxy.rewriteItems((item) => ({ ...item, session: { ...(item.session as object), source_prepared_mapping: {}, prepared_source_mapping: {} } }));
      const odd = await collect(client.run(wf, FAST));
      expect(odd.completed).toBe(true);
      expect(odd.events.filter((e) => e.type === 'completed')).toEqual([expect.objectContaining({ outputs: [] })]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('hard bounds and the client going away', () => {
  let silent: SilentServer | undefined;
  let server: MockServer | undefined;
  let client: InvokeAIClient | undefined;
  afterEach(async () => {
    await client?.close();
    await silent?.close();
    await server?.close();
    silent = undefined;
    server = undefined;
    client = undefined;
  });

  it('a server that accepts connections and never answers: timeoutMs ends the run with RunTimeoutError, the cancel settles in the background', async () => {
    silent = await startSilentServer();
    client = createClient({ baseUrl: silent.url, requestTimeoutMs: 500, retry: false });
    // The enqueue goes out at once (no wait for the socket), so a POST is in flight at the timeout.
    const run = await collect(client.run(imageWorkflow(), { timeoutMs: 200, connectWaitMs: 0 }));
    expect(run.error).toBeInstanceOf(RunTimeoutError);
    const error = run.error as RunTimeoutError;
    expect(run.events).toEqual([]);
    // The POST times out, then the cancel is sent and times out too: the outcome says so.
    expect(await error.cancellation).toMatchObject({ type: 'failed' });
    expect(silent.connections()).toBeGreaterThanOrEqual(2);
  });

  it('client.close() mid-run: the run errors with ConnectionLostError and its items are canceled on the server', async () => {
    // The server's clock never moves: the first item stays at its first step until it is canceled.
    server = await startMockServer({ clock: new ManualClock(), stepMs: 20, steps: 50 });
    client = createClient({ baseUrl: server.url });
    let closing: Promise<void> | undefined;
    const closer = client;
    const run = await collect(closer.run(imageWorkflow(), { runs: 3 }), (event) => {
      if (event.type === 'node_started' && closing === undefined) closing = closer.close();
    });
    expect(run.error).toBeInstanceOf(ConnectionLostError);
    await closing;
    const enqueued = run.events[0];
    const batchId = enqueued?.type === 'enqueued' ? enqueued.batchId : '';
    const items = server.queueItems().filter((item) => item.batch_id === batchId);
    expect(items).toHaveLength(3);
    expect(items.map((item) => item.status)).toEqual(['canceled', 'canceled', 'canceled']);
    expect(server.requests.some((r) => r.path.endsWith('/cancel_by_batch_ids'))).toBe(true);
  });

  it('client.close() with cancelOnUnsubscribe: false leaves the items running', async () => {
    server = await startMockServer({ stepMs: 2, steps: 5 });
    client = createClient({ baseUrl: server.url });
    const closer = client;
    let itemId = -1;
    const run = await collect(closer.run(imageWorkflow(), { cancelOnUnsubscribe: false }), (event) => {
      if (event.type === 'node_started' && itemId < 0) {
        itemId = event.itemId;
        void closer.close();
      }
    });
    expect(run.error).toBeInstanceOf(ConnectionLostError);
    const target = server;
    await eventually(() => target.queueItem(itemId)?.status === 'completed', 'the item completed');
    expect(server.requests.some((r) => r.path.endsWith('/cancel_by_batch_ids'))).toBe(false);
  });
});

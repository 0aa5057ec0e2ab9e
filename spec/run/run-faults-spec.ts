// The run pipeline under the simulator's faults: lost, late, reordered events, dropped and restarted
// sockets, cancellation, timeouts, cleared queues, lost enqueue answers and a server that goes away.
import crossFetch from 'cross-fetch';
import WebSocket from 'isomorphic-ws';
import { Subscription } from 'rxjs';
import { createClient, InvokeAIClient } from '../../lib/client/client';
import type { ClientOptions } from '../../lib/transport/context';
import type { FetchLike } from '../../lib/transport/http';
import type { WebSocketConstructor, WebSocketLike } from '../../lib/transport/socket';
import { ConnectionLostError, EnqueueUnconfirmedError, RunTimeoutError } from '../../lib/run/errors';
import type { RunOptions } from '../../lib/run/run';
import { ManualClock, MockServer, startMockServer } from '../../lib/testing';
import { collect, Collected, eventually, imageWorkflow, integerWorkflow, runViolations } from './run-helpers';

/** Fast timings so that polling kicks in within a test. */
const FAST: RunOptions = { pollIntervalMs: 20, maxPollIntervalMs: 100, silenceMs: 150 };

/** Every completed item of an image run has its one image. */
const outputsComplete = (run: Collected): string[] =>
  run.events.flatMap((e) =>
    e.type === 'completed' && e.outputs.flatMap((o) => o.images).length !== 1 ? [`item ${e.itemId} completed with ${e.outputs.length} outputs`] : [],
  );

/** A WebSocket that never delivers the frames `drop` picks (a precise, client-side event loss). */
const droppingWebSocket = (drop: (frame: string) => boolean, dropped: string[]): WebSocketConstructor =>
  class DroppingWebSocket implements WebSocketLike {
    private readonly ws: WebSocket;
    constructor(url: string) {
      this.ws = new WebSocket(url);
    }
    get readyState(): number {
      return this.ws.readyState;
    }
    send(data: string): void {
      this.ws.send(data);
    }
    close(code?: number, reason?: string): void {
      this.ws.close(code, reason);
    }
    terminate = (): void => this.ws.terminate();
    set onopen(handler: unknown) {
      this.ws.onopen = handler as WebSocket['onopen'];
    }
    get onopen(): unknown {
      return this.ws.onopen;
    }
    set onclose(handler: unknown) {
      this.ws.onclose = handler as WebSocket['onclose'];
    }
    get onclose(): unknown {
      return this.ws.onclose;
    }
    set onerror(handler: unknown) {
      this.ws.onerror = handler as WebSocket['onerror'];
    }
    get onerror(): unknown {
      return this.ws.onerror;
    }
    set onmessage(handler: unknown) {
      const deliver = handler as (event: { data: unknown }) => void;
      this.ws.onmessage = (event) => {
        if (typeof event.data === 'string' && drop(event.data)) {
          dropped.push(event.data);
          return;
        }
        deliver(event);
      };
    }
    get onmessage(): unknown {
      return this.ws.onmessage;
    }
  };

const api = async (server: MockServer, method: string, path: string, body?: unknown): Promise<number> => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await response.text();
  return response.status;
};

describe('client.run under faults', () => {
  let server: MockServer;
  let client: InvokeAIClient;
  let serverClosed = false;
  const subscriptions: Subscription[] = [];
  const start = async (options: Parameters<typeof startMockServer>[0] = {}, clientOptions: Partial<ClientOptions> = {}) => {
    server = await startMockServer({ stepMs: 3, steps: 4, ...options });
    serverClosed = false;
    client = createClient({ baseUrl: server.url, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...clientOptions });
  };
  afterEach(async () => {
    subscriptions.splice(0).forEach((s) => s.unsubscribe());
    await client.close();
    if (!serverClosed) await server.close();
  });

  /** Runs `runs` items of the image workflow, calling `fault` once the first node has started. */
  const runWithFault = async (fault: () => void | Promise<void>, runs = 3): Promise<Collected> => {
    let fired = false;
    return collect(client.run(imageWorkflow(), { ...FAST, runs }), (event) => {
      if (!fired && event.type === 'node_started') {
        fired = true;
        void fault();
      }
    });
  };

  const expectSound = (run: Collected) => {
    expect(runViolations(run, server)).toEqual([]);
    expect(outputsComplete(run)).toEqual([]);
    expect(run.events.filter((e) => e.type === 'completed')).toHaveLength(run.events[0]?.type === 'enqueued' ? run.events[0].itemIds.length : -1);
  };

  it('survives every socket being dropped mid-run', async () => {
    await start();
    const run = await runWithFault(() => server.faults.dropAllSockets());
    expectSound(run);
  });

  it('survives events stalled and then dropped', async () => {
    await start();
    const run = await runWithFault(() => server.faults.stallEvents(100, 'drop'));
    expectSound(run);
    expect(server.events.some((e) => !e.delivered)).toBe(true);
  });

  it.each([1, 2, 3])('survives 30%% of events dropped (seed %i)', async (seed) => {
    await start();
    server.faults.dropEvents(0.3, seed);
    const run = await collect(client.run(imageWorkflow(), { ...FAST, runs: 4 }));
    expectSound(run);
    expect(server.events.some((e) => !e.delivered)).toBe(true);
  });

  it('survives reordered events', async () => {
    await start();
    server.faults.reorderEvents(8);
    const run = await collect(client.run(imageWorkflow(), { ...FAST, runs: 2 }));
    expectSound(run);
  });

  it('survives late events', async () => {
    await start();
    server.faults.delayEvents(40);
    const run = await collect(client.run(imageWorkflow(), { ...FAST, runs: 2 }));
    expectSound(run);
  });

  it('survives the server restarting its socket server mid-run', async () => {
    await start({ stepMs: 5 });
    const run = await runWithFault(() => server.faults.restartSocketServer(80));
    expectSound(run);
  });

  it('survives a socket that stops answering (no pings): polls while it is silent', async () => {
    await start({ pingInterval: 50, pingTimeout: 50 });
    const run = await runWithFault(() => {
      server.faults.stopPings();
      server.faults.stallEvents(300, 'drop');
    });
    expectSound(run);
  });

  it('a lost completion is read at once when another item starts, however busy the socket (no waiting for silence)', async () => {
    // Every completed status is lost; a long batch of someone else keeps the socket busy afterwards.
    const lost = (frame: string) => frame.includes('"queue_item_status_changed"') && frame.includes('"status":"completed"');
    const dropped: string[] = [];
    const clock = new ManualClock();
    await start({ clock, stepMs: 5, steps: 4 }, { WebSocket: droppingWebSocket(lost, dropped) });
    server.faults.pauseProcessor();
    const run$ = client.run(imageWorkflow(), { runs: 2, silenceMs: 60000, pollIntervalMs: 10 });
    const done = collect(run$);
    await eventually(() => server.queueItems().length === 2, 'our batch enqueued');
    const ours = server.queueItems().map((i) => i.item_id);
    const other = await api(server, 'POST', '/api/v1/queue/default/enqueue_batch', {
      batch: { graph: { id: 'g', nodes: { a: { id: 'a', type: 'blank_image', width: 8, height: 8, is_intermediate: false } }, edges: [] }, runs: 20 },
    });
    expect(other).toBe(200);
    server.faults.resumeProcessor();
    // The server's time runs until the other batch's first item starts, then stands still.
    const othersStarted = () => server.queueItems().some((i) => !ours.includes(i.item_id) && i.status !== 'pending');
    await clock.runUntil(othersStarted);
    const run = await done;
    expectSound(run);
    expect(dropped.length).toBeGreaterThanOrEqual(2);
    // Ours ended while the other batch was still running: found by the hint, not by silence.
    expect(server.queueItems().filter((i) => !ours.includes(i.item_id) && i.status === 'completed')).toEqual([]);
  });

  it('unsubscribing before the end cancels the unfinished items on the server', async () => {
    // The server's clock never moves: its first item stays at its first step until it is canceled.
    await start({ clock: new ManualClock(), stepMs: 20, steps: 50 });
    let batchId = '';
    const sub = client.run(imageWorkflow(), { runs: 2 }).subscribe((event) => {
      if (event.type === 'enqueued') batchId = event.batchId;
      if (event.type === 'node_started') sub.unsubscribe();
    });
    subscriptions.push(sub);
    await eventually(() => batchId !== '' && server.queueItems().filter((i) => i.batch_id === batchId).every((i) => i.status === 'canceled'), 'both items canceled');
    expect(server.queueItems().filter((i) => i.batch_id === batchId)).toHaveLength(2);
    expect(server.requests.some((r) => r.path.endsWith('cancel_by_batch_ids'))).toBe(true);
  });

  it('unsubscribing while the enqueue is in flight cancels the batch once the enqueue has landed', async () => {
    let posted = false;
    let answer: () => void = () => undefined;
    const unsubscribed = new Promise<void>((resolve) => (answer = resolve));
    const fetch: FetchLike = async (url, init) => {
      if (!url.endsWith('/enqueue_batch')) return crossFetch(url, init);
      posted = true;
      const response = await crossFetch(url, init);
      // The server has taken the batch; its answer reaches the run only after the subscriber has left.
      await unsubscribed;
      return response;
    };
    await start({}, { fetch });
    server.faults.pauseProcessor();
    const sub = client.run(imageWorkflow(), { runs: 2 }).subscribe();
    subscriptions.push(sub);
    await eventually(() => posted, 'the enqueue sent');
    sub.unsubscribe();
    answer();
    await eventually(() => server.queueItems().length === 2 && server.queueItems().every((i) => i.status === 'canceled'), 'both items canceled');
    const order = server.requests.map((r) => r.path.split('/').pop());
    expect(order.indexOf('cancel_by_batch_ids')).toBeGreaterThan(order.indexOf('enqueue_batch'));
  });

  it('unsubscribing with cancelOnUnsubscribe: false leaves the items running', async () => {
    await start({ stepMs: 2, steps: 5 });
    let itemId = -1;
    const sub = client.run(imageWorkflow(), { cancelOnUnsubscribe: false }).subscribe((event) => {
      if (event.type === 'node_started') {
        itemId = event.itemId;
        sub.unsubscribe();
      }
    });
    subscriptions.push(sub);
    await eventually(() => itemId > 0 && server.queueItem(itemId)?.status === 'completed', 'the item completed');
    expect(server.requests.some((r) => r.path.endsWith('cancel_by_batch_ids'))).toBe(false);
  });

  /** A run first, so that the client's socket is connected and a run's enqueue goes out as it is subscribed, well before its timeout. */
  const warmUp = async (): Promise<void> => expect((await collect(client.run(integerWorkflow()))).completed).toBe(true);

  it('times out: errors with RunTimeoutError and cancels the items on the server in the background', async () => {
    await start();
    await warmUp();
    server.faults.pauseProcessor();
    const run = await collect(client.run(imageWorkflow(), { timeoutMs: 80 }));
    expect(run.completed).toBe(false);
    expect(run.error).toBeInstanceOf(RunTimeoutError);
    const error = run.error as RunTimeoutError;
    expect(error.name).toBe('RunTimeoutError');
    expect(await error.cancellation).toEqual({ type: 'canceled', canceled: 1 });
    const items = server.queueItems().filter((i) => i.batch_id === error.batchId);
    expect(items.map((i) => i.status)).toEqual(['canceled']);
  });

  it('times out; the cancellation says when the cancel failed too', async () => {
    await start();
    await warmUp();
    server.faults.pauseProcessor();
    server.faults.failRequests({ path: 'cancel_by_batch_ids', status: 500, count: 10 });
    const run = await collect(client.run(imageWorkflow(), { timeoutMs: 50 }));
    expect(run.error).toBeInstanceOf(RunTimeoutError);
    const error = run.error as RunTimeoutError;
    expect(await error.cancellation).toMatchObject({ type: 'failed', error: expect.objectContaining({ status: 500 }) });
    expect(server.queueItems().filter((i) => i.batch_id === error.batchId).map((i) => i.status)).toEqual(['pending']);
  });

  it('a cleared queue ends the run: each item canceled with the reason', async () => {
    await start();
    server.faults.pauseProcessor();
    const run = await collect(client.run(imageWorkflow(), { ...FAST, runs: 2 }), (event) => {
      if (event.type === 'enqueued') void api(server, 'PUT', '/api/v1/queue/default/clear');
    });
    expect(runViolations(run)).toEqual([]);
    const ends = run.events.filter((e) => e.type === 'canceled');
    expect(ends).toHaveLength(2);
    for (const end of ends) expect(end).toMatchObject({ type: 'canceled', reason: expect.stringMatching(/queue_cleared|deleted/) });
  });

  it('a late queue_cleared of a clear that happened before the enqueue does not end the run: the server still has its item', async () => {
    const clock = new ManualClock();
    await start({ clock, stepMs: 0 });
    // Warm-up: the shared socket is connected and subscribed before the stale event is emitted.
    expectSound(await collect(client.run(imageWorkflow(), FAST)));
    server.faults.stallEvents(300, 'deliver');
    expect(await api(server, 'PUT', '/api/v1/queue/default/clear')).toBe(200);
    // The clear's event is held back until our enqueue has been answered, and reaches the client
    // ahead of our item's events (default silenceMs: the run does not poll its way to the end first).
    const run = await collect(client.run(imageWorkflow()), (event) => {
      if (event.type === 'enqueued') void clock.advance(300);
    });
    expect(server.events.some((e) => e.name === 'queue_cleared' && e.delivered)).toBe(true);
    expectSound(run);
    expect(run.events.filter((e) => e.type === 'canceled')).toEqual([]);
  });

  it('a queue cleared while the socket is silent still ends the run (the next read finds the items gone)', async () => {
    await start();
    server.faults.pauseProcessor();
    server.faults.dropEvents(1);
    const run = await collect(client.run(imageWorkflow(), { ...FAST }), (event) => {
      if (event.type === 'enqueued') setTimeout(() => void api(server, 'PUT', '/api/v1/queue/default/clear'), 20);
    });
    expect(runViolations(run)).toEqual([]);
    expect(run.events[run.events.length - 1]).toMatchObject({ type: 'canceled', reason: 'deleted' });
  });

  it('an item deleted by someone else ends as canceled', async () => {
    await start();
    server.faults.pauseProcessor();
    const run = await collect(client.run(imageWorkflow(), { ...FAST }), (event) => {
      if (event.type === 'enqueued') void api(server, 'DELETE', `/api/v1/queue/default/i/${event.itemIds[0]}`);
    });
    expect(runViolations(run)).toEqual([]);
    expect(run.events[run.events.length - 1].type).toBe('canceled');
  });

  it('does not enqueue twice when the enqueue answer is lost after the server handled it', async () => {
    let dropped = 0;
    const fetch: FetchLike = async (url, init) => {
      const response = await crossFetch(url, init);
      if (url.endsWith('/enqueue_batch') && dropped === 0) {
        dropped += 1;
        await response.text();
        throw new TypeError('socket hang up');
      }
      return response;
    };
    await start({}, { fetch });
    const run = await collect(client.run(imageWorkflow(), { ...FAST, runs: 2 }));
    expect(dropped).toBe(1);
    expectSound(run);
    const batchId = run.events[0]?.type === 'enqueued' ? run.events[0].batchId : '';
    expect(server.queueItems().filter((i) => i.batch_id === batchId)).toHaveLength(2);
    expect(server.requests.filter((r) => r.path.endsWith('enqueue_batch'))).toHaveLength(1);
    expect(server.requests.some((r) => r.path.endsWith(`/b/${batchId}/status`))).toBe(true);
  });

  it('enqueues again when the server answered 503 and the batch is absent, once', async () => {
    await start();
    server.faults.failRequests({ path: 'enqueue_batch', status: 503 });
    const run = await collect(client.run(imageWorkflow(), FAST));
    expectSound(run);
    const batchId = run.events[0]?.type === 'enqueued' ? run.events[0].batchId : '';
    expect(server.queueItems().filter((i) => i.batch_id === batchId)).toHaveLength(1);
    const log = server.requests.map((r) => `${r.method} ${r.path.replace(batchId, 'B')} ${r.status}`);
    expect(log.slice(0, 3)).toEqual([
      'POST /api/v1/queue/default/enqueue_batch 503',
      'GET /api/v1/queue/default/b/B/status 200',
      'POST /api/v1/queue/default/enqueue_batch 200',
    ]);
  });

  it('never posts again after a 502 (it may have been forwarded): follows the batch id, then errors with EnqueueUnconfirmedError after canceling it', async () => {
    await start();
    server.faults.failRequests({ path: 'enqueue_batch', status: 502 });
    const run = await collect(client.run(imageWorkflow(), { ...FAST, enqueueFollowMs: 300 }));
    expect(run.error).toBeInstanceOf(EnqueueUnconfirmedError);
    const error = run.error as EnqueueUnconfirmedError;
    expect(await error.cancellation).toEqual({ type: 'canceled', canceled: 0 });
    expect(run.events).toEqual([]);
    const posts = server.requests.filter((r) => r.path.endsWith('enqueue_batch'));
    expect(posts).toHaveLength(1);
    expect(server.requests.filter((r) => r.path.endsWith(`/b/${error.batchId}/status`)).length).toBeGreaterThanOrEqual(2);
    const paths = server.requests.map((r) => r.path.split('/').pop());
    expect(paths[paths.length - 1]).toBe('cancel_by_batch_ids');
  });

  it('errors with ConnectionLostError when the server is gone past the retry budget', async () => {
    await start({}, { retry: false });
    server.faults.pauseProcessor();
    const run = await collect(client.run(imageWorkflow(), { ...FAST, maxReadFailures: 3 }), (event) => {
      if (event.type === 'enqueued') {
        serverClosed = true;
        void server.close();
      }
    });
    expect(run.error).toBeInstanceOf(ConnectionLostError);
    expect((run.error as ConnectionLostError).message).toContain('3 reads');
  });
});

import { api, connect, enqueue, terminal, waitFor, withServer, Json } from './helpers';
import { ManualClock, startMockServer } from '../../lib/testing';

const tinyGraph = { id: 'g', nodes: { a: { id: 'a', type: 'string', value: 'x' } }, edges: [] };
const statusOf = (e: { name: string; payload: Record<string, Json> }) => (e.name === 'queue_item_status_changed' ? `status:${e.payload.status}` : e.name);
const NORMAL_ORDER = ['batch_enqueued', 'status:in_progress', 'invocation_started', 'invocation_complete', 'status:completed'];

describe('server.faults', () => {
  const env = withServer();
  afterEach(() => env.cleanup());

  /** A server on a clock the test moves: its fault windows last exactly as long as the test says. */
  const startClocked = async () => {
    const clock = new ManualClock();
    return { clock, server: await env.start({ clock, stepMs: 0 }) };
  };

  it('dropAllSockets disconnects every client', async () => {
    const server = await env.start();
    const c1 = env.track(await connect(server));
    const c2 = env.track(await connect(server));
    expect(server.socketCount).toBe(2);
    const reasons: string[] = [];
    c1.socket.on('disconnect', (r) => reasons.push(r));
    c2.socket.on('disconnect', (r) => reasons.push(r));
    server.faults.dropAllSockets();
    await waitFor(() => reasons.length === 2, 'disconnects');
    expect(reasons).toEqual(['transport close', 'transport close']);
    await waitFor(() => server.socketCount === 0);
  });

  it('stallEvents holds events then delivers them in order', async () => {
    const { clock, server } = await startClocked();
    const { events } = env.track(await connect(server));
    server.faults.stallEvents(150);
    const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await waitFor(terminal(server, id));
    await clock.advance(149);
    expect(server.events).toHaveLength(0);
    await clock.advance(1);
    await waitFor(() => events.length === NORMAL_ORDER.length, 'released events');
    expect(events.map(statusOf)).toEqual(NORMAL_ORDER);
  });

  it("stallEvents(ms, 'drop') loses the held events", async () => {
    const { clock, server } = await startClocked();
    const { events } = env.track(await connect(server));
    server.faults.stallEvents(60, 'drop');
    const lost = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await waitFor(terminal(server, lost));
    await clock.advance(59);
    expect(server.events.map((e) => [statusOf(e), e.delivered])).toEqual(NORMAL_ORDER.map((name) => [name, false]));
    // once the window has passed, later events flow again, and they are all the client ever gets
    await clock.advance(1);
    const later = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await waitFor(() => events.length >= NORMAL_ORDER.length);
    expect(events.map(statusOf)).toEqual(NORMAL_ORDER);
    expect(events.filter((e) => 'item_id' in e.payload).map((e) => e.payload.item_id)).toEqual(Array(NORMAL_ORDER.length - 1).fill(later));
  });

  it('dropEvents drops a reproducible fraction of events', async () => {
    const pattern = async () => {
      const server = await startMockServer({ stepMs: 1 });
      try {
        const { socket, events } = await connect(server);
        server.faults.dropEvents(0.5, 7);
        const ids = (await enqueue(server, { graph: tinyGraph, runs: 4 })).json.item_ids;
        await waitFor(() => ids.every((id: number) => terminal(server, id)()));
        // every event that went out arrives (and nothing else: the server sends no more)
        await waitFor(() => events.length === server.events.filter((e) => e.delivered).length, 'the delivered events');
        socket.close();
        const delivered = server.events.filter((e) => e.delivered).length;
        expect(events).toHaveLength(delivered);
        return server.events.map((e) => e.delivered);
      } finally {
        await server.close();
      }
    };
    const a = await pattern();
    const b = await pattern();
    expect(a).toEqual(b);
    expect(a.filter((d) => !d).length).toBeGreaterThan(0);
    expect(a.filter((d) => d).length).toBeGreaterThan(0);
  });

  it('delayEvents delivers late but in order', async () => {
    const { clock, server } = await startClocked();
    const { events } = env.track(await connect(server));
    server.faults.delayEvents(150);
    const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await waitFor(terminal(server, id));
    await clock.advance(149);
    expect(server.events).toHaveLength(0);
    await clock.advance(1);
    await waitFor(() => events.length === NORMAL_ORDER.length);
    expect(events.map(statusOf)).toEqual(NORMAL_ORDER);
  });

  it('reorderEvents delivers the next N events in reverse order', async () => {
    const server = await env.start();
    const { events } = env.track(await connect(server));
    server.faults.reorderEvents(NORMAL_ORDER.length);
    await enqueue(server, { graph: tinyGraph, runs: 1 });
    await waitFor(() => events.length === NORMAL_ORDER.length);
    expect(events.map(statusOf)).toEqual([...NORMAL_ORDER].reverse());
  });

  it('eventsBeforeEnqueueResponse holds the HTTP response until the item has finished', async () => {
    const server = await env.start();
    const { events } = env.track(await connect(server));
    server.faults.eventsBeforeEnqueueResponse(true);
    const r = await enqueue(server, { graph: tinyGraph, runs: 1 });
    const id = r.json.item_ids[0];
    expect(server.queueItem(id)?.status).toBe('completed');
    expect(server.events.map((e) => e.name)).toContain('invocation_complete');
    await waitFor(() => events.some((e) => e.payload.status === 'completed'));
  });

  it('failRequests fails the next N matching requests, then recovers', async () => {
    const server = await env.start();
    server.faults.failRequests({ path: '/enqueue_batch', status: 503, count: 2 });
    server.faults.failRequests({ path: /\/version$/, method: 'GET', status: 500, body: { detail: 'nope' } });
    expect((await enqueue(server, { graph: tinyGraph, runs: 1 })).status).toBe(503);
    expect((await enqueue(server, { graph: tinyGraph, runs: 1 })).status).toBe(503);
    expect((await enqueue(server, { graph: tinyGraph, runs: 1 })).status).toBe(200);
    expect(await api(server, 'GET', '/api/v1/app/version')).toMatchObject({ status: 500, json: { detail: 'nope' } });
    expect((await api(server, 'GET', '/api/v1/app/version')).status).toBe(200);
    expect(server.requests.filter((r) => r.path.endsWith('/enqueue_batch')).map((r) => r.status)).toEqual([503, 503, 200]);
    expect(server.queueItems()).toHaveLength(1);
  });

  it('failNodes fails nodes of a type with the given error', async () => {
    const server = await env.start();
    const { events } = env.track(await connect(server));
    server.faults.failNodes({ type: 'string', errorType: 'OutOfMemoryError', message: 'CUDA out of memory', count: 1 });
    const a = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await waitFor(terminal(server, a));
    expect(server.queueItem(a)).toMatchObject({ status: 'failed', error_type: 'OutOfMemoryError', error_message: 'CUDA out of memory' });
    await waitFor(() => events.some((e) => e.name === 'invocation_error'));
    expect(events.map(statusOf)).toEqual(['batch_enqueued', 'status:in_progress', 'invocation_started', 'status:failed', 'invocation_error']);
    const b = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await waitFor(terminal(server, b));
    expect(server.queueItem(b)?.status).toBe('completed');
  });

  it('pauseProcessor keeps items pending until resumeProcessor', async () => {
    const { clock, server } = await startClocked();
    server.faults.pauseProcessor();
    const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await clock.advance(60_000); // time enough for any item
    expect(server.queueItem(id)?.status).toBe('pending');
    expect((await api(server, 'GET', '/api/v1/queue/default/status')).json.processor.is_started).toBe(false);
    server.faults.resumeProcessor();
    await waitFor(terminal(server, id));
  });

  it('holdWaiting sends the item through waiting and pending before it runs', async () => {
    const { clock, server } = await startClocked();
    const { events } = env.track(await connect(server));
    server.faults.holdWaiting(40);
    const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await waitFor(() => events.some((e) => e.name === 'queue_item_status_changed' && e.payload.status === 'waiting'));
    await clock.advance(39);
    expect(server.queueItem(id)?.status).toBe('waiting');
    await clock.advance(1);
    await waitFor(() => events.some((e) => e.payload.status === 'completed'));
    const statuses = events.filter((e) => e.name === 'queue_item_status_changed');
    expect(statuses.map((e) => e.payload.status)).toEqual(['in_progress', 'waiting', 'pending', 'in_progress', 'completed']);
    const seq = statuses.map((e) => e.payload.status_sequence);
    expect(seq).toEqual([...seq].sort((x, y) => x - y));
    expect(new Set(seq).size).toBe(seq.length);
  });

  it('restartSocketServer drops clients and accepts them again on the same port', async () => {
    const server = await env.start();
    const c = env.track(await connect(server, { reconnection: true }));
    const seen: string[] = [];
    c.socket.on('disconnect', () => seen.push('disconnect'));
    c.socket.io.on('reconnect', () => seen.push('reconnect'));
    await server.faults.restartSocketServer(30);
    await waitFor(() => seen.includes('reconnect'), 'reconnect', 15000);
    expect(seen[0]).toBe('disconnect');
    c.events.length = 0;
    await enqueue(server, { graph: tinyGraph, runs: 1 });
    await waitFor(() => c.events.length === NORMAL_ORDER.length);
    expect(c.events.map(statusOf)).toEqual(NORMAL_ORDER);
  });

  it('stopPings makes clients hit their ping timeout', async () => {
    // Pings every 40 ms; a client gives up 2 s after the last one, far beyond any pause of a busy machine.
    const server = await env.start({ pingInterval: 40, pingTimeout: 2000 });
    const c = env.track(await connect(server));
    const reasons: string[] = [];
    let pings = 0;
    c.socket.on('disconnect', (r) => reasons.push(r));
    c.socket.io.on('ping', () => (pings += 1));
    await waitFor(() => pings >= 3, 'three pings');
    expect(reasons).toEqual([]);
    server.faults.stopPings();
    await waitFor(() => reasons.length > 0, 'ping timeout');
    expect(reasons).toEqual(['ping timeout']);
  });

  it('clear removes the faults', async () => {
    const server = await env.start();
    const { events } = env.track(await connect(server));
    server.faults.dropEvents(1);
    server.faults.failNodes({ type: 'string' });
    server.faults.clear();
    const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
    await waitFor(terminal(server, id));
    expect(server.queueItem(id)?.status).toBe('completed');
    await waitFor(() => events.length === NORMAL_ORDER.length);
  });
});

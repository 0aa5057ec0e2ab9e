// The socket connection against two real Socket.IO servers: the npm `socket.io` server and
// python-socketio (what InvokeAI runs). Real sockets, real timers; no timing is asserted.
import { Observable, filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { createClient, InvokeAIClient } from '../../lib/client/client';
import { ConnectionState } from '../../lib/transport/socket';
import { AuthError } from '../../lib/transport/errors';
import { ServerEvent } from '../../lib/protocol/events';
import { samplePayloads } from '../protocol/event-samples';
import { PeerServer, PeerServerOptions, eventually, startBlackholeProxy, startNpmServer, startPythonServer } from '../peers/peer-servers';
import { Peer, describeWithPeer, peers } from '../peers/requirements';

const PING = { pingIntervalMs: 200, pingTimeoutMs: 200 };

// The npm server is a devDependency; python-socketio is a Debian package (skipped where it is missing).
const servers: ReadonlyArray<[string, (options: PeerServerOptions) => Promise<PeerServer>, Peer | undefined]> = [
  ['npm socket.io', startNpmServer, undefined],
  ['python-socketio', startPythonServer, peers().pythonSocketio],
];

const within = <T>(source: Observable<T>, what: string, ms = 8000): Promise<T> =>
  firstValueFrom(source.pipe(timeout({ first: ms, with: () => { throw new Error(`timed out waiting for ${what}`); } })));

const connectedState = (client: InvokeAIClient, notSid?: string) =>
  within(
    client.connection$.pipe(filter((s): s is Extract<ConnectionState, { type: 'connected' }> => s.type === 'connected' && s.sid !== notSid)),
    'connected',
  );

const clientFor = (baseUrl: string, token?: string, warnings: string[] = []) =>
  createClient({
    baseUrl,
    token,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    connectTimeoutMs: 5000,
    logger: { warn: (m) => warnings.push(m), ...(process.env.DEBUG_SOCKET ? { debug: (m: string) => console.log(Date.now() % 100000, m) } : {}) },
  });

for (const [name, startServer, peer] of servers) {
  const describeServer = (title: string, body: () => void) => (peer === undefined ? describe(title, body) : describeWithPeer(peer, title, body));
  describeServer(`against the ${name} server`, () => {
    let server: PeerServer | undefined;
    let client: InvokeAIClient | undefined;
    afterEach(async () => {
      client?.close();
      client = undefined;
      await server?.close();
      server = undefined;
    });

    it('handshakes, subscribes to the queue (connected once the server acknowledged it), and streams events in order', async () => {
      server = await startServer(PING);
      const warnings: string[] = [];
      client = clientFor(server.baseUrl, undefined, warnings);
      const received = within(client.events$.pipe(take(5), toArray()), 'five events');
      const { sid } = await connectedState(client);
      // `connected` follows the server's ACK of subscribe_queue, so the queue room is joined already:
      // an event sent to it at once reaches the client (it reaches only queue subscribers).
      const order = ['queue_cleared', 'invocation_started', 'invocation_progress', 'invocation_complete', 'queue_item_status_changed'];
      await server.emit('queue_cleared', samplePayloads.queue_cleared, 'default');
      for (const name of order.slice(1)) await server.emit(name, samplePayloads[name], 'admin');
      const events = (await received) as ServerEvent[];
      expect(events.map((e) => e.type)).toEqual(order);
      expect(events[3]).toEqual({ type: 'invocation_complete', ...samplePayloads.invocation_complete });
      expect(warnings).toEqual([]);
      await eventually('subscribe_queue on the server', () => server!.log.some((e) => e.event === 'subscribe_queue' && e.queueId === 'default'));
      expect(typeof sid).toBe('string');
      expect(server.log.filter((e) => e.event === 'connect')).toHaveLength(1);
    });

    it('answers pings over many intervals and stays connected', async () => {
      server = await startServer(PING);
      client = clientFor(server.baseUrl);
      const states: ConnectionState[] = [];
      const sub = client.connection$.subscribe((s) => states.push(s));
      await connectedState(client);
      // Six ping intervals: a client that did not answer would be dropped after one pingTimeout.
      await new Promise((resolve) => setTimeout(resolve, 6 * PING.pingIntervalMs));
      const received = within(client.events$.pipe(take(1)), 'an event');
      await server.emit('queue_cleared', samplePayloads.queue_cleared, 'default');
      expect((await received).type).toBe('queue_cleared');
      expect(states.map((s) => s.type)).toEqual(['connecting', 'connected']);
      expect(server.log.filter((e) => e.event === 'disconnect')).toHaveLength(0);
      sub.unsubscribe();
    });

    it('sends the token in the connect packet and is accepted', async () => {
      server = await startServer({ ...PING, token: 'good-token' });
      client = clientFor(server.baseUrl, 'good-token');
      const sub = client.events$.subscribe();
      await connectedState(client);
      expect(server.log[0]).toMatchObject({ event: 'connect', hasToken: true });
      sub.unsubscribe();
    });

    it('stops for good on a refused token: AuthError, the socket closed by the client, no reconnect', async () => {
      // Long ping times: only the client closing its socket can empty the server within the wait below.
      server = await startServer({ pingIntervalMs: 20000, pingTimeoutMs: 20000, token: 'good-token' });
      client = clientFor(server.baseUrl, 'bad-token');
      const states: ConnectionState[] = [];
      client.connection$.subscribe((s) => states.push(s));
      const error = await firstValueFrom(client.events$).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).message).toContain('Connection rejected by server');
      expect((error as AuthError).message).not.toContain('bad-token');
      await eventually('the server to hold no session', async () => (await server!.clientCount()) === 0, 3000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // room for a reconnect storm, if there were one
      expect(server.log.filter((e) => e.event === 'connect')).toHaveLength(1);
      expect(states.map((s) => s.type)).toEqual(['connecting', 'disconnected']);
    });

    it('reconnects after a server restart and subscribes to the queue again', async () => {
      server = await startServer(PING);
      client = clientFor(server.baseUrl);
      const states: ConnectionState[] = [];
      const sub = client.connection$.subscribe((s) => states.push(s));
      const first = await connectedState(client);
      await server.restart();
      const second = await connectedState(client, first.sid);
      await eventually('subscribe_queue after the restart', () => server!.log.some((e) => e.event === 'subscribe_queue' && e.sid === second.sid));
      const received = within(client.events$.pipe(take(1)), 'an event');
      await server.emit('queue_cleared', samplePayloads.queue_cleared, 'default');
      expect((await received).type).toBe('queue_cleared');
      expect(second.sid).not.toBe(first.sid);
      expect(states.some((s) => s.type === 'reconnecting')).toBe(true);
      sub.unsubscribe();
    });

    it('treats a server gone silent as dead (watchdog) and reconnects', async () => {
      server = await startServer(PING);
      const proxy = await startBlackholeProxy(server.port);
      try {
        client = clientFor(proxy.baseUrl);
        const states: ConnectionState[] = [];
        const sub = client.connection$.subscribe((s) => states.push(s));
        const first = await connectedState(client);
        proxy.silence();
        const second = await connectedState(client, first.sid);
        await eventually('subscribe_queue from the new connection', () => server!.log.some((e) => e.event === 'subscribe_queue' && e.sid === second.sid));
        const lost = states.find((s): s is Extract<ConnectionState, { type: 'reconnecting' }> => s.type === 'reconnecting');
        expect(lost?.reason).toContain('sent nothing');
        const received = within(client.events$.pipe(take(1)), 'an event');
        await server.emit('queue_cleared', samplePayloads.queue_cleared, 'default');
        expect((await received).type).toBe('queue_cleared');
        sub.unsubscribe();
      } finally {
        client?.close();
        await proxy.close();
      }
    });
  });
}

describe('sharing one connection (npm socket.io server)', () => {
  it('1,000 subscribers open exactly one WebSocket, and none is left after they leave', async () => {
    const server = await startNpmServer({ ...PING, prefix: '/invoke' });
    try {
      const client = clientFor(server.baseUrl);
      const subs = Array.from({ length: 1000 }, (_v, i) => (i % 2 ? client.events$.subscribe() : client.connection$.subscribe()));
      await connectedState(client);
      await eventually('subscribe_queue', () => server.log.some((e) => e.event === 'subscribe_queue'));
      expect(await server.clientCount()).toBe(1);
      expect(server.log.filter((e) => e.event === 'connect')).toHaveLength(1);
      subs.forEach((s) => s.unsubscribe());
      await eventually('the server to see the socket closed', async () => (await server.clientCount()) === 0, 3000);
      client.close();
    } finally {
      await server.close();
    }
  });
});

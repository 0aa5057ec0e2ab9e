// Rows "socket frames" and "handshake pingInterval above 2^31 ms". Frames: the client opens every
// WebSocket with the maxPayload the server's handshake announced (real `ws`, real frames from the
// hostile server; the 95 MB case in a child process, for its RSS). Timings: clamped, in virtual time.
import { Subscription, filter, firstValueFrom, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { SchedulerAction, SchedulerLike } from 'rxjs';
import { createClient } from '../../lib/client/client';
import { ConnectionState, PING_BOUNDS_MS, createSocketConnection } from '../../lib/transport/socket';
import { FakeWebSocket } from '../transport/fake-websocket';
import { HostileServer, startHostileServer } from './hostile-server';
import { RSS_LIMIT_BYTES, logRss, runProbe } from './probe';

describe('frames are bounded by the handshake', () => {
  let server: HostileServer;
  beforeEach(async () => {
    server = await startHostileServer();
  });
  afterEach(() => server.close());

  it('three 95 MB frames after a handshake announcing maxPayload 1 MB: each refused unread, reconnects, under 300 MB', async () => {
    server.onSocket(async (socket) => {
      await socket.handshake({ maxPayload: 1_000_000 });
      await socket.acknowledgeSubscribe();
      await socket.sendHuge('42["invocation_progress",{"queue_id":"default","message":"', 95_000_000);
    });
    const report = await runProbe('socket', server.url);
    logRss('three 95 MB frames', report);
    expect(report.outcome).toBe('ok');
    const reasons = (report.detail as { reasons: string[] }).reasons;
    expect(reasons).toHaveLength(3);
    // The first WebSocket was opened before any handshake (the client's own 16 MiB bound), the next ones with the handshake's.
    for (const reason of reasons) expect(reason).toMatch(/Max payload size exceeded|over the limit/);
    expect(report.peakRssMb).toBeLessThan(RSS_LIMIT_BYTES / 1e6);
  }, 120_000);

  it("a frame over the handshake's maxPayload ends the connection, and the next WebSocket refuses such frames itself", async () => {
    server.onSocket(async (socket) => {
      await socket.handshake({ maxPayload: 1_000_000 });
      await socket.acknowledgeSubscribe();
      await socket.send(`42["queue_cleared",{"queue_id":"default","pad":"${'x'.repeat(2 * 1024 * 1024)}"}]`);
    });
    const client = createClient({ baseUrl: server.url, reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
    const reasons = firstValueFrom(
      client.connection$.pipe(
        filter((s): s is Extract<ConnectionState, { type: 'reconnecting' }> => s.type === 'reconnecting'),
        take(2),
        toArray(),
      ),
    );
    try {
      const [first, second] = (await reasons).map((s) => s.reason);
      // The first WebSocket (16 MiB before the handshake) took the frame, and the client dropped it;
      expect(first).toMatch(/a frame of \d+ bytes is over the limit of 1048576/);
      // the second was opened with maxPayload 1 MiB, and `ws` refused the frame from its header.
      expect(second).toMatch(/Max payload size exceeded/);
    } finally {
      client.close();
    }
  });
});

describe('handshake timings are clamped', () => {
  // A scheduler that records every delay asked of it: Node and browsers run a timer of more than
  // 2^31 - 1 ms at once, so no delay may be larger. A watchdog re-arming itself in a busy loop would
  // never let virtual time reach the end: past 10,000 timers, it fails the test instead.
  const recording = (inner: TestScheduler) => {
    const delays: number[] = [];
    const scheduler: SchedulerLike = {
      now: () => inner.now(),
      schedule: <T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T) => {
        delays.push(delay ?? 0);
        if (delays.length > 10_000) throw new Error(`a busy loop: 10,000 timers armed by virtual time ${inner.now()}`);
        return inner.schedule(work, delay, state);
      },
    };
    return { scheduler, delays };
  };

  /** Connects to a fake server whose open packet carries `handshake`, until virtual time `untilMs`; answers the states (with their time) and every delay armed. */
  const connectWith = (handshake: string, untilMs: number): { states: string[]; delays: number[] } => {
    FakeWebSocket.reset();
    const test = new TestScheduler((a, b) => expect(a).toEqual(b));
    const { scheduler, delays } = recording(test);
    const states: string[] = [];
    test.run(() => {
      FakeWebSocket.onCreate = (ws) => {
        test.schedule(() => ws.serverSends(`0${handshake}`), 1);
        test.schedule(() => {
          ws.serverSends('40{"sid":"s"}');
          ws.acknowledgeSubscribe();
        }, 2);
      };
      const socket = createSocketConnection({ baseUrl: 'http://h', WebSocket: FakeWebSocket.ctor, token: () => undefined, queueId: 'default', scheduler, random: () => 0, reconnect: { initialDelayMs: 100 } });
      const sub: Subscription = socket.connection$.subscribe((s) => states.push(`${test.now()} ${s.type}`));
      test.schedule(() => sub.unsubscribe(), untilMs);
    });
    return { states, delays };
  };

  it('a pingInterval of 2^31 ms and more arms no timer past 2^31 - 1 ms, and a silent server is still found dead', () => {
    const { states, delays } = connectWith(JSON.stringify({ sid: 'x', upgrades: [], pingInterval: 2 ** 31 + 1000, pingTimeout: 2 ** 32, maxPayload: 1e6 }), 2 * PING_BOUNDS_MS.max + 1000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
    // Silence from the last frame (the CONNECT answer, at 2): dead after the clamped pingInterval + pingTimeout.
    expect(states.slice(0, 3)).toEqual(['0 connecting', '2 connected', `${2 + 2 * PING_BOUNDS_MS.max} reconnecting`]);
  });

  it('negative timings are clamped up, so the watchdog neither fires in a busy loop nor never', () => {
    const { states, delays } = connectWith('{"sid":"x","upgrades":[],"pingInterval":-5,"pingTimeout":-1e9}', 50);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(states.slice(0, 3)).toEqual(['0 connecting', '2 connected', `${2 + 2 * PING_BOUNDS_MS.min} reconnecting`]);
  });
});

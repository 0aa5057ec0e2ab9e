import { TestScheduler } from 'rxjs/testing';
import { Subscription } from 'rxjs';
import { createSocketConnection, ConnectionState, DEFAULT_SUBSCRIBE_ACK_WAIT_MS, SocketConnectionOptions, SocketDiagnostic, socketUrl } from '../../lib/transport/socket';
import { ServerEvent } from '../../lib/protocol/events';
import { AuthError } from '../../lib/transport/errors';
import { FakeWebSocket } from './fake-websocket';
import { samplePayloads } from '../protocol/event-samples';

const OPEN = '0{"sid":"eio","upgrades":[],"pingInterval":50,"pingTimeout":20,"maxPayload":1000000}';

let scheduler: TestScheduler;
beforeEach(() => {
  FakeWebSocket.reset();
  scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
});

const connection = (overrides: Partial<SocketConnectionOptions> = {}) =>
  createSocketConnection({
    baseUrl: 'http://invoke.test/prefix/',
    WebSocket: FakeWebSocket.ctor,
    token: () => 'tok',
    queueId: 'default',
    scheduler,
    random: () => 0,
    reconnect: { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0.5 },
    connectTimeoutMs: 1000,
    ...overrides,
  });

const at = (frame: number, work: () => void) => scheduler.schedule(work, frame);

/** A compact label of a state, with the virtual time it was seen at. */
const label = (s: ConnectionState): string => {
  switch (s.type) {
    case 'connecting':
      return `connecting#${s.attempt}`;
    case 'connected':
      return `connected:${s.sid}`;
    case 'reconnecting':
      return `reconnecting#${s.attempt}+${s.delayMs}`;
    case 'disconnected':
      return `disconnected`;
  }
};

/**
 * The server side of a healthy handshake, `delay` frames after the socket is created: the connect
 * accepted, and the subscribe acknowledged at once, as InvokeAI's server does.
 */
const acceptAfter = (delay: number, sid = 'sio') => (ws: FakeWebSocket) => {
  at(delay, () => ws.serverSends(OPEN));
  at(delay + 1, () => {
    ws.serverSends(`40{"sid":"${sid}"}`);
    ws.acknowledgeSubscribe();
  });
};

describe('URL', () => {
  it('derives the socket URL from the base URL and its prefix', () => {
    expect(socketUrl('http://h:9090/')).toBe('ws://h:9090/ws/socket.io/?EIO=4&transport=websocket');
    expect(socketUrl('https://h/invoke')).toBe('wss://h/invoke/ws/socket.io/?EIO=4&transport=websocket');
  });
});

describe('handshake', () => {
  it('connects with the token in the CONNECT packet, subscribes to the queue, answers pings and never pings', () => {
    const states: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const conn = connection();
      const sub = conn.connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      at(50, () => FakeWebSocket.created[0].serverSends('2'));
      at(100, () => FakeWebSocket.created[0].serverSends('2'));
      at(120, () => sub.unsubscribe());
    });
    const ws = FakeWebSocket.created[0];
    expect(ws.url).toBe('ws://invoke.test/prefix/ws/socket.io/?EIO=4&transport=websocket');
    expect(ws.sent).toEqual(['40{"token":"tok"}', '421["subscribe_queue",{"queue_id":"default"}]', '3', '3']);
    expect(states).toEqual(['0 connecting#0', '2 connected:sio']);
    expect(ws.closedByClient).toBe('close');
    expect(FakeWebSocket.created).toHaveLength(1);
  });

  it('sends a bare CONNECT without a token', () => {
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const sub = connection({ token: () => undefined }).events$.subscribe();
      at(10, () => sub.unsubscribe());
    });
    expect(FakeWebSocket.created[0].sent[0]).toBe('40');
  });
});

describe('subscribe acknowledgement', () => {
  it('announces `connected` only once the server acknowledged subscribe_queue; other ACKs are set aside', () => {
    const states: string[] = [];
    const diagnostics: SocketDiagnostic[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => {
        at(1, () => ws.serverSends(OPEN));
        at(2, () => ws.serverSends('40{"sid":"sio"}'));
        at(10, () => ws.serverSends('437[]'));
        at(30, () => ws.acknowledgeSubscribe());
        at(40, () => ws.acknowledgeSubscribe());
      };
      const conn = connection();
      const subs = new Subscription();
      subs.add(conn.connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`)));
      subs.add(conn.diagnostics$.subscribe((d) => diagnostics.push(d)));
      at(25, () => FakeWebSocket.created[0].serverSends('2'));
      at(50, () => subs.unsubscribe());
    });
    expect(FakeWebSocket.created[0].sent).toEqual(['40{"token":"tok"}', '421["subscribe_queue",{"queue_id":"default"}]', '3']);
    expect(states).toEqual(['0 connecting#0', '30 connected:sio']);
    expect(diagnostics).toEqual([
      { type: 'ignored_frame', frame: '437', reason: 'an ACK this client did not ask for' },
      { type: 'ignored_frame', frame: '431', reason: 'an ACK this client did not ask for' },
    ]);
  });

  it('announces `connected` after the bounded wait, with one warning, when the server never acknowledges', () => {
    const states: string[] = [];
    const warnings: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => {
        // A long ping interval, so that the watchdog stays out of this test.
        at(1, () => ws.serverSends(OPEN.replace('"pingInterval":50', '"pingInterval":10000')));
        at(2, () => ws.serverSends('40{"sid":"sio"}'));
      };
      const logger = { warn: (message: string) => warnings.push(message) };
      const sub = connection({ logger }).connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      at(DEFAULT_SUBSCRIBE_ACK_WAIT_MS + 100, () => sub.unsubscribe());
    });
    expect(states).toEqual(['0 connecting#0', `${2 + DEFAULT_SUBSCRIBE_ACK_WAIT_MS} connected:sio`]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`did not acknowledge subscribe_queue within ${DEFAULT_SUBSCRIBE_ACK_WAIT_MS} ms`);
  });

  it('waits `subscribeAckWaitMs` when given, and drops the wait with the socket', () => {
    const states: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => {
        at(1, () => ws.serverSends(OPEN));
        at(2, () => ws.serverSends('40{"sid":"sio"}'));
      };
      const conn = connection({ subscribeAckWaitMs: 30 });
      const first = conn.connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      at(40, () => first.unsubscribe());
      at(100, () => {
        const second = conn.connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
        at(10, () => {
          second.unsubscribe();
          expect(scheduler.actions).toHaveLength(0);
        });
      });
    });
    expect(states).toEqual(['0 connecting#0', '32 connected:sio', '100 connecting#0']);
  });

  it('asks for the acknowledgement again on every reconnect', () => {
    const states: string[] = [];
    scheduler.run(() => {
      let n = 0;
      FakeWebSocket.onCreate = (ws) => {
        n += 1;
        at(1, () => ws.serverSends(OPEN));
        at(2, () => ws.serverSends(`40{"sid":"sio${n}"}`));
        at(5, () => ws.acknowledgeSubscribe());
      };
      const sub = connection().connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      at(20, () => FakeWebSocket.created[0].serverCloses(1006));
      at(150, () => sub.unsubscribe());
    });
    expect(states).toEqual(['0 connecting#0', '5 connected:sio1', '20 reconnecting#1+100', '120 connecting#1', '125 connected:sio2']);
    expect(FakeWebSocket.created.map((ws) => ws.sent[1])).toEqual([
      '421["subscribe_queue",{"queue_id":"default"}]',
      '421["subscribe_queue",{"queue_id":"default"}]',
    ]);
  });
});

describe('events', () => {
  it('streams decoded events in order; a bad payload goes to diagnostics and the connection lives on', () => {
    const events: ServerEvent[] = [];
    const diagnostics: SocketDiagnostic[] = [];
    let errored = false;
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const conn = connection();
      const subs = new Subscription();
      subs.add(conn.events$.subscribe({ next: (e) => events.push(e), error: () => (errored = true) }));
      subs.add(conn.diagnostics$.subscribe((d) => diagnostics.push(d)));
      const emit = (name: string, payload: unknown) => FakeWebSocket.created[0].serverSends(`42${JSON.stringify([name, payload])}`);
      at(5, () => emit('invocation_started', samplePayloads.invocation_started));
      at(6, () => emit('invocation_progress', { ...samplePayloads.invocation_progress, percentage: 'lots' }));
      at(7, () => FakeWebSocket.created[0].serverSends('4garbage'));
      at(8, () => emit('brand_new_event', { x: 1 }));
      at(9, () => emit('invocation_complete', samplePayloads.invocation_complete));
      at(20, () => subs.unsubscribe());
    });
    expect(events.map((e) => e.type)).toEqual(['invocation_started', 'unknown', 'invocation_complete']);
    expect(diagnostics.map((d) => d.type)).toEqual(['undecodable_event', 'ignored_frame']);
    const first = diagnostics[0];
    expect(first.type === 'undecodable_event' && first.issue.issues.map((i) => i.path)).toEqual(['$.percentage']);
    expect(errored).toBe(false);
    expect(FakeWebSocket.created).toHaveLength(1);
  });
});

describe('reconnection in virtual time', () => {
  it('backs off exponentially up to the cap while the server is unreachable', () => {
    const states: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => at(5, () => ws.serverCloses(1006));
      const sub = connection().connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      at(1200, () => sub.unsubscribe());
    });
    expect(states).toEqual([
      '0 connecting#0',
      '5 reconnecting#1+100',
      '105 connecting#1',
      '110 reconnecting#2+200',
      '310 connecting#2',
      '315 reconnecting#3+400',
      '715 connecting#3',
      '720 reconnecting#4+400',
      '1120 connecting#4',
      '1125 reconnecting#5+400',
    ]);
    expect(FakeWebSocket.created).toHaveLength(5);
  });

  it('applies jitter from the random source', () => {
    const states: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => at(5, () => ws.serverCloses(1006));
      const sub = connection({ random: () => 1 }).connection$.subscribe((s) => states.push(label(s)));
      at(100, () => sub.unsubscribe());
    });
    expect(states).toContain('reconnecting#1+50');
  });

  it('starts over from the shortest delay after a successful connect, and resubscribes', () => {
    const states: string[] = [];
    scheduler.run(() => {
      let n = 0;
      FakeWebSocket.onCreate = (ws) => {
        n += 1;
        if (n === 1 || n === 3) acceptAfter(1, `sio${n}`)(ws);
        else at(5, () => ws.serverCloses(1006));
      };
      const sub = connection().connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      at(30, () => FakeWebSocket.created[0].serverCloses(1000));
      at(380, () => FakeWebSocket.created[2].serverSends('1')); // before the watchdog (337 + 70)
      at(700, () => sub.unsubscribe());
    });
    expect(states).toEqual([
      '0 connecting#0',
      '2 connected:sio1',
      '30 reconnecting#1+100',
      '130 connecting#1',
      '135 reconnecting#2+200',
      '335 connecting#2',
      '337 connected:sio3',
      '380 reconnecting#1+100',
      '480 connecting#1',
      '485 reconnecting#2+200',
      '685 connecting#2',
      '690 reconnecting#3+400',
    ]);
    expect(FakeWebSocket.created[2].sent).toEqual(['40{"token":"tok"}', '421["subscribe_queue",{"queue_id":"default"}]']);
  });

  it('treats pingInterval + pingTimeout of silence as a dead socket and reconnects', () => {
    const states: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const sub = connection().connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      // pings at 51 and 101 keep it alive; then silence: 101 + 70 = 171
      at(51, () => FakeWebSocket.created[0].serverSends('2'));
      at(101, () => FakeWebSocket.created[0].serverSends('2'));
      at(300, () => sub.unsubscribe());
    });
    expect(states.slice(0, 5)).toEqual(['0 connecting#0', '2 connected:sio', '171 reconnecting#1+100', '271 connecting#1', '273 connected:sio']);
    expect(FakeWebSocket.created[0].closedByClient).toBe('terminate');
    expect(FakeWebSocket.created).toHaveLength(2);
  });

  it('counts event frames as signs of life across many silence limits, and still notices the silence after the last', () => {
    const states: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const sub = connection().connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      // An event every 30 ms (under the 70 ms limit) from 10 to 490, then silence: 490 + 70 = 560.
      for (let t = 10; t <= 490; t += 30) at(t, () => FakeWebSocket.created[0].serverSends('42["queue_cleared",{"timestamp":1,"queue_id":"default"}]'));
      at(600, () => sub.unsubscribe());
    });
    expect(states.slice(0, 3)).toEqual(['0 connecting#0', '2 connected:sio', '560 reconnecting#1+100']);
  });

  it('gives up on a socket that never gets the Socket.IO connect answer', () => {
    const states: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => {
        at(1, () => ws.serverSends(OPEN));
        for (let t = 50; t < 2000; t += 50) at(t, () => ws.serverSends('2'));
      };
      const sub = connection().connection$.subscribe((s) => states.push(`${scheduler.now()} ${label(s)}`));
      at(1050, () => sub.unsubscribe());
    });
    expect(states.slice(0, 2)).toEqual(['0 connecting#0', '1000 reconnecting#1+100']);
  });

  it('uses the current token at every connect', () => {
    let token = 'first';
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const sub = connection({ token: () => token }).events$.subscribe();
      at(10, () => {
        token = 'refreshed';
        FakeWebSocket.created[0].serverCloses(1000);
      });
      at(200, () => sub.unsubscribe());
    });
    expect(FakeWebSocket.created.map((ws) => ws.sent[0])).toEqual(['40{"token":"first"}', '40{"token":"refreshed"}']);
  });
});

describe('refused connection', () => {
  it('stops for good on CONNECT_ERROR: AuthError, the socket closed by the client, no reconnect', () => {
    const states: string[] = [];
    let error: unknown;
    let stateCompleted = false;
    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => {
        at(1, () => ws.serverSends(OPEN));
        at(2, () => ws.serverSends('44{"message":"Connection rejected by server"}'));
        at(50, () => ws.serverSends('2'));
      };
      const conn = connection({ token: () => 'secret-abc' });
      conn.connection$.subscribe({ next: (s) => states.push(`${scheduler.now()} ${label(s)}`), complete: () => (stateCompleted = true) });
      conn.events$.subscribe({ error: (e: unknown) => (error = e) });
    });
    expect(states).toEqual(['0 connecting#0', '2 disconnected']);
    expect(stateCompleted).toBe(true);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toContain('Connection rejected by server');
    expect((error as AuthError).message).not.toContain('secret-abc');
    expect(FakeWebSocket.created).toHaveLength(1);
    expect(FakeWebSocket.created[0].closedByClient).toBeDefined();
    expect(FakeWebSocket.created[0].sent).toEqual(['40{"token":"secret-abc"}']);
    expect(scheduler.actions).toHaveLength(0);
  });
});

describe('sharing and lifetime', () => {
  it('1,000 subscribers share one WebSocket; when the last leaves, the socket and every timer are gone', () => {
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const conn = connection();
      const subs: Subscription[] = [];
      for (let i = 0; i < 1000; i++) {
        subs.push(i % 3 === 0 ? conn.events$.subscribe() : i % 3 === 1 ? conn.connection$.subscribe() : conn.diagnostics$.subscribe());
      }
      at(10, () => {
        expect(FakeWebSocket.created).toHaveLength(1);
        subs.slice(1).forEach((s) => s.unsubscribe());
        expect(FakeWebSocket.created[0].closedByClient).toBeUndefined();
        subs[0].unsubscribe();
        expect(FakeWebSocket.created[0].closedByClient).toBe('close');
        expect(scheduler.actions).toHaveLength(0);
      });
    });
    expect(FakeWebSocket.created).toHaveLength(1);
  });

  it('a late connection$ subscriber first gets the current state', () => {
    const late: string[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const conn = connection();
      const first = conn.events$.subscribe();
      at(10, () => {
        const sub = conn.connection$.subscribe((s) => late.push(label(s)));
        sub.unsubscribe();
        first.unsubscribe();
      });
    });
    expect(late).toEqual(['connected:sio']);
  });

  it('opens a new socket for a subscriber after everyone had left', () => {
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const conn = connection();
      const a = conn.events$.subscribe();
      at(5, () => a.unsubscribe());
      at(10, () => {
        const b = conn.events$.subscribe();
        at(5, () => b.unsubscribe());
      });
    });
    expect(FakeWebSocket.created).toHaveLength(2);
    expect(FakeWebSocket.created.every((ws) => ws.closedByClient === 'close')).toBe(true);
  });

  it('with lingerMs, a subscriber arriving within the linger reuses the socket; after it, the socket closes', () => {
    const closedAt: number[] = [];
    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => {
        // A long ping interval, so that the watchdog stays out of this test.
        at(1, () => ws.serverSends(OPEN.replace('"pingInterval":50', '"pingInterval":10000')));
        at(2, () => {
          ws.serverSends('40{"sid":"sio"}');
          ws.acknowledgeSubscribe();
        });
        const close = ws.close.bind(ws);
        ws.close = () => {
          closedAt.push(scheduler.now());
          close();
        };
      };
      const conn = connection({ lingerMs: 100 });
      const a = conn.events$.subscribe();
      at(5, () => a.unsubscribe());
      at(50, () => {
        const b = conn.events$.subscribe(); // within the linger: the same socket
        at(10, () => b.unsubscribe()); // at 60: lingers until 160
      });
    });
    expect(FakeWebSocket.created).toHaveLength(1);
    expect(closedAt).toEqual([160]);
  });

  it('close() during the linger closes the socket at once', () => {
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const conn = connection({ lingerMs: 1000 });
      const a = conn.events$.subscribe();
      at(5, () => a.unsubscribe());
      at(20, () => conn.close());
    });
    expect(FakeWebSocket.created).toHaveLength(1);
    expect(FakeWebSocket.created[0].closedByClient).toBe('close');
    expect(scheduler.actions).toHaveLength(0);
  });

  it('close() ends every stream with `disconnected`, closes the socket, and nothing reopens it', () => {
    const states: string[] = [];
    let eventsCompleted = false;
    scheduler.run(() => {
      FakeWebSocket.onCreate = acceptAfter(1);
      const conn = connection();
      conn.connection$.subscribe((s) => states.push(label(s)));
      conn.events$.subscribe({ complete: () => (eventsCompleted = true) });
      at(10, () => conn.close());
      at(20, () => conn.events$.subscribe());
    });
    expect(states).toEqual(['connecting#0', 'connected:sio', 'disconnected']);
    expect(eventsCompleted).toBe(true);
    expect(FakeWebSocket.created).toHaveLength(1);
    expect(FakeWebSocket.created[0].closedByClient).toBe('close');
    expect(scheduler.actions).toHaveLength(0);
  });
});

// The run pipeline's timing in virtual time, over a fake transport: the connect wait, silence
// polling with backoff, the timeout and its cancel, and the enqueue retry budget.
import { isLeft } from 'fp-ts/Either';
import { NEVER, Observable, Subject, concat, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { ClientContext } from '../../lib/transport/context';
import { NetworkError, RequestTimeoutError } from '../../lib/transport/errors';
import type { HttpClient, RequestOptions } from '../../lib/transport/http';
import { createSocketConnection, type ConnectionState, type SocketConnection } from '../../lib/transport/socket';
import type { ServerEvent } from '../../lib/protocol/events';
import { ConnectionLostError, EnqueueUnconfirmedError, RunTimeoutError } from '../../lib/run/errors';
import type { RunEvent } from '../../lib/run/events';
import { RunOptions, runWorkflow } from '../../lib/run/run';
import { imageWorkflow } from './run-helpers';
import { FakeWebSocket } from '../transport/fake-websocket';

/** Answers a request: at once, or with a promise (settled by a virtual-time timer) for a slow server. */
type Handler = (request: RequestOptions<unknown>, now: number) => unknown;

/** What a handler answers for a request that never gets an answer (a silent server). */
const NO_ANSWER = Symbol('no answer');

interface Fake {
  readonly context: ClientContext;
  readonly scheduler: TestScheduler;
  /** `METHOD path @time` of every request. */
  readonly log: string[];
  readonly events: Subject<ServerEvent>;
  advanceTo(ms: number): Promise<void>;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A client's jitter source that returns `draws` in turn (then 0). */
const jitterDraws = (draws: readonly number[]): (() => number) => {
  let i = 0;
  return () => draws[i++] ?? 0;
};

const fakeContext = (connection$: Observable<ConnectionState>, handle: Handler, random: () => number = () => 0): Fake => {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const log: string[] = [];
  const events = new Subject<ServerEvent>();
  const request = async <A>(options: RequestOptions<A>): Promise<A> => {
    const now = scheduler.now();
    log.push(`${options.method} ${options.path} @${now}`);
    const raw: unknown = await handle(options as RequestOptions<unknown>, now);
    if (raw === NO_ANSWER) return new Promise<A>(() => undefined);
    const decoded = options.decode.decode(raw);
    if (isLeft(decoded)) throw new Error(`fake answer of ${options.path} does not decode`);
    return decoded.right;
  };
  const http: HttpClient = {
    request,
    request$: () => {
      throw new Error('not used by the pipeline');
    },
    url: (p) => p,
  };
  const socket: SocketConnection = { events$: events, connection$, diagnostics$: NEVER, close: () => undefined };
  const context: ClientContext = {
    options: { baseUrl: 'http://fake' },
    baseUrl: 'http://fake',
    queueId: 'default',
    http,
    socket,
    token: { get: () => undefined, set: () => undefined },
    scheduler,
    random,
  };
  const advanceTo = async (ms: number): Promise<void> => {
    // One virtual instant at a time, letting the promises of each instant settle (as real time would).
    for (;;) {
      await settle();
      const next = Math.min(...scheduler.actions.map((action) => action.delay));
      if (!(next <= ms)) break;
      scheduler.maxFrames = next;
      scheduler.flush();
    }
    scheduler.frame = ms;
  };
  return { context, scheduler, log, events, advanceTo };
};

const connected$: Observable<ConnectionState> = concat(of<ConnectionState>({ type: 'connected', sid: 's' }), NEVER);

const enqueueAnswer = (request: RequestOptions<unknown>, itemIds: number[]) => {
  const body = (request.body as { json: { batch: { batch_id: string } } }).json;
  return { queue_id: 'default', enqueued: itemIds.length, requested: itemIds.length, batch: body.batch, item_ids: itemIds, priority: 0 };
};

const pendingItem = (itemId: number, batchId: string) => ({
  item_id: itemId,
  status: 'pending',
  status_sequence: 0,
  batch_id: batchId,
  session_id: `s${itemId}`,
  queue_id: 'default',
  created_at: '2026-01-01 00:00:00',
  updated_at: '2026-01-01 00:00:00',
  session: { id: `s${itemId}` },
});

const subscribe = (fake: Fake, options: RunOptions) => {
  const seen: { events: RunEvent[]; error?: unknown; completed: boolean } = { events: [], completed: false };
  const subscription = runWorkflow(fake.context, imageWorkflow(), options).subscribe({
    next: (event) => seen.events.push(event),
    error: (error: unknown) => (seen.error = error),
    complete: () => (seen.completed = true),
  });
  return { seen, subscription };
};

const BATCH = 'batch-v';

const batchStatus = (total: number) => ({
  queue_id: 'default',
  batch_id: BATCH,
  pending: total,
  in_progress: 0,
  completed: 0,
  failed: 0,
  canceled: 0,
  total,
});

/** An `item_summaries_by_ids` record; `parentItemId` for a `call_saved_workflow` child. */
const summary = (itemId: number, batchId: string, parentItemId: number | null = null) => ({
  item_id: itemId,
  status: 'pending',
  created_at: '2026-01-01 00:00:00',
  batch_id: batchId,
  parent_item_id: parentItemId,
});

/** A `queue_item_status_changed` of our batch, as the socket delivers it. */
const statusChanged = (itemId: number, status: string, sequence: number): ServerEvent =>
  ({
    type: 'queue_item_status_changed',
    queue_id: 'default',
    item_id: itemId,
    batch_id: BATCH,
    origin: null,
    destination: null,
    user_id: 'system',
    status,
    status_sequence: sequence,
    error_type: null,
    error_message: null,
    error_traceback: null,
    created_at: '',
    updated_at: '',
    started_at: null,
    completed_at: null,
    session_id: `s${itemId}`,
    timestamp: 0,
  }) as unknown as ServerEvent;

describe('runWorkflow in virtual time', () => {
  it('polls a silent socket after silenceMs with backoff, then errors at timeoutMs and cancels in the background', async () => {
    const fake = fakeContext(connected$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) return enqueueAnswer(request, [7]);
      if (request.path.endsWith('/i/7')) return pendingItem(7, BATCH);
      if (request.path.endsWith('/cancel_by_batch_ids')) return { canceled: 1 };
      throw new Error(`unexpected ${request.path}`);
    });
    const { seen } = subscribe(fake, { batchId: BATCH, timeoutMs: 60000 });
    await fake.advanceTo(14999);
    // The enqueue, nothing else while the socket is trusted: it was connected before the POST, so
    // every event of the batch (there were none) arrived; no read at the start.
    expect(fake.log).toEqual(['POST /api/v1/queue/default/enqueue_batch @0']);
    await fake.advanceTo(59999);
    const reads = fake.log.filter((l) => l.startsWith('GET')).map((l) => Number(l.split('@')[1]));
    expect(reads[0]).toBe(15000);
    // Backoff from 1 s doubling to 15 s, less up to 20% jitter: 6 polls at most in 45 s.
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(reads.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < reads.length; i++) expect(reads[i] - reads[i - 1]).toBeLessThanOrEqual(15000);
    expect(seen.error).toBeUndefined();
    await fake.advanceTo(60000);
    expect(fake.log[fake.log.length - 1]).toBe('PUT /api/v1/queue/default/cancel_by_batch_ids @60000');
    expect(seen.error).toBeInstanceOf(RunTimeoutError);
    expect(await (seen.error as RunTimeoutError).cancellation).toEqual({ type: 'canceled', canceled: 1 });
    expect(seen.events.map((e) => e.type)).toEqual(['enqueued']);
    // Nothing runs after the error.
    const count = fake.log.length;
    await fake.advanceTo(200000);
    expect(fake.log).toHaveLength(count);
  });

  it('waits connectWaitMs for the socket, then enqueues anyway and polls from pollIntervalMs', async () => {
    const fake = fakeContext(concat(of<ConnectionState>({ type: 'connecting', attempt: 0 }), NEVER), (request) => {
      if (request.path.endsWith('/enqueue_batch')) return enqueueAnswer(request, [3]);
      if (request.path.endsWith('/i/3')) return pendingItem(3, BATCH);
      throw new Error(`unexpected ${request.path}`);
    });
    const { subscription } = subscribe(fake, { batchId: BATCH, connectWaitMs: 5000, pollIntervalMs: 1000 });
    await fake.advanceTo(4999);
    expect(fake.log).toEqual([]);
    await fake.advanceTo(6000);
    expect(fake.log.slice(0, 2)).toEqual(['POST /api/v1/queue/default/enqueue_batch @5000', 'GET /api/v1/queue/default/i/3 @5000']);
    const firstPoll = Number(fake.log[2]?.split('@')[1]);
    expect(firstPoll).toBeGreaterThanOrEqual(5800);
    expect(firstPoll).toBeLessThanOrEqual(6000);
    subscription.unsubscribe();
  });

  it('posts again only when the POST never reached the server (connection refused), with backoff, within its budget', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9090'), { code: 'ECONNREFUSED' });
    const fake = fakeContext(connected$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) throw new NetworkError('POST', 'http://fake/enqueue_batch', refused);
      throw new Error(`unexpected ${request.path}`);
    }, jitterDraws([0.5, 1]));
    const { seen } = subscribe(fake, { batchId: BATCH, enqueueAttempts: 3 });
    await fake.advanceTo(20000);
    const kinds = fake.log.map((l) => l.split(' @')[0].replace('/api/v1/queue/default', ''));
    expect(kinds).toEqual(['POST /enqueue_batch', 'POST /enqueue_batch', 'POST /enqueue_batch']);
    const posts = fake.log.filter((l) => l.startsWith('POST')).map((l) => Number(l.split('@')[1]));
    // Backoff between attempts: 500 ms then 1000 ms, less the client's jitter (up to half): draws
    // 0.5 and 1 take a quarter and a half off.
    expect([posts[1] - posts[0], posts[2] - posts[1]]).toEqual([375, 500]);
    expect(seen.error).toBeInstanceOf(ConnectionLostError);
    expect(seen.events).toEqual([]);
  });

  it('never posts again after a POST that may have landed: follows the batch id with backoff until enqueueFollowMs, then cancels and errors', async () => {
    const fake = fakeContext(connected$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) throw new NetworkError('POST', 'http://fake/enqueue_batch', new Error('socket hang up'));
      if (request.path.endsWith(`/b/${BATCH}/status`)) return batchStatus(0);
      if (request.path.endsWith('/cancel_by_batch_ids')) return { canceled: 0 };
      throw new Error(`unexpected ${request.path}`);
    });
    const { seen } = subscribe(fake, { batchId: BATCH, enqueueFollowMs: 10000, pollIntervalMs: 1000, maxPollIntervalMs: 4000 });
    await fake.advanceTo(30000);
    const kinds = fake.log.map((l) => l.split(' @')[0].replace('/api/v1/queue/default', ''));
    expect(kinds.filter((k) => k === 'POST /enqueue_batch')).toHaveLength(1);
    const looks = fake.log.filter((l) => l.includes('/status')).map((l) => Number(l.split('@')[1]));
    // At once, then 1, 2, 4, 4 s later (no jitter here), and a last look at the deadline.
    expect(looks).toEqual([0, 1000, 3000, 7000, 10000]);
    expect(fake.log[fake.log.length - 1]).toBe('PUT /api/v1/queue/default/cancel_by_batch_ids @10000');
    expect(seen.error).toBeInstanceOf(EnqueueUnconfirmedError);
    expect((seen.error as EnqueueUnconfirmedError).batchId).toBe(BATCH);
    expect(await (seen.error as EnqueueUnconfirmedError).cancellation).toEqual({ type: 'canceled', canceled: 0 });
  });

  it('while following a batch id, an event of the batch makes it look at once and go on with the items it finds', async () => {
    let landed = false;
    const fake = fakeContext(connected$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) throw new RequestTimeoutError('POST', 'http://fake/enqueue_batch', 60000);
      if (request.path.endsWith(`/b/${BATCH}/status`)) return batchStatus(landed ? 2 : 0);
      if (request.path.endsWith('/item_ids')) return { item_ids: [12, 11, 10], total_count: 3 };
      if (request.path.endsWith('/item_summaries_by_ids')) return [summary(12, BATCH), summary(11, BATCH), summary(10, 'other')];
      if (request.path.endsWith('/items_by_ids')) return [pendingItem(11, BATCH), pendingItem(12, BATCH)];
      throw new Error(`unexpected ${request.path}`);
    });
    const { seen, subscription } = subscribe(fake, { batchId: BATCH, pollIntervalMs: 5000, maxPollIntervalMs: 5000 });
    await fake.advanceTo(2000);
    landed = true;
    fake.events.next({ type: 'batch_enqueued', queue_id: 'default', batch_id: BATCH, enqueued: 2, requested: 2, priority: 0, origin: null, user_id: 'system', timestamp: 0 } as unknown as ServerEvent);
    await fake.advanceTo(2001);
    expect(seen.events[0]).toMatchObject({ type: 'enqueued', batchId: BATCH, itemIds: [11, 12], enqueued: 2 });
    const kinds = fake.log.map((l) => l.replace('/api/v1/queue/default', ''));
    expect(kinds).toEqual([
      'POST /enqueue_batch @0',
      `GET /b/${BATCH}/status @0`,
      `GET /b/${BATCH}/status @2000`,
      'GET /item_ids @2000',
      'POST /item_summaries_by_ids @2000',
      'POST /items_by_ids @2000',
    ]);
    subscription.unsubscribe();
  });

  it('takes the completion from the socket and one read, without polling', async () => {
    let status = 'in_progress';
    const fake = fakeContext(connected$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) return enqueueAnswer(request, [9]);
      if (request.path.endsWith('/i/9')) return { ...pendingItem(9, BATCH), status, status_sequence: status === 'completed' ? 2 : 1 };
      throw new Error(`unexpected ${request.path}`);
    });
    const { seen } = subscribe(fake, { batchId: BATCH });
    await fake.advanceTo(10);
    fake.scheduler.schedule(() => {
      status = 'completed';
      fake.events.next(statusChanged(9, 'completed', 2));
    }, 5000);
    await fake.advanceTo(6000);
    expect(seen.completed).toBe(true);
    // The socket said only `completed` (this fake never sent `in_progress`), and one read brought its outputs.
    expect(seen.events.map((e) => e.type)).toEqual(['enqueued', 'status', 'completed']);
    expect(fake.log).toEqual(['POST /api/v1/queue/default/enqueue_batch @0', 'GET /api/v1/queue/default/i/9 @5010']);
  });
  it('after an enqueue whose answer was lost, finds its items in the batch but not the call_saved_workflow children that share the batch id', async () => {
    let posts = 0;
    const fake = fakeContext(connected$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) {
        posts += 1;
        throw new NetworkError('POST', 'http://fake/enqueue_batch', new Error('socket hang up'));
      }
      if (request.path.endsWith(`/b/${BATCH}/status`)) {
        return { queue_id: 'default', batch_id: BATCH, pending: 2, in_progress: 0, waiting: 1, completed: 0, failed: 0, canceled: 0, total: 3 };
      }
      if (request.path.endsWith('/item_ids')) return { item_ids: [23, 22, 21, 20], total_count: 4 };
      if (request.path.endsWith('/item_summaries_by_ids')) {
        return [summary(23, BATCH, 21), summary(22, BATCH, 21), { ...summary(21, BATCH), status: 'waiting' }, summary(20, 'other')];
      }
      if (request.path.endsWith('/i/21')) return { ...pendingItem(21, BATCH), status: 'completed', status_sequence: 5 };
      throw new Error(`unexpected ${request.path}`);
    });
    const { seen } = subscribe(fake, { batchId: BATCH });
    await fake.advanceTo(100);
    // The children end, then the parent: only the parent is the run's.
    for (const [itemId, at] of [[22, 200], [23, 300], [21, 400]]) {
      fake.scheduler.schedule(() => fake.events.next(statusChanged(itemId, 'completed', 5)), at - 100);
    }
    await fake.advanceTo(1000);
    expect(posts).toBe(1);
    expect(seen.events[0]).toMatchObject({ type: 'enqueued', itemIds: [21], enqueued: 1 });
    expect(seen.completed).toBe(true);
    expect(seen.events.filter((e) => e.type === 'completed').map((e) => (e as { itemId: number }).itemId)).toEqual([21]);
  });

  it.each([
    ['the socket never connects', NEVER as Observable<ConnectionState>],
    ['the enqueue POST never gets an answer', connected$],
  ])('timeoutMs is a hard bound when %s: the stream errors at 3,000 ms exactly, and nothing is emitted after', async (_case, connection$) => {
    const fake = fakeContext(connection$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) return NO_ANSWER;
      if (request.path.endsWith('/cancel_by_batch_ids')) return NO_ANSWER;
      throw new Error(`unexpected ${request.path}`);
    });
    const { seen } = subscribe(fake, { batchId: BATCH, timeoutMs: 3000, connectWaitMs: 5000 });
    await fake.advanceTo(2999);
    expect(seen.error).toBeUndefined();
    await fake.advanceTo(3000);
    expect(seen.error).toBeInstanceOf(RunTimeoutError);
    expect(fake.scheduler.now()).toBe(3000);
    expect(seen.events).toEqual([]);
    // The cancel waits for the POST in the background: the error did not.
    const count = fake.log.length;
    await fake.advanceTo(60000);
    expect(fake.log).toHaveLength(count);
  });

  it('while an item of ours seems to run, another item starting reads it, at most once per pollIntervalMs; a hint inside the interval is read at its end (the processor-hint rate limit)', async () => {
    const fake = fakeContext(connected$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) return enqueueAnswer(request, [7]);
      if (request.path.endsWith('/i/7')) return { ...pendingItem(7, BATCH), status: 'in_progress', status_sequence: 1 };
      throw new Error(`unexpected ${request.path}`);
    });
    const { subscription } = subscribe(fake, { batchId: BATCH, pollIntervalMs: 1000 });
    const started = (itemId: number, batchId: string): ServerEvent =>
      ({
        type: 'invocation_started',
        queue_id: 'default',
        item_id: itemId,
        batch_id: batchId,
        origin: null,
        destination: null,
        user_id: 'system',
        session_id: `s${itemId}`,
        invocation: { id: `p${itemId}`, type: 'integer' },
        invocation_source_id: 'int',
        timestamp: 0,
      }) as unknown as ServerEvent;
    await fake.advanceTo(50);
    fake.events.next(statusChanged(7, 'in_progress', 1));
    for (const [at, itemId] of [[100, 50], [500, 51], [900, 52], [1200, 53], [1300, 54]]) {
      await fake.advanceTo(at);
      fake.events.next(started(itemId, 'theirs'));
    }
    await fake.advanceTo(2200);
    // A start of the same item again is no news; one of ours is not a hint about ours.
    fake.events.next(started(54, 'theirs'));
    fake.events.next(started(7, BATCH));
    await fake.advanceTo(4000);
    const reads = fake.log.filter((l) => l.startsWith('GET')).map((l) => Number(l.split('@')[1]));
    // One read at the first hint (100); the hints at 500 and 900 wait for the interval's end (1100),
    // those at 1200 and 1300 for the next (2100); nothing after.
    expect(reads).toEqual([100, 1100, 2100]);
    subscription.unsubscribe();
  });

  it('an exception inside the pipeline (here a logger that throws while a failed read is reported) is the stream\'s error, never an unhandled rejection', async () => {
    const fake = fakeContext(connected$, (request) => {
      if (request.path.endsWith('/enqueue_batch')) return enqueueAnswer(request, [7]);
      if (request.path.endsWith('/i/7')) throw new NetworkError('GET', 'http://fake/i/7', new Error('reset'));
      throw new Error(`unexpected ${request.path}`);
    });
    const broken = new Error('the logger broke');
    const context = { ...fake.context, options: { ...fake.context.options, logger: { warn: () => { throw broken; } } } };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const seen: { error?: unknown; events: RunEvent[] } = { events: [] };
      runWorkflow(context, imageWorkflow(), { batchId: BATCH }).subscribe({ next: (e) => seen.events.push(e), error: (error: unknown) => (seen.error = error) });
      await fake.advanceTo(5);
      // The item ended: its terminal read fails, and reporting that throws.
      fake.events.next(statusChanged(7, 'completed', 2));
      await fake.advanceTo(10);
      expect(seen.error).toBe(broken);
      expect(seen.events.map((e) => e.type)).toEqual(['enqueued']);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('the initial read and the subscribe acknowledgement', () => {
  // A real socket connection over a scripted WebSocket, on the run's virtual clock: the server
  // accepts the connect at 2 and acknowledges subscribe_queue at `ackAt`; the enqueue POST is
  // answered `postMs` after it was sent.
  const withSocket = (ackAt: number, postMs: number) => {
    FakeWebSocket.reset();
    const fake = fakeContext(NEVER, (request, now) => {
      if (request.path.endsWith('/enqueue_batch')) {
        return new Promise((resolve) => fake.scheduler.schedule(() => resolve(enqueueAnswer(request, [5])), postMs));
      }
      if (request.path.endsWith('/i/5')) return pendingItem(5, BATCH);
      throw new Error(`unexpected ${request.path} @${now}`);
    });
    FakeWebSocket.onCreate = (ws) => {
      const at = (ms: number, work: () => void) => fake.scheduler.schedule(work, ms - fake.scheduler.now());
      at(1, () => ws.serverSends('0{"sid":"e","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'));
      at(2, () => ws.serverSends('40{"sid":"s"}'));
      at(ackAt, () => ws.acknowledgeSubscribe());
    };
    const socket = createSocketConnection({ baseUrl: 'http://fake', WebSocket: FakeWebSocket.ctor, token: () => undefined, queueId: 'default', scheduler: fake.scheduler });
    return { ...fake, context: { ...fake.context, socket } };
  };

  it('skips the read when the subscribe was acknowledged before the POST: every event of the batch reaches the socket', async () => {
    const fake = withSocket(100, 300);
    const { subscription } = subscribe(fake, { batchId: BATCH, connectWaitMs: 1000 });
    await fake.advanceTo(5000);
    expect(fake.log).toEqual(['POST /api/v1/queue/default/enqueue_batch @100']);
    subscription.unsubscribe();
    fake.context.socket.close();
  });

  it('reads what is open when the subscribe is acknowledged only while the POST is in flight: the server may have run the batch before it joined the socket to the queue room', async () => {
    // Connected at 2, but not yet acknowledged: the run waits connectWaitMs (1000), posts, and the ACK arrives at 1200, before the answer at 1300.
    const fake = withSocket(1200, 300);
    const { subscription } = subscribe(fake, { batchId: BATCH, connectWaitMs: 1000 });
    await fake.advanceTo(5000);
    expect(fake.log).toEqual(['POST /api/v1/queue/default/enqueue_batch @1000', 'GET /api/v1/queue/default/i/5 @1300']);
    subscription.unsubscribe();
    fake.context.socket.close();
  });
});

// When a run reads its items over REST besides the socket: the pure schedule (`pollDelay`,
// `socketHealthy`) and a small clock that follows it on an injected scheduler (`createPollLoop`).
// With a healthy socket nothing is polled; once the socket is down, silent for longer than
// `silenceMs`, or a read is owed (a terminal item whose read failed or was stale), the run polls
// with capped exponential backoff until the socket is healthy again.
import { SchedulerLike, Subscription } from 'rxjs';
import { backoffDelay } from '../internal/backoff';

/** The timing of a run's REST reads. */
export interface PollPolicy {
  /** The delay before the first poll once the socket is down or silent (and the backoff's start). */
  readonly pollIntervalMs: number;
  /** No delay between polls exceeds this. */
  readonly maxPollIntervalMs: number;
  /** A connected socket that has sent nothing for this long is treated as stalled. */
  readonly silenceMs: number;
  /** 0..1: the share of each delay randomized away, so that many runs do not poll in lockstep. */
  readonly jitter: number;
}

/** The defaults: poll after 1 s, doubling to at most 15 s; a socket silent for 15 s is suspect. */
export const DEFAULT_POLL_POLICY: PollPolicy = { pollIntervalMs: 1000, maxPollIntervalMs: 15000, silenceMs: 15000, jitter: 0.2 };

/**
 * The delay before poll number `attempt` (1-based) while the socket cannot be trusted.
 *
 * @example
 * pollDelay(3, { ...DEFAULT_POLL_POLICY, jitter: 0 }, 0); // 4000
 * @internal
 */
export const pollDelay = (attempt: number, policy: PollPolicy, random: number): number =>
  backoffDelay(
    attempt,
    { initialDelayMs: policy.pollIntervalMs, maxDelayMs: policy.maxPollIntervalMs, factor: 2, jitter: policy.jitter },
    random,
  );

/** What the poll clock knows about the socket at one moment. */
export interface SocketHealth {
  readonly connected: boolean;
  /** `scheduler.now()` of the last socket event or (re)connect. */
  readonly lastActivityAt: number;
  /** A read is owed: a terminal item could not be read, or its read was stale. */
  readonly readOwed: boolean;
}

/** True while the socket can be trusted to tell the run what happens (so no polling is needed). */
export const socketHealthy = (health: SocketHealth, now: number, policy: PollPolicy): boolean =>
  health.connected && !health.readOwed && now - health.lastActivityAt < policy.silenceMs;

/** The poll clock of one run. */
export interface PollLoop {
  /** A socket event arrived: the socket is alive. */
  readonly activity: () => void;
  /** The socket (re)connected. */
  readonly connected: () => void;
  /** The socket is gone: poll from `pollIntervalMs` on, until it is back. */
  readonly disconnected: () => void;
  /** Whether a read is owed; setting it starts polling with backoff. */
  readonly setReadOwed: (owed: boolean) => void;
  /** Stops every timer. */
  readonly stop: () => void;
}

/** Options of `createPollLoop`. */
export interface PollLoopOptions {
  readonly policy: PollPolicy;
  readonly scheduler: SchedulerLike;
  /** Called at each poll (the run reads its open items). */
  readonly poll: () => void;
  /** Whether the socket is connected at the start. */
  readonly connected: boolean;
  /** The source of jitter, 0..1 (default `Math.random`). */
  readonly random?: () => number;
  /**
   * Activity the loop did not see itself, as a `scheduler.now()` time (e.g. the last socket event
   * of any batch, while the run has not heard from its own): the later of this and `activity()` counts.
   */
  readonly sharedActivityAt?: () => number;
}

/**
 * Starts the poll clock of a run: it calls `poll` whenever the socket is not healthy, with backoff
 * (`pollDelay`), and sleeps while it is.
 *
 * @example
 * import { asyncScheduler } from 'rxjs';
 * const loop = createPollLoop({ policy: DEFAULT_POLL_POLICY, scheduler: asyncScheduler, poll: () => console.log('read the open items'), connected: true });
 * const sub = client.events$.subscribe(() => loop.activity());
 * // ... when the run ends:
 * loop.stop();
 * sub.unsubscribe();
 * @internal
 */
export const createPollLoop = (options: PollLoopOptions): PollLoop => {
  const { policy, scheduler } = options;
  const random = options.random ?? Math.random;
  let connected = options.connected;
  let ownActivityAt = scheduler.now();
  const activityAt = (): number => Math.max(ownActivityAt, options.sharedActivityAt?.() ?? Number.NEGATIVE_INFINITY);
  let readOwed = false;
  let attempt = 0;
  let timer: Subscription | undefined;
  let stopped = false;

  const schedule = (delayMs: number): void => {
    timer?.unsubscribe();
    if (stopped) return;
    timer = scheduler.schedule(tick, Math.max(0, delayMs));
  };
  function tick(): void {
    if (stopped) return;
    const now = scheduler.now();
    const lastActivityAt = activityAt();
    if (socketHealthy({ connected, lastActivityAt, readOwed }, now, policy)) {
      attempt = 0;
      schedule(lastActivityAt + policy.silenceMs - now);
      return;
    }
    attempt += 1;
    // Schedule first: `poll` may stop the loop (the run ended) or change what is owed.
    schedule(pollDelay(attempt + 1, policy, random()));
    options.poll();
  }

  schedule(connected ? policy.silenceMs : pollDelay(1, policy, random()));
  return {
    activity: () => {
      ownActivityAt = scheduler.now();
    },
    connected: () => {
      connected = true;
      ownActivityAt = scheduler.now();
      if (!readOwed) {
        attempt = 0;
        schedule(policy.silenceMs);
      }
    },
    disconnected: () => {
      if (!connected) return;
      connected = false;
      attempt = 0;
      schedule(pollDelay(1, policy, random()));
    },
    setReadOwed: (owed) => {
      if (owed === readOwed) return;
      readOwed = owed;
      if (owed) schedule(pollDelay(attempt + 1, policy, random()));
      else if (connected) {
        attempt = 0;
        schedule(Math.max(0, activityAt() + policy.silenceMs - scheduler.now()));
      }
    },
    stop: () => {
      stopped = true;
      timer?.unsubscribe();
    },
  };
};

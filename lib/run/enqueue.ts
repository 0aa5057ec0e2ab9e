// Enqueueing a run's batch at most once, and finding a batch on the server by its id.
//
// InvokeAI's `enqueue_batch` has no idempotency key: two POSTs of one batch make two sets of items
// (its `batch_id` is not unique on the server), and a POST whose answer was lost may still be
// queued, running in the server, or held by a proxy. So a POST is sent again only when it is
// proven not to have been taken:
// - it never left (the connection was refused, the name did not resolve), or
// - the server said it did not take it (503, 429, 408), and a read of the batch afterwards finds
//   nothing.
// Any other failure (a timeout, a reset after sending, 500/502/504, an answer that does not decode)
// may have enqueued it, now or later. Then the batch is looked up by its id, which the client chose
// before posting: found, the run goes on with its items; a 500 (the server's handler has finished)
// and nothing found ends the run with that error; otherwise the run follows the id (socket events
// of the batch, reads with backoff) for `followMs`, and gives up with `EnqueueUnconfirmedError`,
// after the pipeline canceled the id (in case it lands meanwhile).
import * as t from 'io-ts';
import type { SchedulerLike, Subscription } from 'rxjs';
import { backoffDelay } from '../internal/backoff';
import { AuthError, HttpError, NetworkError } from '../transport/errors';
import type { HttpClient, Logger } from '../transport/http';
import { QueueItemSummary, chunkIds, queueEndpoints } from '../transport/queue-endpoints';
import type { BatchStatus } from '../protocol/dto';
import type { BatchId, ItemId } from '../protocol/ids';
import type { Batch } from '../workflow/batch';
import { AttachError, ConnectionLostError, describeError } from './errors';
import { factOfEnqueueResult, type RunFact } from './facts';
import type { PollPolicy } from './poll';
import { pollDelay } from './poll';

const QueueItemSummaries = /*#__PURE__*/ t.array(QueueItemSummary);

/** A batch found on the server by its id. */
export interface LocatedBatch {
  readonly status: BatchStatus;
  /**
   * The batch's own items, ascending: `call_saved_workflow` children share their parent's batch id
   * and are left out. Empty when the batch was there but its items were deleted before the list.
   */
  readonly itemIds: readonly ItemId[];
}

/**
 * Looks a batch up by its id: its counts (`b/{id}/status`), then its items among the queue's ids,
 * newest first, in summaries (no sessions) of at most 1,000 items per request, until all are found.
 * `null` when the server has no item of the batch.
 *
 * @example
 * import type { BatchId } from 'invokeai-rx';
 * declare const batchId: BatchId;
 * const found = await locateBatch(client.context, batchId);
 * if (found !== null) console.log(found.itemIds);
 * @internal
 */
export const locateBatch = async (
  context: { readonly http: HttpClient; readonly queueId: string },
  batchId: BatchId,
  signal?: AbortSignal,
): Promise<LocatedBatch | null> => {
  const { http } = context;
  const endpoints = queueEndpoints(context.queueId);
  const status = await http.request({ ...endpoints.batchStatus(batchId), signal });
  if (status.total === 0) return null;
  const { item_ids: all } = await http.request({ ...endpoints.itemIds('DESC'), signal });
  const own: ItemId[] = [];
  let seen = 0;
  for (const chunk of chunkIds(all)) {
    const summaries = await http.request({ ...endpoints.itemSummariesByIds(chunk, QueueItemSummaries), signal });
    for (const summary of summaries) {
      if (summary.batch_id !== batchId) continue;
      seen += 1;
      if ((summary.parent_item_id ?? null) === null) own.push(summary.item_id);
    }
    // Items pruned between the two reads are simply not found; the list ends either way.
    if (seen >= status.total) break;
  }
  return { status, itemIds: own.sort((a, b) => a - b) };
};

/** How a failed enqueue POST leaves the batch. */
export type PostVerdict =
  /** The server refused it (a 4xx): the batch is not there. */
  | 'refused'
  /** The request never reached the server: the connection was refused, the name did not resolve. */
  | 'not_sent'
  /** The server said it did not take it (503, 429, 408): to be confirmed by one read. */
  | 'not_taken'
  /** The server's own error (500 and other 5xx but 502/503/504): its handler has finished, one read says. */
  | 'server_error'
  /** A timeout, a reset after sending, 502/504, an answer that did not decode: it may land later. */
  | 'unknown';

const CONNECT_FAILURES: ReadonlySet<string> = /*#__PURE__*/ new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** The system error code somewhere in an error's cause chain (node-fetch and undici nest it differently). */
const systemCodeOf = (error: unknown): string | undefined => {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { readonly code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { readonly cause?: unknown }).cause;
  }
  return undefined;
};

/**
 * What a failed enqueue POST proves about the batch.
 *
 * @example
 * import { HttpError } from 'invokeai-rx';
 * verdictOfPost(new HttpError(504, 'POST', url, null)); // 'unknown'
 * @internal
 */
export const verdictOfPost = (error: unknown): PostVerdict => {
  if (error instanceof NetworkError) {
    const code = systemCodeOf(error.cause);
    return code !== undefined && CONNECT_FAILURES.has(code) ? 'not_sent' : 'unknown';
  }
  if (error instanceof AuthError) return 'refused';
  if (error instanceof HttpError) {
    if (error.status === 503 || error.status === 429 || error.status === 408) return 'not_taken';
    if (error.status === 502 || error.status === 504) return 'unknown';
    return error.status >= 500 ? 'server_error' : 'refused';
  }
  return 'unknown';
};

/** What following a batch by its id needs. */
export interface BatchFollowerDeps {
  readonly http: HttpClient;
  readonly queueId: string;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly logger?: Logger;
  /** Aborts the looks in flight when the run stops. */
  readonly signal: AbortSignal;
  readonly batchId: BatchId;
  /** How long to look before giving up (0: one look). */
  readonly followMs: number;
  /** The timing of the looks: from `pollIntervalMs` doubling to `maxPollIntervalMs`. */
  readonly policy: PollPolicy;
  /** Consecutive failed looks after which the follower fails with `ConnectionLostError`. */
  readonly maxReadFailures: number;
  /** Why the batch is followed, for the error messages (e.g. "the enqueue got no answer (...)"). */
  readonly why: () => string;
  readonly guard: <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => void;
  /** The batch is on the server (`itemIds` empty when its items were deleted before they could be listed). */
  readonly onFound: (located: LocatedBatch) => void;
  /** It did not show up within `followMs`. */
  readonly onAbsent: () => void;
  readonly onFailed: (error: unknown) => void;
}

/** Follows one batch id. */
export interface BatchFollower {
  /** Looks at once, then with backoff, until the batch shows up or `followMs` has passed. */
  readonly start: () => void;
  /** Something says the batch may be there now (an event of it, the socket back): look at once. */
  readonly nudge: () => void;
  readonly stop: () => void;
}

/**
 * Creates a follower of a batch id: it looks the batch up (`locateBatch`) at once, again from
 * `pollIntervalMs` doubling to `maxPollIntervalMs` and whenever nudged, and a last time at
 * `followMs`. A run whose enqueue may have landed follows its batch this way; a run that attaches to
 * a batch enqueued earlier can too.
 *
 * @example
 * declare const deps: BatchFollowerDeps;
 * const follower = createBatchFollower({ ...deps, onFound: (found) => console.log(found.itemIds), onAbsent: () => console.log('not there') });
 * follower.start();
 * client.events$.subscribe(() => follower.nudge());
 * @internal
 */
export const createBatchFollower = (deps: BatchFollowerDeps): BatchFollower => {
  const { scheduler, batchId } = deps;
  let active = false;
  let looking = false;
  let lookAgain = false;
  let deadline = 0;
  let attempt = 0;
  let failures = 0;
  let timer: Subscription | undefined;

  const stop = (): void => {
    active = false;
    timer?.unsubscribe();
  };

  const look = (): void => {
    if (!active) return;
    if (looking) {
      lookAgain = true;
      return;
    }
    looking = true;
    timer?.unsubscribe();
    locateBatch(deps, batchId, deps.signal).then(
      deps.guard((located: LocatedBatch | null) => {
        looking = false;
        if (!active) return;
        failures = 0;
        if (located === null) return next();
        stop();
        deps.onFound(located);
      }),
      deps.guard((error: unknown) => {
        looking = false;
        if (!active) return;
        if (error instanceof AuthError) {
          stop();
          return deps.onFailed(error);
        }
        failures += 1;
        deps.logger?.warn?.(`run ${batchId}: looking for its batch failed (${failures} in a row)`, { error });
        if (failures >= deps.maxReadFailures) {
          stop();
          return deps.onFailed(new ConnectionLostError(batchId, `${deps.why()} and ${failures} reads of the batch failed in a row`, error));
        }
        next();
      }),
    );
  };

  /** The next look: at once if nudged meanwhile, else with backoff, and a last one at the deadline. */
  const next = (): void => {
    if (lookAgain) {
      lookAgain = false;
      return look();
    }
    const now = scheduler.now();
    if (now >= deadline) {
      stop();
      return deps.onAbsent();
    }
    attempt += 1;
    timer = scheduler.schedule(deps.guard(look), Math.max(0, Math.min(pollDelay(attempt, deps.policy, deps.random()), deadline - now)));
  };

  return {
    start: () => {
      active = true;
      deadline = scheduler.now() + deps.followMs;
      look();
    },
    nudge: () => {
      if (active) look();
    },
    stop,
  };
};

/** What the enqueue step needs. */
export interface EnqueueOnceDeps extends Omit<BatchFollowerDeps, 'why' | 'onFound' | 'onAbsent' | 'onFailed'> {
  /**
   * `enqueue`: post the batch. `look-first` (a keyed run): look its id up first, and follow the
   * batch when the server has it. `attach`: only follow it (`located`: as found already), never post.
   */
  readonly mode: 'enqueue' | 'look-first' | 'attach';
  /** The batch to post (`null` when attaching). */
  readonly batch: Batch | null;
  /** For `attach`: the batch as found before the run started (its items are not listed again). */
  readonly located?: LocatedBatch;
  readonly prepend: boolean;
  /** How many items the batch asks for (for the `enqueued` fact of a batch found by its id). */
  readonly requested: number;
  /** POSTs at most, counting the first, while each is proven not taken. */
  readonly attempts: number;
  /** The batch is on the server: these facts start the run (the `enqueued` fact); `answered` when the POST's answer said so (else it was found by its id). */
  readonly onEnqueued: (facts: readonly RunFact[], answered: boolean) => void;
  /** The run cannot go on. */
  readonly onFailed: (error: unknown) => void;
  /** The batch did not show up within `followMs` (`cause`: what the POST met). */
  readonly onUnconfirmed: (reason: string, cause: unknown) => void;
}

/** The enqueue step of one run. */
export interface EnqueueOnce {
  readonly start: () => void;
  /** An event of the batch arrived (or the socket came back): while following, look at once. */
  readonly nudge: () => void;
  /** Whether the batch may be on the server, now or later: a POST was sent and not refused. */
  readonly mayExist: () => boolean;
  /** Settles once no POST of this run is in flight. */
  readonly posted: () => Promise<void>;
  readonly stop: () => void;
}

const ENQUEUE_BACKOFF = { initialDelayMs: 500, maxDelayMs: 5000, factor: 2, jitter: 0.5 };

/**
 * Creates the enqueue step of a run: one POST, sent again only when proven not taken, else the
 * batch followed by its id.
 *
 * @example
 * declare const deps: EnqueueOnceDeps;
 * const step = createEnqueueOnce({ ...deps, onEnqueued: (facts, answered) => console.log(facts, answered) });
 * step.start();
 * @internal
 */
export const createEnqueueOnce = (deps: EnqueueOnceDeps): EnqueueOnce => {
  const { http, scheduler, batchId } = deps;
  const endpoints = queueEndpoints(deps.queueId);
  let stopped = false;
  /** A POST was sent and not refused. */
  let mayExist = false;
  let inFlight: Promise<void> = Promise.resolve();
  let retry: Subscription | undefined;
  let postError: unknown;
  const why = (): string => `the enqueue got no answer (${describeError(postError)})`;

  const found = (located: LocatedBatch, attached = false): void => {
    if (located.itemIds.length === 0) {
      deps.onUnconfirmed('the batch was on the server, but its items were deleted before they could be listed', postError);
      return;
    }
    deps.onEnqueued(
      [{ kind: 'enqueued', batchId, itemIds: located.itemIds, requested: deps.requested, enqueued: located.itemIds.length, ...(attached ? { attached: true } : {}) }],
      false,
    );
  };

  /**
   * Before the first POST of a keyed run, or to attach: is the batch there? Found, the run follows
   * it; absent (or its items gone), a keyed run posts it and an attach fails. A look-up that fails
   * is tried again with backoff: posting without knowing could enqueue the batch twice.
   */
  const lookUp = (failures: number): void => {
    if (stopped) return;
    if (deps.located !== undefined && failures === 0 && deps.located.itemIds.length > 0) {
      mayExist = true;
      return found(deps.located, true);
    }
    locateBatch(deps, batchId, deps.signal).then(
      deps.guard((located: LocatedBatch | null) => {
        if (stopped) return;
        if (located !== null && located.itemIds.length > 0) {
          mayExist = true;
          return found(located, true);
        }
        if (deps.mode === 'attach') return deps.onFailed(new AttachError(batchId, 'not_found'));
        post(1);
      }),
      deps.guard((error: unknown) => {
        if (stopped) return;
        if (error instanceof AuthError) return deps.onFailed(error);
        const count = failures + 1;
        deps.logger?.warn?.(`run ${batchId}: looking its batch up failed (${count} in a row)`, { error });
        if (count >= deps.maxReadFailures) return deps.onFailed(new ConnectionLostError(batchId, `${count} look-ups of the batch failed in a row`, error));
        retry = scheduler.schedule(deps.guard(() => lookUp(count)), pollDelay(count, deps.policy, deps.random()));
      }),
    );
  };

  const follower = createBatchFollower({
    ...deps,
    why,
    onFound: found,
    onAbsent: () => deps.onUnconfirmed(`${why()} and the batch did not show up on the server within ${deps.followMs} ms`, postError),
    onFailed: deps.onFailed,
  });

  /** After a 503-like answer or a 500: one read says whether the batch is there. */
  const checkOnce = (then: () => void): void => {
    locateBatch(deps, batchId, deps.signal).then(
      deps.guard((located: LocatedBatch | null) => {
        if (stopped) return;
        if (located !== null) return found(located);
        then();
      }),
      deps.guard((error: unknown) => {
        if (stopped) return;
        if (error instanceof AuthError) return deps.onFailed(error);
        // Whether it is there could not be read: follow it like any POST that may have landed.
        follower.start();
      }),
    );
  };

  const post = (attempt: number): void => {
    if (stopped) return;
    mayExist = true;
    if (deps.batch === null) return deps.onFailed(new AttachError(batchId, 'not_found'));
    const answer = http.request(endpoints.enqueueBatch(deps.batch, deps.prepend));
    inFlight = answer.then(
      () => undefined,
      () => undefined,
    );
    answer.then(
      deps.guard((result) => {
        if (stopped) return;
        deps.onEnqueued([factOfEnqueueResult(result)], true);
      }),
      deps.guard((error: unknown) => {
        const verdict = verdictOfPost(error);
        if (verdict === 'refused') mayExist = false;
        if (stopped) return;
        postError = error;
        const again = (): void => {
          mayExist = false;
          if (attempt >= deps.attempts) {
            return deps.onFailed(new ConnectionLostError(batchId, `the enqueue was not taken ${attempt} time(s)`, error));
          }
          const retryAfterMs = error instanceof HttpError ? error.retryAfterMs : undefined;
          retry = scheduler.schedule(deps.guard(() => post(attempt + 1)), Math.max(retryAfterMs ?? 0, backoffDelay(attempt, ENQUEUE_BACKOFF, deps.random())));
        };
        switch (verdict) {
          case 'refused':
            return deps.onFailed(error);
          case 'not_sent':
            return again();
          case 'not_taken':
            return checkOnce(again);
          case 'server_error':
            return checkOnce(() => {
              mayExist = false;
              deps.onFailed(error);
            });
          case 'unknown':
            return follower.start();
        }
      }),
    );
  };

  return {
    start: () => (deps.mode === 'enqueue' ? post(1) : lookUp(0)),
    nudge: follower.nudge,
    mayExist: () => mayExist,
    posted: () => inFlight,
    stop: () => {
      stopped = true;
      follower.stop();
      retry?.unsubscribe();
    },
  };
};

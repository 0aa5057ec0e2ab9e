// The options of a run and of many runs, and how they become the pipeline's settings.
import type { ClientContext } from '../transport/context';
import type { Sweep } from '../workflow/batch';
import type { Workflow } from '../workflow/workflow';
import type { LoadOptions } from '../workflow/types';
import type { RunEvent } from './events';
import { DEFAULT_POLL_POLICY, type PollPolicy } from './poll';

/** Options of `client.run` / `client.submit`. Everything is optional. */
export interface RunOptions {
  /** How many times the whole batch runs (default 1). */
  readonly runs?: number;
  /** Values per input ref, zipped or as a product; sent as the server's `Batch.data`. */
  readonly sweep?: Sweep;
  /** Stored on every queue item (default: a unique `invokeai-rx:<batchId>`). */
  readonly origin?: string;
  /** Stored on every queue item (default `gallery`, as the GUI's workflow editor). */
  readonly destination?: string;
  /** Put the batch at the front of the queue. */
  readonly prepend?: boolean;
  /**
   * A hard bound: the stream errors with `RunTimeoutError` this long after subscribing, whatever is
   * in flight; the unfinished items are canceled on the server in the background.
   */
  readonly timeoutMs?: number;
  /** Cancel the unfinished items on the server when the subscriber leaves, or the client is closed, before the end (default true). */
  readonly cancelOnUnsubscribe?: boolean;
  /** The batch id to enqueue with (default: a fresh uuid). Must be unique on the server. */
  readonly batchId?: string;
  /**
   * An idempotency key (instead of `batchId`): the batch id is derived from it and the queue (a
   * name-based uuid), and the batch is looked up before posting: when the server has it, the run
   * follows it (`enqueued` with `attached: true`) instead of enqueueing it again. A batch that was
   * cleared or pruned from the server's queue is not found, and is enqueued again.
   */
  readonly key?: string;
  /** The board that board inputs set to `auto` save to. */
  readonly autoAddBoardId?: string;
  /** The first delay of REST polling once the socket is down or silent (default: the client's `pollIntervalMs`, else 1000). */
  readonly pollIntervalMs?: number;
  /** The longest delay between polls (default 15000). */
  readonly maxPollIntervalMs?: number;
  /** No event of this run's batch for this long (of any batch before its first) and the socket is no longer trusted: the run polls (default 15000). */
  readonly silenceMs?: number;
  /** How long to wait for the socket before enqueueing anyway and relying on REST (default 5000). */
  readonly connectWaitMs?: number;
  /** Consecutive failed REST reads after which the run errors with `ConnectionLostError` (default 8). */
  readonly maxReadFailures?: number;
  /** Enqueue POSTs at most while each is proven not taken (never reached the server, or 503 and absent) (default 3). */
  readonly enqueueAttempts?: number;
  /**
   * How long a run whose enqueue POST may have landed (no answer, 502, 504 ...) looks for its
   * batch id on the server before it gives up with `EnqueueUnconfirmedError` (default 60000).
   */
  readonly enqueueFollowMs?: number;
}

/** One workflow of `runMany`, with options of its own. */
export interface RunRequest {
  readonly workflow: Workflow;
  readonly options?: RunOptions;
}

/** Options of `client.attach`: how to follow the batch, and the workflow its outputs are mapped by. */
export interface AttachOptions
  extends Pick<RunOptions, 'timeoutMs' | 'cancelOnUnsubscribe' | 'pollIntervalMs' | 'maxPollIntervalMs' | 'silenceMs' | 'connectWaitMs' | 'maxReadFailures'> {
  /** The workflow the batch ran (default: the one stored with its items, decoded with `load`). */
  readonly workflow?: Workflow;
  /** How the stored workflow is decoded (e.g. the server's own node templates). */
  readonly load?: LoadOptions;
}

/** Options of `runMany`: those of every run (batch ids are always per run), and how many run at once. */
export interface RunManyOptions extends Omit<RunOptions, 'batchId' | 'key'> {
  /** Runs in flight at most (default 4). */
  readonly concurrency?: number;
}

/** An event of `runMany`: the run event and the position of its workflow in the input. */
export interface RunManyEvent {
  readonly index: number;
  readonly event: RunEvent;
}

/** The settings of one run, every default applied. */
export interface RunSettings {
  readonly policy: PollPolicy;
  readonly connectWaitMs: number;
  readonly maxReadFailures: number;
  readonly enqueueAttempts: number;
  readonly enqueueFollowMs: number;
}

const DEFAULT_CONNECT_WAIT_MS = 5000;
const DEFAULT_MAX_READ_FAILURES = 8;
const DEFAULT_ENQUEUE_ATTEMPTS = 3;
const DEFAULT_ENQUEUE_FOLLOW_MS = 60000;

/** The settings of a run from its options and its client's. */
export const runSettingsOf = (context: ClientContext, options: RunOptions): RunSettings => ({
  policy: {
    ...DEFAULT_POLL_POLICY,
    pollIntervalMs: options.pollIntervalMs ?? context.options.pollIntervalMs ?? DEFAULT_POLL_POLICY.pollIntervalMs,
    ...(options.maxPollIntervalMs !== undefined ? { maxPollIntervalMs: options.maxPollIntervalMs } : {}),
    ...(options.silenceMs !== undefined ? { silenceMs: options.silenceMs } : {}),
  },
  connectWaitMs: options.connectWaitMs ?? DEFAULT_CONNECT_WAIT_MS,
  maxReadFailures: options.maxReadFailures ?? DEFAULT_MAX_READ_FAILURES,
  enqueueAttempts: Math.max(1, options.enqueueAttempts ?? DEFAULT_ENQUEUE_ATTEMPTS),
  enqueueFollowMs: Math.max(0, options.enqueueFollowMs ?? DEFAULT_ENQUEUE_FOLLOW_MS),
});

// The events and results of runs through a pool: the client's own (`RunEvent`, `RunResult`), each
// also naming the server it ran on and, for a run sent again after its server was lost, what it retries.
import type { BatchId, ItemId } from '../protocol/ids';
import type { RunEvent, RunItemResult } from '../run/events';

/** A server of the pool: its position in the list given to `createPool`, and its URL. */
export interface PoolServerRef {
  readonly index: number;
  readonly url: string;
}

/** What a requeued run retries: the lost batch, where it was, and its items that had not ended. */
export interface RetryRef {
  readonly batchId: BatchId;
  readonly server: PoolServerRef;
  readonly itemIds: readonly ItemId[];
  /** 1 for the first retry of the run's items, 2 when a retry was lost again, ... */
  readonly attempt: number;
}

/** What the pool adds to every event. */
export interface PoolEventOrigin {
  /** The server the event's batch runs on. */
  readonly server: PoolServerRef;
  /** Set on every event of a run that was resubmitted after its server was lost (`requeueOnServerLoss`). */
  readonly retryOf?: RetryRef;
}

/**
 * An event of a run through the pool: a `RunEvent` with the server it ran on. A run split over
 * several servers (`splitSweeps`) or requeued has one `enqueued` event per batch; every item still
 * has exactly one terminal event. An item lost with its server ends with a `failed` event whose
 * `error.type` is `server_lost`.
 */
export type PoolRunEvent = RunEvent & PoolEventOrigin;

/** The error type of the `failed` event of an item whose server was lost after it was enqueued. */
export const SERVER_LOST = 'server_lost';

/** How one item of a pool run ended, with the batch and server it ran on. */
export interface PoolRunItemResult extends RunItemResult {
  readonly batchId: BatchId;
  readonly server: PoolServerRef;
  readonly retryOf?: RetryRef;
}

/**
 * What `pool.submit` resolves to: every item in sweep order (an item lost and requeued appears once,
 * as its retry ended). `batchId` is the first batch's; `batches` lists every batch the run used.
 */
export interface PoolRunResult {
  readonly batchId: BatchId;
  readonly items: readonly PoolRunItemResult[];
  readonly batches: ReadonlyArray<{ readonly batchId: BatchId; readonly server: PoolServerRef }>;
}

/** An event of `pool.runMany`: the event and the position of its workflow in the input. */
export interface PoolRunManyEvent {
  readonly index: number;
  readonly event: PoolRunEvent;
}

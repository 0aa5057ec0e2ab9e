// The errors a run stream ends with when the run as a whole cannot go on. Item failures are
// `failed` events, never these. Enqueue rejections (`HttpError` with the 422 issues) and
// `AuthError` come from the transport unchanged.
import type { BatchId } from '../protocol/ids';

/** How canceling a run's batch on the server went (it goes on in the background of the error). */
export type CancelOutcome =
  /** Nothing was posted, or the server refused the batch: there was nothing to cancel. */
  | { readonly type: 'nothing_to_cancel' }
  /** The server answered the cancel; `canceled` items were still pending or running. */
  | { readonly type: 'canceled'; readonly canceled: number }
  /** The cancel failed: the batch may still run on the server. */
  | { readonly type: 'failed'; readonly error: unknown };

/**
 * The run did not end within `timeoutMs`: the stream errored then, whatever was in flight, and the
 * client cancels the batch on the server in the background (`cancellation` says how that went).
 */
export class RunTimeoutError extends Error {
  override readonly name = 'RunTimeoutError';
  constructor(
    readonly batchId: BatchId,
    readonly timeoutMs: number,
    /** Settles once the background cancel of the batch was answered; never rejects. */
    readonly cancellation: Promise<CancelOutcome>,
  ) {
    super(
      `Run of batch ${batchId} did not finish within ${timeoutMs} ms; its unfinished items are being canceled on the server ` +
        `(await error.cancellation to know the outcome). Raise timeoutMs if the workflow needs longer, or check that the queue is not paused.`,
    );
  }
}

/** The run lost the server: neither the socket nor REST answered within the retry budget. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
  constructor(
    readonly batchId: BatchId,
    /** What was being done and how often it failed. */
    readonly reason: string,
    /** The last transport error. */
    readonly cause?: unknown,
  ) {
    super(
      `Run of batch ${batchId} lost the server: ${reason}${cause === undefined ? '' : ` (last error: ${describeError(cause)})`}. ` +
        `The batch may still run on the server: check the queue (GET /api/v1/queue/{queue_id}/b/${batchId}/status) once it is reachable again.`,
    );
  }
}

/**
 * The enqueue POST may have reached the server, but whether it enqueued the batch could not be
 * confirmed: the batch did not show up under its id in time (or its items were gone before they
 * could be listed). The client canceled the batch id before erroring, in case it lands meanwhile;
 * a POST held by a proxy beyond that may still land later. The batch was never posted twice.
 */
export class EnqueueUnconfirmedError extends Error {
  override readonly name = 'EnqueueUnconfirmedError';
  constructor(
    readonly batchId: BatchId,
    /** What was seen. */
    readonly reason: string,
    /** How canceling the batch id went (settled when the error is raised). */
    readonly cancellation: Promise<CancelOutcome>,
    /** What the POST met. */
    readonly cause?: unknown,
  ) {
    super(
      `Run of batch ${batchId} could not confirm its enqueue: ${reason}. The batch id was canceled on the server in case the POST still lands; ` +
        `it was not posted again, because InvokeAI has no idempotency key. Check GET /api/v1/queue/{queue_id}/b/${batchId}/status, and run again with a new batch id if it is absent.`,
    );
  }
}

/** Why a batch cannot be attached to. */
export type AttachFailure = 'not_found' | 'no_workflow';

/** `attach` found no batch of that id on the server, or the batch carries no workflow to map its outputs by. */
export class AttachError extends Error {
  override readonly name = 'AttachError';
  constructor(
    readonly batchId: string,
    readonly reason: AttachFailure,
    /** Why the batch's workflow could not be read, for `no_workflow`. */
    readonly cause?: unknown,
  ) {
    super(
      reason === 'not_found'
        ? `Batch ${batchId} is not on the server (never enqueued there, or its items were cleared or pruned). Check the server and the queue id.`
        : `Batch ${batchId} carries no workflow the outputs can be mapped by${cause === undefined ? '' : ` (${describeError(cause)})`}: pass the workflow it ran as the workflow option.`,
    );
  }
}

/** The first line of an error's message (or the value as text), for messages and logs. */
export const describeError = (error: unknown): string => (error instanceof Error ? error.message.split('\n')[0] : String(error));

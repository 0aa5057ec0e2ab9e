// The errors a run stream ends with when the run as a whole cannot go on (PUBLIC-API.md §3). Item
// failures are `failed` events, never these. Enqueue rejections (`HttpError` with the 422 issues)
// and `AuthError` come from the transport unchanged.

/** The run did not end within `timeoutMs`; the client asked the server to cancel what was left. */
export class RunTimeoutError extends Error {
  override readonly name = 'RunTimeoutError';
  constructor(
    readonly batchId: string,
    readonly timeoutMs: number,
    /** True when the cancel request failed: the items may still be queued or running on the server. */
    readonly cancellationFailed: boolean,
    /** Why the cancel request failed, when it did. */
    readonly cause?: unknown,
  ) {
    super(
      `Run of batch ${batchId} did not finish within ${timeoutMs} ms. ` +
        (cancellationFailed
          ? `Canceling its items on the server failed too (${describeError(cause)}): cancel batch ${batchId} yourself (PUT /api/v1/queue/{queue_id}/cancel_by_batch_ids) or it keeps running.`
          : 'Its unfinished items were canceled on the server. Raise timeoutMs if the workflow needs longer, or check that the queue is not paused.'),
    );
    Object.setPrototypeOf(this, RunTimeoutError.prototype);
  }
}

/** The run lost the server: neither the socket nor REST answered within the retry budget. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
  constructor(
    readonly batchId: string,
    /** What was being done and how often it failed. */
    readonly reason: string,
    /** The last transport error. */
    readonly cause?: unknown,
  ) {
    super(
      `Run of batch ${batchId} lost the server: ${reason}${cause === undefined ? '' : ` (last error: ${describeError(cause)})`}. ` +
        `The batch may still run on the server: check the queue (GET /api/v1/queue/{queue_id}/b/${batchId}/status) once it is reachable again.`,
    );
    Object.setPrototypeOf(this, ConnectionLostError.prototype);
  }
}

/** The first line of an error's message (or the value as text), for messages and logs. */
export const describeError = (error: unknown): string => (error instanceof Error ? error.message.split('\n')[0] : String(error));

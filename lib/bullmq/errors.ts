// The errors a run job fails with, besides the run's own (`RunTimeoutError`, `ConnectionLostError`,
// `HttpError` ...), which fail the job unchanged and are retried as the job's `attempts` say. These
// extend BullMQ's `UnrecoverableError`: retrying them could only give the same end, since a retry
// follows the same batch (the job id is the run's key).
import { UnrecoverableError } from 'bullmq';
import type { RunJobItem, RunJobResult } from './result';

/** Some items of the job's run failed or were canceled; `result` holds every item. */
export class RunItemsFailedError extends UnrecoverableError {
  override readonly name = 'RunItemsFailedError';
  /** The items that did not complete. */
  readonly failedItems: readonly RunJobItem[];
  constructor(
    readonly jobId: string,
    readonly result: RunJobResult,
  ) {
    const failedItems = result.items.filter((item) => item.status !== 'completed');
    const first = failedItems[0];
    const why = first === undefined ? '' : first.status === 'failed' ? `: item ${first.itemId} ${first.error?.type ?? 'failed'}: ${first.error?.message.split('\n')[0] ?? ''}` : `: item ${first.itemId} was canceled`;
    super(
      `${failedItems.length} of ${result.items.length} item(s) of job ${jobId} did not complete${why}. ` +
        'The job is not retried: a retry would follow the same batch. Add a new job (a new id) to run the workflow again.',
    );
    this.failedItems = failedItems;
  }
}

/** The job was canceled (`worker.cancelJob`) or removed while it ran; its batches were canceled on the server. */
export class RunJobCanceledError extends UnrecoverableError {
  override readonly name = 'RunJobCanceledError';
  constructor(
    readonly jobId: string,
    /** The reason given to `cancelJob`, or why the worker canceled it. */
    readonly reason: string,
  ) {
    super(`Job ${jobId} was canceled (${reason}); what its run left unfinished was canceled on the server.`);
  }
}

/** The job's data is not a run: its workflow, inputs or options do not decode; `cause` says where. */
export class RunJobDataError extends UnrecoverableError {
  override readonly name = 'RunJobDataError';
  constructor(
    readonly jobId: string,
    readonly cause: unknown,
  ) {
    super(`Job ${jobId} does not hold a run: ${cause instanceof Error ? cause.message : String(cause)}. Fix the producer; the job is not retried.`);
  }
}

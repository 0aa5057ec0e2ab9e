// One job's run, apart from BullMQ: run the workflow under the job's key, report typed progress,
// collect the result, and end as the job should: the result, the run's own error, items that did not
// complete, or a cancel (which cancels the batch on the server).
import { Observable, SchedulerLike } from 'rxjs';
import type { Logger, RunOptions, Workflow } from '../index';
import { RunItemsFailedError, RunJobCanceledError } from './errors';
import type { JobRunOptions } from './job-data';
import { RunJobProgress, initialProgress, nextProgress } from './progress';
import { createProgressSender } from './progress-sender';
import { JobRunEvent, RunJobResult, createResultCollector } from './result';

/** Run options with an idempotency key: the batch id derives from it, and a batch that exists is followed, not enqueued again. */
export type KeyedRunOptions = RunOptions & { readonly key?: string };

/** What runs a job's workflow: an `InvokeAIClient` or an `InvokeAIPool`. */
export interface JobRunner {
  readonly run: (wf: Workflow, options?: KeyedRunOptions) => Observable<JobRunEvent>;
}

/** How a job whose run had items that did not complete ends: failed with `RunItemsFailedError` (default), or completed with the result. */
export type ItemFailurePolicy = 'fail' | 'complete';

/** What `runAsJob` needs of the job and of the worker. */
export interface JobRunContext {
  readonly jobId: string;
  /** The run's idempotency key. */
  readonly key: string;
  /** Stores the job's progress (`job.updateProgress`). */
  readonly report: (progress: RunJobProgress) => Promise<unknown>;
  /** Aborted when the job is canceled or removed: the run is then canceled on the server. */
  readonly signal?: AbortSignal;
  readonly progressIntervalMs: number;
  readonly itemFailures: ItemFailurePolicy;
  readonly scheduler: SchedulerLike;
  readonly logger?: Logger;
}

const reasonOf = (signal: AbortSignal): string => {
  const reason: unknown = signal.reason;
  if (reason === undefined) return 'canceled';
  return reason instanceof Error ? reason.message : String(reason);
};

/** Runs the workflow as one job; resolves with the job's result, or rejects with the error the job fails with. */
export const runAsJob = (runner: JobRunner, wf: Workflow, options: JobRunOptions, context: JobRunContext): Promise<RunJobResult> =>
  new Promise<RunJobResult>((resolve, reject) => {
    const { jobId, signal, logger } = context;
    if (signal?.aborted === true) return reject(new RunJobCanceledError(jobId, reasonOf(signal)));
    const collector = createResultCollector();
    const sender = createProgressSender(context.report, context.progressIntervalMs, context.scheduler, (error) =>
      logger?.warn?.(`job ${jobId}: storing its progress failed; the next update carries it all`, { error }),
    );
    let progress = initialProgress;
    let settled = false;
    // The final progress is stored before the job ends, so that a listener sees it before the result.
    const settle = (end: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      sender.flush().then(end, end);
    };
    const onAbort = (): void => {
      // Unsubscribing cancels what the run left unfinished on the server.
      subscription.unsubscribe();
      settle(() => reject(new RunJobCanceledError(jobId, reasonOf(signal as AbortSignal))));
    };
    const subscription = runner.run(wf, { ...options, key: context.key, cancelOnUnsubscribe: true }).subscribe({
      next: (event) => {
        collector.add(event);
        const next = nextProgress(progress, event);
        if (next !== progress) {
          progress = next;
          sender.offer(next);
        }
      },
      error: (error: unknown) => settle(() => reject(error)),
      complete: () => {
        const result = collector.result();
        const allCompleted = result.items.every((item) => item.status === 'completed');
        settle(() => (allCompleted || context.itemFailures === 'complete' ? resolve(result) : reject(new RunItemsFailedError(jobId, result))));
      },
    });
    if (!settled) signal?.addEventListener('abort', onAbort, { once: true });
  });

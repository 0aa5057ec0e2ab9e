// The BullMQ side of a run worker: a processor that runs each job's workflow on a client or a pool,
// keyed by the job, and a factory for a `Worker` that also cancels the run of a job removed under it.
import { Job, Worker, type WorkerOptions } from 'bullmq';
import { SchedulerLike, asyncScheduler } from 'rxjs';
import type { LoadOptions, Logger, Workflow } from '../index';
import { RunJobDataError } from './errors';
import { JobRun, decodeRunJobData } from './job-data';
import type { RunJobProgress } from './progress';
import type { RunJobResult } from './result';
import { ItemFailurePolicy, JobRunner, runAsJob } from './run-job';

/** Options of `runJobProcessor` and `createRunWorker`. Only `runner` is required. */
export interface RunJobOptions<Data> {
  /** The client or pool the jobs' workflows run on. */
  readonly runner: JobRunner;
  /** The run a job asks for (default: its data read as `RunJobData`). A throw fails the job with `RunJobDataError`, without retries. */
  readonly runOf?: (job: Job<Data, RunJobResult>) => JobRun | Workflow | Promise<JobRun | Workflow>;
  /** How workflows in job data are loaded (e.g. the server's own node templates). */
  readonly load?: LoadOptions;
  /** The least time between two progress updates of a job (default 250 ms); its last update is sent at once. */
  readonly progressIntervalMs?: number;
  /** A job whose run had items that did not complete: `fail` (default, `RunItemsFailedError`) or `complete` with every item's status. */
  readonly itemFailures?: ItemFailurePolicy;
  /** Timers of the progress throttle (tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
}

/** Options of `createRunWorker`: the processor's, and BullMQ's own for the `Worker` (`connection`, `concurrency`, `lockDuration` ...). */
export interface RunWorkerOptions<Data> extends RunJobOptions<Data> {
  readonly worker: WorkerOptions;
}

const DEFAULT_PROGRESS_INTERVAL_MS = 250;

/**
 * The idempotency key of a job's run: its queue, its id and when it was added. A retried or stalled
 * job keeps all three, so its run follows the batch enqueued before; a Redis that was emptied and
 * numbers jobs from 1 again gives new keys, so a new job never follows an old batch.
 */
export const jobRunKey = (job: Pick<Job, 'queueQualifiedName' | 'id' | 'timestamp'>): string => `bullmq:${job.queueQualifiedName}:${job.id ?? ''}:${job.timestamp}`;

const isWorkflow = (value: JobRun | Workflow): value is Workflow => '_tag' in value && value._tag === 'Workflow';

/**
 * A BullMQ processor that runs each job's workflow: keyed by the job (a stalled or retried job
 * follows its batch, never enqueues it again), typed progress through `job.updateProgress`, the
 * outputs' image and video names as the job's result, the run's typed error as the job's failure.
 * A job canceled through `worker.cancelJob` cancels its batch on the server.
 *
 * @example
 * import { Worker } from 'bullmq';
 * import { createClient } from 'invokeai-rx';
 * import { runJobProcessor } from 'invokeai-rx/bullmq';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const worker = new Worker('images', runJobProcessor({ runner: client }), { connection: { host: '127.0.0.1', port: 6379 } });
 */
export const runJobProcessor = <Data = unknown>(options: RunJobOptions<Data>) => {
  const runOf = options.runOf ?? ((job: Job<Data, RunJobResult>) => decodeRunJobData(job.data, options.load));
  const progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const scheduler = options.scheduler ?? asyncScheduler;
  // Three parameters: BullMQ passes the cancel signal only to a processor that declares it.
  return async (job: Job<Data, RunJobResult>, _token?: string, signal?: AbortSignal): Promise<RunJobResult> => {
    const jobId = job.id ?? '';
    let run: JobRun;
    try {
      const asked = await runOf(job);
      run = isWorkflow(asked) ? { workflow: asked } : asked;
    } catch (error) {
      throw new RunJobDataError(jobId, error);
    }
    return runAsJob(options.runner, run.workflow, run.options ?? {}, {
      jobId,
      key: jobRunKey(job),
      report: (progress: RunJobProgress) => job.updateProgress(progress),
      ...(signal !== undefined ? { signal } : {}),
      progressIntervalMs,
      itemFailures: options.itemFailures ?? 'fail',
      scheduler,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
  };
};

/**
 * A BullMQ `Worker` whose processor is `runJobProcessor`. Besides `worker.cancelJob`, a job removed
 * from Redis while it runs (its lock can no longer be renewed and it is gone) has its batch canceled
 * on the server. Close it with `worker.close()` (waits for the jobs in hand) and close the runner after.
 *
 * @example
 * import { createPool } from 'invokeai-rx';
 * import { createRunWorker } from 'invokeai-rx/bullmq';
 * const pool = createPool(['http://gpu1:9090', 'http://gpu2:9090'], { requeueOnServerLoss: true });
 * const worker = createRunWorker('images', { runner: pool, worker: { connection: { host: '127.0.0.1', port: 6379 }, concurrency: 8 } });
 */
export const createRunWorker = <Data = unknown>(queueName: string, options: RunWorkerOptions<Data>): Worker<Data, RunJobResult> => {
  const worker = new Worker<Data, RunJobResult>(queueName, runJobProcessor(options), options.worker);
  // An 'error' event without a listener would end the process (Node's EventEmitter rule): Redis
  // hiccups and lost locks are BullMQ's to recover from; they are logged.
  worker.on('error', (error) => options.logger?.warn?.(`run worker of ${queueName}: ${error.message}`, { error }));
  // A lock that cannot be renewed: the job was removed, or it stalled and another worker may take it
  // (it then follows the same batch). Only the first is a cancel.
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) {
      Job.fromId(worker, jobId).then(
        (job) => {
          if (job === undefined) worker.cancelJob(jobId, 'the job was removed from the queue');
        },
        (error: unknown) => options.logger?.warn?.(`job ${jobId}: whether it still exists could not be read`, { error }),
      );
    }
  });
  return worker;
};


// invokeai-rx/bullmq: InvokeAI runs as BullMQ jobs on Redis. Needs the `bullmq` package (an optional
// peer dependency of invokeai-rx) and a Redis driver: `npm install bullmq ioredis`.

// --- Workers ---------------------------------------------------------------------------------
export { createRunWorker, runJobProcessor, jobRunKey } from './worker';
export type { RunJobOptions, RunWorkerOptions } from './worker';
export type { JobRunner, KeyedRunOptions, ItemFailurePolicy } from './run-job';
export { RunItemsFailedError, RunJobCanceledError, RunJobDataError } from './errors';

// --- Jobs: what producers add, what workers report and return --------------------------------
export { runJobData, decodeRunJobData } from './job-data';
export type { RunJobData, JobRun, JobRunOptions } from './job-data';
export { RunJobProgressCodec } from './progress';
export type { RunJobProgress, RunJobNode } from './progress';
export { RunJobResultCodec } from './result';
export type { RunJobResult, RunJobItem, RunJobOutput, RunJobBatch, JobRunEvent } from './result';

// --- Front ends: the events of a queue, typed -------------------------------------------
export { runJobEvents } from './job-events';
export type {
  RunJobEvent,
  RunJobEventsOptions,
  QueueEventsLike,
  RunJobWaitingEvent,
  RunJobActiveEvent,
  RunJobProgressEvent,
  RunJobCompletedEvent,
  RunJobFailedEvent,
  RunJobStalledEvent,
  RunJobRemovedEvent,
  RunJobUndecodedEvent,
} from './job-events';

// A BullMQ queue's events as an Observable of typed run-job events, for a front end: progress and
// results are decoded (anything may write to a queue's event stream), and a payload that does not
// decode is an `undecoded` event, never a throw.
import * as E from 'fp-ts/Either';
import type { QueueEvents } from 'bullmq';
import { Observable } from 'rxjs';
import { RunJobProgress, RunJobProgressCodec } from './progress';
import { RunJobResult, RunJobResultCodec } from './result';

/** A job was added, or is back in the queue (`prev` says from where: a failed attempt that is retried, a stalled job ...). */
export interface RunJobWaitingEvent {
  readonly type: 'waiting';
  readonly jobId: string;
  readonly prev?: string;
}
/** A worker took the job. */
export interface RunJobActiveEvent {
  readonly type: 'active';
  readonly jobId: string;
}
/** The job's typed progress. */
export interface RunJobProgressEvent {
  readonly type: 'progress';
  readonly jobId: string;
  readonly progress: RunJobProgress;
}
/** The job completed with its result. */
export interface RunJobCompletedEvent {
  readonly type: 'completed';
  readonly jobId: string;
  readonly result: RunJobResult;
}
/** The job failed for good (no attempt left, or an error that is not retried); `reason` is the error's message. */
export interface RunJobFailedEvent {
  readonly type: 'failed';
  readonly jobId: string;
  readonly reason: string;
}
/** The job's worker stopped (crashed, or blocked past its lock): the job goes back to the queue, and its next worker follows the same batch. */
export interface RunJobStalledEvent {
  readonly type: 'stalled';
  readonly jobId: string;
}
/** The job was removed from the queue. */
export interface RunJobRemovedEvent {
  readonly type: 'removed';
  readonly jobId: string;
}
/** A progress or result that is not a run job's (another kind of job on the queue, or a corrupted value). */
export interface RunJobUndecodedEvent {
  readonly type: 'undecoded';
  readonly jobId: string;
  readonly event: 'progress' | 'completed';
  readonly value: unknown;
}

/** Every event of `runJobEvents`. */
export type RunJobEvent =
  | RunJobWaitingEvent
  | RunJobActiveEvent
  | RunJobProgressEvent
  | RunJobCompletedEvent
  | RunJobFailedEvent
  | RunJobStalledEvent
  | RunJobRemovedEvent
  | RunJobUndecodedEvent;

/** Options of `runJobEvents`. */
export interface RunJobEventsOptions {
  /** Only this job's events; the stream then completes after its `completed`, `failed` or `removed` event. */
  readonly jobId?: string;
}

/** The events the function listens to; `QueueEvents` as BullMQ declares it, reduced to what is used. */
export type QueueEventsLike = Pick<QueueEvents, 'on' | 'off'>;

/**
 * The events of a run-job queue, typed. Listens while subscribed; never closes the `QueueEvents`
 * (its owner does). Events are those BullMQ publishes from the time `queueEvents` started reading
 * (its `lastEventId` option; by default, from when its first read reached Redis).
 *
 * @example
 * import { QueueEvents } from 'bullmq';
 * import { runJobEvents } from 'invokeai-rx/bullmq';
 * const events = new QueueEvents('images', { connection: { host: '127.0.0.1', port: 6379 } });
 * runJobEvents(events, { jobId: '42' }).subscribe((e) => {
 *   if (e.type === 'progress') console.log(`${Math.round(e.progress.fraction * 100)}%`);
 *   if (e.type === 'completed') console.log(e.result.items.flatMap((i) => i.outputs.flatMap((o) => o.images)));
 * });
 */
export const runJobEvents = (queueEvents: QueueEventsLike, options: RunJobEventsOptions = {}): Observable<RunJobEvent> =>
  new Observable<RunJobEvent>((subscriber) => {
    const only = options.jobId;
    /** `last`: the job's end (completed, even with a result that does not decode; failed; removed). */
    const emit = (event: RunJobEvent, last = false): void => {
      if (only !== undefined && event.jobId !== only) return;
      subscriber.next(event);
      if (only !== undefined && last) subscriber.complete();
    };
    const listeners = {
      waiting: ({ jobId, prev }: { jobId: string; prev?: string }) => emit({ type: 'waiting', jobId, ...(prev !== undefined ? { prev } : {}) }),
      active: ({ jobId }: { jobId: string }) => emit({ type: 'active', jobId }),
      progress: ({ jobId, data }: { jobId: string; data: unknown }) => {
        const decoded = RunJobProgressCodec.decode(data);
        emit(E.isRight(decoded) ? { type: 'progress', jobId, progress: decoded.right } : { type: 'undecoded', jobId, event: 'progress', value: data });
      },
      completed: ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
        const decoded = RunJobResultCodec.decode(returnvalue);
        emit(E.isRight(decoded) ? { type: 'completed', jobId, result: decoded.right } : { type: 'undecoded', jobId, event: 'completed', value: returnvalue }, true);
      },
      failed: ({ jobId, failedReason }: { jobId: string; failedReason: string }) => emit({ type: 'failed', jobId, reason: String(failedReason) }, true),
      stalled: ({ jobId }: { jobId: string }) => emit({ type: 'stalled', jobId }),
      removed: ({ jobId }: { jobId: string }) => emit({ type: 'removed', jobId }, true),
    };
    const names = Object.keys(listeners) as Array<keyof typeof listeners>;
    // QueueEvents types each listener by event name; these are those shapes, as the names map them.
    const on = queueEvents.on.bind(queueEvents) as (event: string, listener: (...args: never[]) => void) => unknown;
    const off = queueEvents.off.bind(queueEvents) as (event: string, listener: (...args: never[]) => void) => unknown;
    for (const name of names) on(name, listeners[name]);
    return () => {
      for (const name of names) off(name, listeners[name]);
    };
  });

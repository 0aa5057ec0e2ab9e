// The typed progress a run worker reports through `job.updateProgress`: counts of the run's items,
// the node that reported last, and a fraction for a progress bar. Pure: built from the run's events,
// decoded from what Redis gives back.
import * as t from 'io-ts';
import type { PoolServerRef } from '../index';
import type { JobRunEvent } from './result';

/** The node that reported last. */
export interface RunJobNode {
  readonly itemId: number;
  readonly nodeId: string;
  /** 0..1, or `null` when the node does not say. */
  readonly percentage: number | null;
  /** Its server, when the job runs on a pool. */
  readonly server?: PoolServerRef;
}

/** `job.progress` of a run job. */
export interface RunJobProgress {
  /** The batches enqueued so far (none while the run waits for the socket or for a server of a pool). */
  readonly batchIds: readonly string[];
  /** Items of the run (0 until enqueued). */
  readonly items: number;
  readonly completed: number;
  readonly failed: number;
  readonly canceled: number;
  readonly current: RunJobNode | null;
  /**
   * How much of the run is done, 0..1: ended items, plus the share of the node that reported last.
   * It never goes back, but when a pool runs the items of a lost server again.
   */
  readonly fraction: number;
}

export const initialProgress: RunJobProgress = { batchIds: [], items: 0, completed: 0, failed: 0, canceled: 0, current: null, fraction: 0 };

const ServerRef = t.readonly(t.type({ index: t.number, url: t.string }));
const Node = t.intersection([t.type({ itemId: t.number, nodeId: t.string, percentage: t.union([t.number, t.null]) }), t.partial({ server: ServerRef })]);

/** The codec of `RunJobProgress`, for what comes back from Redis. */
export const RunJobProgressCodec: t.Type<RunJobProgress, unknown> = t.readonly(
  t.type({
    batchIds: t.readonlyArray(t.string),
    items: t.number,
    completed: t.number,
    failed: t.number,
    canceled: t.number,
    current: t.union([Node, t.null]),
    fraction: t.number,
  }),
) as unknown as t.Type<RunJobProgress, unknown>;

const serverOf = (event: JobRunEvent): PoolServerRef | undefined => ('server' in event ? event.server : undefined);

const fractionOf = (p: Omit<RunJobProgress, 'fraction'>): number => {
  if (p.items === 0) return 0;
  const ended = p.completed + p.failed + p.canceled;
  const running = p.current !== null && ended < p.items ? (p.current.percentage ?? 0) : 0;
  return Math.min(1, Math.max(0, (ended + running) / p.items));
};

/**
 * The progress after one run event, or the same object when the event changes nothing a user sees
 * (so that an update is sent only for a change). O(1) per event.
 */
export const nextProgress = (progress: RunJobProgress, event: JobRunEvent): RunJobProgress => {
  const server = serverOf(event);
  let next: Omit<RunJobProgress, 'fraction'>;
  // A node that starts has done nothing yet, and another item's node may report after a further one:
  // the bar does not move back for that.
  let floor = progress.fraction;
  switch (event.type) {
    case 'enqueued': {
      const retryOf = 'retryOf' in event ? event.retryOf : undefined;
      // The items a retry runs again were counted as failed with their lost server: they count once, as the retry ends.
      const rerun = retryOf?.itemIds.length ?? 0;
      if (rerun > 0) floor = 0;
      next = {
        ...progress,
        batchIds: [...progress.batchIds, event.batchId],
        items: progress.items + event.itemIds.length - rerun,
        failed: Math.max(0, progress.failed - rerun),
      };
      break;
    }
    case 'node_started':
      next = { ...progress, current: { itemId: event.itemId, nodeId: event.nodeId, percentage: null, ...(server !== undefined ? { server } : {}) } };
      break;
    case 'node_progress':
      next = { ...progress, current: { itemId: event.itemId, nodeId: event.nodeId, percentage: event.percentage, ...(server !== undefined ? { server } : {}) } };
      break;
    case 'completed':
      next = { ...progress, completed: progress.completed + 1, current: null };
      break;
    case 'failed':
      next = { ...progress, failed: progress.failed + 1, current: null };
      break;
    case 'canceled':
      next = { ...progress, canceled: progress.canceled + 1, current: null };
      break;
    default:
      return progress;
  }
  return { ...next, fraction: Math.max(floor, fractionOf(next)) };
};

// The events of one run and the values they carry.
// One run is one enqueued batch; every event names its queue item. Item failures are events, never
// stream errors. Nothing of an item follows its terminal event (`completed`, `failed`, `canceled`).
import type { InvocationOutput, NodeFieldValue, QueueItem, QueueItemStatus } from '../protocol/dto';
import type { ProgressImage } from '../protocol/events';
import type { BatchId, ItemId, NodeId, PreparedId } from '../protocol/ids';

/** An image on the server, by name, with its size in pixels. */
export interface ImageRef {
  readonly imageName: string;
  readonly width: number;
  readonly height: number;
}

/** A video on the server, by name (from `video_output`). */
export interface VideoRef {
  readonly videoName: string;
  readonly width: number;
  readonly height: number;
  readonly numFrames?: number;
  readonly fps?: number;
  readonly duration?: number;
}

// The preview of a progress event reaches the run's events as the server sent it.
export type { ProgressImage } from '../protocol/events';

/**
 * What one output node of the workflow produced in one queue item. `images` (and `videos`) are in
 * iteration order when the node ran more than once; `values` holds the plain values of
 * `string_output` / `integer_output` / `float_output` / `boolean_output` results.
 */
export interface RunOutput {
  /** The workflow's node id (never the server's prepared copy id). */
  readonly nodeId: NodeId;
  readonly nodeType: string;
  /** The node's user label, or its template title. */
  readonly label: string;
  /** The board the images were saved to, or `null` for uncategorized. */
  readonly boardId: string | null;
  readonly images: readonly ImageRef[];
  readonly videos: readonly VideoRef[];
  readonly values: readonly (string | number | boolean)[];
}

/** The error of a failed item, as the server reports it. */
export interface RunItemError {
  /** The exception class, e.g. `MissingInputException`. */
  readonly type: string;
  readonly message: string;
  readonly traceback: string;
}

/** The batch was accepted: `itemIds` ascending; `enqueued < requested` when the queue was full. */
export interface EnqueuedEvent {
  readonly type: 'enqueued';
  readonly batchId: BatchId;
  readonly itemIds: readonly ItemId[];
  readonly requested: number;
  readonly enqueued: number;
  /**
   * The batch was on the server already and the run follows it (`client.attach`, or a `key` whose
   * batch exists): nothing was enqueued, and items that had ended end at once.
   */
  readonly attached?: boolean;
}

/** An item changed status (each change once, in `status_sequence` order). */
export interface StatusEvent {
  readonly type: 'status';
  readonly itemId: ItemId;
  readonly status: QueueItemStatus;
}

/** A node of the workflow started (once per prepared copy). */
export interface NodeStartedEvent {
  readonly type: 'node_started';
  readonly itemId: ItemId;
  readonly nodeId: NodeId;
  readonly preparedId: PreparedId;
  readonly nodeType: string;
}

/** A node reported progress: `percentage` in 0..1, or `null` when indeterminate. */
export interface NodeProgressEvent {
  readonly type: 'node_progress';
  readonly itemId: ItemId;
  readonly nodeId: NodeId;
  readonly percentage: number | null;
  readonly message: string;
  readonly image: ProgressImage | null;
  /** The prepared copy the progress is about (several per node when iterating). */
  readonly preparedId: PreparedId;
}

/** A node finished (once per prepared copy) with its raw output. */
export interface NodeCompletedEvent {
  readonly type: 'node_completed';
  readonly itemId: ItemId;
  readonly nodeId: NodeId;
  readonly preparedId: PreparedId;
  readonly nodeType: string;
  readonly result: InvocationOutput;
}

/** An output node finished: what it produced in this prepared copy, as soon as it is known. */
export interface OutputEvent {
  readonly type: 'output';
  readonly itemId: ItemId;
  readonly output: RunOutput;
}

/** Terminal: the item completed; `outputs` are the authoritative ones read from the server. */
export interface CompletedEvent {
  readonly type: 'completed';
  readonly itemId: ItemId;
  readonly outputs: readonly RunOutput[];
  readonly queueItem: QueueItem;
}

/** Terminal: the item failed; `nodeId` names the failing workflow node when the server says which. */
export interface FailedEvent {
  readonly type: 'failed';
  readonly itemId: ItemId;
  readonly error: RunItemError;
  readonly nodeId?: NodeId;
}

/** Terminal: the item was canceled (by us, by someone else, or deleted / cleared: see `reason`). */
export interface CanceledEvent {
  readonly type: 'canceled';
  readonly itemId: ItemId;
  /** Why, when it was not a plain cancel, e.g. `deleted` or `queue_cleared`. */
  readonly reason?: string;
}

/** Every event of a run stream. */
export type RunEvent =
  | EnqueuedEvent
  | StatusEvent
  | NodeStartedEvent
  | NodeProgressEvent
  | NodeCompletedEvent
  | OutputEvent
  | CompletedEvent
  | FailedEvent
  | CanceledEvent;

/** The discriminator values of `RunEvent`. */
export type RunEventType = RunEvent['type'];

/** The member of `RunEvent` with the given `type`. */
export type RunEventOf<K extends RunEventType> = Extract<RunEvent, { readonly type: K }>;

/** A terminal event: nothing of its item follows it. */
export type TerminalRunEvent = CompletedEvent | FailedEvent | CanceledEvent;

/** An event about one queue item (every event but `enqueued`). */
export type ItemRunEvent = Exclude<RunEvent, EnqueuedEvent>;

/** A type guard for one kind of run event. */
export const isRunEventOf =
  <K extends RunEventType>(type: K) =>
  (event: RunEvent): event is RunEventOf<K> =>
    event.type === type;

/** True for `completed`, `failed` and `canceled`: the last event of its item. */
export const isTerminalRunEvent = (event: RunEvent): event is TerminalRunEvent =>
  event.type === 'completed' || event.type === 'failed' || event.type === 'canceled';

/** True for every event that names an item (all but `enqueued`). */
export const isItemRunEvent = (event: RunEvent): event is ItemRunEvent => event.type !== 'enqueued';

/** How one item of a run ended (an element of `RunResult.items`). */
export interface RunItemResult {
  readonly itemId: ItemId;
  readonly status: 'completed' | 'failed' | 'canceled';
  readonly outputs: readonly RunOutput[];
  readonly error?: RunItemError;
  /** The workflow node of the failure, when known. */
  readonly failedNodeId?: NodeId;
  /** The values the batch substituted into this item (sweeps, batch nodes); `[]` otherwise. */
  readonly fieldValues: readonly NodeFieldValue[];
  /** The last queue item read from the server; `null` when none could be read (e.g. deleted). */
  readonly queueItem: QueueItem | null;
}

/** What `client.submit` resolves to: every item of the batch, ascending item id. */
export interface RunResult {
  readonly batchId: BatchId;
  readonly items: readonly RunItemResult[];
}

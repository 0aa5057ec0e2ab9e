// The facts a run is made of, and how what the server says becomes them: the decoded socket
// events, the enqueue answer and REST reads all become `RunFact`s for the run store. Pure.
import type { EnqueueBatchResult, InvocationOutput, QueueItem, QueueItemStatus } from '../protocol/dto';
import type { ServerEvent } from '../protocol/events';
import type { BatchId, ItemId, NodeId, PreparedId } from '../protocol/ids';
import type { ProgressImage, RunItemError } from './events';

/** The fields every fact about one node of one item carries. */
interface NodeFactBase {
  readonly itemId: ItemId;
  readonly batchId: BatchId;
  /** The server's prepared copy id (`invocation.id`). */
  readonly preparedId: PreparedId;
  /** The workflow node id (`invocation_source_id`). */
  readonly sourceNodeId: NodeId;
  readonly nodeType: string;
}

/**
 * One normalized input of a run. The socket and REST both produce these; the run does not care
 * which source a fact came from, except through `status_sequence`.
 */
export type RunFact =
  /** The enqueue answer (`EnqueueBatchResult`), or its equivalent recovered from the server. */
  | {
      readonly kind: 'enqueued';
      readonly batchId: BatchId;
      readonly itemIds: readonly ItemId[];
      readonly requested: number;
      readonly enqueued: number;
      /** The batch was on the server already (found by its id): this run enqueued nothing. */
      readonly attached?: boolean;
    }
  /** A status of one item: `queue_item_status_changed`, or a summary read from REST. */
  | {
      readonly kind: 'status';
      readonly itemId: ItemId;
      readonly batchId: BatchId;
      readonly status: QueueItemStatus;
      /** `status_sequence`; `null` when the server does not send it. */
      readonly sequence: number | null;
      /** `error_type` / `error_message` / `error_traceback` when the status is `failed`. */
      readonly error?: RunItemError | null;
      readonly source: 'socket' | 'rest';
    }
  /** `invocation_started`. */
  | (NodeFactBase & { readonly kind: 'node_started' })
  /** `invocation_progress`. */
  | (NodeFactBase & {
      readonly kind: 'node_progress';
      readonly percentage: number | null;
      readonly message: string;
      readonly image: ProgressImage | null;
    })
  /** `invocation_complete`; `invocation` is the event's prepared node (it holds the node's `board`). */
  | (NodeFactBase & {
      readonly kind: 'node_completed';
      readonly result: InvocationOutput;
      readonly invocation?: Readonly<Record<string, unknown>>;
    })
  /** `invocation_error`. */
  | (NodeFactBase & { readonly kind: 'node_error'; readonly error: RunItemError })
  /** An authoritative read of one item (`GET .../i/{id}` or `items_by_ids`), terminal or not. */
  | { readonly kind: 'snapshot'; readonly item: QueueItem }
  /** The item is no longer on the server (404): deleted or cleared by someone else. */
  | { readonly kind: 'item_gone'; readonly itemId: ItemId; readonly reason: string }
  /**
   * `queue_cleared`: every item the queue had when it was cleared was canceled and deleted. Whether
   * that was before or after our enqueue is unknown, so it only asks for a read of the open items.
   */
  | { readonly kind: 'queue_cleared' }
  /** `queue_items_canceled`: a bulk cancel, after which the server sends no per-item status. */
  | { readonly kind: 'items_canceled'; readonly itemIds: readonly ItemId[] };

/** A fact about one node of one item. */
export type NodeFact = Extract<RunFact, { kind: 'node_started' | 'node_progress' | 'node_completed' | 'node_error' }>;

/**
 * Whether a fact can change which items need a read (a terminal status waiting for its snapshot,
 * an item in doubt): a node that starts, makes progress or completes touches neither.
 */
export const mayChangeReads = (fact: RunFact): boolean =>
  fact.kind !== 'node_started' && fact.kind !== 'node_progress' && fact.kind !== 'node_completed';

/**
 * The run fact of one decoded socket event, or `null` for events that say nothing about queue
 * items (models, downloads, workflows ...) or that belong to another queue than `queueId`.
 *
 * @example
 * import { map } from 'rxjs';
 * client.events$.pipe(map((event) => factOfServerEvent(event, 'default'))).subscribe((fact) => console.log(fact?.kind));
 * @internal
 */
export const factOfServerEvent = (event: ServerEvent, queueId: string): RunFact | null => {
  switch (event.type) {
    case 'queue_item_status_changed': {
      if (event.queue_id !== queueId) return null;
      const hasError = event.error_type != null || event.error_message != null;
      return {
        kind: 'status',
        itemId: event.item_id,
        batchId: event.batch_id,
        status: event.status,
        sequence: event.status_sequence ?? null,
        error: hasError
          ? { type: event.error_type ?? 'Error', message: event.error_message ?? '', traceback: event.error_traceback ?? '' }
          : null,
        source: 'socket',
      };
    }
    case 'invocation_started':
    case 'invocation_progress':
    case 'invocation_complete':
    case 'invocation_error': {
      if (event.queue_id !== queueId) return null;
      const base = {
        itemId: event.item_id,
        batchId: event.batch_id,
        preparedId: event.invocation.id,
        sourceNodeId: event.invocation_source_id,
        nodeType: event.invocation.type,
      };
      switch (event.type) {
        case 'invocation_started':
          return { kind: 'node_started', ...base };
        case 'invocation_progress':
          return { kind: 'node_progress', ...base, percentage: event.percentage, message: event.message, image: event.image };
        case 'invocation_complete':
          return { kind: 'node_completed', ...base, result: event.result, invocation: event.invocation };
        case 'invocation_error':
          return {
            kind: 'node_error',
            ...base,
            error: { type: event.error_type, message: event.error_message, traceback: event.error_traceback },
          };
      }
      return null;
    }
    case 'queue_cleared':
      return event.queue_id === queueId ? { kind: 'queue_cleared' } : null;
    case 'queue_items_canceled':
      return event.queue_id === queueId ? { kind: 'items_canceled', itemIds: event.canceled_item_ids } : null;
    default:
      return null;
  }
};

/** The `enqueued` fact of the answer to `enqueue_batch`. */
export const factOfEnqueueResult = (result: EnqueueBatchResult): RunFact => ({
  kind: 'enqueued',
  batchId: result.batch.batch_id,
  itemIds: result.item_ids,
  requested: result.requested,
  enqueued: result.enqueued,
});

/** The `snapshot` fact of a queue item read from REST. */
export const factOfQueueItem = (item: QueueItem): RunFact => ({ kind: 'snapshot', item });

// Normalizing what the server says into run facts: the decoded socket events, the enqueue answer
// and REST reads all become `RunFact`s for `reduceRun`. Pure; the pipeline calls these.
import type { EnqueueBatchResult, QueueItem } from '../protocol/dto';
import type { ServerEvent } from '../protocol/events';
import type { RunFact } from './state';

/**
 * The run fact of one decoded socket event, or `null` for events that say nothing about queue
 * items (models, downloads, workflows ...) or that belong to another queue than `queueId`.
 *
 * @example
 * client.events$.pipe(map((event) => factOfServerEvent(event, 'default')), filter(isNotNull))
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

// The session queue's REST endpoints, each declared once as a request description: `queue(client)`
// and the run pipeline both build their requests here, so a path, a body shape or the id limit is
// written in one place. Pure: nothing here sends anything.
import * as t from 'io-ts';
import {
  BatchStatus,
  EnqueueBatchResult,
  NodeFieldValue,
  QueueAndProcessorStatus,
  QueueItem,
  QueueItemStatus,
  SessionProcessorStatus,
  nullable,
  statusCounts,
} from '../protocol/dto';
import { BatchId, ItemId } from '../protocol/ids';
import { RequestOptions, apiPath } from './http';

/** The most ids one `items_by_ids` or `item_summaries_by_ids` request may carry (the server's limit). */
export const MAX_IDS_PER_REQUEST = 1000;

/** `PUT .../cancel_*`: how many items were canceled. */
export const CancelResult = /*#__PURE__*/ t.type({ canceled: t.number }, 'CancelResult');
/** `PUT .../delete_*`, `clear`, `prune`: how many items were deleted. */
export const DeleteResult = /*#__PURE__*/ t.type({ deleted: t.number }, 'DeleteResult');

/** `PUT .../retry_items_by_id` as InvokeAI answers it: the ids of the items it retried (not of the new items it made). */
export const RetryItemsResult = /*#__PURE__*/ t.type({ queue_id: t.string, retried_item_ids: t.array(ItemId) }, 'RetryItemsResult');
/** The ids of the items InvokeAI retried. */
export type RetryItemsResult = t.TypeOf<typeof RetryItemsResult>;

/** `GET .../item_ids`: the ids of every item of the queue, and how many there are. */
export const QueueItemIds = /*#__PURE__*/ t.type({ item_ids: t.array(ItemId), total_count: t.number }, 'ItemIdsResult');
/** The ids of every item of the queue, and how many there are. */
export type QueueItemIds = t.TypeOf<typeof QueueItemIds>;

/** A queue item without its session and workflow (`SessionQueueItemSummary`): cheap to read for many items. */
export const QueueItemSummary = /*#__PURE__*/ t.intersection(
  [
    t.type({ item_id: ItemId, status: QueueItemStatus, created_at: t.string }),
    t.partial({
      batch_id: BatchId,
      started_at: nullable(t.string),
      completed_at: nullable(t.string),
      origin: nullable(t.string),
      destination: nullable(t.string),
      device: nullable(t.string),
      user_id: t.string,
      user_display_name: nullable(t.string),
      user_email: nullable(t.string),
      field_values: nullable(t.array(NodeFieldValue)),
      parent_item_id: nullable(ItemId),
    }),
  ],
  'SessionQueueItemSummary',
);
/** A queue item without its session and workflow. */
export type QueueItemSummary = t.TypeOf<typeof QueueItemSummary>;

/** `GET .../counts_by_destination`: the item counts of one destination. `waiting` is absent on servers without workflow calls. */
export const QueueCountsByDestination = /*#__PURE__*/ t.intersection(
  [t.type({ queue_id: t.string, destination: t.string, ...statusCounts }), t.partial({ waiting: t.number })],
  'SessionQueueCountsByDestination',
);
/** The item counts of one destination. */
export type QueueCountsByDestination = t.TypeOf<typeof QueueCountsByDestination>;

/** Splits ids into the chunks one by-ids request may carry, in order. */
export const chunkIds = <Id>(ids: ReadonlyArray<Id>): ReadonlyArray<ReadonlyArray<Id>> => {
  const chunks: Id[][] = [];
  for (let start = 0; start < ids.length; start += MAX_IDS_PER_REQUEST) chunks.push(ids.slice(start, start + MAX_IDS_PER_REQUEST));
  return chunks;
};

/** The requests of one queue (`/api/v1/queue/{queueId}/...`), each as `http.request` takes it. */
export interface QueueEndpoints {
  readonly status: () => RequestOptions<QueueAndProcessorStatus>;
  /** `batch` is `buildBatch`'s value. Not idempotent: a POST that got no answer may have enqueued the batch (the server has no idempotency key). */
  readonly enqueueBatch: (batch: object, prepend: boolean) => RequestOptions<EnqueueBatchResult>;
  readonly current: () => RequestOptions<QueueItem | null>;
  readonly next: () => RequestOptions<QueueItem | null>;
  readonly item: (itemId: ItemId) => RequestOptions<QueueItem>;
  /** At most `MAX_IDS_PER_REQUEST` ids (see `chunkIds`); the answer keeps the order asked and skips unknown ids. */
  readonly itemsByIds: <A>(itemIds: ReadonlyArray<ItemId>, decode: t.Decoder<unknown, A>) => RequestOptions<A>;
  /** At most `MAX_IDS_PER_REQUEST` ids (see `chunkIds`). */
  readonly itemSummariesByIds: <A>(itemIds: ReadonlyArray<ItemId>, decode: t.Decoder<unknown, A>) => RequestOptions<A>;
  readonly listAll: <A>(destination: string | undefined, decode: t.Decoder<unknown, A>) => RequestOptions<A>;
  readonly itemIds: (order?: 'ASC' | 'DESC') => RequestOptions<QueueItemIds>;
  readonly countsByDestination: (destination: string) => RequestOptions<QueueCountsByDestination>;
  readonly batchStatus: (batchId: BatchId) => RequestOptions<BatchStatus>;
  readonly cancelItem: (itemId: ItemId) => RequestOptions<QueueItem>;
  readonly cancelBatches: (batchIds: ReadonlyArray<BatchId>) => RequestOptions<t.TypeOf<typeof CancelResult>>;
  readonly cancelDestination: (destination: string) => RequestOptions<t.TypeOf<typeof CancelResult>>;
  readonly cancelAllExceptCurrent: () => RequestOptions<t.TypeOf<typeof CancelResult>>;
  readonly deleteItem: (itemId: ItemId) => RequestOptions<unknown>;
  readonly deleteAllExceptCurrent: () => RequestOptions<t.TypeOf<typeof DeleteResult>>;
  readonly deleteDestination: (destination: string) => RequestOptions<t.TypeOf<typeof DeleteResult>>;
  readonly clear: () => RequestOptions<t.TypeOf<typeof DeleteResult>>;
  readonly prune: () => RequestOptions<t.TypeOf<typeof DeleteResult>>;
  /** Not idempotent: each call makes new items. */
  readonly retryItems: (itemIds: ReadonlyArray<ItemId>) => RequestOptions<RetryItemsResult>;
  readonly pauseProcessor: () => RequestOptions<SessionProcessorStatus>;
  readonly resumeProcessor: () => RequestOptions<SessionProcessorStatus>;
}

/**
 * The endpoints of one queue. PUT and DELETE requests that change nothing when repeated are marked
 * `idempotent`, so the transport may retry them; the POSTs are never retried by the transport.
 *
 * @example
 * import { batchIdOfKey } from 'invokeai-rx';
 * const endpoints = queueEndpoints('default');
 * const status = await client.context.http.request(endpoints.batchStatus(batchIdOfKey('order-1042', 'default')));
 * console.log(status.total);
 * @internal
 */
export const queueEndpoints = (queueId: string): QueueEndpoints => {
  const base = apiPath`/api/v1/queue/${queueId}`;
  const itemPath = (itemId: ItemId): string => `${base}${apiPath`/i/${itemId}`}`;
  return {
    status: () => ({ method: 'GET', path: `${base}/status`, decode: QueueAndProcessorStatus }),
    enqueueBatch: (batch, prepend) => ({ method: 'POST', path: `${base}/enqueue_batch`, body: { json: { batch, prepend } }, decode: EnqueueBatchResult }),
    current: () => ({ method: 'GET', path: `${base}/current`, decode: nullable(QueueItem) }),
    next: () => ({ method: 'GET', path: `${base}/next`, decode: nullable(QueueItem) }),
    item: (itemId) => ({ method: 'GET', path: itemPath(itemId), decode: QueueItem }),
    itemsByIds: (itemIds, decode) => ({ method: 'POST', path: `${base}/items_by_ids`, body: { json: { item_ids: itemIds } }, decode }),
    itemSummariesByIds: (itemIds, decode) => ({ method: 'POST', path: `${base}/item_summaries_by_ids`, body: { json: { item_ids: itemIds } }, decode }),
    listAll: (destination, decode) => ({ method: 'GET', path: `${base}/list_all`, query: { destination }, decode }),
    itemIds: (order) => ({ method: 'GET', path: `${base}/item_ids`, query: { order_dir: order }, decode: QueueItemIds }),
    countsByDestination: (destination) => ({ method: 'GET', path: `${base}/counts_by_destination`, query: { destination }, decode: QueueCountsByDestination }),
    batchStatus: (batchId) => ({ method: 'GET', path: `${base}${apiPath`/b/${batchId}/status`}`, decode: BatchStatus }),
    cancelItem: (itemId) => ({ method: 'PUT', path: `${itemPath(itemId)}/cancel`, decode: QueueItem, idempotent: true }),
    cancelBatches: (batchIds) => ({ method: 'PUT', path: `${base}/cancel_by_batch_ids`, body: { json: { batch_ids: batchIds } }, decode: CancelResult, idempotent: true }),
    cancelDestination: (destination) => ({ method: 'PUT', path: `${base}/cancel_by_destination`, query: { destination }, decode: CancelResult, idempotent: true }),
    cancelAllExceptCurrent: () => ({ method: 'PUT', path: `${base}/cancel_all_except_current`, decode: CancelResult, idempotent: true }),
    deleteItem: (itemId) => ({ method: 'DELETE', path: itemPath(itemId), decode: t.unknown, idempotent: true }),
    deleteAllExceptCurrent: () => ({ method: 'PUT', path: `${base}/delete_all_except_current`, decode: DeleteResult, idempotent: true }),
    deleteDestination: (destination) => ({ method: 'DELETE', path: `${base}${apiPath`/d/${destination}`}`, decode: DeleteResult, idempotent: true }),
    clear: () => ({ method: 'PUT', path: `${base}/clear`, decode: DeleteResult, idempotent: true }),
    prune: () => ({ method: 'PUT', path: `${base}/prune`, decode: DeleteResult, idempotent: true }),
    // A bare array, unlike the other id lists.
    retryItems: (itemIds) => ({ method: 'PUT', path: `${base}/retry_items_by_id`, body: { json: itemIds }, decode: RetryItemsResult }),
    pauseProcessor: () => ({ method: 'PUT', path: `${base}/processor/pause`, decode: SessionProcessorStatus, idempotent: true }),
    resumeProcessor: () => ({ method: 'PUT', path: `${base}/processor/resume`, decode: SessionProcessorStatus, idempotent: true }),
  };
};

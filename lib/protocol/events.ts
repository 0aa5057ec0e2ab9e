// io-ts codecs of every server → client socket event of InvokeAI (docs/server-contract.md, Socket
// events) and the `ServerEvent` union the client streams. Pure: decoding never throws.
import * as t from 'io-ts';
import {
  BatchStatus,
  InvocationOutput,
  JsonObject,
  QueueItemStatus,
  SessionQueueStatus,
  nullable,
} from './dto';
import { BatchId, ItemId, NodeId, PreparedId } from './ids';

const timestamp = { timestamp: t.number };

/** Fields every queue event carries. */
export const QueueEventBase = /*#__PURE__*/ t.type({ ...timestamp, queue_id: t.string }, 'QueueEventBase');

/** Fields every queue-item event carries. `user_id` is absent on single-user servers older than multi-user mode. */
export const QueueItemEventBase = /*#__PURE__*/ t.intersection(
  [
    t.type({
      ...timestamp,
      queue_id: t.string,
      item_id: ItemId,
      batch_id: BatchId,
      origin: nullable(t.string),
      destination: nullable(t.string),
    }),
    t.partial({ user_id: t.string }),
  ],
  'QueueItemEventBase',
);

/** The node an invocation event is about, as the server prepared it: `{id, type, ...fields}`, `id` its prepared id. */
export const PreparedInvocation = /*#__PURE__*/ t.intersection([t.type({ id: PreparedId, type: t.string }), JsonObject], 'PreparedInvocation');
/** The node an invocation event is about, as the server prepared it. */
export type PreparedInvocation = t.TypeOf<typeof PreparedInvocation>;

/** Fields every invocation event carries: `invocation.id` is the prepared id, `invocation_source_id` the workflow node id. */
export const InvocationEventBase = /*#__PURE__*/ t.intersection(
  [QueueItemEventBase, t.type({ session_id: t.string, invocation: PreparedInvocation, invocation_source_id: NodeId })],
  'InvocationEventBase',
);

/** `invocation_started`. */
export const InvocationStartedPayload = InvocationEventBase;
/** `invocation_started`. */
export type InvocationStartedPayload = t.TypeOf<typeof InvocationStartedPayload>;

/** The preview image of an `invocation_progress` event: its display size and a base64 `data:` URL. */
export const ProgressImage = /*#__PURE__*/ t.readonly(t.type({ width: t.number, height: t.number, dataURL: t.string }), 'ProgressImage');
/** A progress preview. */
export type ProgressImage = t.TypeOf<typeof ProgressImage>;

/** `invocation_progress`: `percentage` is 0..1 or null (indeterminate). */
export const InvocationProgressPayload = /*#__PURE__*/ t.intersection(
  [
    InvocationEventBase,
    t.type({ message: t.string, percentage: nullable(t.number), image: nullable(ProgressImage) }),
    t.partial({ device: nullable(t.string) }),
  ],
  'InvocationProgressPayload',
);
/** `invocation_progress`. */
export type InvocationProgressPayload = t.TypeOf<typeof InvocationProgressPayload>;

/** `invocation_complete`: `result` is the node's output. */
export const InvocationCompletePayload = /*#__PURE__*/ t.intersection(
  [InvocationEventBase, t.type({ result: InvocationOutput })],
  'InvocationCompletePayload',
);
/** `invocation_complete`. */
export type InvocationCompletePayload = t.TypeOf<typeof InvocationCompletePayload>;

/** `invocation_error` (arrives after the item's `failed` status event). */
export const InvocationErrorPayload = /*#__PURE__*/ t.intersection(
  [InvocationEventBase, t.type({ error_type: t.string, error_message: t.string, error_traceback: t.string })],
  'InvocationErrorPayload',
);
/** `invocation_error`. */
export type InvocationErrorPayload = t.TypeOf<typeof InvocationErrorPayload>;

/** `queue_item_status_changed`: order by `status_sequence` where present. */
export const QueueItemStatusChangedPayload = /*#__PURE__*/ t.intersection(
  [
    QueueItemEventBase,
    t.type({
      status: QueueItemStatus,
      error_type: nullable(t.string),
      error_message: nullable(t.string),
      error_traceback: nullable(t.string),
      created_at: t.string,
      updated_at: t.string,
      started_at: nullable(t.string),
      completed_at: nullable(t.string),
      batch_status: BatchStatus,
      queue_status: SessionQueueStatus,
      session_id: t.string,
    }),
    t.partial({ status_sequence: nullable(t.number) }),
  ],
  'QueueItemStatusChangedPayload',
);
/** `queue_item_status_changed`. */
export type QueueItemStatusChangedPayload = t.TypeOf<typeof QueueItemStatusChangedPayload>;

/** `batch_enqueued` (no destination, no item ids). */
export const BatchEnqueuedPayload = /*#__PURE__*/ t.intersection(
  [
    t.type({
      ...timestamp,
      queue_id: t.string,
      batch_id: BatchId,
      enqueued: t.number,
      requested: t.number,
      priority: t.number,
      origin: nullable(t.string),
    }),
    t.partial({ user_id: t.string }),
  ],
  'BatchEnqueuedPayload',
);
/** `batch_enqueued`. */
export type BatchEnqueuedPayload = t.TypeOf<typeof BatchEnqueuedPayload>;

/** `queue_cleared`; `user_id` null for an admin or single-user clear. */
export const QueueClearedPayload = /*#__PURE__*/ t.intersection(
  [QueueEventBase, t.partial({ user_id: nullable(t.string) })],
  'QueueClearedPayload',
);
/** `queue_cleared`. */
export type QueueClearedPayload = t.TypeOf<typeof QueueClearedPayload>;

const idsByUser = /*#__PURE__*/ t.record(t.string, t.array(ItemId));

/** `queue_items_retried`. */
export const QueueItemsRetriedPayload = /*#__PURE__*/ t.intersection(
  [
    QueueEventBase,
    t.type({ retried_item_ids: t.array(ItemId) }),
    t.partial({ user_ids: t.array(t.string), retried_item_ids_by_user: idsByUser }),
  ],
  'QueueItemsRetriedPayload',
);
/** `queue_items_retried`. */
export type QueueItemsRetriedPayload = t.TypeOf<typeof QueueItemsRetriedPayload>;

/** `queue_items_canceled` (bulk cancel/delete: no per-item status events follow). */
export const QueueItemsCanceledPayload = /*#__PURE__*/ t.intersection(
  [
    QueueEventBase,
    t.type({ canceled_item_ids: t.array(ItemId) }),
    t.partial({ user_ids: t.array(t.string), canceled_item_ids_by_user: idsByUser }),
  ],
  'QueueItemsCanceledPayload',
);
/** `queue_items_canceled`. */
export type QueueItemsCanceledPayload = t.TypeOf<typeof QueueItemsCanceledPayload>;

/** `recall_parameters_updated`. */
export const RecallParametersUpdatedPayload = /*#__PURE__*/ t.intersection(
  [QueueEventBase, t.type({ parameters: JsonObject }), t.partial({ user_id: t.string })],
  'RecallParametersUpdatedPayload',
);
/** `recall_parameters_updated`. */
export type RecallParametersUpdatedPayload = t.TypeOf<typeof RecallParametersUpdatedPayload>;

/** `model_load_started` / `model_load_complete`; `config` is the model's config (loose). */
export const ModelLoadPayload = /*#__PURE__*/ t.intersection(
  [t.type({ ...timestamp, config: JsonObject }), t.partial({ submodel_type: nullable(t.string), user_id: t.string })],
  'ModelLoadPayload',
);
/** `model_load_started` / `model_load_complete`. */
export type ModelLoadPayload = t.TypeOf<typeof ModelLoadPayload>;

/** `download_started`. */
export const DownloadStartedPayload = /*#__PURE__*/ t.type({ ...timestamp, source: t.string, download_path: t.string }, 'DownloadStartedPayload');
/** `download_started`. */
export type DownloadStartedPayload = t.TypeOf<typeof DownloadStartedPayload>;

/** `download_progress`. */
export const DownloadProgressPayload = /*#__PURE__*/ t.type(
  { ...timestamp, source: t.string, download_path: t.string, current_bytes: t.number, total_bytes: t.number },
  'DownloadProgressPayload',
);
/** `download_progress`. */
export type DownloadProgressPayload = t.TypeOf<typeof DownloadProgressPayload>;

/** `download_complete`. */
export const DownloadCompletePayload = /*#__PURE__*/ t.type(
  { ...timestamp, source: t.string, download_path: t.string, total_bytes: t.number },
  'DownloadCompletePayload',
);
/** `download_complete`. */
export type DownloadCompletePayload = t.TypeOf<typeof DownloadCompletePayload>;

/** `download_cancelled`. */
export const DownloadCancelledPayload = /*#__PURE__*/ t.type({ ...timestamp, source: t.string }, 'DownloadCancelledPayload');
/** `download_cancelled`. */
export type DownloadCancelledPayload = t.TypeOf<typeof DownloadCancelledPayload>;

/** `download_error`. */
export const DownloadErrorPayload = /*#__PURE__*/ t.type(
  { ...timestamp, source: t.string, error_type: t.string, error: t.string },
  'DownloadErrorPayload',
);
/** `download_error`. */
export type DownloadErrorPayload = t.TypeOf<typeof DownloadErrorPayload>;

// `source` is a ModelSource object on current servers and a string on old ones: kept loose.
const modelInstallBase = { ...timestamp, id: t.number, source: t.unknown };

/** `model_install_started`, `model_install_downloads_complete`, `model_install_cancelled`. */
export const ModelInstallPayload = /*#__PURE__*/ t.type(modelInstallBase, 'ModelInstallPayload');
/** `model_install_started`, `model_install_downloads_complete`, `model_install_cancelled`. */
export type ModelInstallPayload = t.TypeOf<typeof ModelInstallPayload>;

/** `model_install_download_progress`. */
export const ModelInstallDownloadProgressPayload = /*#__PURE__*/ t.intersection(
  [
    t.type({ ...modelInstallBase, bytes: t.number, total_bytes: t.number }),
    t.partial({ local_path: t.string, parts: t.array(JsonObject) }),
  ],
  'ModelInstallDownloadProgressPayload',
);
/** `model_install_download_progress`. */
export type ModelInstallDownloadProgressPayload = t.TypeOf<typeof ModelInstallDownloadProgressPayload>;

/** `model_install_complete`. */
export const ModelInstallCompletePayload = /*#__PURE__*/ t.intersection(
  [t.type({ ...modelInstallBase, key: t.string }), t.partial({ total_bytes: nullable(t.number), config: JsonObject })],
  'ModelInstallCompletePayload',
);
/** `model_install_complete`. */
export type ModelInstallCompletePayload = t.TypeOf<typeof ModelInstallCompletePayload>;

/** `model_install_error`. */
export const ModelInstallErrorPayload = /*#__PURE__*/ t.type(
  { ...modelInstallBase, error_type: t.string, error: t.string },
  'ModelInstallErrorPayload',
);
/** `model_install_error`. */
export type ModelInstallErrorPayload = t.TypeOf<typeof ModelInstallErrorPayload>;

const bulkDownloadBase = {
  ...timestamp,
  bulk_download_id: t.string,
  bulk_download_item_id: t.string,
  bulk_download_item_name: t.string,
};

/** `bulk_download_started` / `bulk_download_complete`. */
export const BulkDownloadPayload = /*#__PURE__*/ t.intersection(
  [t.type(bulkDownloadBase), t.partial({ user_id: t.string })],
  'BulkDownloadPayload',
);
/** `bulk_download_started` / `bulk_download_complete`. */
export type BulkDownloadPayload = t.TypeOf<typeof BulkDownloadPayload>;

/** `bulk_download_error`. */
export const BulkDownloadErrorPayload = /*#__PURE__*/ t.intersection(
  [t.type({ ...bulkDownloadBase, error: t.string }), t.partial({ user_id: t.string })],
  'BulkDownloadErrorPayload',
);
/** `bulk_download_error`. */
export type BulkDownloadErrorPayload = t.TypeOf<typeof BulkDownloadErrorPayload>;

/** `workflow_created` / `workflow_deleted`. */
export const WorkflowChangedPayload = /*#__PURE__*/ t.intersection(
  [t.type({ ...timestamp, workflow_id: t.string }), t.partial({ user_id: t.string, is_public: t.boolean })],
  'WorkflowChangedPayload',
);
/** `workflow_created` / `workflow_deleted`. */
export type WorkflowChangedPayload = t.TypeOf<typeof WorkflowChangedPayload>;

/** `workflow_updated`. */
export const WorkflowUpdatedPayload = /*#__PURE__*/ t.intersection(
  [
    t.type({ ...timestamp, workflow_id: t.string }),
    t.partial({ user_id: t.string, old_is_public: t.boolean, new_is_public: t.boolean }),
  ],
  'WorkflowUpdatedPayload',
);
/** `workflow_updated`. */
export type WorkflowUpdatedPayload = t.TypeOf<typeof WorkflowUpdatedPayload>;

/** `workflow_access_revoked`. */
export const WorkflowAccessRevokedPayload = /*#__PURE__*/ t.intersection(
  [t.type({ ...timestamp, workflow_id: t.string }), t.partial({ user_id: t.string })],
  'WorkflowAccessRevokedPayload',
);
/** `workflow_access_revoked`. */
export type WorkflowAccessRevokedPayload = t.TypeOf<typeof WorkflowAccessRevokedPayload>;

/** `llm_task_progress`. */
export const LlmTaskProgressPayload = /*#__PURE__*/ t.intersection(
  [
    t.type({ ...timestamp, task_id: t.string, phase: t.string, message: t.string }),
    t.partial({
      user_id: t.string,
      percentage: nullable(t.number),
      current_tokens: nullable(t.number),
      total_tokens: nullable(t.number),
    }),
  ],
  'LlmTaskProgressPayload',
);
/** `llm_task_progress`. */
export type LlmTaskProgressPayload = t.TypeOf<typeof LlmTaskProgressPayload>;

/** `llm_task_complete`. */
export const LlmTaskCompletePayload = /*#__PURE__*/ t.intersection(
  [t.type({ ...timestamp, task_id: t.string }), t.partial({ user_id: t.string })],
  'LlmTaskCompletePayload',
);
/** `llm_task_complete`. */
export type LlmTaskCompletePayload = t.TypeOf<typeof LlmTaskCompletePayload>;

/** `llm_task_error`. */
export const LlmTaskErrorPayload = /*#__PURE__*/ t.intersection(
  [t.type({ ...timestamp, task_id: t.string, error: t.string }), t.partial({ user_id: t.string })],
  'LlmTaskErrorPayload',
);
/** `llm_task_error`. */
export type LlmTaskErrorPayload = t.TypeOf<typeof LlmTaskErrorPayload>;

/** The payload codec of every event name the server sends. */
export const serverEventCodecs = {
  invocation_started: InvocationStartedPayload,
  invocation_progress: InvocationProgressPayload,
  invocation_complete: InvocationCompletePayload,
  invocation_error: InvocationErrorPayload,
  queue_item_status_changed: QueueItemStatusChangedPayload,
  batch_enqueued: BatchEnqueuedPayload,
  queue_cleared: QueueClearedPayload,
  queue_items_retried: QueueItemsRetriedPayload,
  queue_items_canceled: QueueItemsCanceledPayload,
  recall_parameters_updated: RecallParametersUpdatedPayload,
  model_load_started: ModelLoadPayload,
  model_load_complete: ModelLoadPayload,
  download_started: DownloadStartedPayload,
  download_progress: DownloadProgressPayload,
  download_complete: DownloadCompletePayload,
  download_cancelled: DownloadCancelledPayload,
  download_error: DownloadErrorPayload,
  model_install_started: ModelInstallPayload,
  model_install_download_progress: ModelInstallDownloadProgressPayload,
  model_install_downloads_complete: ModelInstallPayload,
  model_install_complete: ModelInstallCompletePayload,
  model_install_cancelled: ModelInstallPayload,
  model_install_error: ModelInstallErrorPayload,
  bulk_download_started: BulkDownloadPayload,
  bulk_download_complete: BulkDownloadPayload,
  bulk_download_error: BulkDownloadErrorPayload,
  workflow_created: WorkflowChangedPayload,
  workflow_updated: WorkflowUpdatedPayload,
  workflow_deleted: WorkflowChangedPayload,
  workflow_access_revoked: WorkflowAccessRevokedPayload,
  llm_task_progress: LlmTaskProgressPayload,
  llm_task_complete: LlmTaskCompletePayload,
  llm_task_error: LlmTaskErrorPayload,
} as const;

type ServerEventCodecs = typeof serverEventCodecs;

/** The name of an event the client knows how to decode. */
export type KnownServerEventName = keyof ServerEventCodecs;

/** A decoded event of a known name: `{ type: <event name>, ...payload }`. */
export type KnownServerEvent = {
  [K in KnownServerEventName]: t.TypeOf<ServerEventCodecs[K]> & { readonly type: K };
}[KnownServerEventName];

/** An event whose name this client does not know (a newer server); passed through untouched. */
export interface UnknownServerEvent {
  readonly type: 'unknown';
  readonly name: string;
  readonly payload: unknown;
}

/** Every server event the client streams, discriminated by `type` (the socket event name). */
export type ServerEvent = KnownServerEvent | UnknownServerEvent;

/** The server event of one name, e.g. `ServerEventOf<'invocation_complete'>`. */
export type ServerEventOf<K extends ServerEvent['type']> = Extract<ServerEvent, { type: K }>;

/** True if the name is one of the events this library decodes (`serverEventCodecs`). */
export const isKnownServerEventName = (name: string): name is KnownServerEventName =>
  Object.prototype.hasOwnProperty.call(serverEventCodecs, name);

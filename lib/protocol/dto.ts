// io-ts codecs of the InvokeAI REST shapes the client reads (docs/server-contract.md, REST); the
// graph's are in graph.ts.
// Every codec tolerates unknown fields: a newer server adds fields, never breaks the client.
// REST serializes queue items with `exclude_none`, so fields that may be null are also optional here.
import * as t from 'io-ts';
import { EchoedGraph } from './graph';
import { BatchId, ItemId, NodeId, PreparedId } from './ids';

/** A codec for `A | null`. */
export const nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** A loose JSON object (`{[key: string]: unknown}`), used where the shape is deep or open-ended. */
export const JsonObject = t.UnknownRecord;
/** A loose JSON object. */
export type JsonObject = t.TypeOf<typeof JsonObject>;

/** The six statuses of a queue item; `waiting` is a parent suspended on a workflow call. */
export const QueueItemStatus = /*#__PURE__*/ t.keyof({
  pending: null,
  in_progress: null,
  waiting: null,
  completed: null,
  failed: null,
  canceled: null,
});
/** The six statuses of a queue item. */
export type QueueItemStatus = t.TypeOf<typeof QueueItemStatus>;

/** The statuses after which an item never changes again. */
export const TERMINAL_STATUSES: ReadonlyArray<QueueItemStatus> = ['completed', 'failed', 'canceled'];

/** True for `completed`, `failed` and `canceled`. */
export const isTerminalStatus = (status: QueueItemStatus): boolean => TERMINAL_STATUSES.includes(status);

/** The output of one node, discriminated by `type` (`image_output`, `string_output`, ... 111 kinds); fields stay loose. */
export const InvocationOutput = /*#__PURE__*/ t.intersection([t.type({ type: t.string }), JsonObject], 'InvocationOutput');
/** The output of one node, discriminated by `type`. */
export type InvocationOutput = t.TypeOf<typeof InvocationOutput>;

/**
 * A session's execution state (`GraphExecutionState`). `results` and `errors` are keyed by prepared
 * node ids; map them to workflow node ids with `prepared_source_mapping` / `source_prepared_mapping`.
 */
export const SessionState = /*#__PURE__*/ t.intersection(
  [
    t.type({ id: t.string }),
    t.partial({
      graph: EchoedGraph,
      execution_graph: EchoedGraph,
      executed: t.array(PreparedId),
      executed_history: t.array(PreparedId),
      results: t.record(t.string, InvocationOutput),
      errors: t.record(t.string, t.string),
      prepared_source_mapping: t.record(t.string, NodeId),
      source_prepared_mapping: t.record(t.string, t.array(PreparedId)),
      prepared_iteration_paths: t.record(t.string, t.array(t.number)),
    }),
  ],
  'SessionState',
);
/** A session's execution state (`GraphExecutionState`). */
export type SessionState = t.TypeOf<typeof SessionState>;

/** A value a batch substituted into one node field of this item. */
export const NodeFieldValue = /*#__PURE__*/ t.type({ node_path: t.string, field_name: t.string, value: t.unknown }, 'NodeFieldValue');
/** A value a batch substituted into one node field of this item. */
export type NodeFieldValue = t.TypeOf<typeof NodeFieldValue>;

/** A queue item (`SessionQueueItem`); null fields may be absent (REST) or explicit null (other sources). */
export const QueueItem = /*#__PURE__*/ t.intersection(
  [
    t.type({
      item_id: ItemId,
      status: QueueItemStatus,
      batch_id: BatchId,
      session_id: t.string,
      queue_id: t.string,
      created_at: t.string,
      updated_at: t.string,
      session: SessionState,
    }),
    t.partial({
      priority: t.number,
      status_sequence: nullable(t.number),
      origin: nullable(t.string),
      destination: nullable(t.string),
      error_type: nullable(t.string),
      error_message: nullable(t.string),
      error_traceback: nullable(t.string),
      started_at: nullable(t.string),
      completed_at: nullable(t.string),
      user_id: t.string,
      user_display_name: nullable(t.string),
      user_email: nullable(t.string),
      field_values: nullable(t.array(NodeFieldValue)),
      retried_from_item_id: nullable(ItemId),
      device: nullable(t.string),
      workflow_call_id: nullable(t.string),
      parent_item_id: nullable(ItemId),
      parent_session_id: nullable(t.string),
      root_item_id: nullable(ItemId),
      workflow_call_depth: nullable(t.number),
      workflow: nullable(JsonObject),
    }),
  ],
  'QueueItem',
);
/** A queue item (`SessionQueueItem`). */
export type QueueItem = t.TypeOf<typeof QueueItem>;

/** The item counts every count answer carries (queue, batch, destination), as io-ts props to spread into a `t.type`. */
export const statusCounts = {
  pending: t.number,
  in_progress: t.number,
  completed: t.number,
  failed: t.number,
  canceled: t.number,
  total: t.number,
};

/** Item counts of one batch (`BatchStatus`). `waiting` is absent on servers without workflow calls. */
export const BatchStatus = /*#__PURE__*/ t.intersection(
  [
    t.type({ queue_id: t.string, batch_id: BatchId, ...statusCounts }),
    t.partial({ origin: nullable(t.string), destination: nullable(t.string), waiting: t.number }),
  ],
  'BatchStatus',
);
/** Item counts of one batch. */
export type BatchStatus = t.TypeOf<typeof BatchStatus>;

/** Item counts of a queue and its current item (`SessionQueueStatus`). */
export const SessionQueueStatus = /*#__PURE__*/ t.intersection(
  [
    t.type({ queue_id: t.string, ...statusCounts }),
    t.partial({
      item_id: nullable(ItemId),
      batch_id: nullable(BatchId),
      session_id: nullable(t.string),
      waiting: t.number,
      user_pending: nullable(t.number),
      user_in_progress: nullable(t.number),
    }),
  ],
  'SessionQueueStatus',
);
/** Item counts of a queue and its current item. */
export type SessionQueueStatus = t.TypeOf<typeof SessionQueueStatus>;

/** Whether the session processor is started and busy. */
export const SessionProcessorStatus = /*#__PURE__*/ t.type({ is_started: t.boolean, is_processing: t.boolean }, 'SessionProcessorStatus');
/** Whether the session processor is started and busy. */
export type SessionProcessorStatus = t.TypeOf<typeof SessionProcessorStatus>;

/** `GET /api/v1/queue/{queue_id}/status`. */
export const QueueAndProcessorStatus = /*#__PURE__*/ t.type(
  { queue: SessionQueueStatus, processor: SessionProcessorStatus },
  'QueueAndProcessorStatus',
);
/** `GET /api/v1/queue/{queue_id}/status`. */
export type QueueAndProcessorStatus = t.TypeOf<typeof QueueAndProcessorStatus>;

/** The batch as echoed by enqueue: its id is always set; the rest stays loose. */
export const EchoedBatch = /*#__PURE__*/ t.intersection(
  [t.type({ batch_id: BatchId }), t.partial({ origin: nullable(t.string), destination: nullable(t.string) }), JsonObject],
  'EchoedBatch',
);
/** The batch as echoed by enqueue. */
export type EchoedBatch = t.TypeOf<typeof EchoedBatch>;

/** The answer to `enqueue_batch`. `item_ids` come in descending order; `enqueued < requested` when the queue is full. */
export const EnqueueBatchResult = /*#__PURE__*/ t.intersection(
  [
    t.type({
      queue_id: t.string,
      enqueued: t.number,
      requested: t.number,
      batch: EchoedBatch,
      item_ids: t.array(ItemId),
    }),
    t.partial({ priority: t.number }),
  ],
  'EnqueueBatchResult',
);
/** The answer to `enqueue_batch`. */
export type EnqueueBatchResult = t.TypeOf<typeof EnqueueBatchResult>;

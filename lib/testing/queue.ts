/** Session queue state of the simulator: items, statuses, counts and their REST/event shapes. */
import { sqliteNow } from './clock';
import { GraphEdge, GraphNode, ValidGraph } from './validate';

/** The six queue item statuses. */
export type QueueItemStatus = 'pending' | 'in_progress' | 'waiting' | 'completed' | 'failed' | 'canceled';

/** Whether a status is terminal. */
export const isTerminal = (s: QueueItemStatus): boolean => s === 'completed' || s === 'failed' || s === 'canceled';

/** A `GraphExecutionState` as the simulator keeps it. */
export interface SessionState {
  readonly id: string;
  readonly graph: ValidGraph;
  readonly execution_graph: { readonly id: string; readonly nodes: Record<string, GraphNode>; readonly edges: GraphEdge[] };
  readonly executed: string[];
  readonly executed_history: string[];
  readonly results: Record<string, Readonly<Record<string, unknown>>>;
  readonly errors: Record<string, string>;
  readonly prepared_source_mapping: Record<string, string>;
  readonly source_prepared_mapping: Record<string, string[]>;
}

/** A queue item as the simulator keeps it (mutated by the processor). */
export interface QueueItemRecord {
  item_id: number;
  status: QueueItemStatus;
  status_sequence: number;
  priority: number;
  batch_id: string;
  origin: string | null;
  destination: string | null;
  session_id: string;
  error_type: string | null;
  error_message: string | null;
  error_traceback: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  queue_id: string;
  user_id: string;
  field_values: ReadonlyArray<{ node_path: string; field_name: string; value: unknown }>;
  retried_from_item_id: number | null;
  session: SessionState;
  workflow: unknown;
}

/** Drops null/undefined fields (FastAPI `response_model_exclude_none=True`), recursively as pydantic does. */
export const excludeNone = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(excludeNone);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = excludeNone(v);
    return out;
  }
  return value;
};

/** The outcome and timestamps of an item, in the key order both its REST shape and its status event use. */
export const itemOutcomeJson = (item: QueueItemRecord) => ({
  error_type: item.error_type,
  error_message: item.error_message,
  error_traceback: item.error_traceback,
  created_at: item.created_at,
  updated_at: item.updated_at,
  started_at: item.started_at,
  completed_at: item.completed_at,
});

/** The status, outcome and timestamps of an item just (re)enqueued: pending, never started. */
export const freshPending = (now: string): Pick<QueueItemRecord, 'status' | 'status_sequence' | 'error_type' | 'error_message' | 'error_traceback' | 'created_at' | 'updated_at' | 'started_at' | 'completed_at'> => ({
  status: 'pending',
  status_sequence: 0,
  error_type: null,
  error_message: null,
  error_traceback: null,
  created_at: now,
  updated_at: now,
  started_at: null,
  completed_at: null,
});

/** The REST shape of an item, key order as the real server (null fields kept; callers apply `excludeNone`). */
export const itemToJson = (item: QueueItemRecord): Record<string, unknown> => ({
  item_id: item.item_id,
  status: item.status,
  // InvokeAI 6.14 serves both; the 2025 recordings in spec/fixtures predate them.
  status_sequence: item.status_sequence,
  priority: item.priority,
  batch_id: item.batch_id,
  origin: item.origin,
  destination: item.destination,
  session_id: item.session_id,
  ...itemOutcomeJson(item),
  queue_id: item.queue_id,
  user_id: item.user_id,
  field_values: item.field_values,
  retried_from_item_id: item.retried_from_item_id,
  is_api_validation_run: false,
  session: {
    id: item.session.id,
    graph: item.session.graph,
    execution_graph: item.session.execution_graph,
    executed: item.session.executed,
    executed_history: item.session.executed_history,
    results: item.session.results,
    errors: item.session.errors,
    prepared_source_mapping: item.session.prepared_source_mapping,
    source_prepared_mapping: item.session.source_prepared_mapping,
  },
  workflow: item.workflow,
});

/** What another user's item and its status event hide (multi-user mode, non-admin reader): its owner, batch, session, origin and errors. */
export const REDACTED_OWNER_FIELDS = {
  user_id: 'redacted',
  batch_id: 'redacted',
  session_id: 'redacted',
  origin: null,
  destination: null,
  error_type: null,
  error_message: null,
  error_traceback: null,
} as const;

/** A redacted copy of another user's item (multi-user mode, non-admin reader). */
export const redactItem = (json: Record<string, unknown>): Record<string, unknown> => ({
  ...json,
  ...REDACTED_OWNER_FIELDS,
  field_values: null,
  workflow: null,
  priority: 0,
  session: { id: 'redacted', graph: { id: 'redacted', nodes: {}, edges: [] }, execution_graph: { id: 'redacted', nodes: {}, edges: [] }, executed: [], executed_history: [], results: {}, errors: {}, prepared_source_mapping: {}, source_prepared_mapping: {} },
});

/** Status counts. */
export interface StatusCounts {
  pending: number;
  in_progress: number;
  waiting: number;
  completed: number;
  failed: number;
  canceled: number;
  total: number;
}

const zeroCounts = (): StatusCounts => ({ pending: 0, in_progress: 0, waiting: 0, completed: 0, failed: 0, canceled: 0, total: 0 });

/** Adds `delta` items of `status` to `counts` (in place) and returns it. */
const addCount = (counts: StatusCounts, status: QueueItemStatus, delta: number): StatusCounts => {
  counts[status] += delta;
  counts.total += delta;
  return counts;
};

/** Counts items by status. */
export const countStatuses = (items: Iterable<QueueItemRecord>): StatusCounts => {
  const c = zeroCounts();
  for (const it of items) addCount(c, it.status, 1);
  return c;
};

/** Queue order: `priority DESC, item_id ASC` (a comparator for `sort`). */
export const byQueueOrder = (a: QueueItemRecord, b: QueueItemRecord): number => b.priority - a.priority || a.item_id - b.item_id;

/** The first of `items` (of one queue, or of all) in queue order: `priority DESC, item_id ASC`. */
const firstInQueueOrder = (items: Iterable<QueueItemRecord>, queueId?: string): QueueItemRecord | undefined => {
  let best: QueueItemRecord | undefined;
  for (const item of items) {
    if (queueId !== undefined && item.queue_id !== queueId) continue;
    if (best === undefined || item.priority > best.priority || (item.priority === best.priority && item.item_id < best.item_id)) best = item;
  }
  return best;
};

/** What the batch index keeps of one batch: its items, its status counts and its lowest-id item (whose origin and destination the batch reports). */
interface BatchEntry {
  readonly items: Set<QueueItemRecord>;
  readonly counts: StatusCounts;
  first: QueueItemRecord | undefined;
}

/** The lowest-id item of a set, if any. */
const lowestId = (items: Iterable<QueueItemRecord>): QueueItemRecord | undefined => {
  let first: QueueItemRecord | undefined;
  for (const item of items) if (first === undefined || item.item_id < first.item_id) first = item;
  return first;
};

/**
 * The queue table, with the indexes a database would have: per-queue and per-batch status counts,
 * items by batch, and the pending and in-progress items. Status events carry the queue's counts and
 * the batch's, so without them every event would rescan the table (or the batch) and a long-lived
 * simulator (a bulk test, a soak) would slow down quadratically.
 */
export class QueueStore {
  private readonly items = new Map<number, QueueItemRecord>();
  private readonly countsByQueue = new Map<string, StatusCounts>();
  private readonly batches = new Map<string, BatchEntry>();
  private readonly pending = new Set<QueueItemRecord>();
  private readonly inProgress = new Set<QueueItemRecord>();
  private readonly watchers = new Set<() => void>();
  private nextId: number;

  /** `firstItemId`: the id of the first item (a long-lived server's ids are large). */
  constructor(firstItemId = 1) {
    this.nextId = firstItemId;
  }

  /** Calls `fn` after every status change and deletion, until the function returned is called. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => void this.watchers.delete(fn);
  }

  /** Allocates the next item id. */
  allocateId(): number {
    return this.nextId++;
  }

  /** Inserts an item. */
  put(item: QueueItemRecord): void {
    this.delete(item.item_id);
    this.items.set(item.item_id, item);
    const batchKey = `${item.queue_id}\u0000${item.batch_id}`;
    const batch = this.batches.get(batchKey) ?? { items: new Set<QueueItemRecord>(), counts: zeroCounts(), first: undefined };
    this.batches.set(batchKey, batch);
    batch.items.add(item);
    if (batch.first === undefined || item.item_id < batch.first.item_id) batch.first = item;
    this.track(item, item.status, 1);
  }

  /** The item, if any. */
  get(id: number): QueueItemRecord | undefined {
    return this.items.get(id);
  }

  /** Deletes an item. */
  delete(id: number): boolean {
    const item = this.items.get(id);
    if (item === undefined) return false;
    this.track(item, item.status, -1);
    this.items.delete(id);
    const batchKey = `${item.queue_id}\u0000${item.batch_id}`;
    const batch = this.batches.get(batchKey);
    if (batch !== undefined) {
      batch.items.delete(item);
      if (batch.items.size === 0) this.batches.delete(batchKey);
      else if (batch.first === item) batch.first = lowestId(batch.items);
    }
    this.watchers.forEach((fn) => fn());
    return true;
  }

  /** All items of a queue, ordered `priority DESC, item_id ASC`. */
  list(queueId?: string): QueueItemRecord[] {
    return [...this.items.values()]
      .filter((i) => queueId === undefined || i.queue_id === queueId)
      .sort(byQueueOrder);
  }

  /** The status counts of one queue. */
  counts(queueId: string): StatusCounts {
    return { ...(this.countsByQueue.get(queueId) ?? zeroCounts()) };
  }

  /** The items of one batch, in item order. */
  batchItems(queueId: string, batchId: string): QueueItemRecord[] {
    return [...(this.batches.get(`${queueId}\u0000${batchId}`)?.items ?? [])].sort((a, b) => a.item_id - b.item_id);
  }

  /** The status counts of one batch and its lowest-id item, without listing its items (a status event needs them). */
  batchSummary(queueId: string, batchId: string): { readonly first: QueueItemRecord | undefined; readonly counts: StatusCounts } {
    const batch = this.batches.get(`${queueId}\u0000${batchId}`);
    return { first: batch?.first, counts: { ...(batch?.counts ?? zeroCounts()) } };
  }

  /** The item in progress in a queue, if any (the processor runs one at a time; else the first in queue order). */
  current(queueId?: string): QueueItemRecord | undefined {
    return firstInQueueOrder(this.inProgress, queueId);
  }

  /** The pending items (of one queue, or of all), in no particular order. */
  pendingItems(queueId?: string): QueueItemRecord[] {
    return [...this.pending].filter((i) => queueId === undefined || i.queue_id === queueId);
  }

  /** How many items are pending in all queues. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** The next pending item (priority then FIFO). */
  next(queueId?: string): QueueItemRecord | undefined {
    return firstInQueueOrder(this.pending, queueId);
  }

  /** Sets a status, bumping `status_sequence` and the timestamps. */
  setStatus(item: QueueItemRecord, status: QueueItemStatus): void {
    const now = sqliteNow();
    const stored = this.items.get(item.item_id) === item;
    if (stored) this.track(item, item.status, -1);
    item.status = status;
    if (stored) this.track(item, status, 1);
    item.status_sequence += 1;
    item.updated_at = now;
    if (status === 'in_progress' && !item.started_at) item.started_at = now;
    if (isTerminal(status)) item.completed_at = now;
    this.watchers.forEach((fn) => fn());
  }

  /** Adds (`delta` 1) or removes (-1) a stored item with `status` from the indexes. */
  private track(item: QueueItemRecord, status: QueueItemStatus, delta: 1 | -1): void {
    const counts = this.countsByQueue.get(item.queue_id) ?? zeroCounts();
    this.countsByQueue.set(item.queue_id, addCount(counts, status, delta));
    const batch = this.batches.get(`${item.queue_id}\u0000${item.batch_id}`);
    if (batch !== undefined) addCount(batch.counts, status, delta);
    const set = status === 'pending' ? this.pending : status === 'in_progress' ? this.inProgress : undefined;
    if (delta === 1) set?.add(item);
    else set?.delete(item);
  }
}

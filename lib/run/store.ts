// The items of one run as the pipeline keeps them: a private, mutable store keyed by queue item id
// (a `Map`, never a plain object), with incremental indexes of the items that are open, seem to
// run, need an authoritative read, or are in doubt after a queue clear. Every fact costs O(1)
// amortised, whatever the size of the batch. No I/O, no clock: the pipeline feeds it facts, emits
// what it returns, and reads what its indexes say.
//
// The rules:
// - status is ordered by `status_sequence`; older or equal sequences are dropped (a duplicate may
//   still fill in a missing error). Without a sequence (an old server), a status is accepted only
//   when it moves forward: pending < in_progress | waiting < completed | failed | canceled.
// - `completed`, `failed` and `canceled` are final: the item's terminal event is emitted once and
//   everything about the item after it is dropped. `waiting` is not terminal.
// - `canceled` is emitted at once. `completed` is emitted with the authoritative outputs, so it waits
//   for a snapshot (a REST read) whose status is `completed`. The server sends `failed` BEFORE
//   `invocation_error`, so `failed` waits for the node error or for a snapshot whose status is
//   `failed` (its `session.errors` name the node), whichever comes first. An item waiting like this
//   is in `needingSnapshot`: the pipeline reads it from REST and feeds the `snapshot`.
// - node events carry the workflow's node id; a prepared copy starts and completes once.
// - facts about items that are not in this run are ignored, unless the run's `enqueued` answer is
//   not known yet: then facts whose batch id is the run's (and `queue_cleared`, and bulk cancels,
//   which name items but no batch) are kept, in arrival order, in an append-only buffer, and
//   replayed once `enqueued` arrives (events can beat the HTTP response).
// - an item deleted by someone else (`item_gone`) or a bulk cancel (`items_canceled`, which has no
//   per-item status events) ends each open item it touches, so a run never hangs on an item that no
//   longer exists. A deleted item whose `completed` was still waiting for its read ends as `failed`
//   (`QueueItemGone`): its outputs can no longer be read.
// - `queue_cleared` ends nothing by itself: it names no items, and a late one may be about a clear
//   that happened before our enqueue (the server then still has our items and runs them). It puts
//   every open item in doubt (`inDoubt`): the pipeline reads them at once; a snapshot lifts the
//   doubt, a 404 (`item_gone`) ends the item with the reason `queue_cleared`.
import { isTerminalStatus, type QueueItem, type QueueItemStatus } from '../protocol/dto';
import type { BatchId, ItemId, NodeId, PreparedId } from '../protocol/ids';
import type { WorkflowOutput } from '../workflow/types';
import { ownValue } from '../internal/record';
import type { RunEvent, RunItemError, RunItemResult, RunOutput, RunResult } from './events';
import type { NodeFact, RunFact } from './facts';
import { OutputNode, isOutputNode, outputsOfQueueItem, runOutputOf } from './outputs';

/** What a run is set up with. */
export interface RunSpec {
  /** The batch id the client chose before enqueueing; facts of other batches are ignored. */
  readonly batchId: BatchId;
  /** The workflow's output nodes (`listOutputs(wf)`): their results become `output` events and `outputs`. */
  readonly outputs: readonly WorkflowOutput[];
}

/** The node error that `invocation_error` reported for an item. */
export interface NodeFailure {
  readonly nodeId: NodeId;
  readonly preparedId: PreparedId;
  readonly error: RunItemError;
}

/** One item as the store keeps it: changed in place, never handed out. */
export interface ItemRecord {
  readonly itemId: ItemId;
  /** The last accepted status (`pending` until the server says otherwise). */
  status: QueueItemStatus;
  sequence: number | null;
  /** The error carried by the `failed` status, if any. */
  statusError: RunItemError | null;
  nodeFailure: NodeFailure | null;
  /** The latest snapshot that was not stale (with `keepResults: false`, only a terminal one is kept). */
  snapshot: QueueItem | null;
  /** Why the item may no longer be on the server (`queue_cleared`), until a read says. */
  doubt: string | null;
  /** Prepared ids that started / completed (sets made on first use). */
  started: Set<PreparedId> | null;
  completed: Set<PreparedId> | null;
  /** Set when the terminal event was emitted (kept only with `keepResults`). */
  outcome: RunItemResult | null;
  /** The terminal event was emitted: nothing of the item is emitted after that. */
  ended: boolean;
}

/** Told when an item enters or leaves an index the pipeline acts on. */
export interface StoreListener {
  /** The item's terminal status is known and its terminal event waits for a read. */
  readonly needsSnapshot: (itemId: ItemId) => void;
  /** The item had its terminal event. */
  readonly ended: (itemId: ItemId) => void;
}

/** Options of a `RunStore`. */
export interface RunStoreOptions {
  /**
   * Keep every ended item with its result, for `result()` (`client.submit`). Without it an ended
   * item is forgotten and snapshots are kept only while a terminal event waits for them, so a
   * 10,000-item stream holds little more than the ids of its open items.
   */
  readonly keepResults: boolean;
  readonly listener?: StoreListener;
}

const statusRank = (status: QueueItemStatus): number =>
  status === 'pending' ? 0 : status === 'in_progress' || status === 'waiting' ? 1 : 2;

/** Where a reported status stands relative to what the item already has. */
export type StatusOrder = 'newer' | 'same' | 'older';

/** Where a reported status stands relative to the item's: by sequence when both have one, else by rank. */
export const orderOf = (item: Pick<ItemRecord, 'status' | 'sequence'>, status: QueueItemStatus, sequence: number | null): StatusOrder => {
  if (sequence !== null && item.sequence !== null) {
    return sequence > item.sequence ? 'newer' : sequence === item.sequence ? 'same' : 'older';
  }
  if (status === item.status) return 'same';
  if (isTerminalStatus(item.status)) return 'older';
  return statusRank(status) >= statusRank(item.status) ? 'newer' : 'older';
};

/** A fresh item record: pending, nothing known. */
export const newItemRecord = (itemId: ItemId): ItemRecord => ({
  itemId,
  status: 'pending',
  sequence: null,
  statusError: null,
  nodeFailure: null,
  snapshot: null,
  doubt: null,
  started: null,
  completed: null,
  outcome: null,
  ended: false,
});

const errorOfItem = (item: QueueItem): RunItemError | null =>
  typeof item.error_type === 'string' || typeof item.error_message === 'string'
    ? { type: item.error_type ?? 'Error', message: item.error_message ?? '', traceback: item.error_traceback ?? '' }
    : null;

/** The first node error of a session, mapped to the workflow node: `session.errors` holds `"<Type>: <message>"`. */
const sessionFailureOf = (item: QueueItem): { nodeId: NodeId | undefined; error: RunItemError } | null => {
  const errors = item.session.errors ?? {};
  const preparedId = Object.keys(errors)[0];
  if (preparedId === undefined) return null;
  const text = String(ownValue(errors, preparedId));
  const colon = text.indexOf(': ');
  const mapped = ownValue(item.session.prepared_source_mapping, preparedId);
  // Without a mapping the node is unknown: better no node than a prepared id posing as one.
  const nodeId = typeof mapped === 'string' ? mapped : undefined;
  return {
    nodeId,
    error: colon > 0 ? { type: text.slice(0, colon), message: text.slice(colon + 2), traceback: '' } : { type: 'Error', message: text, traceback: '' },
  };
};

const unknownError: RunItemError = {
  type: 'UnknownError',
  message: 'The server reported the item as failed without an error. Read the queue item on the server for details.',
  traceback: '',
};

const seemsRunning = (item: ItemRecord): boolean =>
  item.status === 'in_progress' || (item.status === 'pending' && item.started !== null && item.started.size > 0);

/**
 * The mutable item store of one run.
 *
 * @example
 * import { listOutputs, type BatchId, type RunEvent } from 'invokeai-rx';
 * declare const batchId: BatchId;
 * const store = new RunStore({ batchId, outputs: listOutputs(wf) }, { keepResults: false });
 * const out: RunEvent[] = [];
 * store.apply({ kind: 'queue_cleared' }, out);
 * out.forEach((event) => console.log(event.type));
 * console.log(store.isDone());
 * @internal
 */
export class RunStore {
  /** `null` until the `enqueued` fact. */
  enqueue: { readonly requested: number; readonly enqueued: number } | null = null;
  /** The batch's item ids, ascending (set by `enqueued`). */
  itemIds: readonly ItemId[] = [];
  /** Items that have not had their terminal event, in ascending id order. */
  readonly open = new Set<ItemId>();
  /** Open items that seem to run: `in_progress`, or `pending` with started nodes (their `in_progress` was lost). */
  readonly running = new Set<ItemId>();
  /** Open items whose terminal status is known and whose terminal event waits for a read. */
  readonly needingSnapshot = new Set<ItemId>();
  /** Open items a `queue_cleared` may have deleted, until a read says. */
  readonly inDoubt = new Set<ItemId>();

  /** By item id (a server's number: the lookup of a snapshot's `item_id` needs no brand). */
  private readonly items = new Map<number, ItemRecord>();
  /** Facts of this batch that arrived before `enqueued`, in arrival order (appended, never copied). */
  private buffered: RunFact[] = [];
  private clearBuffered = false;
  private readonly outputsByNode: ReadonlyMap<string, OutputNode>;

  constructor(
    readonly spec: RunSpec,
    private readonly options: RunStoreOptions,
  ) {
    const outputsByNode = new Map<string, OutputNode>();
    for (const output of spec.outputs) if (isOutputNode(output) && !outputsByNode.has(output.nodeId)) outputsByNode.set(output.nodeId, output);
    this.outputsByNode = outputsByNode;
  }

  /** True once the batch is enqueued and every item has had its terminal event. */
  isDone(): boolean {
    return this.enqueue !== null && this.open.size === 0;
  }

  /** How many facts wait for the `enqueued` answer. */
  get bufferedCount(): number {
    return this.buffered.length;
  }

  /** The facts that wait for the `enqueued` answer, in arrival order. */
  bufferedFacts(): readonly RunFact[] {
    return this.buffered;
  }

  /** The item with this id, while the store keeps it (`undefined` for unknown or forgotten items). */
  item(itemId: number): Readonly<ItemRecord> | undefined {
    return this.items.get(itemId);
  }

  /** The result so far: every ended item, ascending item id (needs `keepResults`). */
  result(): RunResult {
    const items: RunItemResult[] = [];
    for (const id of this.itemIds) {
      const outcome = this.items.get(id)?.outcome;
      if (outcome !== null && outcome !== undefined) items.push(outcome);
    }
    return { batchId: this.spec.batchId, items };
  }

  /** Applies one fact; the events it causes are pushed to `out`, in order. */
  apply(fact: RunFact, out: RunEvent[]): void {
    switch (fact.kind) {
      case 'enqueued':
        return this.applyEnqueued(fact, out);
      case 'items_canceled':
        // Before the answer it may name items of ours: kept, like the events of our batch.
        if (this.enqueue === null) {
          this.buffered.push(fact);
          return;
        }
        // Items whose terminal status is already known ended before the bulk cancel reached them.
        for (const itemId of new Set(fact.itemIds)) {
          const item = this.items.get(itemId);
          if (item !== undefined && this.isOpen(item)) this.finishCanceled(item, out);
        }
        return;
      case 'queue_cleared':
        return this.applyCleared(fact);
      default:
        return this.applyItemFact(fact, out);
    }
  }

  /**
   * Restores a store from its parts (the immutable `RunState` of `state.ts` goes through this).
   * @internal
   */
  restore(parts: {
    readonly enqueue: RunStore['enqueue'];
    readonly itemIds: readonly ItemId[];
    readonly items: Iterable<ItemRecord>;
    readonly buffered: readonly RunFact[];
  }): void {
    this.enqueue = parts.enqueue;
    this.itemIds = parts.itemIds;
    this.buffered = [...parts.buffered];
    this.clearBuffered = this.buffered.some((fact) => fact.kind === 'queue_cleared');
    for (const item of parts.items) {
      this.items.set(item.itemId, item);
      this.reindex(item);
    }
  }

  /**
   * Every item the store keeps, ascending (for the immutable `RunState`).
   * @internal
   */
  records(): readonly ItemRecord[] {
    const records: ItemRecord[] = [];
    for (const id of this.itemIds) {
      const item = this.items.get(id);
      if (item !== undefined) records.push(item);
    }
    return records;
  }

  private isOpen(item: ItemRecord): boolean {
    return !item.ended && !isTerminalStatus(item.status);
  }

  /** Puts an item in the indexes its state says, and out of the others. */
  private reindex(item: ItemRecord): void {
    const id = item.itemId;
    if (item.ended) {
      this.open.delete(id);
      this.running.delete(id);
      this.needingSnapshot.delete(id);
      this.inDoubt.delete(id);
      return;
    }
    this.open.add(id);
    if (seemsRunning(item)) this.running.add(id);
    else this.running.delete(id);
    if (item.status === 'completed' || item.status === 'failed') {
      if (!this.needingSnapshot.has(id)) {
        this.needingSnapshot.add(id);
        this.options.listener?.needsSnapshot(id);
      }
    } else this.needingSnapshot.delete(id);
    if (item.doubt !== null) this.inDoubt.add(id);
    else this.inDoubt.delete(id);
  }

  private applyEnqueued(fact: Extract<RunFact, { kind: 'enqueued' }>, out: RunEvent[]): void {
    if (this.enqueue !== null || fact.batchId !== this.spec.batchId) return;
    const itemIds = [...new Set(fact.itemIds)].sort((a, b) => a - b);
    this.enqueue = { requested: fact.requested, enqueued: fact.enqueued };
    this.itemIds = itemIds;
    for (const id of itemIds) {
      const item = newItemRecord(id);
      this.items.set(id, item);
      this.open.add(id);
    }
    out.push({ type: 'enqueued', batchId: fact.batchId, itemIds, requested: fact.requested, enqueued: fact.enqueued, ...(fact.attached === true ? { attached: true } : {}) });
    const buffered = this.buffered;
    this.buffered = [];
    for (const early of buffered) this.apply(early, out);
  }

  private applyCleared(fact: Extract<RunFact, { kind: 'queue_cleared' }>): void {
    // Not a terminal fact: the event names no items and may be about a clear from before our
    // enqueue. Before `enqueued` it is kept (once), so that the items are in doubt once they are known.
    if (this.enqueue === null) {
      if (!this.clearBuffered) {
        this.clearBuffered = true;
        this.buffered.push(fact);
      }
      return;
    }
    for (const id of this.open) {
      const item = this.items.get(id);
      if (item === undefined || item.doubt !== null) continue;
      item.doubt = 'queue_cleared';
      this.inDoubt.add(id);
    }
  }

  private applyItemFact(fact: Exclude<RunFact, { kind: 'enqueued' | 'items_canceled' | 'queue_cleared' }>, out: RunEvent[]): void {
    const itemId = fact.kind === 'snapshot' ? fact.item.item_id : fact.itemId;
    const batchId = fact.kind === 'snapshot' ? fact.item.batch_id : fact.kind === 'item_gone' ? null : fact.batchId;
    if (batchId !== null && batchId !== this.spec.batchId) return;
    if (this.enqueue === null) {
      // Only facts that name our batch can be kept; `item_gone` names none and cannot precede the
      // item ids it is about.
      if (batchId !== null) this.buffered.push(fact);
      return;
    }
    const item = this.items.get(itemId);
    if (item === undefined || item.ended) return;
    switch (fact.kind) {
      case 'status':
        this.applyStatus(item, fact.status, fact.sequence, fact.error ?? null, out);
        break;
      case 'snapshot':
        this.applySnapshot(item, fact.item, out);
        break;
      case 'item_gone':
        // After a clear, a missing item was most likely removed by it: say so.
        this.applyGone(item, item.doubt ?? fact.reason, out);
        break;
      default:
        this.applyNodeFact(item, fact, out);
    }
  }

  private applyStatus(item: ItemRecord, status: QueueItemStatus, sequence: number | null, error: RunItemError | null, out: RunEvent[]): void {
    const order = orderOf(item, status, sequence);
    if (order === 'older') return;
    if (order === 'same') {
      item.sequence ??= sequence;
      if (item.statusError === null && status === 'failed') item.statusError = error;
      this.settle(item, out);
      return;
    }
    const previous = item.status;
    item.status = status;
    item.sequence = sequence ?? item.sequence;
    if (status === 'failed') item.statusError = error ?? item.statusError;
    this.reindex(item);
    if (isTerminalStatus(status)) return this.settle(item, out);
    // A newer sequence with the same status means the changes between were missed: nothing new to tell.
    if (status !== previous) out.push({ type: 'status', itemId: item.itemId, status });
  }

  private applySnapshot(item: ItemRecord, snapshot: QueueItem, out: RunEvent[]): void {
    // Even a stale read proves the item was not deleted by the clear in doubt: the pipeline reads
    // again after each clear, so a read that was already in flight cannot hide a deletion.
    if (item.doubt !== null) {
      item.doubt = null;
      this.inDoubt.delete(item.itemId);
    }
    const sequence = snapshot.status_sequence ?? null;
    if (orderOf(item, snapshot.status, sequence) === 'older') return;
    if (this.options.keepResults || isTerminalStatus(snapshot.status)) item.snapshot = snapshot;
    this.applyStatus(item, snapshot.status, sequence, errorOfItem(snapshot), out);
  }

  /** An item that is no longer on the server ends with what is known about it. */
  private applyGone(item: ItemRecord, reason: string, out: RunEvent[]): void {
    if (item.status === 'failed') return this.failedFromKnown(item, out);
    if (item.status === 'completed') {
      // The results cannot be read any more; saying `completed` without them would hide the loss.
      return this.finishFailed(
        item,
        {
          type: 'QueueItemGone',
          message: `Queue item ${item.itemId} completed, but it was removed from the queue (${reason}) before its results could be read. Its images may still be on the server's boards or gallery.`,
          traceback: '',
        },
        undefined,
        out,
      );
    }
    this.finishCanceled(item, out, reason);
  }

  private applyNodeFact(item: ItemRecord, fact: NodeFact, out: RunEvent[]): void {
    const { itemId, preparedId, sourceNodeId: nodeId, nodeType } = fact;
    switch (fact.kind) {
      case 'node_error':
        if (item.nodeFailure !== null) return;
        item.nodeFailure = { nodeId, preparedId, error: fact.error };
        return this.settle(item, out);
      case 'node_started':
        if (!this.isOpen(item) || item.started?.has(preparedId) === true || item.completed?.has(preparedId) === true) return;
        (item.started ??= new Set()).add(preparedId);
        if (item.status === 'pending') this.reindex(item);
        out.push({ type: 'node_started', itemId, nodeId, preparedId, nodeType });
        return;
      case 'node_progress':
        if (!this.isOpen(item) || item.completed?.has(preparedId) === true) return;
        out.push({ type: 'node_progress', itemId, nodeId, preparedId, percentage: fact.percentage, message: fact.message, image: fact.image });
        return;
      case 'node_completed': {
        if (!this.isOpen(item) || item.completed?.has(preparedId) === true) return;
        (item.completed ??= new Set()).add(preparedId);
        out.push({ type: 'node_completed', itemId, nodeId, preparedId, nodeType, result: fact.result });
        const output = this.outputsByNode.get(nodeId);
        if (output !== undefined) out.push({ type: 'output', itemId, output: runOutputOf(output, fact.result, fact.invocation) });
        return;
      }
    }
  }

  /** Emits the held terminal event when what it needs has arrived. */
  private settle(item: ItemRecord, out: RunEvent[]): void {
    if (item.ended) return;
    const snapshot = item.snapshot;
    if (item.status === 'canceled') this.finishCanceled(item, out);
    else if (item.status === 'completed' && snapshot?.status === 'completed') this.finishCompleted(item, snapshot, out);
    else if (item.status === 'failed' && (item.nodeFailure !== null || snapshot?.status === 'failed')) this.failedFromKnown(item, out);
  }

  private finish(item: ItemRecord, status: RunItemResult['status'], terminal: RunEvent, outcome: () => RunItemResult, out: RunEvent[]): void {
    if (this.options.keepResults) item.outcome = outcome();
    item.status = status;
    item.ended = true;
    this.reindex(item);
    out.push({ type: 'status', itemId: item.itemId, status }, terminal);
    // A stream keeps nothing of an ended item: any later fact about it is dropped as unknown.
    if (!this.options.keepResults) this.items.delete(item.itemId);
    this.options.listener?.ended(item.itemId);
  }

  private finishCompleted(item: ItemRecord, snapshot: QueueItem, out: RunEvent[]): void {
    const outputs: readonly RunOutput[] = outputsOfQueueItem(this.spec.outputs, snapshot);
    this.finish(
      item,
      'completed',
      { type: 'completed', itemId: item.itemId, outputs, queueItem: snapshot },
      () => ({ itemId: item.itemId, status: 'completed', outputs, fieldValues: snapshot.field_values ?? [], queueItem: snapshot }),
      out,
    );
  }

  private finishFailed(item: ItemRecord, error: RunItemError, nodeId: NodeId | undefined, out: RunEvent[]): void {
    const snapshot = item.snapshot;
    this.finish(
      item,
      'failed',
      { type: 'failed', itemId: item.itemId, error, ...(nodeId === undefined ? {} : { nodeId }) },
      () => ({
        itemId: item.itemId,
        status: 'failed',
        outputs: [],
        error,
        ...(nodeId === undefined ? {} : { failedNodeId: nodeId }),
        fieldValues: snapshot?.field_values ?? [],
        queueItem: snapshot,
      }),
      out,
    );
  }

  private finishCanceled(item: ItemRecord, out: RunEvent[], reason?: string): void {
    const snapshot = item.snapshot;
    this.finish(
      item,
      'canceled',
      { type: 'canceled', itemId: item.itemId, ...(reason === undefined ? {} : { reason }) },
      () => ({ itemId: item.itemId, status: 'canceled', outputs: [], fieldValues: snapshot?.field_values ?? [], queueItem: snapshot }),
      out,
    );
  }

  /** A failure from whatever is known, best source first: the node error, the snapshot, the status. */
  private failedFromKnown(item: ItemRecord, out: RunEvent[]): void {
    const snapshot = item.snapshot?.status === 'failed' ? item.snapshot : null;
    const fromSession = snapshot === null ? null : sessionFailureOf(snapshot);
    const error =
      item.nodeFailure?.error ?? (snapshot === null ? null : errorOfItem(snapshot)) ?? fromSession?.error ?? item.statusError ?? unknownError;
    this.finishFailed(item, error, item.nodeFailure?.nodeId ?? fromSession?.nodeId, out);
  }
}

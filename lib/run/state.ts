// The pure core of a run: a reducer keyed by queue item id that turns facts (from the socket and
// from REST reads, in any order, possibly duplicated or stale) into the run's events, exactly once
// and in an order a user can rely on. No I/O, no clock: the run pipeline feeds it and follows its
// queries (`itemsNeedingSnapshot`, `itemsInDoubt`, `isDone`).
//
// The rules (API.md §5.6, §9; PEERS.md §1.5):
// - status is ordered by `status_sequence`; older or equal sequences are dropped (a duplicate may
//   still fill in a missing error). Without a sequence (an old server), a status is accepted only
//   when it moves forward: pending < in_progress | waiting < completed | failed | canceled.
// - `completed`, `failed` and `canceled` are final: the item's terminal event is emitted once and
//   everything about the item after it is dropped. `waiting` is not terminal.
// - `canceled` is emitted at once. `completed` is emitted with the authoritative outputs, so it waits
//   for a snapshot (a REST read) whose status is `completed`. The server sends `failed` BEFORE
//   `invocation_error`, so `failed` waits for the node error or for a snapshot whose status is
//   `failed` (its `session.errors` name the node), whichever comes first. An item waiting like this
//   is listed by `itemsNeedingSnapshot`: the pipeline reads it from REST and feeds the `snapshot`.
// - node events carry the workflow's node id; a prepared copy starts and completes once.
// - facts about items that are not in this run are ignored, unless the run's `enqueued` answer is
//   not known yet: then facts whose batch id is the run's (and `queue_cleared`) are buffered and
//   replayed in arrival order once `enqueued` arrives (events can beat the HTTP response).
// - an item deleted by someone else (`item_gone`) or a bulk cancel (`items_canceled`, which has no
//   per-item status events) ends each open item it touches, so a run never hangs on an item that no
//   longer exists. A deleted item whose `completed` was still waiting for its read ends as `failed`
//   (`QueueItemGone`): its outputs can no longer be read.
// - `queue_cleared` ends nothing by itself: it names no items, and a late one may be about a clear
//   that happened before our enqueue (the server then still has our items and runs them). It puts
//   every open item in doubt (`itemsInDoubt`): the pipeline reads them at once; a snapshot lifts the
//   doubt, a 404 (`item_gone`) ends the item with the reason `queue_cleared`.
import { isTerminalStatus, type InvocationOutput, type QueueItem, type QueueItemStatus } from '../protocol/dto';
import type { WorkflowOutput } from '../workflow/types';
import type { ProgressImage, RunEvent, RunItemError, RunItemResult, RunOutput, RunResult } from './events';
import { outputsOfQueueItem, runOutputOf } from './outputs';

/** What a run reducer is set up with. */
export interface RunSpec {
  /** The batch id the client chose before enqueueing; facts of other batches are ignored. */
  readonly batchId: string;
  /** The workflow's output nodes (`listOutputs(wf)`): their results become `output` events and `outputs`. */
  readonly outputs: readonly WorkflowOutput[];
}

/** The fields every fact about one node of one item carries. */
interface NodeFactBase {
  readonly itemId: number;
  readonly batchId: string;
  /** The server's prepared copy id (`invocation.id`). */
  readonly preparedId: string;
  /** The workflow node id (`invocation_source_id`). */
  readonly sourceNodeId: string;
  readonly nodeType: string;
}

/**
 * One normalized input of the run reducer. The socket and REST both produce these; the reducer
 * does not care which source a fact came from, except through `status_sequence`.
 */
export type RunFact =
  /** The enqueue answer (`EnqueueBatchResult`), or its equivalent recovered from the server. */
  | {
      readonly kind: 'enqueued';
      readonly batchId: string;
      readonly itemIds: readonly number[];
      readonly requested: number;
      readonly enqueued: number;
    }
  /** A status of one item: `queue_item_status_changed`, or a summary read from REST. */
  | {
      readonly kind: 'status';
      readonly itemId: number;
      readonly batchId: string;
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
  | { readonly kind: 'item_gone'; readonly itemId: number; readonly reason: string }
  /**
   * `queue_cleared`: every item the queue had when it was cleared was canceled and deleted. Whether
   * that was before or after our enqueue is unknown, so it only asks for a read of the open items.
   */
  | { readonly kind: 'queue_cleared' }
  /** `queue_items_canceled`: a bulk cancel, after which the server sends no per-item status. */
  | { readonly kind: 'items_canceled'; readonly itemIds: readonly number[] };

/** The node error that `invocation_error` reported for an item. */
export interface NodeFailure {
  readonly nodeId: string;
  readonly preparedId: string;
  readonly error: RunItemError;
}

/** What the reducer knows about one item of the run. */
export interface ItemState {
  readonly itemId: number;
  /** The last accepted status (`pending` until the server says otherwise). */
  readonly status: QueueItemStatus;
  readonly sequence: number | null;
  /** The error carried by the `failed` status, if any. */
  readonly statusError: RunItemError | null;
  readonly nodeFailure: NodeFailure | null;
  /** The latest snapshot that was not stale. */
  readonly snapshot: QueueItem | null;
  /**
   * Why the item may no longer be on the server (`queue_cleared`), until a read says: a snapshot
   * clears it, and it is the reason an `item_gone` ends the item with.
   */
  readonly doubt: string | null;
  readonly started: Readonly<Record<string, true>>;
  readonly completed: Readonly<Record<string, true>>;
  /** Set when the terminal event was emitted; nothing of the item is emitted after that. */
  readonly outcome: RunItemResult | null;
}

/** The state of one run: a value, replaced (never mutated) by `reduceRun`. */
export interface RunState {
  readonly spec: RunSpec;
  /** `null` until the `enqueued` fact. */
  readonly enqueue: { readonly requested: number; readonly enqueued: number } | null;
  /** Ascending. */
  readonly itemIds: readonly number[];
  readonly items: Readonly<Record<number, ItemState>>;
  /** Facts of this batch that arrived before `enqueued`, in arrival order. */
  readonly buffered: readonly RunFact[];
  /** How many items have not had their terminal event (kept so that `isDone` is O(1) on big sweeps). */
  readonly open: number;
}

/** What one step of the reducer returns: the next state and the events to emit, in order. */
export interface RunStep {
  readonly state: RunState;
  readonly emit: readonly RunEvent[];
}

/** The state of a run before anything is known. */
export const initialRunState = (spec: RunSpec): RunState => ({
  spec,
  enqueue: null,
  itemIds: [],
  items: {},
  buffered: [],
  open: 0,
});

const statusRank = (status: QueueItemStatus): number =>
  status === 'pending' ? 0 : status === 'in_progress' || status === 'waiting' ? 1 : 2;

type Order = 'newer' | 'same' | 'older';

/** Where a reported status stands relative to what the item already has. */
const orderOf = (item: ItemState, status: QueueItemStatus, sequence: number | null): Order => {
  if (sequence !== null && item.sequence !== null) {
    return sequence > item.sequence ? 'newer' : sequence === item.sequence ? 'same' : 'older';
  }
  if (status === item.status) return 'same';
  if (isTerminalStatus(item.status)) return 'older';
  return statusRank(status) >= statusRank(item.status) ? 'newer' : 'older';
};

const newItem = (itemId: number): ItemState => ({
  itemId,
  status: 'pending',
  sequence: null,
  statusError: null,
  nodeFailure: null,
  snapshot: null,
  doubt: null,
  started: {},
  completed: {},
  outcome: null,
});

const errorOfItem = (item: QueueItem): RunItemError | null =>
  typeof item.error_type === 'string' || typeof item.error_message === 'string'
    ? { type: item.error_type ?? 'Error', message: item.error_message ?? '', traceback: item.error_traceback ?? '' }
    : null;

/** The first node error of a session, mapped to the workflow node: `session.errors` holds `"<Type>: <message>"`. */
const sessionFailureOf = (item: QueueItem): { nodeId: string; error: RunItemError } | null => {
  const errors = item.session.errors ?? {};
  const preparedId = Object.keys(errors)[0];
  if (preparedId === undefined) return null;
  const text = errors[preparedId];
  const colon = text.indexOf(': ');
  const nodeId = item.session.prepared_source_mapping?.[preparedId] ?? preparedId;
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

interface Step {
  readonly item: ItemState;
  readonly emit: readonly RunEvent[];
}

const finish = (item: ItemState, outcome: RunItemResult, terminal: RunEvent): Step => ({
  item: { ...item, status: outcome.status, outcome },
  emit: [{ type: 'status', itemId: item.itemId, status: outcome.status }, terminal],
});

const fieldValuesOf = (item: ItemState): RunItemResult['fieldValues'] => item.snapshot?.field_values ?? [];

const finishCompleted = (spec: RunSpec, item: ItemState, snapshot: QueueItem): Step => {
  const outputs: readonly RunOutput[] = outputsOfQueueItem(spec.outputs, snapshot);
  return finish(
    item,
    { itemId: item.itemId, status: 'completed', outputs, fieldValues: snapshot.field_values ?? [], queueItem: snapshot },
    { type: 'completed', itemId: item.itemId, outputs, queueItem: snapshot },
  );
};

const finishFailed = (item: ItemState, error: RunItemError, nodeId: string | undefined): Step =>
  finish(
    item,
    {
      itemId: item.itemId,
      status: 'failed',
      outputs: [],
      error,
      ...(nodeId === undefined ? {} : { failedNodeId: nodeId }),
      fieldValues: fieldValuesOf(item),
      queueItem: item.snapshot,
    },
    { type: 'failed', itemId: item.itemId, error, ...(nodeId === undefined ? {} : { nodeId }) },
  );

const finishCanceled = (item: ItemState, reason?: string): Step =>
  finish(
    item,
    { itemId: item.itemId, status: 'canceled', outputs: [], fieldValues: fieldValuesOf(item), queueItem: item.snapshot },
    { type: 'canceled', itemId: item.itemId, ...(reason === undefined ? {} : { reason }) },
  );

/** A failure from whatever is known, best source first: the node error, the snapshot, the status. */
const failedFromKnown = (item: ItemState): Step => {
  const snapshot = item.snapshot?.status === 'failed' ? item.snapshot : null;
  const fromSession = snapshot === null ? null : sessionFailureOf(snapshot);
  const error =
    item.nodeFailure?.error ??
    (snapshot === null ? null : errorOfItem(snapshot)) ??
    fromSession?.error ??
    item.statusError ??
    unknownError;
  return finishFailed(item, error, item.nodeFailure?.nodeId ?? fromSession?.nodeId);
};

/** Emits the held terminal event when what it needs has arrived. */
const settle = (spec: RunSpec, item: ItemState): Step => {
  if (item.outcome !== null) return { item, emit: [] };
  if (item.status === 'canceled') return finishCanceled(item);
  if (item.status === 'completed' && item.snapshot?.status === 'completed') return finishCompleted(spec, item, item.snapshot);
  if (item.status === 'failed' && (item.nodeFailure !== null || item.snapshot?.status === 'failed')) return failedFromKnown(item);
  return { item, emit: [] };
};

const applyStatus = (
  spec: RunSpec,
  item: ItemState,
  status: QueueItemStatus,
  sequence: number | null,
  error: RunItemError | null,
): Step => {
  const order = orderOf(item, status, sequence);
  if (order === 'older') return { item, emit: [] };
  if (order === 'same') {
    const filled: ItemState = {
      ...item,
      sequence: item.sequence ?? sequence,
      statusError: item.statusError ?? (status === 'failed' ? error : null),
    };
    return settle(spec, filled);
  }
  const next: ItemState = {
    ...item,
    status,
    sequence: sequence ?? item.sequence,
    statusError: status === 'failed' ? error ?? item.statusError : item.statusError,
  };
  if (isTerminalStatus(status)) return settle(spec, next);
  // A newer sequence with the same status means the changes between were missed: nothing new to tell.
  return { item: next, emit: status === item.status ? [] : [{ type: 'status', itemId: item.itemId, status }] };
};

const applySnapshot = (spec: RunSpec, item: ItemState, snapshot: QueueItem): Step => {
  // Even a stale read proves the item was not deleted by the clear in doubt: the pipeline reads
  // again after each clear, so a read that was already in flight cannot hide a deletion.
  const checked: ItemState = item.doubt === null ? item : { ...item, doubt: null };
  const sequence = snapshot.status_sequence ?? null;
  if (orderOf(item, snapshot.status, sequence) === 'older') return { item: checked, emit: [] };
  return applyStatus(spec, { ...checked, snapshot }, snapshot.status, sequence, errorOfItem(snapshot));
};

/** An item that is no longer on the server ends with what is known about it. */
const applyGone = (item: ItemState, reason: string): Step => {
  if (item.status === 'failed') return failedFromKnown(item);
  if (item.status === 'completed') {
    // The results cannot be read any more; saying `completed` without them would hide the loss.
    return finishFailed(
      item,
      {
        type: 'QueueItemGone',
        message: `Queue item ${item.itemId} completed, but it was removed from the queue (${reason}) before its results could be read. Its images may still be on the server's boards or gallery.`,
        traceback: '',
      },
      undefined,
    );
  }
  return finishCanceled(item, reason);
};

const isOpen = (item: ItemState): boolean => item.outcome === null && !isTerminalStatus(item.status);

const applyNodeFact = (
  spec: RunSpec,
  item: ItemState,
  fact: Extract<RunFact, { kind: 'node_started' | 'node_progress' | 'node_completed' | 'node_error' }>,
): Step => {
  const { itemId, preparedId, sourceNodeId: nodeId, nodeType } = fact;
  switch (fact.kind) {
    case 'node_error': {
      if (item.outcome !== null || item.nodeFailure !== null) return { item, emit: [] };
      return settle(spec, { ...item, nodeFailure: { nodeId, preparedId, error: fact.error } });
    }
    case 'node_started': {
      if (!isOpen(item) || item.started[preparedId] || item.completed[preparedId]) return { item, emit: [] };
      return {
        item: { ...item, started: { ...item.started, [preparedId]: true } },
        emit: [{ type: 'node_started', itemId, nodeId, preparedId, nodeType }],
      };
    }
    case 'node_progress': {
      if (!isOpen(item) || item.completed[preparedId]) return { item, emit: [] };
      return {
        item,
        emit: [
          { type: 'node_progress', itemId, nodeId, preparedId, percentage: fact.percentage, message: fact.message, image: fact.image },
        ],
      };
    }
    case 'node_completed': {
      if (!isOpen(item) || item.completed[preparedId]) return { item, emit: [] };
      const output = spec.outputs.find((candidate) => candidate.nodeId === nodeId);
      const emit: RunEvent[] = [{ type: 'node_completed', itemId, nodeId, preparedId, nodeType, result: fact.result }];
      if (output !== undefined) emit.push({ type: 'output', itemId, output: runOutputOf(output, fact.result, fact.invocation) });
      return { item: { ...item, completed: { ...item.completed, [preparedId]: true } }, emit };
    }
  }
};

/** The item and batch a fact is about; `null` for run-wide facts. */
const targetOf = (fact: RunFact): { itemId: number; batchId: string | null } | null => {
  switch (fact.kind) {
    case 'enqueued':
    case 'queue_cleared':
    case 'items_canceled':
      return null;
    case 'snapshot':
      return { itemId: fact.item.item_id, batchId: fact.item.batch_id };
    case 'item_gone':
      return { itemId: fact.itemId, batchId: null };
    default:
      return { itemId: fact.itemId, batchId: fact.batchId };
  }
};

const withItem = (state: RunState, item: ItemState): RunState => {
  const ended = state.items[item.itemId]?.outcome === null && item.outcome !== null;
  return { ...state, items: { ...state.items, [item.itemId]: item }, open: ended ? state.open - 1 : state.open };
};

const applyEnqueued = (state: RunState, fact: Extract<RunFact, { kind: 'enqueued' }>): RunStep => {
  if (state.enqueue !== null || fact.batchId !== state.spec.batchId) return { state, emit: [] };
  const itemIds = [...new Set(fact.itemIds)].sort((a, b) => a - b);
  const items: Record<number, ItemState> = {};
  for (const id of itemIds) items[id] = newItem(id);
  let current: RunState = {
    ...state,
    enqueue: { requested: fact.requested, enqueued: fact.enqueued },
    itemIds,
    items,
    buffered: [],
    open: itemIds.length,
  };
  const emit: RunEvent[] = [
    { type: 'enqueued', batchId: fact.batchId, itemIds, requested: fact.requested, enqueued: fact.enqueued },
  ];
  for (const buffered of state.buffered) {
    const step = reduceRun(current, buffered);
    current = step.state;
    emit.push(...step.emit);
  }
  return { state: current, emit };
};

/**
 * One step of a run: the next state, and the run events this fact causes (often none).
 *
 * @example
 * let state = initialRunState({ batchId, outputs: listOutputs(wf) });
 * for (const fact of facts) {
 *   const step = reduceRun(state, fact);
 *   state = step.state;
 *   step.emit.forEach((event) => subscriber.next(event));
 * }
 */
export const reduceRun = (state: RunState, fact: RunFact): RunStep => {
  if (fact.kind === 'enqueued') return applyEnqueued(state, fact);
  if (fact.kind === 'items_canceled') {
    // Items whose terminal status is already known ended before the bulk cancel reached them.
    let current = state;
    const emit: RunEvent[] = [];
    for (const itemId of new Set(fact.itemIds)) {
      const item = current.items[itemId];
      if (item === undefined || !isOpen(item)) continue;
      const step = finishCanceled(item);
      current = withItem(current, step.item);
      emit.push(...step.emit);
    }
    return { state: current, emit };
  }
  if (fact.kind === 'queue_cleared') {
    // Not a terminal fact: the event names no items and may be about a clear from before our
    // enqueue. Before `enqueued` it is kept, so that the items are in doubt once they are known.
    if (state.enqueue === null) {
      const kept = state.buffered.some((buffered) => buffered.kind === 'queue_cleared');
      return kept ? { state, emit: [] } : { state: { ...state, buffered: [...state.buffered, fact] }, emit: [] };
    }
    let items: Record<number, ItemState> | null = null;
    for (const itemId of state.itemIds) {
      const item = state.items[itemId];
      if (item.outcome !== null || item.doubt !== null) continue;
      items ??= { ...state.items };
      items[itemId] = { ...item, doubt: 'queue_cleared' };
    }
    return { state: items === null ? state : { ...state, items }, emit: [] };
  }
  const target = targetOf(fact);
  if (target === null) return { state, emit: [] };
  if (target.batchId !== null && target.batchId !== state.spec.batchId) return { state, emit: [] };
  if (state.enqueue === null) {
    // Only facts that name our batch can be kept; `item_gone` names none and cannot precede the
    // item ids it is about.
    return target.batchId === null ? { state, emit: [] } : { state: { ...state, buffered: [...state.buffered, fact] }, emit: [] };
  }
  const item = state.items[target.itemId];
  if (item === undefined || item.outcome !== null) return { state, emit: [] };
  let step: Step;
  switch (fact.kind) {
    case 'status':
      step = applyStatus(state.spec, item, fact.status, fact.sequence, fact.error ?? null);
      break;
    case 'snapshot':
      step = applySnapshot(state.spec, item, fact.item);
      break;
    case 'item_gone':
      // After a clear, a missing item was most likely removed by it: say so.
      step = applyGone(item, item.doubt ?? fact.reason);
      break;
    default:
      step = applyNodeFact(state.spec, item, fact);
  }
  return step.item === item ? { state, emit: step.emit } : { state: withItem(state, step.item), emit: step.emit };
};

/** Feeds several facts in order; the events of all of them, in order. */
export const reduceRunAll = (state: RunState, facts: Iterable<RunFact>): RunStep => {
  let current = state;
  const emit: RunEvent[] = [];
  for (const fact of facts) {
    const step = reduceRun(current, fact);
    current = step.state;
    emit.push(...step.emit);
  }
  return { state: current, emit };
};

/** True once the batch is enqueued and every item has had its terminal event. */
export const isDone = (state: RunState): boolean => state.enqueue !== null && state.open === 0;

/** The items that have not had their terminal event yet (ascending). */
export const pendingItems = (state: RunState): readonly number[] =>
  state.itemIds.filter((id) => state.items[id].outcome === null);

/**
 * Whether a fact can change `itemsNeedingSnapshot` or `itemsInDoubt`: a node that starts, makes
 * progress or completes touches neither an item's status nor its end, so the pipeline need not
 * rescan a big sweep for each of them.
 */
export const mayChangeReads = (fact: RunFact): boolean =>
  fact.kind !== 'node_started' && fact.kind !== 'node_progress' && fact.kind !== 'node_completed';

/**
 * The items whose terminal status is known but whose terminal event waits for an authoritative
 * read: the pipeline should read each of them (`GET .../i/{id}`) and feed the `snapshot`.
 */
export const itemsNeedingSnapshot = (state: RunState): readonly number[] =>
  state.itemIds.filter((id) => {
    const item = state.items[id];
    return item.outcome === null && (item.status === 'completed' || item.status === 'failed');
  });

/**
 * The open items that a `queue_cleared` may have deleted (ascending): the pipeline should read each
 * of them at once and feed the `snapshot` (the item is still there) or `item_gone` (a 404). Until
 * then they are neither ended nor trusted to be running.
 */
export const itemsInDoubt = (state: RunState): readonly number[] =>
  state.itemIds.filter((id) => {
    const item = state.items[id];
    return item.outcome === null && item.doubt !== null;
  });

/** The result of the run so far: every item that has ended, ascending item id. */
export const runResultOf = (state: RunState): RunResult => ({
  batchId: state.spec.batchId,
  items: state.itemIds.flatMap((id) => {
    const outcome = state.items[id].outcome;
    return outcome === null ? [] : [outcome];
  }),
});

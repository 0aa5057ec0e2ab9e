// A run as an immutable value: `reduceRun(state, fact)` gives the next `RunState` and the events
// the fact causes, leaving the state it was given as it was. It follows the rules of the run store
// (`store.ts`, where they are written down) by copying the state into a store, applying the fact,
// and copying it out again: O(items) per step, which suits tests, tools and replays. The run
// pipeline keeps a `RunStore` itself, at O(1) per fact.
import type { QueueItem, QueueItemStatus } from '../protocol/dto';
import type { BatchId, ItemId, PreparedId } from '../protocol/ids';
import type { RunEvent, RunItemError, RunItemResult, RunResult } from './events';
import type { RunFact } from './facts';
import { ItemRecord, NodeFailure, RunSpec, RunStore } from './store';

export type { RunFact } from './facts';
export { mayChangeReads } from './facts';
export type { NodeFailure, RunSpec } from './store';

/** What is known about one item of the run. */
export interface ItemState {
  readonly itemId: ItemId;
  /** The last accepted status (`pending` until the server says otherwise). */
  readonly status: QueueItemStatus;
  readonly sequence: number | null;
  /** The error carried by the `failed` status, if any. */
  readonly statusError: RunItemError | null;
  readonly nodeFailure: NodeFailure | null;
  /** The latest snapshot that was not stale. */
  readonly snapshot: QueueItem | null;
  /** Why the item may no longer be on the server (`queue_cleared`), until a read says. */
  readonly doubt: string | null;
  /** Prepared ids that started / completed. */
  readonly started: ReadonlySet<PreparedId>;
  readonly completed: ReadonlySet<PreparedId>;
  /** Set when the terminal event was emitted; nothing of the item is emitted after that. */
  readonly outcome: RunItemResult | null;
}

/** The state of one run: a value, replaced (never changed) by `reduceRun`. */
export interface RunState {
  readonly spec: RunSpec;
  /** `null` until the `enqueued` fact. */
  readonly enqueue: { readonly requested: number; readonly enqueued: number } | null;
  /** Ascending. */
  readonly itemIds: readonly ItemId[];
  /** By queue item id. */
  readonly items: ReadonlyMap<ItemId, ItemState>;
  /** Facts of this batch that arrived before `enqueued`, in arrival order. */
  readonly buffered: readonly RunFact[];
  /** How many items have not had their terminal event. */
  readonly open: number;
}

/** What one step of the reducer returns: the next state and the events to emit, in order. */
export interface RunStep {
  readonly state: RunState;
  readonly emit: readonly RunEvent[];
}

const EMPTY_SET: ReadonlySet<PreparedId> = /*#__PURE__*/ new Set();

/** The state of a run before anything is known. */
export const initialRunState = (spec: RunSpec): RunState => ({ spec, enqueue: null, itemIds: [], items: new Map(), buffered: [], open: 0 });

const recordOf = (item: ItemState): ItemRecord => ({
  itemId: item.itemId,
  status: item.status,
  sequence: item.sequence,
  statusError: item.statusError,
  nodeFailure: item.nodeFailure,
  snapshot: item.snapshot,
  doubt: item.doubt,
  started: item.started.size === 0 ? null : new Set(item.started),
  completed: item.completed.size === 0 ? null : new Set(item.completed),
  outcome: item.outcome,
  ended: item.outcome !== null,
});

const itemStateOf = (record: ItemRecord): ItemState =>
  Object.freeze({
    itemId: record.itemId,
    status: record.status,
    sequence: record.sequence,
    statusError: record.statusError,
    nodeFailure: record.nodeFailure,
    snapshot: record.snapshot,
    doubt: record.doubt,
    started: record.started === null ? EMPTY_SET : new Set(record.started),
    completed: record.completed === null ? EMPTY_SET : new Set(record.completed),
    outcome: record.outcome,
  });

const storeOf = (state: RunState): RunStore => {
  const store = new RunStore(state.spec, { keepResults: true });
  store.restore({ enqueue: state.enqueue, itemIds: state.itemIds, items: [...state.items.values()].map(recordOf), buffered: state.buffered });
  return store;
};

const stateOf = (store: RunStore): RunState =>
  Object.freeze({
    spec: store.spec,
    enqueue: store.enqueue,
    itemIds: store.itemIds,
    items: new Map(store.records().map((record) => [record.itemId, itemStateOf(record)] as const)),
    buffered: Object.freeze([...store.bufferedFacts()]),
    open: store.open.size,
  });

/**
 * One step of a run: the next state, and the run events this fact causes (often none).
 *
 * @example
 * import { listOutputs, type BatchId } from 'invokeai-rx';
 * declare const batchId: BatchId;
 * declare const facts: readonly RunFact[];
 * let state = initialRunState({ batchId, outputs: listOutputs(wf) });
 * for (const fact of facts) {
 *   const step = reduceRun(state, fact);
 *   state = step.state;
 *   step.emit.forEach((event) => console.log(event.type));
 * }
 * @internal
 */
export const reduceRun = (state: RunState, fact: RunFact): RunStep => reduceRunAll(state, [fact]);

/** Feeds several facts in order; the events of all of them, in order. */
export const reduceRunAll = (state: RunState, facts: Iterable<RunFact>): RunStep => {
  const store = storeOf(state);
  const emit: RunEvent[] = [];
  for (const fact of facts) store.apply(fact, emit);
  return { state: stateOf(store), emit };
};

/** True once the batch is enqueued and every item has had its terminal event. */
export const isDone = (state: RunState): boolean => state.enqueue !== null && state.open === 0;

const itemsWhere = (state: RunState, keep: (item: ItemState) => boolean): readonly ItemId[] =>
  state.itemIds.filter((id) => {
    const item = state.items.get(id);
    return item !== undefined && keep(item);
  });

/** The items that have not had their terminal event yet (ascending). */
export const pendingItems = (state: RunState): readonly ItemId[] => itemsWhere(state, (item) => item.outcome === null);

/**
 * The items whose terminal status is known but whose terminal event waits for an authoritative
 * read: the pipeline reads each of them (`GET .../i/{id}`) and feeds the `snapshot`.
 */
export const itemsNeedingSnapshot = (state: RunState): readonly ItemId[] =>
  itemsWhere(state, (item) => item.outcome === null && (item.status === 'completed' || item.status === 'failed'));

/**
 * The open items that a `queue_cleared` may have deleted (ascending): the pipeline reads each of
 * them at once and feeds the `snapshot` (the item is still there) or `item_gone` (a 404).
 */
export const itemsInDoubt = (state: RunState): readonly ItemId[] => itemsWhere(state, (item) => item.outcome === null && item.doubt !== null);

/** The result of the run so far: every item that has ended, ascending item id. */
export const runResultOf = (state: RunState): RunResult => ({
  batchId: state.spec.batchId,
  items: state.itemIds.flatMap((id) => {
    const outcome = state.items.get(id)?.outcome ?? null;
    return outcome === null ? [] : [outcome];
  }),
});

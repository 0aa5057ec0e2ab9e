// The run store's rules that the histories of state-spec do not reach: equal status sequences, the
// early buffer at size, ids that are names of Object.prototype, and what a stream keeps.
import type { RunEvent } from '../../lib/run/events';
import type { RunFact } from '../../lib/run/facts';
import { RunStore, newItemRecord, orderOf } from '../../lib/run/store';
import { BATCH, completedNode, enqueued, imageResult, progress, queueItem, SAVE_OUTPUT, snapshot, started, status } from './history';
import * as ids from './ids';

const spec = { batchId: BATCH, outputs: [SAVE_OUTPUT] };

const apply = (store: RunStore, facts: readonly RunFact[]): RunEvent[] => {
  const out: RunEvent[] = [];
  for (const fact of facts) store.apply(fact, out);
  return out;
};

const boom = { type: 'RuntimeError', message: 'CUDA out of memory', traceback: '' };

describe('orderOf: where a reported status stands', () => {
  const at = (statusValue: Parameters<typeof orderOf>[1], sequence: number | null) => ({ ...newItemRecord(ids.itemId(1)), status: statusValue, sequence });

  it('by sequence when both have one: an equal sequence is the same status, whatever it says', () => {
    expect(orderOf(at('in_progress', 3), 'completed', 4)).toBe('newer');
    expect(orderOf(at('in_progress', 3), 'completed', 3)).toBe('same');
    expect(orderOf(at('in_progress', 3), 'pending', 2)).toBe('older');
  });

  it('by rank without a sequence: forward only, and nothing after a terminal status', () => {
    expect(orderOf(at('pending', null), 'in_progress', null)).toBe('newer');
    expect(orderOf(at('in_progress', null), 'pending', null)).toBe('older');
    expect(orderOf(at('completed', null), 'failed', null)).toBe('older');
    expect(orderOf(at('waiting', null), 'waiting', null)).toBe('same');
  });
});

describe('RunStore: equal sequences are dropped', () => {
  it('a status with the sequence the item already has changes nothing, even when it names another status', () => {
    const store = new RunStore(spec, { keepResults: false });
    apply(store, [enqueued([1]), status(1, 'in_progress', 3)]);
    const events = apply(store, [status(1, 'completed', 3), status(1, 'canceled', 3)]);
    expect(events).toEqual([]);
    expect(store.item(1)?.status).toBe('in_progress');
    expect(store.needingSnapshot.size).toBe(0);
    expect(store.open.has(ids.itemId(1))).toBe(true);
  });

  it('a duplicate of a failed status still fills in the error the first one lacked', () => {
    const store = new RunStore(spec, { keepResults: true });
    apply(store, [enqueued([1]), status(1, 'in_progress', 1), status(1, 'failed', 2)]);
    expect(store.item(1)?.statusError).toBeNull();
    apply(store, [status(1, 'failed', 2, { error: boom })]);
    expect(store.item(1)?.statusError).toEqual(boom);
    // Still waiting for the node error or a read; then the error of the status is the one reported.
    const events = apply(store, [{ kind: 'item_gone', itemId: ids.itemId(1), reason: 'deleted' }]);
    expect(events).toEqual([
      { type: 'status', itemId: 1, status: 'failed' },
      { type: 'failed', itemId: 1, error: boom },
    ]);
  });
});

describe('RunStore: facts that beat the enqueue answer', () => {
  it('keeps 100,000 early facts in one append-only buffer and replays them in arrival order', () => {
    const store = new RunStore(spec, { keepResults: false });
    const count = 100_000;
    const early: RunFact[] = [status(1, 'in_progress', 1), started(1, 'save', 'save#1')];
    for (let i = 0; i < count - 2; i += 1) early.push(progress(1, 'save', 'save#1', i / count));
    const seen: RunEvent[] = [];
    const buffer = store.bufferedFacts();
    for (const fact of early) store.apply(fact, seen);
    expect(seen).toEqual([]);
    // The buffer was appended to, never copied: one array whatever the count.
    expect(store.bufferedFacts()).toBe(buffer);
    expect(store.bufferedCount).toBe(count);
    const replay = apply(store, [enqueued([1])]);
    expect(replay).toHaveLength(1 + 1 + 1 + (count - 2));
    expect(replay.slice(0, 3).map((e) => e.type)).toEqual(['enqueued', 'status', 'node_started']);
    const percentages = replay.flatMap((e) => (e.type === 'node_progress' ? [e.percentage ?? -1] : []));
    expect(percentages.every((p, i) => i === 0 || p > percentages[i - 1])).toBe(true);
    expect(store.bufferedCount).toBe(0);
  });
});

describe('RunStore: ids that are names of Object.prototype', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('prepared id and node id %s: started and completed once, its output mapped', (id) => {
    const store = new RunStore({ batchId: BATCH, outputs: [{ ...SAVE_OUTPUT, nodeId: id }] }, { keepResults: true });
    const item = queueItem(1, 'completed', 2, {
      results: { [id]: imageResult('a.png') },
      prepared_source_mapping: {},
      source_prepared_mapping: {},
    });
    // JSON, as the server sends it: `__proto__` is then a field of its own, not the prototype.
    const fromServer = JSON.parse(JSON.stringify(item)) as typeof item;
    expect(Object.keys(fromServer.session.results ?? {})).toEqual([id]);
    const events = apply(store, [
      enqueued([1]),
      status(1, 'in_progress', 1),
      started(1, id, id),
      started(1, id, id),
      completedNode(1, id, id, imageResult('a.png')),
      completedNode(1, id, id, imageResult('a.png')),
      status(1, 'completed', 2),
      snapshot(fromServer),
    ]);
    expect(events.filter((e) => e.type === 'node_started')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'node_completed')).toHaveLength(1);
    const completed = events.find((e) => e.type === 'completed');
    expect(completed).toMatchObject({ type: 'completed', itemId: 1 });
    // Neither mapping names the node, so the authoritative outputs are empty, never a crash.
    expect(completed?.type === 'completed' ? completed.outputs : null).toEqual([]);
  });
});

describe('outputs of a node whose id is a name of Object.prototype', () => {
  it.each(['constructor', 'toString', '__proto__'])('node %s: its images come from its own mapping entry', (id) => {
    const store = new RunStore({ batchId: BATCH, outputs: [{ ...SAVE_OUTPUT, nodeId: id }] }, { keepResults: false });
    const item = JSON.parse(
      JSON.stringify(
        queueItem(1, 'completed', 2, {
          results: { 'p-1': imageResult('b.png') },
          prepared_source_mapping: { 'p-1': id },
          source_prepared_mapping: { [id]: ['p-1'] },
          execution_graph: { id: 'g', nodes: { 'p-1': { id: 'p-1', type: 'save_image', board: { board_id: 'b1' } } }, edges: [] },
        }),
      ),
    ) as ReturnType<typeof queueItem>;
    const events = apply(store, [enqueued([1]), snapshot(item)]);
    const completed = events.find((e) => e.type === 'completed');
    expect(completed?.type === 'completed' ? completed.outputs.map((o) => [o.nodeId, o.boardId, o.images.map((i) => i.imageName)]) : null).toEqual([
      [id, 'b1', ['b.png']],
    ]);
  });
});

describe('RunStore as a stream', () => {
  it('holds only terminal snapshots, and nothing of an item once it ended', () => {
    const store = new RunStore(spec, { keepResults: false });
    apply(store, [enqueued([1, 2]), snapshot(queueItem(1, 'pending', 0)), snapshot(queueItem(2, 'in_progress', 1))]);
    expect(store.item(1)?.snapshot).toBeNull();
    expect(store.item(2)?.snapshot).toBeNull();
    apply(store, [status(1, 'canceled', 1)]);
    expect(store.item(1)).toBeUndefined();
    expect([...store.open]).toEqual([2]);
    // A late fact about the forgotten item is dropped, as one about an ended item.
    expect(apply(store, [status(1, 'in_progress', 5)])).toEqual([]);
  });
});

describe('RunStore: a bulk cancel that beats the enqueue answer', () => {
  it('is kept and ends the items of ours it names once the answer arrives', () => {
    const store = new RunStore(spec, { keepResults: false });
    apply(store, [{ kind: 'items_canceled', itemIds: ids.itemIds([2, 99]) }]);
    const events = apply(store, [enqueued([1, 2])]);
    expect(events.map((e) => (e.type === 'enqueued' ? 'enqueued' : `${e.itemId} ${e.type}`))).toEqual(['enqueued', '2 status', '2 canceled']);
    expect([...store.open]).toEqual([1]);
  });
});

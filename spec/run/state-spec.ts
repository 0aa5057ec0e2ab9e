import type { RunEvent } from '../../lib/run/events';
import {
  initialRunState,
  isDone,
  itemsInDoubt,
  itemsNeedingSnapshot,
  mayChangeReads,
  pendingItems,
  reduceRun,
  reduceRunAll,
  RunFact,
  RunState,
  runResultOf,
} from '../../lib/run/state';
import {
  BATCH,
  completedNode,
  enqueued,
  imageResult,
  nodeError,
  OTHER_BATCH,
  progress,
  queueItem,
  SAVE_OUTPUT,
  snapshot,
  started,
  status,
} from './history';
import * as ids from './ids';

const spec = { batchId: BATCH, outputs: [SAVE_OUTPUT] };
const run = (facts: RunFact[], from: RunState = initialRunState(spec)) => reduceRunAll(from, facts);

/** A compact view of the events: enough to read a scenario at a glance. */
const brief = (events: readonly RunEvent[]): string[] =>
  events.map((e) => {
    switch (e.type) {
      case 'enqueued':
        return `enqueued ${e.itemIds.join(',')}`;
      case 'status':
        return `${e.itemId} status ${e.status}`;
      case 'node_started':
      case 'node_completed':
        return `${e.itemId} ${e.type} ${e.nodeId}/${e.preparedId}`;
      case 'node_progress':
        return `${e.itemId} node_progress ${e.nodeId} ${e.percentage}`;
      case 'output':
        return `${e.itemId} output ${e.output.nodeId} ${e.output.images.map((i) => i.imageName).join(',')}`;
      case 'completed':
        return `${e.itemId} completed ${e.outputs.flatMap((o) => o.images.map((i) => i.imageName)).join(',')}`;
      case 'failed':
        return `${e.itemId} failed ${e.error.type} at ${e.nodeId ?? '?'}`;
      case 'canceled':
        return `${e.itemId} canceled${e.reason === undefined ? '' : ` (${e.reason})`}`;
    }
  });

const completedItem = (itemId: number, sequence: number) =>
  queueItem(itemId, 'completed', sequence, {
    results: { 'noise#1': { type: 'noise_output', noise: { latents_name: 't' }, width: 64, height: 64 }, 'save#1': imageResult('out-1.png') },
    prepared_source_mapping: { 'noise#1': 'noise', 'save#1': 'save' },
    source_prepared_mapping: { noise: ['noise#1'], save: ['save#1'] },
  });

const boom = { type: 'RuntimeError', message: 'CUDA out of memory', traceback: 'Traceback (most recent call last): ...' };

describe('reduceRun: a successful item', () => {
  it('reports enqueue, status, node events, the early output and the authoritative completion, in order', () => {
    const { emit, state } = run([
      enqueued([1]),
      status(1, 'in_progress', 1),
      started(1, 'noise', 'noise#1'),
      completedNode(1, 'noise', 'noise#1', { type: 'noise_output', noise: { latents_name: 't' }, width: 64, height: 64 }),
      started(1, 'save', 'save#1'),
      progress(1, 'save', 'save#1', 0.5),
      completedNode(1, 'save', 'save#1', imageResult('out-1.png')),
      status(1, 'completed', 2),
      snapshot(completedItem(1, 2)),
    ]);
    expect(brief(emit)).toEqual([
      'enqueued 1',
      '1 status in_progress',
      '1 node_started noise/noise#1',
      '1 node_completed noise/noise#1',
      '1 node_started save/save#1',
      '1 node_progress save 0.5',
      '1 node_completed save/save#1',
      '1 output save out-1.png',
      '1 status completed',
      '1 completed out-1.png',
    ]);
    expect(isDone(state)).toBe(true);
    expect(runResultOf(state).items).toEqual([
      expect.objectContaining({ itemId: 1, status: 'completed', queueItem: completedItem(1, 2) }),
    ]);
  });

  it('holds `completed` until the authoritative read, and says which item needs it', () => {
    const first = run([enqueued([1]), status(1, 'in_progress', 1), status(1, 'completed', 2)]);
    expect(brief(first.emit)).toEqual(['enqueued 1', '1 status in_progress']);
    expect(itemsNeedingSnapshot(first.state)).toEqual([1]);
    expect(isDone(first.state)).toBe(false);
    expect(pendingItems(first.state)).toEqual([1]);

    const stale = reduceRun(first.state, snapshot(queueItem(1, 'in_progress', 1)));
    expect(stale.emit).toEqual([]);
    expect(itemsNeedingSnapshot(stale.state)).toEqual([1]);

    const last = reduceRun(stale.state, snapshot(completedItem(1, 2)));
    expect(brief(last.emit)).toEqual(['1 status completed', '1 completed out-1.png']);
    expect(itemsNeedingSnapshot(last.state)).toEqual([]);
    expect(isDone(last.state)).toBe(true);
  });

  it('a REST read that is already terminal completes the item without any socket event', () => {
    const { emit } = run([enqueued([1]), snapshot(completedItem(1, 2))]);
    expect(brief(emit)).toEqual(['enqueued 1', '1 status completed', '1 completed out-1.png']);
  });

  it('waiting is not terminal: waiting → pending → in_progress → completed', () => {
    const { emit } = run([
      enqueued([1]),
      status(1, 'in_progress', 1),
      status(1, 'waiting', 2),
      status(1, 'pending', 3),
      status(1, 'in_progress', 4),
      status(1, 'completed', 5),
      snapshot(completedItem(1, 5)),
    ]);
    expect(brief(emit)).toEqual([
      'enqueued 1',
      '1 status in_progress',
      '1 status waiting',
      '1 status pending',
      '1 status in_progress',
      '1 status completed',
      '1 completed out-1.png',
    ]);
  });
});

describe('reduceRun: ordering, duplicates and stale facts', () => {
  it('orders statuses by status_sequence: a late older status is dropped', () => {
    const { emit } = run([enqueued([1]), status(1, 'waiting', 2), status(1, 'in_progress', 1), status(1, 'pending', 3)]);
    expect(brief(emit)).toEqual(['enqueued 1', '1 status waiting', '1 status pending']);
  });

  it('does not report a status twice when the changes between were missed', () => {
    const { emit } = run([enqueued([1]), status(1, 'in_progress', 1), status(1, 'in_progress', 4), status(1, 'waiting', 2)]);
    expect(brief(emit)).toEqual(['enqueued 1', '1 status in_progress']);
  });

  it('drops duplicate statuses and duplicate node events', () => {
    const { emit } = run([
      enqueued([1]),
      status(1, 'in_progress', 1),
      status(1, 'in_progress', 1, { source: 'rest' }),
      started(1, 'save', 'save#1'),
      started(1, 'save', 'save#1'),
      completedNode(1, 'save', 'save#1', imageResult('out-1.png')),
      completedNode(1, 'save', 'save#1', imageResult('out-1.png')),
      progress(1, 'save', 'save#1', 0.9),
      started(1, 'save', 'save#1'),
    ]);
    expect(brief(emit)).toEqual([
      'enqueued 1',
      '1 status in_progress',
      '1 node_started save/save#1',
      '1 node_completed save/save#1',
      '1 output save out-1.png',
    ]);
  });

  it('a terminal status that overtook the running one wins; the late in_progress is dropped', () => {
    const { emit } = run([enqueued([1]), status(1, 'canceled', 2), status(1, 'in_progress', 1)]);
    expect(brief(emit)).toEqual(['enqueued 1', '1 status canceled', '1 canceled']);
  });

  it('without status_sequence (older servers) a status only moves forward', () => {
    const { emit } = run([
      enqueued([1]),
      status(1, 'in_progress', null),
      status(1, 'pending', null, { source: 'rest' }),
      status(1, 'canceled', null),
      status(1, 'completed', null),
    ]);
    expect(brief(emit)).toEqual(['enqueued 1', '1 status in_progress', '1 status canceled', '1 canceled']);
  });

  it('nothing of an item follows its terminal event', () => {
    const done = run([enqueued([1]), status(1, 'in_progress', 1), status(1, 'canceled', 2)]);
    const late = run(
      [
        started(1, 'save', 'save#1'),
        progress(1, 'save', 'save#1', 0.1),
        completedNode(1, 'save', 'save#1', imageResult('late.png')),
        nodeError(1, 'save', 'save#1', boom),
        status(1, 'in_progress', 3),
        status(1, 'failed', 4, { error: boom }),
        snapshot(completedItem(1, 5)),
        { kind: 'item_gone', itemId: ids.itemId(1), reason: 'deleted' },
        { kind: 'queue_cleared' },
      ],
      done.state,
    );
    expect(late.emit).toEqual([]);
    expect(runResultOf(late.state).items).toEqual([expect.objectContaining({ itemId: 1, status: 'canceled' })]);
  });

  it('node events between a held terminal status and its read are not reported', () => {
    const { emit } = run([
      enqueued([1]),
      status(1, 'completed', 2),
      progress(1, 'save', 'save#1', 0.99),
      snapshot(completedItem(1, 2)),
    ]);
    expect(brief(emit)).toEqual(['enqueued 1', '1 status completed', '1 completed out-1.png']);
  });
});

describe('reduceRun: failures (the server sends `failed` before `invocation_error`)', () => {
  it('holds `failed` until invocation_error names the node, then reports its error', () => {
    const first = run([
      enqueued([1]),
      status(1, 'in_progress', 1),
      started(1, 'save', 'save#1'),
      status(1, 'failed', 2, { error: boom }),
    ]);
    expect(brief(first.emit)).toEqual(['enqueued 1', '1 status in_progress', '1 node_started save/save#1']);
    expect(itemsNeedingSnapshot(first.state)).toEqual([1]);

    const second = reduceRun(first.state, nodeError(1, 'save', 'save#1', boom));
    expect(second.emit).toEqual([
      { type: 'status', itemId: 1, status: 'failed' },
      { type: 'failed', itemId: 1, error: boom, nodeId: 'save' },
    ]);
    expect(isDone(second.state)).toBe(true);
    expect(runResultOf(second.state).items[0]).toEqual(
      expect.objectContaining({ status: 'failed', error: boom, failedNodeId: 'save', outputs: [] }),
    );
  });

  it('when invocation_error never comes, the failed read names the node through session.errors', () => {
    const failedRead = queueItem(
      1,
      'failed',
      2,
      {
        errors: { 'save#1': 'RuntimeError: CUDA out of memory' },
        prepared_source_mapping: { 'save#1': 'save' },
        source_prepared_mapping: { save: ['save#1'] },
      },
      { error_type: 'RuntimeError', error_message: 'CUDA out of memory', error_traceback: 'Traceback ...' },
    );
    const { emit } = run([enqueued([1]), status(1, 'in_progress', 1), status(1, 'failed', 2, { error: boom }), snapshot(failedRead)]);
    expect(emit.slice(-1)).toEqual([
      {
        type: 'failed',
        itemId: 1,
        nodeId: 'save',
        error: { type: 'RuntimeError', message: 'CUDA out of memory', traceback: 'Traceback ...' },
      },
    ]);
  });

  it('a failure outside any node (nothing in session.errors) is reported without a node', () => {
    const failedRead = queueItem(1, 'failed', 2, { errors: {} }, { error_type: 'MissingInputException', error_message: 'Node save_image missing value or connection for field image' });
    const { emit } = run([enqueued([1]), snapshot(failedRead)]);
    expect(emit.slice(-1)).toEqual([
      {
        type: 'failed',
        itemId: 1,
        error: { type: 'MissingInputException', message: 'Node save_image missing value or connection for field image', traceback: '' },
      },
    ]);
  });

  it('an invocation_error that overtook the failed status is kept for it', () => {
    const { emit } = run([enqueued([1]), nodeError(1, 'save', 'save#1', boom), status(1, 'failed', 2)]);
    expect(brief(emit)).toEqual(['enqueued 1', '1 status failed', '1 failed RuntimeError at save']);
  });

  it('an item failure is one event among others: the other items go on', () => {
    const { emit, state } = run([
      enqueued([1, 2]),
      status(1, 'failed', 2, { error: boom }),
      nodeError(1, 'save', 'save#1', boom),
      status(2, 'in_progress', 1),
      status(2, 'completed', 2),
      snapshot({ ...completedItem(2, 2), item_id: ids.itemId(2) }),
    ]);
    expect(brief(emit)).toEqual([
      'enqueued 1,2',
      '1 status failed',
      '1 failed RuntimeError at save',
      '2 status in_progress',
      '2 status completed',
      '2 completed out-1.png',
    ]);
    expect(runResultOf(state).items.map((i) => i.status)).toEqual(['failed', 'completed']);
  });
});

describe('reduceRun: events that beat the enqueue answer', () => {
  it('keeps facts of our batch and replays them in order after `enqueued`', () => {
    const early = run([
      status(7, 'in_progress', 1),
      started(7, 'save', 'save#7'),
      completedNode(7, 'save', 'save#7', imageResult('fast.png')),
      status(7, 'completed', 2),
    ]);
    expect(early.emit).toEqual([]);
    expect(isDone(early.state)).toBe(false);
    const answered = reduceRun(early.state, enqueued([7]));
    expect(brief(answered.emit)).toEqual([
      'enqueued 7',
      '7 status in_progress',
      '7 node_started save/save#7',
      '7 node_completed save/save#7',
      '7 output save fast.png',
    ]);
    expect(itemsNeedingSnapshot(answered.state)).toEqual([7]);
  });

  it('drops early facts of items that the answer does not list', () => {
    const { emit } = run([status(8, 'in_progress', 1), status(7, 'in_progress', 1), enqueued([7])]);
    expect(brief(emit)).toEqual(['enqueued 7', '7 status in_progress']);
  });

  it('reports the item ids ascending (the server answers them descending) and a partial enqueue as is', () => {
    const { emit } = run([{ kind: 'enqueued', batchId: BATCH, itemIds: ids.itemIds([12, 11, 10]), requested: 5, enqueued: 3 }]);
    expect(emit).toEqual([{ type: 'enqueued', batchId: BATCH, itemIds: [10, 11, 12], requested: 5, enqueued: 3 }]);
  });

  it('a second enqueue answer is ignored', () => {
    const { emit } = run([enqueued([1]), enqueued([1, 2])]);
    expect(brief(emit)).toEqual(['enqueued 1']);
  });

  it('an empty batch is done as soon as it is enqueued', () => {
    const { state } = run([{ kind: 'enqueued', batchId: BATCH, itemIds: [], requested: 1, enqueued: 0 }]);
    expect(isDone(state)).toBe(true);
    expect(isDone(initialRunState(spec))).toBe(false);
  });
});

describe('reduceRun: facts of other jobs are never applied to ours', () => {
  it('ignores other batches before and after the enqueue answer, even for an item id of ours', () => {
    const { emit } = run([
      status(1, 'in_progress', 1, { batchId: OTHER_BATCH }),
      enqueued([1, 2], OTHER_BATCH),
      enqueued([1]),
      status(1, 'completed', 9, { batchId: OTHER_BATCH }),
      started(1, 'save', 'theirs', OTHER_BATCH),
      snapshot({ ...completedItem(1, 9), batch_id: OTHER_BATCH }),
      status(2, 'in_progress', 1),
      started(2, 'save', 'save#2'),
    ]);
    expect(brief(emit)).toEqual(['enqueued 1']);
  });
});

describe('reduceRun: items removed by someone else', () => {
  it('an open item that is gone ends as canceled with the reason', () => {
    const { emit, state } = run([enqueued([1]), status(1, 'in_progress', 1), { kind: 'item_gone', itemId: ids.itemId(1), reason: 'deleted' }]);
    expect(brief(emit).slice(-2)).toEqual(['1 status canceled', '1 canceled (deleted)']);
    expect(isDone(state)).toBe(true);
  });

  it('a completed item whose results can no longer be read ends as failed, saying so', () => {
    const { emit } = run([enqueued([1]), status(1, 'completed', 2), { kind: 'item_gone', itemId: ids.itemId(1), reason: 'deleted' }]);
    const last = emit[emit.length - 1];
    expect(last).toEqual(expect.objectContaining({ type: 'failed', itemId: 1, error: expect.objectContaining({ type: 'QueueItemGone' }) }));
  });

  it('a failed item that is gone before its error arrived keeps the error of its status', () => {
    const { emit } = run([enqueued([1]), status(1, 'failed', 2, { error: boom }), { kind: 'item_gone', itemId: ids.itemId(1), reason: 'deleted' }]);
    expect(emit[emit.length - 1]).toEqual({ type: 'failed', itemId: 1, error: boom });
  });

  it('a cleared queue ends nothing by itself: it puts the open items in doubt, to be read', () => {
    const { emit, state } = run([
      enqueued([1, 2, 3]),
      status(1, 'canceled', 2),
      status(2, 'in_progress', 1),
      { kind: 'queue_cleared' },
    ]);
    expect(brief(emit)).toEqual(['enqueued 1,2,3', '1 status canceled', '1 canceled', '2 status in_progress']);
    expect(itemsInDoubt(state)).toEqual([2, 3]);
    expect(pendingItems(state)).toEqual([2, 3]);
    expect(isDone(state)).toBe(false);
  });

  it('a late queue_cleared (a clear from before our enqueue) leaves an item the server still has running to its end', () => {
    const cleared = run([enqueued([1]), status(1, 'in_progress', 1), { kind: 'queue_cleared' }]);
    const read = run([snapshot(queueItem(1, 'in_progress', 1))], cleared.state);
    expect(read.emit).toEqual([]);
    expect(itemsInDoubt(read.state)).toEqual([]);
    const rest = run([status(1, 'completed', 2), snapshot(completedItem(1, 2))], read.state);
    expect(brief(rest.emit)).toEqual(['1 status completed', '1 completed out-1.png']);
    expect(isDone(rest.state)).toBe(true);
  });

  it('an item a clear deleted ends as canceled with the reason queue_cleared when the read finds it gone', () => {
    const { emit, state } = run([
      enqueued([1, 2]),
      status(1, 'in_progress', 1),
      { kind: 'queue_cleared' },
      { kind: 'item_gone', itemId: ids.itemId(1), reason: 'deleted' },
      snapshot(queueItem(2, 'pending', 0)),
      // Deleted later, not by the clear that the read above answered.
      { kind: 'item_gone', itemId: ids.itemId(2), reason: 'deleted' },
    ]);
    expect(brief(emit)).toEqual([
      'enqueued 1,2',
      '1 status in_progress',
      '1 status canceled',
      '1 canceled (queue_cleared)',
      '2 status canceled',
      '2 canceled (deleted)',
    ]);
    expect(isDone(state)).toBe(true);
  });

  it('a completed item whose read finds it cleared away ends as failed (QueueItemGone), naming the clear', () => {
    const { emit } = run([
      enqueued([1]),
      status(1, 'completed', 2),
      { kind: 'queue_cleared' },
      { kind: 'item_gone', itemId: ids.itemId(1), reason: 'deleted' },
    ]);
    const last = emit[emit.length - 1];
    expect(last).toEqual(expect.objectContaining({ type: 'failed', itemId: 1, error: expect.objectContaining({ type: 'QueueItemGone' }) }));
    expect(last.type === 'failed' && last.error.message).toContain('queue_cleared');
  });

  it('item_gone before the enqueue answer is dropped; queue_cleared is kept and puts the items in doubt', () => {
    const { emit, state } = run([
      { kind: 'queue_cleared' },
      { kind: 'item_gone', itemId: ids.itemId(1), reason: 'deleted' },
      { kind: 'queue_cleared' },
      enqueued([1]),
    ]);
    expect(brief(emit)).toEqual(['enqueued 1']);
    expect(pendingItems(state)).toEqual([1]);
    expect(itemsInDoubt(state)).toEqual([1]);
    expect(state.buffered).toEqual([]);
  });
});

describe('reduceRun is pure', () => {
  const deepFreeze = <T>(value: T): T => {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
      Object.freeze(value);
      Object.values(value).forEach(deepFreeze);
    }
    return value;
  };

  /** The whole value as text, maps and sets included (JSON.stringify alone reads them as `{}`). */
  const dump = (value: unknown): string =>
    JSON.stringify(value, (_key, v: unknown) => (v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v.values()] : v));

  it('never changes the state or the facts it is given', () => {
    const facts = deepFreeze([
      status(1, 'in_progress', 1),
      enqueued([1]),
      started(1, 'save', 'save#1'),
      completedNode(1, 'save', 'save#1', imageResult('out-1.png')),
      status(1, 'completed', 2),
      snapshot(completedItem(1, 2)),
    ]);
    let state = deepFreeze(initialRunState(spec));
    const before = dump(state);
    const first = reduceRun(state, facts[0]);
    expect(dump(state)).toBe(before);
    for (const fact of facts.slice(1)) {
      const seen = dump(state);
      const next = reduceRun(state, fact).state;
      expect(dump(state)).toBe(seen);
      expect(dump(next)).not.toBe(seen);
      state = deepFreeze(next);
    }
    expect(isDone(state)).toBe(true);
    // Replaying from an old state gives the same events again: no hidden state.
    expect(reduceRunAll(first.state, facts.slice(1)).emit).toEqual(reduceRunAll(first.state, facts.slice(1)).emit);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: whatever the socket and REST do to a valid history (interleave items, duplicate,
// reorder, deliver before the enqueue answer), each item ends exactly once, as the server says.

import fc from 'fast-check';
import type { QueueItem } from '../../lib/protocol/dto';
import { RunStore } from '../../lib/run/store';

type Outcome = 'completed' | 'failed' | 'canceled';

interface ItemPlan {
  readonly itemId: number;
  readonly outcome: Outcome;
  /** How many copies of the `save` node run (an iterating output node). */
  readonly copies: number;
  readonly waitsForCall: boolean;
}

interface ItemHistory {
  readonly facts: readonly RunFact[];
  readonly final: QueueItem;
  readonly images: readonly string[];
  readonly failedNode?: string;
}

const imageName = (itemId: number, k: number) => `img-${itemId}-${k}.png`;

/** What a real server emits for one item, in its own order, and the item as REST finally returns it. */
const historyOf = (plan: ItemPlan): ItemHistory => {
  const { itemId, outcome, copies } = plan;
  const facts: RunFact[] = [];
  let seq = 0;
  const next = () => (seq += 1);
  facts.push(status(itemId, 'in_progress', next()));
  facts.push(snapshot(queueItem(itemId, 'in_progress', seq)));
  if (plan.waitsForCall) {
    facts.push(status(itemId, 'waiting', next()), status(itemId, 'pending', next()), status(itemId, 'in_progress', next()));
  }
  const prepared = Array.from({ length: copies }, (_, k) => `save#${itemId}#${k}`);
  // A failing or canceled item stops in the middle of its last copy.
  const finished = outcome === 'completed' ? copies : copies - 1;
  const results: Record<string, ReturnType<typeof imageResult>> = {};
  prepared.forEach((p, k) => {
    facts.push(started(itemId, 'save', p), progress(itemId, 'save', p, 0.5));
    if (k < finished) {
      facts.push(completedNode(itemId, 'save', p, imageResult(imageName(itemId, k))));
      results[p] = imageResult(imageName(itemId, k));
    }
  });
  const terminalSeq = next();
  const mapping = {
    prepared_source_mapping: Object.fromEntries(prepared.map((p) => [p, 'save'])),
    source_prepared_mapping: { save: [...prepared].reverse() },
    prepared_iteration_paths: Object.fromEntries(prepared.map((p, k) => [p, [k]])),
    results,
  };
  const failing = prepared[copies - 1];
  if (outcome === 'failed') {
    facts.push(status(itemId, 'failed', terminalSeq, { error: boom }), nodeError(itemId, 'save', failing, boom));
  } else {
    facts.push(status(itemId, outcome, terminalSeq));
  }
  const final = queueItem(
    itemId,
    outcome,
    terminalSeq,
    { ...mapping, errors: outcome === 'failed' ? { [failing]: `${boom.type}: ${boom.message}` } : {} },
    outcome === 'failed' ? { error_type: boom.type, error_message: boom.message, error_traceback: boom.traceback } : {},
  );
  return {
    facts,
    final,
    images: outcome === 'completed' ? prepared.map((_, k) => imageName(itemId, k)) : [],
    ...(outcome === 'failed' ? { failedNode: 'save' } : {}),
  };
};

const planArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 5 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((itemId) =>
        fc.record({
          itemId: fc.constant(itemId),
          outcome: fc.constantFrom<Outcome>('completed', 'failed', 'canceled'),
          copies: fc.integer({ min: 1, max: 3 }),
          waitsForCall: fc.boolean(),
        }),
      ),
    ),
  );

/** A delivery: every fact (plus the enqueue answer) once in any order, some twice, then the final reads. */
const deliveryArb = planArb.chain((plans) => {
  const histories = plans.map(historyOf);
  const facts: RunFact[] = [enqueued(plans.map((p) => p.itemId)), ...histories.flatMap((h) => h.facts), ...histories.map((h) => snapshot(h.final))];
  return fc
    .record({
      order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: facts.length, maxLength: facts.length }),
      duplicates: fc.array(fc.nat({ max: facts.length - 1 }), { maxLength: 8 }),
      finalOrder: fc.shuffledSubarray(histories.map((h) => h.final), { minLength: histories.length, maxLength: histories.length }),
    })
    .map(({ order, duplicates, finalOrder }) => {
      const withDuplicates = [...facts.map((fact, i) => ({ fact, key: order[i] })), ...duplicates.map((i, j) => ({ fact: facts[i], key: order[(i + j + 1) % order.length] }))];
      const shuffled = withDuplicates.sort((a, b) => a.key - b.key).map((entry) => entry.fact);
      // The pipeline reads every item once its terminal status is known: those reads come last.
      return { plans, histories, delivered: [...shuffled, ...finalOrder.map(snapshot)] };
    });
});

describe('reduceRun property: any interleaving, duplication and reordering of a valid history', () => {
  it('ends each item exactly once, as its final read says, with nothing after it', () => {
    fc.assert(
      fc.property(deliveryArb, ({ plans, histories, delivered }) => {
        const { emit, state } = reduceRunAll(initialRunState(spec), delivered);

        expect(emit[0]).toEqual(expect.objectContaining({ type: 'enqueued' }));
        expect(emit.filter((e) => e.type === 'enqueued')).toHaveLength(1);
        expect(isDone(state)).toBe(true);
        expect(pendingItems(state)).toEqual([]);
        expect(itemsNeedingSnapshot(state)).toEqual([]);

        plans.forEach((plan, index) => {
          const history = histories[index];
          const ofItem = emit.filter((e) => e.type !== 'enqueued' && e.itemId === plan.itemId);
          const terminals = ofItem.filter((e) => e.type === 'completed' || e.type === 'failed' || e.type === 'canceled');
          expect(terminals).toHaveLength(1);
          expect(ofItem[ofItem.length - 1]).toBe(terminals[0]);
          const terminal = terminals[0];
          expect(terminal.type).toBe(history.final.status);
          if (terminal.type === 'completed') {
            expect(terminal.outputs.flatMap((o) => o.images.map((i) => i.imageName))).toEqual(history.images);
            expect(terminal.queueItem).toBe(history.final);
          }
          if (terminal.type === 'failed') {
            expect(terminal.nodeId).toBe(history.failedNode);
            expect(terminal.error.type).toBe(boom.type);
          }
          // Statuses are reported once each and never go back to an earlier sequence.
          const statuses = ofItem.flatMap((e) => (e.type === 'status' ? [e.status] : []));
          expect(statuses[statuses.length - 1]).toBe(history.final.status);
          for (let i = 1; i < statuses.length; i += 1) expect(statuses[i]).not.toBe(statuses[i - 1]);
          // Every prepared copy starts and completes at most once.
          const completions = ofItem.flatMap((e) => (e.type === 'node_completed' ? [e.preparedId] : []));
          expect(new Set(completions).size).toBe(completions.length);
          const starts = ofItem.flatMap((e) => (e.type === 'node_started' ? [e.preparedId] : []));
          expect(new Set(starts).size).toBe(starts.length);
          // Early outputs never contradict the authoritative ones.
          const early = ofItem.flatMap((e) => (e.type === 'output' ? e.output.images.map((i) => i.imageName) : []));
          early.forEach((name) => expect(history.images.length === 0 || history.images.includes(name)).toBe(true));
        });
        expect(runResultOf(state).items.map((i) => i.itemId)).toEqual([...plans.map((p) => p.itemId)].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('node starts, progress and completions never change which reads are owed (mayChangeReads)', () => {
    const cleared: RunFact = { kind: 'queue_cleared' };
    fc.assert(
      fc.property(deliveryArb, fc.nat(), ({ delivered }, at) => {
        // A clear somewhere in the history puts items in doubt, so both queries have something to say.
        const facts = [...delivered.slice(0, at % (delivered.length + 1)), cleared, ...delivered.slice(at % (delivered.length + 1))];
        let state = initialRunState(spec);
        for (const fact of facts) {
          const next = reduceRun(state, fact).state;
          if (!mayChangeReads(fact)) {
            expect(itemsNeedingSnapshot(next)).toEqual(itemsNeedingSnapshot(state));
            expect(itemsInDoubt(next)).toEqual(itemsInDoubt(state));
          }
          state = next;
        }
        expect(facts.some((fact) => !mayChangeReads(fact))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('RunStore, the pipeline\'s mutable store, against the same histories', () => {
  const cleared: RunFact = { kind: 'queue_cleared' };

  /** The indexes recomputed from the items, as the rules define them. */
  const indexesOf = (store: RunStore) => {
    const open: number[] = [];
    const running: number[] = [];
    const needing: number[] = [];
    const doubt: number[] = [];
    for (const item of store.records()) {
      if (item.ended) continue;
      open.push(item.itemId);
      if (item.status === 'in_progress' || (item.status === 'pending' && (item.started?.size ?? 0) > 0)) running.push(item.itemId);
      if (item.status === 'completed' || item.status === 'failed') needing.push(item.itemId);
      if (item.doubt !== null) doubt.push(item.itemId);
    }
    return { open, running, needing, doubt };
  };
  const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

  it('keeps its indexes (open, running, needing a snapshot, in doubt) equal to what the items say, after every fact', () => {
    fc.assert(
      fc.property(deliveryArb, fc.nat(), ({ delivered }, at) => {
        const cut = at % (delivered.length + 1);
        const facts = [...delivered.slice(0, cut), cleared, ...delivered.slice(cut)];
        const store = new RunStore(spec, { keepResults: true });
        for (const fact of facts) {
          store.apply(fact, []);
          const expected = indexesOf(store);
          expect({ open: sorted(store.open), running: sorted(store.running), needing: sorted(store.needingSnapshot), doubt: sorted(store.inDoubt) }).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('as a stream (keepResults: false) emits the same events, and forgets every item once it ended', () => {
    fc.assert(
      fc.property(deliveryArb, ({ delivered }) => {
        const kept = new RunStore(spec, { keepResults: true });
        const streamed = new RunStore(spec, { keepResults: false });
        const a: RunEvent[] = [];
        const b: RunEvent[] = [];
        for (const fact of delivered) {
          kept.apply(fact, a);
          streamed.apply(fact, b);
        }
        expect(b).toEqual(a);
        expect(streamed.isDone()).toBe(true);
        expect(streamed.records()).toEqual([]);
        expect(kept.records().every((item) => item.ended)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('tells its listener once per item when a terminal status needs a read, and when the item ended', () => {
    fc.assert(
      fc.property(deliveryArb, ({ plans, delivered }) => {
        const needs: number[] = [];
        const ended: number[] = [];
        const store = new RunStore(spec, { keepResults: false, listener: { needsSnapshot: (id) => needs.push(id), ended: (id) => ended.push(id) } });
        for (const fact of delivered) store.apply(fact, []);
        expect(new Set(needs).size).toBe(needs.length);
        expect(sorted(ended)).toEqual(sorted(plans.map((p) => p.itemId)));
      }),
      { numRuns: 100 },
    );
  });
});

// The soak's checker must catch what it claims to: each invariant broken on purpose is reported.
import type { RunEvent, RunOutput } from '../../lib/run/events';
import type { QueueItem } from '../../lib/protocol/dto';
import { RunRecord, ServerItem, checkRun, emptyCounts } from './checks';
import * as ids from '../run/ids';

const output = (nodeId: string, images: string[]): RunOutput => ({
  nodeId: ids.nodeId(nodeId),
  nodeType: 'l2i',
  label: 'Output',
  boardId: null,
  images: images.map((imageName) => ({ imageName, width: 8, height: 8 })),
  videos: [],
  values: [],
});
const completed = (itemId: number, outputs: RunOutput[] = []): RunEvent => ({ type: 'completed', itemId: ids.itemId(itemId), outputs, queueItem: {} as QueueItem });
const enqueued = (...itemIds: number[]): RunEvent => ({ type: 'enqueued', batchId: ids.batchId('b'), itemIds: ids.itemIds(itemIds), requested: itemIds.length, enqueued: itemIds.length });
const serverItem = (status: string, images: Record<string, string[]> = {}): ServerItem => ({
  status,
  session: {
    source_prepared_mapping: Object.fromEntries(Object.keys(images).map((n) => [n, [`${n}-p`]])),
    results: Object.fromEntries(Object.entries(images).map(([n, names]) => [`${n}-p`, { type: 'image_collection_output', collection: names.map((image_name) => ({ image_name })) }])),
  },
});
const run = (events: RunEvent[], end: RunRecord['end'] = { type: 'complete' }, clearedDuringRun = false): RunRecord => ({ index: 0, kind: 'single', workflow: 'wf', events, end, clearedDuringRun });

describe('checkRun', () => {
  it('passes a clean run whose outputs match the server', () => {
    const counts = emptyCounts();
    const problems = checkRun(run([enqueued(1), { type: 'status', itemId: ids.itemId(1), status: 'in_progress' }, completed(1, [output('n', ['a.png', 'b.png'])])]), new Map([[1, serverItem('completed', { n: ['a.png', 'b.png'] })]]), new Set(['n']), counts);
    expect(problems).toEqual([]);
    expect(counts).toMatchObject({ runs: 1, items: 1, itemsCompleted: 1, terminalAgreeing: 1, completedOutputsChecked: 1 });
  });

  it('reports an item without a terminal event in a completed stream', () => {
    const counts = emptyCounts();
    expect(checkRun(run([enqueued(1, 2), completed(1)]), new Map([[1, serverItem('completed')], [2, serverItem('completed')]]), new Set(), counts)).toEqual(['run 0 (single, wf): item 2 has no terminal event']);
    expect(counts.itemsWithoutTerminal).toBe(1);
  });

  it('does not count unfinished items of a run that errored with an accepted error as violations', () => {
    const counts = emptyCounts();
    expect(checkRun(run([enqueued(1)], { type: 'error', name: 'RunTimeoutError', message: 'late' }), new Map([[1, serverItem('canceled')]]), new Set(), counts)).toEqual([]);
    expect(counts.itemsUnfinishedInErroredRuns).toBe(1);
  });

  it('reports an unexpected error, events after a terminal event, two terminals and foreign items', () => {
    const counts = emptyCounts();
    const problems = checkRun(
      run([enqueued(1), completed(1), { type: 'status', itemId: ids.itemId(1), status: 'completed' }, completed(1), { type: 'canceled', itemId: ids.itemId(9) }], { type: 'error', name: 'TypeError', message: 'x is undefined' }),
      new Map([[1, serverItem('completed')]]),
      new Set(),
      counts,
    );
    expect(problems).toHaveLength(4);
    expect(counts).toMatchObject({ eventsAfterTerminal: 2, itemsWithSeveralTerminals: 1, eventsOfForeignItems: 1 });
  });

  it('reports a terminal event that disagrees with the server, and outputs that differ from its images', () => {
    const counts = emptyCounts();
    checkRun(run([enqueued(1, 2), { type: 'canceled', itemId: ids.itemId(1), reason: 'queue_cleared' }, completed(2, [output('n', ['b.png', 'a.png'])])]), new Map([[1, serverItem('completed')], [2, serverItem('completed', { n: ['a.png', 'b.png'] })]]), new Set(['n']), counts);
    expect(counts).toMatchObject({ terminalDisagreeing: 1, outputsMismatched: 1 });
  });

  it('accepts a completed item deleted by a queue clear only when a clear happened', () => {
    const gone = new Map<number, ServerItem | null>([[1, null]]);
    const withClear = emptyCounts();
    expect(checkRun(run([enqueued(1), completed(1)], { type: 'complete' }, true), gone, new Set(), withClear)).toEqual([]);
    expect(withClear.completedGoneFromServer).toBe(1);
    const without = emptyCounts();
    expect(checkRun(run([enqueued(1), completed(1)]), gone, new Set(), without)).toHaveLength(1);
  });
});

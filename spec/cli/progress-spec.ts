import { bar, foldProgress, type CliRunEvent, initialProgress, overallFraction, plainLine, renderBars } from '../../lib/cli/progress';
import type { RunEvent } from '../../lib/index';
import * as ids from '../run/ids';

const events: RunEvent[] = [
  { type: 'enqueued', batchId: ids.batchId('b'), itemIds: ids.itemIds([1, 2]), requested: 2, enqueued: 2 },
  { type: 'status', itemId: ids.itemId(1), status: 'in_progress' },
  { type: 'node_started', itemId: ids.itemId(1), nodeId: ids.nodeId('n1'), preparedId: ids.preparedId('p1'), nodeType: 'noise' },
  { type: 'node_completed', itemId: ids.itemId(1), nodeId: ids.nodeId('n1'), preparedId: ids.preparedId('p1'), nodeType: 'noise', result: { type: 'noise_output' } as never },
  { type: 'node_started', itemId: ids.itemId(1), nodeId: ids.nodeId('n2'), preparedId: ids.preparedId('p2'), nodeType: 'denoise_latents' },
  { type: 'node_progress', itemId: ids.itemId(1), nodeId: ids.nodeId('n2'), preparedId: ids.preparedId('p2'), percentage: 0.5, message: 'step 5/10', image: null },
];

const fold = (es: readonly RunEvent[]) => es.reduce(foldProgress, initialProgress(2));

describe('run progress', () => {
  it('counts half-finished nodes of running items into the overall fraction', () => {
    const p = fold(events);
    expect(p.total).toBe(2);
    // item 1: node n1 done (1) + n2 half (0.5) of 2 nodes = 0.75 of one item; item 2 nothing: 0.75 / 2
    expect(overallFraction(p)).toBeCloseTo(0.375);
    const lines = renderBars(p, 80);
    expect(lines[0]).toMatch(/^overall .* 38%\s+0\/2 items$/);
    expect(lines).toContain('item 1');
    expect(lines.find((l) => l.includes('denoise_latents'))).toMatch(/ 50%$/);
    expect(lines.find((l) => l.includes('noise '))).toMatch(/100% ✓$/);
  });

  it('counts a terminal item as whole, whatever its nodes did', () => {
    const p = fold([...events, { type: 'failed', itemId: ids.itemId(1), error: { type: 'E', message: 'boom', traceback: '' } }]);
    expect(overallFraction(p)).toBeCloseTo(0.5);
    expect(renderBars(p)[0]).toMatch(/1\/2 items$/);
    expect(renderBars(p)).not.toContain('item 1');
  });

  it('keeps one entry per server and item, ordered by server then item, however the batches arrive', () => {
    const server = (index: number) => ({ index, url: `http://s${index}` });
    const batches: CliRunEvent[] = [
      { type: 'enqueued', batchId: ids.batchId('b1'), itemIds: ids.itemIds([7, 5]), requested: 2, enqueued: 2, server: server(1) },
      { type: 'enqueued', batchId: ids.batchId('b0'), itemIds: ids.itemIds([6, 5]), requested: 2, enqueued: 2, server: server(0) },
      { type: 'status', itemId: ids.itemId(5), status: 'in_progress', server: server(1) },
      { type: 'enqueued', batchId: ids.batchId('b2'), itemIds: ids.itemIds([5, 8]), requested: 2, enqueued: 2, server: server(1) },
    ];
    const p = batches.reduce(foldProgress, initialProgress(1));
    expect(p.items.map((i) => [i.server, i.itemId, i.status])).toEqual([
      [0, 5, 'pending'],
      [0, 6, 'pending'],
      [1, 5, 'in_progress'],
      [1, 7, 'pending'],
      [1, 8, 'pending'],
    ]);
  });

  it('draws bars of the given width', () => {
    expect(bar(0, 4)).toBe('░░░░');
    expect(bar(0.5, 4)).toBe('██░░');
    expect(bar(2, 4)).toBe('████');
  });

  it('has a plain line for each notable event and none for progress steps or terminal statuses', () => {
    expect(plainLine(events[0])).toBe('enqueued batch b: 2 items (1, 2)');
    expect(plainLine(events[5])).toBeUndefined();
    expect(plainLine({ type: 'status', itemId: ids.itemId(1), status: 'completed' })).toBeUndefined();
    expect(plainLine({ type: 'failed', itemId: ids.itemId(2), nodeId: ids.nodeId('n2'), error: { type: 'OutOfMemoryError', message: 'CUDA', traceback: '' } })).toBe('item 2: failed at node n2: OutOfMemoryError: CUDA');
    expect(plainLine({ type: 'canceled', itemId: ids.itemId(2), reason: 'queue_cleared' })).toBe('item 2: canceled (queue_cleared)');
  });
});

import { bar, foldProgress, type RunProgressEvent as CliRunEvent, initialProgress, overallFraction, plainLine, renderBars } from '../../lib/node/progress';
import { from, lastValueFrom, map, toArray } from 'rxjs';
import type { RunEvent } from '../../lib/index';
import { showProgress } from '../../lib/node';
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

describe('showProgress', () => {
  /** A terminal (or a pipe) that records what is written, and a clock the test moves. */
  const sink = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, output: { write: (t: string) => writes.push(t), isTTY, columns: 80 } };
  };

  it('passes every event on, unchanged', async () => {
    const { output } = sink(false);
    expect(await lastValueFrom(from(events).pipe(showProgress(2, { output }), toArray()))).toEqual(events);
  });

  it('on a terminal, redraws the bars in place at once for node and item events, at most every redrawMs for progress steps, and always shows the last state', async () => {
    const { writes, output } = sink(true);
    let t = 0;
    const step = (percentage: number): RunEvent => ({ type: 'node_progress', itemId: ids.itemId(1), nodeId: ids.nodeId('n2'), preparedId: ids.preparedId('p2'), percentage, message: '', image: null });
    const timed: Array<[RunEvent, number]> = [...events.slice(0, 5).map((e): [RunEvent, number] => [e, 0]), [step(0.1), 10], [step(0.2), 20], [step(0.8), 100], [step(0.9), 110]];
    const clocked = from(timed).pipe(map(([e, at]) => ((t = at), e)));
    await lastValueFrom(clocked.pipe(showProgress(2, { output, redrawMs: 80, now: () => t }), toArray()));
    // 5 events at once (0 ms), no step before 80 ms have passed, the one at 100 ms, then the final state (90 %).
    expect(writes).toHaveLength(7);
    expect(writes.slice(1).every((w) => w.startsWith('\x1b['))).toBe(true);
    expect(writes[5]).toMatch(/denoise_latents\s+\S+\s+80%/);
    expect(writes[6]).toMatch(/denoise_latents\s+\S+\s+90%/);
  });

  it('elsewhere, writes one plain line per notable event, naming the server of a pool\'s event', async () => {
    const { writes, output } = sink(false);
    const server = { index: 1, url: 'http://gpu2:9090' };
    await lastValueFrom(from([...events, { type: 'completed', itemId: 1, outputs: [], queueItem: {} as never, server }] as RunEvent[]).pipe(showProgress(2, { output }), toArray()));
    expect(writes).toEqual([
      'enqueued batch b: 2 items (1, 2)\n',
      'item 1: in_progress\n',
      'item 1: noise (n1) started\n',
      'item 1: noise (n1) done\n',
      'item 1: denoise_latents (n2) started\n',
      'item 1: completed with 0 image(s) [http://gpu2:9090]\n',
    ]);
  });
});

// Events of a run's batch that beat the enqueue answer are kept until it arrives: CPU per early
// event with 100,000 of them against 10,000, through the run store (kept in arrival order, then
// replayed). Both sides do the same total work (ten runs of 10,000 against one of 100,000), so
// linear work gives 1x; the copy per event the store used to make gave about 10x.
import { performance } from 'node:perf_hooks';
import { BatchId, ItemId, NodeId, PreparedId } from '../../../lib/protocol/ids';
import type { RunEvent } from '../../../lib/run/events';
import type { RunFact } from '../../../lib/run/facts';
import { RunStore } from '../../../lib/run/store';
import { asDecoded } from '../../decoded';
import { BenchContext, Figure, FigureModule, spread } from '../harness';

const batchId = asDecoded(BatchId, 'early-bench');
const itemId = asDecoded(ItemId, 1);
const preparedId = asDecoded(PreparedId, 'p');
const nodeId = asDecoded(NodeId, 'n');

const earlyFacts = (count: number): readonly RunFact[] =>
  Array.from({ length: count }, (_, i): RunFact => ({ kind: 'node_progress', itemId, batchId, preparedId, sourceNodeId: nodeId, nodeType: 't', percentage: i / count, message: '', image: null }));

/** One run's store fed `facts` before its `enqueued` answer, then the answer. */
const replay = (facts: readonly RunFact[]): void => {
  const store = new RunStore({ batchId, outputs: [] }, { keepResults: false });
  const out: RunEvent[] = [];
  for (const fact of facts) store.apply(fact, out);
  store.apply({ kind: 'enqueued', batchId, itemIds: [itemId], requested: 1, enqueued: 1 }, out);
  if (out.length !== facts.length + 1) throw new Error(`expected ${facts.length + 1} events, got ${out.length}`);
};

const msOf = (work: () => void): number => {
  const start = performance.now();
  work();
  return performance.now() - start;
};

/** The early-events figure module. */
export const earlyEvents: FigureModule = {
  id: 'early',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const repetitions = ctx.quick ? 5 : 15;
    const small = earlyFacts(10_000);
    const large = earlyFacts(100_000);
    const tenSmall = (): void => {
      for (let k = 0; k < 10; k++) replay(small);
    };
    for (let w = 0; w < 3; w++) {
      tenSmall();
      replay(large);
    }
    const ratios: number[] = [];
    const perEvent: Array<readonly [number, number]> = [];
    for (let r = 0; r < repetitions; r++) {
      const a = msOf(tenSmall);
      const b = msOf(() => replay(large));
      ratios.push(b / a);
      perEvent.push([a / 100_000, b / 100_000]);
    }
    const ratio = spread(ratios);
    const us = (i: 0 | 1) => (spread(perEvent.map((p) => p[i])).median * 1000).toFixed(2);
    return [
      {
        name: 'CPU per event that beat the enqueue answer, 100,000 of them',
        baseline: 'the same with 10,000 (ten runs, the same total)',
        value: ratio,
        unit: 'ratio',
        goal: '<= 1.3x',
        met: ratio.median <= 1.3,
        info: { 'µs per event at 10,000 / 100,000': `${us(0)} / ${us(1)}` },
        note: 'in-process wall time of pure work: on a loaded machine single readings swing widely, the median holds',
      },
    ];
  },
};

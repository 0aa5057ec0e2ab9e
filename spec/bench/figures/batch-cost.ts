// Client CPU per item of one batch as the batch grows (100, 1,000 and 10,000 items; and 10,000
// items whose ids start above 100,000, where a record keyed by id would have gone to dictionary
// mode), as ratios to the per-item CPU at 100 items; and the heap peak of the 10,000-item batch
// against a raw client's. Process CPU time of a client process of its own (the simulator runs in
// another), so the figures are the client's work, not the server's or the wait.
import { BenchContext, Figure, FigureModule, spread } from '../harness';
import { forkMockServer } from '../servers/child';
import { measureCpuJob } from '../servers/cpu-jobs';
import type { CpuReport } from '../servers/cpu-client';

const MB = 1024 * 1024;

/** The batch-cost figure module. */
export const batchCost: FigureModule = {
  id: 'batch',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const big = ctx.quick ? 2000 : 10000;
    const sizes = [100, 1000, big];
    const repetitions: Readonly<Record<number, number>> = ctx.quick ? { 100: 3, 1000: 1, [big]: 1 } : { 100: 5, 1000: 3, [big]: 2 };
    const low = await forkMockServer({ stepMs: 0, steps: 1 });
    const high = await forkMockServer({ stepMs: 0, steps: 1, firstItemId: 100001 });
    try {
      const ours = async (url: string, items: number): Promise<CpuReport> => measureCpuJob({ side: 'ours', url, work: { kind: 'batch', items }, warmup: 50 });
      const perItem = new Map<string, number[]>();
      const peaks: number[] = [];
      const note = (key: string, items: number, report: CpuReport): void => {
        perItem.set(key, [...(perItem.get(key) ?? []), report.cpuMs / items]);
      };
      for (const items of sizes) {
        for (let r = 0; r < repetitions[items]; r++) {
          const report = await ours(low.ready.url, items);
          note(String(items), items, report);
          if (items === big) peaks.push(report.heapPeak - report.heapBefore);
          ctx.log(`  batch: ${items} items (${r + 1}/${repetitions[items]}): ${(report.cpuMs / items).toFixed(3)} ms CPU per item`);
        }
      }
      for (let r = 0; r < repetitions[big]; r++) {
        const report = await ours(high.ready.url, big);
        note('high', big, report);
        ctx.log(`  batch: ${big} items, ids from 100,001 (${r + 1}): ${(report.cpuMs / big).toFixed(3)} ms CPU per item`);
      }
      const raw = await measureCpuJob({ side: 'raw', url: low.ready.url, work: { kind: 'batch', items: big }, warmup: 50 });
      ctx.log(`  batch: raw client, ${big} items: ${(raw.cpuMs / big).toFixed(3)} ms CPU per item`);
      const base = spread(perItem.get('100') ?? []).median;
      const ratioOf = (key: string) => spread((perItem.get(key) ?? []).map((v) => v / base));
      const rawPeak = raw.heapPeak - raw.heapBefore;
      const heap = spread(peaks.map((p) => p / rawPeak));
      const msPerItem = (key: string) => `${spread(perItem.get(key) ?? []).median.toFixed(3)}`;
      const info = {
        'CPU ms per item at 100 / 1,000 / big / big with high ids': `${msPerItem('100')} / ${msPerItem('1000')} / ${msPerItem(String(big))} / ${msPerItem('high')}`,
        [`raw client CPU ms per item at ${big}`]: (raw.cpuMs / big).toFixed(3),
      };
      const tenK = ratioOf(String(big));
      const tenKHigh = ratioOf('high');
      return [
        { name: 'client CPU per item, one batch of 1,000 items', baseline: 'the same per item at 100 items', value: ratioOf('1000'), unit: 'ratio', info },
        { name: `client CPU per item, one batch of ${big.toLocaleString('en')} items`, baseline: 'the same per item at 100 items', value: tenK, unit: 'ratio', goal: '<= 1.3x', met: tenK.median <= 1.3 },
        {
          name: `the same, item ids from 100,001`,
          baseline: 'the same per item at 100 items',
          value: tenKHigh,
          unit: 'ratio',
          goal: '<= 1.3x',
          met: tenKHigh.median <= 1.3,
        },
        {
          name: `heap peak during one batch of ${big.toLocaleString('en')} items (growth over the heap before it)`,
          baseline: 'raw client: enqueue, socket.io-client, one GET per finished item',
          value: heap,
          unit: 'ratio',
          goal: '<= 2x',
          met: heap.median <= 2,
          info: { 'ours MB': spread(peaks).median / MB, 'raw MB': rawPeak / MB },
        },
      ];
    } finally {
      await low.close();
      await high.close();
    }
  },
};

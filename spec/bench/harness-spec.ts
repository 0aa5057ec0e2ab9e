// The bench's arithmetic and report: medians, percentiles and the NOT MET mark must be right, or
// the README's table is wrong.
import { compareAsync, cpuPerUnit, percentile, printTable, processCpuMs, spread, withCpu } from './harness';

describe('bench harness', () => {
  it('summarises samples as median, min and max (even counts average the middle two)', () => {
    expect(spread([3, 1, 2])).toMatchObject({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4 });
  });

  it('takes percentiles by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('compares alternately and reports the ratio ours / baseline per repetition', async () => {
    const ours = [2, 4, 6];
    const base = [1, 2, 3];
    let o = 0;
    let b = 0;
    const r = await compareAsync(async () => ours[o++ % 3], async () => base[b++ % 3], 3, 0);
    expect(r.ratio.samples).toEqual([2, 2, 2]);
    expect(r.ours.median).toBe(4);
    expect(r.cpuMs.ours).toHaveLength(3);
    expect(r.cpuMs.baseline).toHaveLength(3);
  });

  it('counts the CPU a call spends, and prices it per unit against the baseline', async () => {
    // Spins until the process has spent 20 ms of CPU (not wall time: the machine may be shared).
    const busy = await withCpu(async () => {
      const until = processCpuMs() + 20;
      let n = 0;
      while (processCpuMs() < until) n++;
      return n;
    });
    expect(busy.value).toBeGreaterThan(0);
    expect(busy.cpuMs).toBeGreaterThanOrEqual(20);
    const cpu = cpuPerUnit([30, 40, 50], [10, 20, 25], 10);
    expect(cpu.ratio.samples).toEqual([3, 2, 2]);
    expect(cpu.ours.median).toBe(4);
    expect(cpu.baseline.median).toBe(2);
  });

  it('marks a missed goal NOT MET and a report-only figure with no verdict', () => {
    const table = printTable([
      { name: 'a', baseline: 'x', value: spread([0.8, 0.85]), unit: 'ratio', goal: '>= 0.9x', met: false },
      { name: 'b', baseline: 'y', value: spread([3]), unit: 'count' },
    ]);
    const [, , rowA, rowB] = table.split('\n');
    expect(rowA).toContain('NOT MET');
    expect(rowA).toContain('0.825x');
    expect(rowB).toContain('report');
    expect(rowB).not.toContain('met');
  });
});

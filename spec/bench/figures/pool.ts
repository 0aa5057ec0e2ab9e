// The pool's figure: 600 runs through a pool of three simulated servers of different speeds (each in
// its own process), against the same runs through each server alone (a pool of one, so the client
// path is the same). Reports the time ratios and the share of runs each server took in the pool.
import { performance } from 'node:perf_hooks';
import { createPool } from '../../../lib/pool/pool';
import type { PoolRunResult } from '../../../lib/pool/events';
import { BenchContext, Figure, FigureModule, cpuFigure, cpuPerUnit, spread, withCpu } from '../harness';
import { Child, forkMockServer } from '../servers/child';
import { imageWorkflow } from '../workflows';
import { prune } from './run-throughput';

/** Milliseconds per denoise step of the fast, middle and slow server (three steps per run). */
const STEP_MS = [8, 16, 32] as const;
const STEPS = 3;
const MAX_IN_FLIGHT = 4;

/** Submits `total` runs through a pool of `urls`; resolves with the elapsed ms and the runs each server took. */
const runThrough = async (urls: readonly string[], total: number): Promise<{ ms: number; shares: number[] }> => {
  const pool = createPool(urls, { maxInFlightPerServer: MAX_IN_FLIGHT });
  const wf = imageWorkflow();
  try {
    // The pool holds what the servers cannot take yet: every run is handed to it at once.
    const start = performance.now();
    const results: PoolRunResult[] = await Promise.all(Array.from({ length: total }, () => pool.submit(wf)));
    const ms = performance.now() - start;
    const shares = urls.map(() => 0);
    for (const result of results) {
      for (const item of result.items) {
        if (item.status !== 'completed') throw new Error(`pool figure: a run ended ${item.status}`);
        shares[item.server.index] += 1;
      }
    }
    return { ms, shares };
  } finally {
    pool.close();
  }
};

/** The pool figure module: `pool` for `--only`. */
export const poolFigure: FigureModule = {
  id: 'pool',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const total = ctx.quick ? 150 : 600;
    const repetitions = ctx.quick ? 1 : 2;
    const servers: Child<{ url: string }>[] = [];
    try {
      for (const stepMs of STEP_MS) {
        servers.push(await forkMockServer({ stepMs, steps: STEPS }));
      }
      const urls = servers.map((s) => s.ready.url);
      const measure = async (which: readonly string[], label: string) => {
        await Promise.all(urls.map(prune));
        // The servers run in their own processes: this process's CPU is the client side's.
        const { value: r, cpuMs } = await withCpu(() => runThrough(which, total));
        ctx.log(`  pool: ${label} ${total} runs in ${Math.round(r.ms)} ms`);
        return { ...r, cpuMs };
      };
      // A short warm-up of every server and of the client code.
      await runThrough(urls, 30);

      const poolMs: number[] = [];
      const fastestMs: number[] = [];
      const ratios: number[] = [];
      const shareSamples: number[][] = [];
      const poolCpu: number[] = [];
      const fastestCpu: number[] = [];
      for (let r = 0; r < repetitions; r++) {
        const pooled = await measure(urls, 'pool of 3');
        const alone = await measure([urls[0]], `fastest alone (${STEP_MS[0]} ms/step)`);
        poolMs.push(pooled.ms);
        fastestMs.push(alone.ms);
        ratios.push(pooled.ms / alone.ms);
        shareSamples.push(pooled.shares);
        poolCpu.push(pooled.cpuMs);
        fastestCpu.push(alone.cpuMs);
      }
      const middle = await measure([urls[1]], `middle alone (${STEP_MS[1]} ms/step)`);
      const slowest = await measure([urls[2]], `slowest alone (${STEP_MS[2]} ms/step)`);
      const poolMedian = spread(poolMs).median;
      const shareMedian = STEP_MS.map((_, i) => spread(shareSamples.map((s) => s[i])).median);
      const sharesInOrder = shareMedian[0] >= shareMedian[1] && shareMedian[1] >= shareMedian[2];
      const info = {
        'pool ms (median)': poolMedian,
        'fastest alone ms (median)': spread(fastestMs).median,
        'middle alone ms': middle.ms,
        'slowest alone ms': slowest.ms,
        'pool / middle alone': poolMedian / middle.ms,
        'pool / slowest alone': poolMedian / slowest.ms,
        ...Object.fromEntries(STEP_MS.map((stepMs, i) => [`share of the ${stepMs} ms/step server`, `${shareMedian[i]} runs (${Math.round((100 * shareMedian[i]) / total)}%)`])),
      };
      return [
        {
          name: `${total} runs through a pool of 3 servers (${STEP_MS.join('/')} ms/step, ${MAX_IN_FLIGHT} in flight each) vs the fastest alone`,
          baseline: 'the same runs through the fastest server alone',
          value: spread(ratios),
          unit: 'ratio',
          goal: '< 1x',
          met: spread(ratios).median < 1,
          info,
        },
        {
          name: `runs the fastest server took in the pool (of ${total}; shares follow speed: ${sharesInOrder ? 'yes' : 'no'})`,
          baseline: 'none (a count)',
          value: spread(shareSamples.map((s) => s[0])),
          unit: 'count',
          goal: 'fastest >= middle >= slowest',
          met: sharesInOrder,
        },
        cpuFigure('process CPU per run through the pool of 3 (same runs)', 'the same runs through the fastest server alone', cpuPerUnit(poolCpu, fastestCpu, total), 'run'),
      ];
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  },
};

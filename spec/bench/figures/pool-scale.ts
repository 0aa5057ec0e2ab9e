// A pool handed thousands of runs at once (what `pool.runMany` does with a work list): the runs wait
// in the pool for a slot. The figure is the pool's time against the same runs split by hand over
// the same servers' clients at the same total concurrency, so it prices the pool's bookkeeping;
// the time per run at the large size against a small one shows whether that bookkeeping grows with
// the number of waiting runs (it once re-checked every waiting run on every event).
import { performance } from 'node:perf_hooks';
import { lastValueFrom } from 'rxjs';
import { createClient } from '../../../lib/client/client';
import { createPool } from '../../../lib/pool/pool';
import { BenchContext, Figure, FigureModule, cpuFigure, cpuPerUnit, spread, withCpu } from '../harness';
import { Child, forkMockServer } from '../servers/child';
import { singleNodeWorkflow } from '../workflows';
import { prune } from './run-throughput';

const SERVERS = 2;
const IN_FLIGHT = 8;

/** All `total` runs handed to a pool of `urls` at once; resolves with the elapsed ms. */
const throughPool = async (urls: readonly string[], total: number): Promise<number> => {
  const pool = createPool(urls, { maxInFlightPerServer: IN_FLIGHT });
  const wf = singleNodeWorkflow();
  try {
    const start = performance.now();
    await lastValueFrom(pool.runMany(Array.from({ length: total }, () => wf)));
    return performance.now() - start;
  } finally {
    pool.close();
  }
};

/** The same runs split evenly over one client per server, each at the pool's per-server concurrency. */
const byHand = async (urls: readonly string[], total: number): Promise<number> => {
  const clients = urls.map((baseUrl) => createClient({ baseUrl }));
  const wf = singleNodeWorkflow();
  try {
    const start = performance.now();
    await Promise.all(
      clients.map((client, i) => {
        const share = Math.floor(total / clients.length) + (i < total % clients.length ? 1 : 0);
        return lastValueFrom(client.runMany(Array.from({ length: share }, () => wf), { concurrency: IN_FLIGHT }));
      }),
    );
    return performance.now() - start;
  } finally {
    for (const client of clients) client.close();
  }
};

/** The pool-scale figure module: `pool-scale` for `--only`. */
export const poolScaleFigure: FigureModule = {
  id: 'pool-scale',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const large = ctx.quick ? 2000 : 8000;
    const small = large / 8;
    const repetitions = ctx.quick ? 1 : 2;
    const servers: Child<{ url: string }>[] = [];
    try {
      for (let i = 0; i < SERVERS; i++) {
        servers.push(await forkMockServer({ stepMs: 0 }));
      }
      const urls = servers.map((s) => s.ready.url);
      const cpu: Record<string, number[]> = { pooled: [], hand: [] };
      const timed = async (label: string, fn: () => Promise<number>, cpuOf?: keyof typeof cpu): Promise<number> => {
        await Promise.all(urls.map(prune));
        // The servers run in their own processes: this process's CPU is the pool's (or the clients').
        const { value: ms, cpuMs } = await withCpu(fn);
        if (cpuOf) cpu[cpuOf].push(cpuMs);
        ctx.log(`  pool-scale: ${label} in ${Math.round(ms)} ms`);
        return ms;
      };
      await throughPool(urls, 100);
      const ratios: number[] = [];
      const growth: number[] = [];
      const info: Record<string, number> = {};
      for (let r = 0; r < repetitions; r++) {
        const pooled = await timed(`${large} runs through the pool`, () => throughPool(urls, large), 'pooled');
        const hand = await timed(`${large} runs split by hand`, () => byHand(urls, large), 'hand');
        const few = await timed(`${small} runs through the pool`, () => throughPool(urls, small));
        ratios.push(pooled / hand);
        growth.push(pooled / large / (few / small));
        info[`pool ms, ${large} runs (rep ${r + 1})`] = Math.round(pooled);
        info[`by hand ms, ${large} runs (rep ${r + 1})`] = Math.round(hand);
        info[`pool ms, ${small} runs (rep ${r + 1})`] = Math.round(few);
      }
      return [
        {
          name: `${large} runs handed to a pool of ${SERVERS} zero-time servers at once (${IN_FLIGHT} in flight each)`,
          baseline: `the same runs split by hand over ${SERVERS} clients, runMany at concurrency ${IN_FLIGHT} each`,
          value: spread(ratios),
          unit: 'ratio',
          goal: 'report',
          met: true,
          info,
        },
        {
          name: `pool time per run with ${large} waiting vs with ${small}`,
          baseline: `the pool's own time per run for ${small} runs`,
          value: spread(growth),
          unit: 'ratio',
          goal: '< 2x (waiting runs cost no time per event)',
          met: spread(growth).median < 2,
        },
        cpuFigure(`process CPU per run, ${large} runs through the pool`, `the same runs split by hand over ${SERVERS} clients`, cpuPerUnit(cpu.pooled, cpu.hand, large), 'run'),
      ];
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  },
};

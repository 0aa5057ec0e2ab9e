// Client CPU per run through `client.run` against a raw hand-written client that enqueues, listens
// on the socket and reads the finished item once: single-node runs, 16 in flight, each side in a
// fresh client process (process CPU time, not wall time: the wait for the server is not work).
import { BenchContext, Figure, FigureModule, spread } from '../harness';
import { forkMockServer } from '../servers/child';
import { measureCpuJob } from '../servers/cpu-jobs';

/** The run-cost figure module. */
export const runCost: FigureModule = {
  id: 'runcpu',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const runs = ctx.quick ? 200 : 1000;
    const pairs = ctx.quick ? 2 : 3;
    const server = await forkMockServer({ stepMs: 0, steps: 1 });
    try {
      const ours: number[] = [];
      const raw: number[] = [];
      for (let p = 0; p < pairs; p++) {
        // Alternate which side goes first, so drift in machine load hits both alike.
        const sides = p % 2 === 0 ? (['ours', 'raw'] as const) : (['raw', 'ours'] as const);
        for (const side of sides) {
          const report = await measureCpuJob({ side, url: server.ready.url, work: { kind: 'runs', runs, concurrency: 16 }, warmup: 50 });
          (side === 'ours' ? ours : raw).push(report.cpuMs / runs);
          ctx.log(`  runcpu: ${side} ${(report.cpuMs / runs).toFixed(3)} ms CPU per run`);
        }
      }
      const ratio = spread(ours.map((o, i) => o / raw[i]));
      return [
        {
          name: `client CPU per run (${runs} single-node runs, 16 in flight)`,
          baseline: 'raw: fetch enqueue + socket.io-client + one GET of the finished item',
          value: ratio,
          unit: 'ratio',
          goal: '<= 1.5x',
          met: ratio.median <= 1.5,
          info: { 'ours CPU ms per run': spread(ours).median, 'raw CPU ms per run': spread(raw).median },
        },
      ];
    } finally {
      await server.close();
    }
  },
};

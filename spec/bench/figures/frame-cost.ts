// Client CPU per socket frame while runs are in flight: 0, 100 and 1,000 runs whose items stay
// pending, while the server blasts frames of a batch none of them runs. With one dispatcher per
// client routing by batch id, a frame costs the same whatever the number of runs.
import * as path from 'path';
import { fork } from 'child_process';
import { BenchContext, Figure, FigureModule, spread } from '../harness';
import { forkServer } from '../servers/child';

/** The frame-cost figure module. */
export const frameCost: FigureModule = {
  id: 'fanout',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const frames = ctx.quick ? 5000 : 20000;
    const blasts = ctx.quick ? 3 : 5;
    const server = await forkServer<{ url: string }>(path.join(__dirname, '..', 'servers', 'fanout-server.ts'));
    try {
      // 0 runs first and last: the baseline is measured on both sides of the others.
      const counts = '0,100,1000,0';
      ctx.log(`  fanout: ${blasts} blasts of ${frames} frames with ${counts} runs in flight`);
      const child = fork(path.join(__dirname, '..', 'servers', 'fanout-client.ts'), [server.ready.url, counts, String(frames), String(blasts)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const report = await new Promise<{ perFrameUs?: Record<string, number[]>; error?: string }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { perFrameUs?: Record<string, number[]>; error?: string }));
        child.once('exit', (code) => reject(new Error(`fanout client exited (${code}) without a report`)));
      });
      child.kill();
      if (report.error !== undefined || report.perFrameUs === undefined) throw new Error(report.error ?? 'no report');
      const per = report.perFrameUs;
      const base = spread(per['0'] ?? []).median;
      const ratioOf = (runs: string) => spread((per[runs] ?? []).map((us) => us / base));
      const k1000 = ratioOf('1000');
      const info = { 'CPU µs per frame at 0 / 100 / 1,000 runs': `${base.toFixed(1)} / ${spread(per['100'] ?? []).median.toFixed(1)} / ${spread(per['1000'] ?? []).median.toFixed(1)}` };
      return [
        { name: 'client CPU per socket frame, 100 runs in flight', baseline: 'the same with no run in flight', value: ratioOf('100'), unit: 'ratio', info },
        { name: 'client CPU per socket frame, 1,000 runs in flight', baseline: 'the same with no run in flight', value: k1000, unit: 'ratio', goal: '<= 1.5x', met: k1000.median <= 1.5, info },
      ];
    } finally {
      await server.close();
    }
  },
};

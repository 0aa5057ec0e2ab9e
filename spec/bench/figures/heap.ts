// Heap after N sequential runs minus heap after 100 (N = 10,000, or as many as fit the time
// budget: the row says which). The client runs in a process of its own with --expose-gc, the
// simulator in another, so the heap read is the client's alone.
import * as path from 'path';
import { fork } from 'child_process';
import { BenchContext, Figure, FigureModule, exactly } from '../harness';
import { forkMockServer } from '../servers/child';

interface HeapReport {
  readonly baseline: number;
  readonly final: number;
  readonly runs: number;
  readonly checkpoints: ReadonlyArray<{ runs: number; heap: number }>;
  readonly ms: number;
  readonly error?: string;
}

const MB = 1024 * 1024;

/** The heap figure module. */
export const heapAfterRuns: FigureModule = {
  id: 'heap',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const target = ctx.quick ? 1000 : 10000;
    const budgetMs = ctx.quick ? 30000 : 150000;
    const server = await forkMockServer({ stepMs: 0 });
    try {
      ctx.log(`  heap: ${target} sequential runs (budget ${budgetMs / 1000} s)`);
      const child = fork(path.join(__dirname, '..', 'servers', 'heap-client.ts'), [server.ready.url, String(target), String(budgetMs)], {
        execArgv: ['--expose-gc', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const report = await new Promise<HeapReport>((resolve, reject) => {
        child.once('message', (m) => resolve(m as HeapReport));
        child.once('exit', (code) => reject(new Error(`heap client exited (${code}) without a report`)));
      });
      child.kill();
      if (report.error) throw new Error(report.error);
      const growthMb = (report.final - report.baseline) / MB;
      return [
        {
          name: `heap after ${report.runs} sequential runs minus after 100`,
          baseline: '- (MB)',
          value: exactly(growthMb),
          unit: 'MB',
          goal: '< 5 MB',
          met: growthMb < 5,
          info: {
            'heap at 100 runs MB': report.baseline / MB,
            [`heap at ${report.runs} runs MB`]: report.final / MB,
            'checkpoints (runs: MB)': report.checkpoints.map((c) => `${c.runs}: ${(c.heap / MB).toFixed(1)}`).join(', '),
            'sequential runs/s': report.runs / (report.ms / 1000),
          },
          ...(report.runs < target ? { note: `only ${report.runs} of ${target} runs fit the ${budgetMs / 1000} s budget` } : {}),
        },
      ];
    } finally {
      await server.close();
    }
  },
};

// HTTP requests per run for a ~10-second run with a healthy socket, counted by the simulator
// (`server.requests`), against the Python client's pattern (enqueue, item get, poll every 0.5 s).
import { lastValueFrom } from 'rxjs';
import { createClient } from '../../../lib/client/client';
import { buildBatch } from '../../../lib/workflow/batch';
import { startMockServer } from '../../../lib/testing';
import { BenchContext, Figure, FigureModule, spread } from '../harness';
import { pollingRun } from '../baselines';
import { imageWorkflow } from '../workflows';

/** The requests-per-run figure module. */
export const requestsPerRun: FigureModule = {
  id: 'requests',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    // One heavy node of `steps` steps: 20 x 500 ms = a 10-second run (4 x 500 ms when quick).
    const steps = ctx.quick ? 4 : 20;
    const repetitions = 3;
    const server = await startMockServer({ stepMs: 500, steps });
    const wf = imageWorkflow();
    const batch = buildBatch(wf, { origin: 'bench' });
    const counted = async (run: () => Promise<unknown>): Promise<{ requests: number; ms: number; paths: string }> => {
      const before = server.requests.length;
      const start = performance.now();
      await run();
      const made = server.requests.slice(before);
      return { requests: made.length, ms: performance.now() - start, paths: describePaths(made) };
    };
    try {
      const ours: number[] = [];
      const python: number[] = [];
      const durations: number[] = [];
      let oursPaths = '';
      for (let r = 0; r < repetitions; r++) {
        const client = createClient({ baseUrl: server.url });
        const o = await counted(() => lastValueFrom(client.run(wf)));
        client.close();
        const p = await counted(() => pollingRun(server.url, batch, 500));
        ours.push(o.requests);
        python.push(p.requests);
        durations.push(o.ms);
        oursPaths = o.paths;
        ctx.log(`  requests: repetition ${r + 1}/${repetitions}: ours ${o.requests}, polling ${p.requests}`);
      }
      const oursSpread = spread(ours);
      const ratio = spread(ours.map((o, i) => o / python[i]));
      const runSeconds = spread(durations).median / 1000;
      return [
        {
          name: `HTTP requests per run (${runSeconds.toFixed(1)} s run, healthy socket)`,
          baseline: '- (count)',
          value: oursSpread,
          unit: 'count',
          goal: '<= 3',
          met: oursSpread.median <= 3,
          info: { 'ours, last repetition': oursPaths },
        },
        {
          name: 'HTTP requests per run, against polling',
          baseline: 'Python client pattern: enqueue, get, poll every 0.5 s',
          value: ratio,
          unit: 'ratio',
          info: { 'ours requests': oursSpread.median, 'polling requests': spread(python).median, 'run seconds': runSeconds },
        },
      ];
    } finally {
      await server.close();
    }
  },
};

/** `POST enqueue_batch x1, GET i/{id} x2`: the requests of one run, by route. */
const describePaths = (entries: ReadonlyArray<{ method: string; path: string }>): string => {
  const counts = new Map<string, number>();
  for (const e of entries) {
    const route = `${e.method} ${e.path.replace(/^\/api\/v1\/queue\/[^/]+\//, '').replace(/\/\d+/g, '/{id}').replace(/\/b\/[^/]+/, '/b/{batch_id}')}`;
    counts.set(route, (counts.get(route) ?? 0) + 1);
  }
  return [...counts.entries()].map(([route, n]) => `${route} x${n}`).join('; ');
};

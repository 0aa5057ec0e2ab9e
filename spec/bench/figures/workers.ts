// The BullMQ workers' figure: jobs per second through a real Redis and a worker process (the demo's,
// demos/workers/worker.ts: a pool of both servers) against `pool.runMany` of the same prompts in one
// process, on the same two simulated servers (each in its own process): one process against one, so
// the ratio is what the queue costs. (More worker processes each hold a socket to every server, and
// a server sends every event to every socket: on a 2-core machine they compete with the servers.) And the latency a
// queue adds to one job: from `queue.add` to its `completed` event, against one `pool.submit`, one
// at a time with one worker.
import { performance } from 'node:perf_hooks';
import { Queue, QueueEvents } from 'bullmq';
import { lastValueFrom } from 'rxjs';
import { createPool, setInput, type Workflow } from '../../../lib/index';
import { runJobEvents } from '../../../lib/bullmq/index';
import { loadWorkflowFile } from '../../../lib/node';
import { startRedis, type RedisServer } from '../../../demos/lib/redis';
import { demoWorkflow } from '../../../demos/lib/setup';
import { startWorkerProcess, type FleetSettings, type WorkerProcess } from '../../../demos/workers/fleet';
import { BenchContext, Figure, FigureModule, spread } from '../harness';
import { Child, forkMockServer } from '../servers/child';
import { prune } from './run-throughput';

const STEP_MS = 4;
const STEPS = 3;
const WORKERS = 1;
/** As the demo's workers: two runs in flight per server. */
const MAX_IN_FLIGHT = 2;

const promptsOf = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `${tag} prompt ${i}`);

/** The jobs of `prompts` through the queue; resolves with the elapsed ms once every one completed. */
const throughQueue = async (queue: Queue, events: QueueEvents, prompts: readonly string[], tag: string): Promise<number> => {
  // Listening before the jobs are added, so that no end is missed.
  const ended = waitFor(events, tag, prompts.length);
  const start = performance.now();
  await queue.addBulk(prompts.map((prompt, i) => ({ name: 'txt2img', data: { prompt }, opts: { jobId: `${tag}-${i}` } })));
  await ended;
  return performance.now() - start;
};

/** Resolves once `count` jobs whose ids start with `tag` have completed. */
const waitFor = (events: QueueEvents, tag: string, count: number): Promise<void> =>
  new Promise((resolve, reject) => {
    let done = 0;
    const sub = runJobEvents(events).subscribe((e) => {
      if (!e.jobId.startsWith(`${tag}-`)) return;
      if (e.type === 'failed' || e.type === 'undecoded') {
        sub.unsubscribe();
        reject(new Error(`workers figure: job ${e.jobId} ended ${e.type}`));
      } else if (e.type === 'completed' && ++done === count) {
        sub.unsubscribe();
        resolve();
      }
    });
  });

/** The same prompts through `pool.runMany` in this process. */
const inProcess = async (urls: readonly string[], wf: Workflow, prompts: readonly string[]): Promise<number> => {
  const pool = createPool(urls, { maxInFlightPerServer: MAX_IN_FLIGHT, requeueOnServerLoss: true, modelSync: { byBase: true } });
  try {
    const start = performance.now();
    await lastValueFrom(pool.runMany(prompts.map((prompt) => setInput('Positive Prompt', prompt)(wf))));
    return performance.now() - start;
  } finally {
    pool.close();
  }
};

/** The workers figure module: `workers` for `--only`. */
export const workersFigure: FigureModule = {
  id: 'workers',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const total = ctx.quick ? 100 : 300;
    const repetitions = ctx.quick ? 1 : 3;
    const latencyJobs = ctx.quick ? 10 : 30;
    const servers: Child<{ url: string }>[] = [];
    const workers: WorkerProcess[] = [];
    let redis: RedisServer | undefined;
    let queue: Queue | undefined;
    let events: QueueEvents | undefined;
    try {
      for (let i = 0; i < 2; i++) servers.push(await forkMockServer({ stepMs: STEP_MS, steps: STEPS }));
      const urls = servers.map((s) => s.ready.url);
      redis = await startRedis();
      const settings: FleetSettings = { redisUrl: redis.url, queue: 'bench', servers: urls, concurrency: MAX_IN_FLIGHT * urls.length, lockMs: 30_000 };
      queue = new Queue('bench', { connection: redis.connection, defaultJobOptions: { removeOnComplete: true } });
      events = new QueueEvents('bench', { connection: redis.connection });
      await events.waitUntilReady();
      const wf = await loadWorkflowFile(demoWorkflow('Text to Image - SDXL.json'));
      const quiet = (): void => undefined;

      // Latency first, with one worker: one job at a time, against one pool.submit at a time.
      workers.push(await startWorkerProcess('worker-1', settings, quiet));
      const pool = createPool(urls, { maxInFlightPerServer: MAX_IN_FLIGHT, modelSync: { byBase: true } });
      const queued: number[] = [];
      const direct: number[] = [];
      try {
        // Warm-up of both paths (models read, sockets open).
        await throughQueue(queue, events, promptsOf(4, 'warm'), 'warm');
        await pool.submit(setInput('Positive Prompt', 'warm')(wf));
        for (let i = 0; i < latencyJobs; i++) {
          const t0 = performance.now();
          await pool.submit(setInput('Positive Prompt', `direct ${i}`)(wf));
          direct.push(performance.now() - t0);
          queued.push(await throughQueue(queue, events, [`queued ${i}`], `lat${i}`));
        }
      } finally {
        pool.close();
      }
      for (let i = 1; i < WORKERS; i++) workers.push(await startWorkerProcess(`worker-${i + 1}`, settings, quiet));

      const ratios: number[] = [];
      const queueRates: number[] = [];
      const directRates: number[] = [];
      for (let r = 0; r < repetitions; r++) {
        await Promise.all(urls.map(prune));
        const viaQueue = await throughQueue(queue, events, promptsOf(total, `q${r}`), `rep${r}`);
        await Promise.all(urls.map(prune));
        const viaRunMany = await inProcess(urls, wf, promptsOf(total, `d${r}`));
        const queueRate = (total / viaQueue) * 1000;
        const directRate = (total / viaRunMany) * 1000;
        ctx.log(`  workers: ${total} jobs through ${WORKERS} workers ${queueRate.toFixed(1)}/s, runMany in one process ${directRate.toFixed(1)}/s`);
        queueRates.push(queueRate);
        directRates.push(directRate);
        ratios.push(queueRate / directRate);
      }
      const ratio = spread(ratios);
      const added = spread(queued.map((q, i) => q - direct[i]!));
      return [
        {
          name: `jobs/s through BullMQ (${WORKERS} worker process, Redis) vs runMany in one process, ${total} jobs on 2 servers`,
          baseline: 'pool.runMany in one process, same servers and prompts',
          value: ratio,
          unit: 'ratio',
          goal: '>= 0.8x',
          met: ratio.median >= 0.8,
          info: { 'BullMQ jobs/s (median)': spread(queueRates).median, 'runMany jobs/s (median)': spread(directRates).median },
        },
        {
          name: 'latency a queue adds to one job (queue.add to completed, one worker, vs one pool.submit)',
          baseline: 'one pool.submit, one at a time',
          value: added,
          unit: 'ms',
          info: { 'queued job ms (median)': spread(queued).median, 'pool.submit ms (median)': spread(direct).median },
        },
      ];
    } finally {
      await Promise.all(
        workers.map(async (w) => {
          w.kill('SIGTERM');
          await w.exited;
        }),
      );
      await events?.close();
      await queue?.close();
      await redis?.stop();
      await Promise.all(servers.map((s) => s.close()));
    }
  },
};

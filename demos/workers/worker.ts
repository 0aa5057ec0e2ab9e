// One worker process of `npm run demo:workers` (and of the chaos test): a BullMQ worker whose jobs
// are prompts, run through a pool of InvokeAI servers. Started by demos/workers.ts; configured by
// environment variables:
//   REDIS_URL        redis://host:port of the queue
//   WORKERS_QUEUE    the queue's name
//   WORKERS_SERVERS  the InvokeAI servers, comma-separated
//   WORKER_NAME      printed with each line
//   WORKER_CONCURRENCY  jobs in hand at once (default 4)
//   WORKER_LOCK_MS   BullMQ's lockDuration: how soon a dead worker's jobs are taken over (default 4000)
// It prints `ready` once it takes jobs. SIGTERM closes it gracefully (the jobs in hand finish first);
// SIGKILL is what the demo uses to show that a job in hand is taken over and never runs twice.
import { createPool, setInput, type Workflow } from '../../lib/index';
import { createRunWorker } from '../../lib/bullmq/index';
import { loadWorkflowFile } from '../../lib/node';
import { demoWorkflow } from '../lib/setup';

/** The data of a job of this demo. */
export interface PromptJob {
  readonly prompt: string;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set (this script is started by demos/workers.ts)`);
  return value;
};

const main = async (): Promise<void> => {
  const name = env('WORKER_NAME');
  const lockDuration = Number(process.env['WORKER_LOCK_MS'] ?? 4000);
  const log = (line: string): void => console.log(`[${name}] ${line}`);
  const wf: Workflow = await loadWorkflowFile(demoWorkflow('Text to Image - SDXL.json'));
  // Each server's models are read once; the workflow's model fields are matched by base there. A
  // server lost mid-run has its unfinished items sent to the other (requeueOnServerLoss).
  const pool = createPool(env('WORKERS_SERVERS').split(','), { maxInFlightPerServer: 2, requeueOnServerLoss: true, modelSync: { byBase: true } });
  const worker = createRunWorker<PromptJob>(env('WORKERS_QUEUE'), {
    runner: pool,
    runOf: (job) => setInput('Positive Prompt', job.data.prompt)(wf),
    worker: {
      connection: { url: env('REDIS_URL') },
      concurrency: Number(process.env['WORKER_CONCURRENCY'] ?? 4),
      // A killed worker's jobs are taken over once their lock expires and a stalled check sees it.
      lockDuration,
      stalledInterval: Math.max(500, Math.round(lockDuration / 2)),
      // A job may be taken over more than once (its worker killed again): it still only follows its batch.
      maxStalledCount: 5,
    },
    logger: { warn: (message) => log(`warning: ${message}`) },
  });
  worker.on('active', (job) => log(`took job ${job.id}`));
  await worker.waitUntilReady();
  log('ready');
  process.once('SIGTERM', () => {
    void worker.close().then(() => {
      pool.close();
      process.exit(0);
    });
  });
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});

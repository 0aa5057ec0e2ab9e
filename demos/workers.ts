// `npm run demo:workers`: an image service behind a Redis queue. A producer adds 50 prompts as
// BullMQ jobs; three worker processes share two simulated InvokeAI servers through a pool. Halfway,
// one worker is killed with SIGKILL, jobs in hand, and started again: its jobs are taken over by the
// others, which follow the batches already on the servers instead of enqueueing them again. Prints
// each job once, with its image and the server it ran on, and what the servers enqueued in all.
//
// Needs Redis: a local `redis-server` is started in a temporary folder (apt-get install
// redis-server), or set REDIS_URL. With INVOKEAI_POOL_URLS=http://gpu1:9090,http://gpu2:9090 it
// drives real servers instead.
import { Queue, QueueEvents } from 'bullmq';
import { runJobEvents, type RunJobResult } from '../lib/bullmq/index';
import { startMockServer, type MockServer } from '../lib/testing';
import { RedisNotInstalledError, startRedis, type RedisServer } from './lib/redis';
import { startWorkerProcess, type FleetSettings, type WorkerProcess } from './workers/fleet';
import type { PromptJob } from './workers/worker';

const SUBJECTS = ['a lighthouse', 'a fox', 'a city of glass', 'a koi pond', 'a desert caravan', 'a paper boat', 'a library in a tree', 'a viaduct', 'an owl', 'a greenhouse'];
const SETTINGS = ['at dawn', 'in the snow', 'at night', 'in autumn', 'at dusk'];
const PROMPTS = SUBJECTS.flatMap((subject) => SETTINGS.map((setting) => `${subject} ${setting}`));
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];

const main = async (): Promise<void> => {
  let redis: RedisServer | undefined;
  const redisUrl = process.env['REDIS_URL'] || undefined;
  if (redisUrl === undefined) {
    try {
      redis = await startRedis();
    } catch (error) {
      if (!(error instanceof RedisNotInstalledError)) throw error;
      console.error(`This demo needs Redis. ${error.message}`);
      process.exitCode = 1;
      return;
    }
  }
  const urls = (process.env['INVOKEAI_POOL_URLS'] ?? '').split(',').filter((u) => u !== '');
  const stepMs = Number(process.env['DEMO_STEP_MS'] ?? 40);
  const simulated: MockServer[] = urls.length > 0 ? [] : [await startMockServer({ stepMs, steps: 12 }), await startMockServer({ stepMs, steps: 12 })];
  const servers = urls.length > 0 ? urls : simulated.map((s) => s.url);
  const serverName = (index: number): string => (urls.length > 0 ? (urls[index] ?? String(index)) : `gpu-${'ab'[index]}`);
  const settings: FleetSettings = { redisUrl: redisUrl ?? redis!.url, queue: `prompts-${Date.now()}`, servers, concurrency: 4 };
  const connection = { url: settings.redisUrl };
  const queue = new Queue<PromptJob>(settings.queue, { connection });
  const events = new QueueEvents(settings.queue, { connection });
  const workers = new Map<string, WorkerProcess>();
  const quiet = (line: string): void => {
    // The workers' own lines are noise here but for warnings and errors.
    if (!/\] (ready|took job)/.test(line)) console.log(line);
  };
  try {
    await events.waitUntilReady();
    console.log(`${PROMPTS.length} prompts, ${WORKERS.length} worker processes, ${servers.length} servers (${servers.map((_, i) => serverName(i)).join(', ')})`);
    for (const name of WORKERS) workers.set(name, await startWorkerProcess(name, settings, quiet));

    const done = new Map<string, RunJobResult>();
    const failed = new Set<string>();
    const twice: string[] = [];
    const stalled = new Set<string>();
    let killing: Promise<void> | undefined;
    const finished = new Promise<void>((resolve) => {
      const subscription = runJobEvents(events).subscribe((event) => {
        if (event.type === 'stalled') {
          stalled.add(event.jobId);
          console.log(`${event.jobId}: its worker died; another worker takes it over and follows its batch`);
        } else if (event.type === 'failed') {
          failed.add(event.jobId);
          console.log(`${event.jobId} FAILED: ${event.reason}`);
        } else if (event.type === 'completed') {
          if (done.has(event.jobId)) twice.push(event.jobId);
          done.set(event.jobId, event.result);
          const index = Number(event.jobId.replace('prompt-', ''));
          const followedOn = event.result.batches.some((b) => b.attached === true) ? ' (followed the batch its killed worker had enqueued)' : '';
          const made = event.result.items.flatMap((item) => item.outputs.flatMap((o) => o.images.map((image) => `${image} on ${serverName(item.server?.index ?? 0)}`)));
          console.log(`${event.jobId} "${PROMPTS[index]}": ${made.join(', ')}${followedOn}`);
          if (done.size === PROMPTS.length / 2 && killing === undefined) {
            // Halfway: worker-1 dies with its jobs in hand, and is started again a moment later.
            killing = (async () => {
              const victim = workers.get('worker-1')!;
              victim.kill('SIGKILL');
              await victim.exited;
              console.log('killed worker-1 (SIGKILL) with its jobs in hand; starting it again');
              workers.set('worker-1', await startWorkerProcess('worker-1', settings, quiet));
            })();
          }
        } else if (event.type === 'undecoded') {
          console.log(`${event.jobId}: an ${event.event} that is not a run job's`);
        }
        if (done.size + failed.size === PROMPTS.length) {
          subscription.unsubscribe();
          resolve();
        }
      });
    });
    // Job ids are the producer's: adding the same prompt twice would be one job.
    await queue.addBulk(PROMPTS.map((prompt, i) => ({ name: 'txt2img', data: { prompt }, opts: { jobId: `prompt-${i}` } })));
    await finished;
    await killing;

    console.log(`\n${done.size}/${PROMPTS.length} jobs completed${twice.length === 0 ? ', each exactly once' : `; completed twice: ${twice.join(', ')}`}; ${failed.size} failed`);
    const followed = [...stalled].filter((id) => done.get(id)?.batches.some((b) => b.attached === true)).length;
    console.log(`${stalled.size} job(s) taken over from the killed worker, ${followed} of them following their batch`);
    if (simulated.length > 0) {
      const batches = simulated.map((s) => new Set(s.queueItems().map((item) => item.batch_id)).size);
      console.log(`batches enqueued on the servers: ${batches.reduce((a, b) => a + b, 0)} (${batches.map((n, i) => `${serverName(i)} ${n}`).join(', ')})`);
    }
    if (failed.size > 0 || twice.length > 0) process.exitCode = 1;
  } finally {
    await Promise.all([...workers.values()].map(async (w) => {
      w.kill('SIGTERM');
      await w.exited;
    }));
    await events.close();
    await queue.close();
    await Promise.all(simulated.map((s) => s.close()));
    await redis?.stop();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

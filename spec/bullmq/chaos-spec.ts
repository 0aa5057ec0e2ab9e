// The chaos test: 300 jobs through a real Redis, three worker processes (demos/workers/worker.ts)
// sharing two simulated InvokeAI servers through a pool. A third of the way in, one worker is killed
// with SIGKILL, jobs in hand, and started again; two thirds in, one server is killed. Every job must
// complete exactly once; the servers' enqueue logs must hold one batch per job plus the requeues the
// pool declared (batches whose events carried `retryOf`), besides batches the dying server took
// unanswered and never ran; nothing may be stuck or lost; and every
// job's result must name images that the server it names has.
import { Queue, QueueEvents } from 'bullmq';
import type { RunJobEvent, RunJobResult } from '../../lib/bullmq/index';
import { runJobEvents } from '../../lib/bullmq/index';
import { startMockServer, type MockServer } from '../../lib/testing';
import { startWorkerProcess, type FleetSettings, type WorkerProcess } from '../../demos/workers/fleet';
import { describeWithRedis, freshQueueName } from './redis';

const JOBS = 300;
const KILL_WORKER_AT = 100;
const KILL_SERVER_AT = 200;

/** Batches a server enqueued, by id, with how many POSTs carried each (one, or it was enqueued twice). */
const enqueuedBatches = (server: MockServer): Map<string, number> => {
  const batches = new Map<string, number>();
  for (const item of server.queueItems()) {
    if ((item['parent_item_id'] ?? null) !== null) continue;
    batches.set(String(item['batch_id']), 0);
  }
  return batches;
};

describeWithRedis('chaos: 300 jobs, 3 worker processes, 2 servers, a worker SIGKILLed and a server killed mid-run', (redis) => {
  const workers = new Map<string, WorkerProcess>();
  let servers: MockServer[] = [];
  let queue: Queue | undefined;
  let events: QueueEvents | undefined;
  const lines: string[] = [];

  afterAll(async () => {
    await Promise.all(
      [...workers.values()].map(async (w) => {
        w.kill('SIGTERM');
        await w.exited;
      }),
    );
    await events?.close();
    await queue?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('completes every job exactly once, enqueues one batch per job plus the declared requeues, loses nothing, and names images the servers have', async () => {
    servers = [await startMockServer({ stepMs: 1, steps: 2 }), await startMockServer({ stepMs: 1, steps: 2 })];
    const name = freshQueueName('chaos');
    const settings: FleetSettings = { redisUrl: redis().url, queue: name, servers: servers.map((s) => s.url), concurrency: 6, lockMs: 2000 };
    queue = new Queue(name, { connection: redis().connection });
    events = new QueueEvents(name, { connection: redis().connection, lastEventId: '0' });
    await events.waitUntilReady();
    const keep = (line: string): void => {
      lines.push(line);
    };
    for (const worker of ['worker-1', 'worker-2', 'worker-3']) workers.set(worker, await startWorkerProcess(worker, settings, keep));

    const completions = new Map<string, RunJobResult[]>();
    const failures: RunJobEvent[] = [];
    const stalled = new Set<string>();
    const activeAfterStall = new Set<string>();
    let workerKilled: Promise<void> | undefined;
    let serverKilled = false;
    const finished = new Promise<void>((resolve) => {
      const sub = runJobEvents(events!).subscribe((event) => {
        if (event.type === 'stalled') stalled.add(event.jobId);
        if (event.type === 'active' && stalled.has(event.jobId)) activeAfterStall.add(event.jobId);
        if (event.type === 'failed' || event.type === 'undecoded') failures.push(event);
        if (event.type === 'completed') completions.set(event.jobId, [...(completions.get(event.jobId) ?? []), event.result]);
        const ended = completions.size + failures.length;
        if (workerKilled === undefined && completions.size >= KILL_WORKER_AT) {
          workerKilled = (async () => {
            const victim = workers.get('worker-1')!;
            victim.kill('SIGKILL');
            await victim.exited;
            workers.set('worker-1', await startWorkerProcess('worker-1', settings, keep));
          })();
        }
        // The server dies once the killed worker's jobs have been taken over (each followed its batch
        // again): the pool then has both faults to handle, one after the other.
        if (!serverKilled && completions.size >= KILL_SERVER_AT && stalled.size > 0 && [...stalled].every((id) => activeAfterStall.has(id) || completions.has(id))) {
          serverKilled = true;
          void servers[1].close();
        }
        if (ended >= JOBS) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    await queue.addBulk(Array.from({ length: JOBS }, (_, i) => ({ name: 'txt2img', data: { prompt: `prompt ${i}` }, opts: { jobId: `job-${i}` } })));
    await finished;
    await workerKilled;

    // The faults happened, and hit work in progress.
    expect(stalled.size).toBeGreaterThan(0);
    expect(serverKilled).toBe(true);
    // Every job completed, exactly once; none failed, none is left in the queue.
    expect(failures).toEqual([]);
    expect(completions.size).toBe(JOBS);
    expect([...completions.entries()].filter(([, results]) => results.length !== 1).map(([id]) => id)).toEqual([]);
    expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: JOBS });

    // One batch per job, plus the requeues the pool declared; no batch enqueued twice on a server.
    const results = [...completions.values()].map((r) => r[0]);
    const declaredRequeues = results.flatMap((r) => r.batches.filter((b) => b.retryOf !== undefined));
    const onServers = servers.map(enqueuedBatches);
    const posts = servers.map((s) => s.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/enqueue_batch') && r.status === 200).length);
    expect(posts).toEqual(onServers.map((b) => b.size));
    // The batches the results name are on the servers. The only others are on the killed server: an
    // enqueue it took as it died, never answered (the pool moved that batch to the other server, as
    // it cannot know), and never ran: no work was done twice.
    const named = new Set(results.flatMap((r) => r.batches.map((b) => `${b.server?.index}:${b.batchId}`)));
    const enqueued = new Set(onServers.flatMap((b, index) => [...b.keys()].map((id) => `${index}:${id}`)));
    expect([...named].filter((key) => !enqueued.has(key))).toEqual([]);
    const unanswered = [...enqueued].filter((key) => !named.has(key)).map((key) => key.split(':'));
    expect(unanswered.filter(([index]) => index !== '1')).toEqual([]);
    const ranTwice = unanswered.flatMap(([, id]) => servers[1].queueItems().filter((i) => i['batch_id'] === id && i['status'] === 'completed'));
    expect(ranTwice).toEqual([]);
    expect(onServers[0].size + onServers[1].size - unanswered.length).toBe(JOBS + declaredRequeues.length);

    // Every item completed, and names images its server has.
    for (const result of results) {
      expect(result.items.length).toBe(1);
      for (const item of result.items) {
        expect(item.status).toBe('completed');
        const images = new Set(servers[item.server?.index ?? -1]?.images().map((i) => i.image_name));
        for (const name of item.outputs.flatMap((o) => o.images)) expect(images.has(name)).toBe(true);
        expect(item.outputs.flatMap((o) => o.images).length).toBeGreaterThan(0);
      }
    }
    process.stdout.write(
      `chaos: ${JOBS} jobs, ${stalled.size} taken over from the killed worker, ${declaredRequeues.length} requeued after the server was killed; batches enqueued: ${onServers.map((b) => b.size).join(' + ')} (${unanswered.length} taken by the dying server, unanswered, never run)\n`,
    );
  }, 300_000);
});

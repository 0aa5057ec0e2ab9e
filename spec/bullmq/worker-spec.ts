// Run workers against a real Redis and the simulated InvokeAI server: what a job returns, the
// progress a front end sees, how jobs fail, and that canceling or removing a job cancels its batch.
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import { firstValueFrom, lastValueFrom, filter, toArray } from 'rxjs';
import { createClient, type InvokeAIClient } from '../../lib/index';
import { createRunWorker, runJobData, runJobEvents, type RunJobEvent, type RunJobResult } from '../../lib/bullmq/index';
import { startMockServer, type MockServer } from '../../lib/testing';
import { eventually, imageWorkflow } from '../run/run-helpers';
import { describeWithRedis, freshQueueName } from './redis';

const enqueues = (server: MockServer): number => server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/enqueue_batch')).length;

describeWithRedis('createRunWorker', (redis) => {
  let server: MockServer;
  let client: InvokeAIClient;
  let queue: Queue;
  let events: QueueEvents;
  let worker: Worker<unknown, RunJobResult> | undefined;

  const start = async (workerOptions: { lockDuration?: number } = {}): Promise<void> => {
    const name = freshQueueName('worker');
    const connection = redis().connection;
    queue = new Queue(name, { connection });
    events = new QueueEvents(name, { connection, lastEventId: '0' });
    await events.waitUntilReady();
    worker = createRunWorker(name, { runner: client, progressIntervalMs: 20, worker: { connection, ...workerOptions } });
    await worker.waitUntilReady();
  };

  /** The events of one job until it ends (subscribed before the job is added). */
  const jobEvents = (jobId: string): Promise<RunJobEvent[]> => lastValueFrom(runJobEvents(events, { jobId }).pipe(toArray()));

  beforeEach(async () => {
    server = await startMockServer({ stepMs: 1, steps: 2 });
    client = createClient({ baseUrl: server.url });
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await events.close();
    await queue.close();
    client.close();
    await server.close();
  });

  it('runs the job’s workflow and returns the names of the images each output node made, which the server has; the front end sees typed progress up to 1 before the result', async () => {
    await start();
    const ended = jobEvents('txt2img-1');
    await queue.add('run', runJobData(imageWorkflow(), { options: { runs: 3 } }), { jobId: 'txt2img-1' });
    const seen = await ended;

    const completed = seen[seen.length - 1];
    if (completed?.type !== 'completed') throw new Error(`the job did not complete: ${JSON.stringify(completed)}`);
    const { result } = completed;
    expect(result.items).toHaveLength(3);
    expect(result.batches).toHaveLength(1);
    const onServer = new Set(server.images().map((image) => image.image_name));
    for (const item of result.items) {
      expect(item).toMatchObject({ status: 'completed', batchId: result.batches[0].batchId });
      expect(item.outputs.map((o) => [o.nodeId, o.label])).toEqual([['img', 'Picture']]);
      expect(item.outputs[0].images).toHaveLength(1);
      expect(onServer.has(item.outputs[0].images[0])).toBe(true);
    }
    // The same result is stored on the job.
    expect((await Job.fromId(queue, 'txt2img-1'))?.returnvalue).toEqual(result);

    const progress = seen.flatMap((e) => (e.type === 'progress' ? [e.progress] : []));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toMatchObject({ batchIds: [result.batches[0].batchId], items: 3, completed: 3, failed: 0, canceled: 0, fraction: 1 });
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(seen.filter((e) => e.type === 'undecoded')).toEqual([]);
    expect(enqueues(server)).toBe(1);
  });

  it('fails a job whose items failed with RunItemsFailedError, and never retries it (a retry would follow the same batch)', async () => {
    await start();
    server.faults.failNodes({ type: 'blank_image', errorType: 'OutOfMemoryError', message: 'CUDA out of memory' });
    const ended = jobEvents('oom');
    await queue.add('run', runJobData(imageWorkflow()), { jobId: 'oom', attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    const seen = await ended;
    const failed = seen[seen.length - 1];
    expect(failed).toMatchObject({ type: 'failed', jobId: 'oom' });
    expect(failed?.type === 'failed' && failed.reason).toMatch(/^1 of 1 item\(s\) of job oom did not complete: item \d+ OutOfMemoryError: CUDA out of memory/);
    const job = await Job.fromId(queue, 'oom');
    expect(job?.attemptsMade).toBe(1);
    expect(enqueues(server)).toBe(1);
    // Its progress counted the failure.
    expect(seen.filter((e) => e.type === 'progress').pop()).toMatchObject({ progress: { failed: 1, fraction: 1 } });
  });

  it('fails a job whose data is not a run with RunJobDataError naming the problem, without retries or requests to the server', async () => {
    await start();
    const ended = jobEvents('bad');
    await queue.add('run', { workflow: 'not a workflow' }, { jobId: 'bad', attempts: 3 });
    const [failed] = (await ended).filter((e) => e.type === 'failed');
    expect(failed).toMatchObject({ type: 'failed' });
    expect(failed?.type === 'failed' && failed.reason).toBe(
      'Job bad does not hold a run: the job data is not { workflow, inputs?, options? } (workflow: expected UnknownRecord, got string). Fix the producer; the job is not retried.',
    );
    expect((await Job.fromId(queue, 'bad'))?.attemptsMade).toBe(1);
    expect(enqueues(server)).toBe(0);
  });

  it('fails a job with the run’s own typed error (a timeout), whose batch the run canceled', async () => {
    await start();
    server.faults.pauseProcessor();
    const ended = jobEvents('slow');
    await queue.add('run', runJobData(imageWorkflow(), { options: { timeoutMs: 300 } }), { jobId: 'slow' });
    const [failed] = (await ended).filter((e) => e.type === 'failed');
    expect(failed?.type === 'failed' && failed.reason).toMatch(/^Run of batch \S+ did not finish within 300 ms[.;] /);
    await eventually(() => server.queueItems().length === 1 && server.queueItems().every((item) => item.status === 'canceled'), 'the batch canceled on the server');
  });

  it('cancels the batch on the server when the job is canceled (worker.cancelJob), and fails the job with RunJobCanceledError', async () => {
    await start();
    server.faults.pauseProcessor();
    const ended = jobEvents('cancel-me');
    await queue.add('run', runJobData(imageWorkflow(), { options: { runs: 2 } }), { jobId: 'cancel-me', attempts: 3 });
    await eventually(() => server.queueItems().length === 2, 'the batch enqueued');
    expect(worker?.cancelJob('cancel-me', 'the user changed their mind')).toBe(true);
    const [failed] = (await ended).filter((e) => e.type === 'failed');
    expect(failed?.type === 'failed' && failed.reason).toBe(
      'Job cancel-me was canceled (the user changed their mind); what its run left unfinished was canceled on the server.',
    );
    await eventually(() => server.queueItems().every((item) => item.status === 'canceled'), 'both items canceled on the server');
    expect((await Job.fromId(queue, 'cancel-me'))?.attemptsMade).toBe(1);
  });

  it('cancels the batch on the server when the job is removed from Redis while it runs', async () => {
    await start({ lockDuration: 400 });
    server.faults.pauseProcessor();
    const active = firstValueFrom(runJobEvents(events).pipe(filter((e) => e.type === 'active')));
    await queue.add('run', runJobData(imageWorkflow(), { options: { runs: 2 } }), { jobId: 'removed' });
    await active;
    await eventually(() => server.queueItems().length === 2, 'the batch enqueued');
    await queue.obliterate({ force: true });
    await eventually(() => server.queueItems().every((item) => item.status === 'canceled'), 'both items canceled on the server', 10_000);
  });
});

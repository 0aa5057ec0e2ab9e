// runJobEvents against a real Redis: a queue's events, typed; what is not a run job's is `undecoded`.
import { Queue, QueueEvents, Worker } from 'bullmq';
import { lastValueFrom, take, toArray } from 'rxjs';
import { runJobEvents } from '../../lib/bullmq/index';
import { describeWithRedis, freshQueueName } from './redis';

describeWithRedis('runJobEvents', (redis) => {
  let queue: Queue;
  let events: QueueEvents;
  let worker: Worker | undefined;
  beforeEach(async () => {
    const name = freshQueueName('events');
    queue = new Queue(name, { connection: redis().connection });
    // Read from the start of the fresh queue's stream: a job added at once still has all its events.
    events = new QueueEvents(name, { connection: redis().connection, lastEventId: '0' });
    await events.waitUntilReady();
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await events.close();
    await queue.close();
  });

  it('passes on the progress and result of a job that is not a run job as undecoded, and completes after the job’s end', async () => {
    worker = new Worker(
      queue.name,
      async (job) => {
        await job.updateProgress(42);
        return 'done';
      },
      { connection: redis().connection },
    );
    const seen = lastValueFrom(runJobEvents(events, { jobId: 'plain' }).pipe(toArray()));
    await queue.add('plain', {}, { jobId: 'plain' });
    expect(await seen).toEqual([
      { type: 'waiting', jobId: 'plain' },
      { type: 'active', jobId: 'plain' },
      { type: 'undecoded', jobId: 'plain', event: 'progress', value: 42 },
      { type: 'undecoded', jobId: 'plain', event: 'completed', value: 'done' },
    ]);
  });

  it('sees every job of the queue without a job id, a failure with its reason, and stops listening when unsubscribed', async () => {
    worker = new Worker(
      queue.name,
      async (job) => {
        if (job.id === 'b') throw new Error('no GPU today');
        return null;
      },
      { connection: redis().connection },
    );
    // Three events of each: waiting, active, and its end.
    const ends = lastValueFrom(runJobEvents(events).pipe(take(6), toArray()));
    await queue.add('a', {}, { jobId: 'a' });
    await queue.add('b', {}, { jobId: 'b' });
    const seen = await ends;
    expect(seen.filter((e) => e.type === 'failed')).toEqual([{ type: 'failed', jobId: 'b', reason: 'no GPU today' }]);
    expect(seen.filter((e) => e.type === 'undecoded').map((e) => e.jobId)).toEqual(['a']);
    expect(events.listenerCount('progress')).toBe(0);
  });
});

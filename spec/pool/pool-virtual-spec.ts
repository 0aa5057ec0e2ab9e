// The pool's dispatch and health logic in virtual time, over fake clients whose runs, connection
// states and REST answers the test drives: waiting for a free slot, moving a batch that was not
// enqueued, ending or requeueing the items of a lost server, probing it with backoff, rejoining.
import { BehaviorSubject, Observable, Subject, VirtualTimeScheduler } from 'rxjs';
import type { InvokeAIClient } from '../../lib/client/client';
import { models } from '../../lib/client/models';
import type { ConnectionState } from '../../lib/transport/socket';
import type { PoolRunEvent, PoolRunResult } from '../../lib/pool/events';
import { createPool } from '../../lib/pool/pool';
import type { RunEvent } from '../../lib/run/events';
import type { RunOptions } from '../../lib/run/run';
import type { QueueItem } from '../../lib/protocol/dto';
import { imageWorkflow } from '../run/run-helpers';
import { NoEligibleServerError } from '../../lib/pool/errors';
import { MockModelConfig, modelIdentifier } from '../../lib/testing';
import { modelConfig } from '../../lib/testing/models';
import { Workflow } from '../../lib/workflow/workflow';
import { invocation, makeWorkflowJson } from '../workflow/builders';
import * as ids from '../run/ids';

interface FakeRun {
  readonly options: RunOptions;
  readonly events: Subject<RunEvent>;
  unsubscribed: boolean;
}

const counts = (active: number) => ({
  queue_id: 'default',
  pending: 0,
  in_progress: active,
  completed: 0,
  failed: 0,
  canceled: 0,
  total: active,
});

/** A client whose server the test plays: runs are Subjects, REST answers while `reachable`. */
const fakeServer = (url: string, scheduler: VirtualTimeScheduler) => {
  const connection$ = new BehaviorSubject<ConnectionState>({ type: 'connected', sid: url });
  const runs: FakeRun[] = [];
  const statusCalls: number[] = [];
  const canceled: string[][] = [];
  const state: { reachable: boolean; models: ReadonlyArray<MockModelConfig>; modelReads: number } = { reachable: true, models: [], modelReads: 0 };
  const client = {
    context: { baseUrl: url },
    connection$,
    queue: {
      status$: new BehaviorSubject(counts(0)),
      status: () => {
        statusCalls.push(scheduler.now());
        return state.reachable ? Promise.resolve({ queue: counts(0), processor: {} }) : Promise.reject(new Error('ECONNREFUSED'));
      },
      cancelBatches: (ids: string[]) => {
        canceled.push(ids);
        return Promise.resolve(ids.length);
      },
    },
    models: {
      list: () => {
        state.modelReads += 1;
        return Promise.resolve(state.models);
      },
    },
    run: (_wf: unknown, options: RunOptions) =>
      new Observable<RunEvent>((subscriber) => {
        const run: FakeRun = { options, events: new Subject(), unsubscribed: false };
        runs.push(run);
        const sub = run.events.subscribe(subscriber);
        return () => {
          run.unsubscribed = true;
          sub.unsubscribe();
        };
      }),
    close: () => connection$.complete(),
  } as unknown as InvokeAIClient;
  return { client, connection$, runs, statusCalls, canceled, state };
};

const queueItem = (itemId: number): QueueItem => ({ item_id: itemId, field_values: null } as unknown as QueueItem);
const enqueue = (run: FakeRun, itemIds: number[]) =>
  run.events.next({ type: 'enqueued', batchId: ids.batchId(run.options.batchId ?? ''), itemIds: ids.itemIds(itemIds), requested: itemIds.length, enqueued: itemIds.length });
const complete = (run: FakeRun, itemId: number, end = true) => {
  run.events.next({ type: 'completed', itemId: ids.itemId(itemId), outputs: [], queueItem: queueItem(itemId) });
  if (end) run.events.complete();
};

const ignore = (): void => undefined;

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('createPool in virtual time', () => {
  const setup = (requeueOnServerLoss = false) => {
    const scheduler = new VirtualTimeScheduler();
    const a = fakeServer('http://a', scheduler);
    const b = fakeServer('http://b', scheduler);
    const pool = createPool([a.client, b.client], {
      maxInFlightPerServer: 1,
      requeueOnServerLoss,
      scheduler,
      probe: { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0 },
    });
    /** Runs the virtual clock up to `t` ms, letting promises settle after each timer. */
    const advanceTo = async (t: number) => {
      for (;;) {
        const next = scheduler.actions[0];
        if (next === undefined || next.delay > t) break;
        scheduler.maxFrames = next.delay;
        scheduler.flush();
        await settle();
      }
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
    };
    const lose = async (server: ReturnType<typeof fakeServer>) => {
      server.state.reachable = false;
      server.connection$.next({ type: 'reconnecting', attempt: 1, delayMs: 500, reason: 'closed' });
      await settle();
    };
    return { scheduler, a, b, pool, advanceTo, lose };
  };

  it('waits for a free slot, moves a batch its lost server never enqueued, probes with backoff and, back, cancels what it abandoned there', async () => {
    const { a, b, pool, advanceTo, lose } = setup();
    const statuses: string[] = [];
    pool.status$.subscribe((s) => statuses.push(s.servers.map((x) => x.health).join(',')));
    const results: PoolRunResult[] = [];
    const wf = imageWorkflow(8);
    const submit = () => pool.submit(wf).then((r) => results.push(r));
    void submit();
    void submit();
    void submit();
    await settle();
    expect(a.runs).toHaveLength(1);
    expect(b.runs).toHaveLength(1);
    enqueue(a.runs[0], [1]);
    const lostBatch = b.runs[0].options.batchId;

    // b goes: its socket drops and REST fails; its batch was never enqueued, so it moves (a is full: it waits)
    await lose(b);
    expect(b.runs[0].unsubscribed).toBe(true);
    expect(statuses[statuses.length - 1]).toBe('up,down');
    expect(a.runs).toHaveLength(1);
    complete(a.runs[0], 1);
    await settle();
    expect(a.runs).toHaveLength(2);
    expect(a.runs[1].options.batchId).not.toBe(lostBatch);

    // probes at 100, 300 (fail), 700 (answers): b rejoins and takes the third run
    await advanceTo(650);
    b.state.reachable = true;
    await advanceTo(1000);
    expect(b.statusCalls).toEqual([0, 100, 300, 700]);
    expect(statuses[statuses.length - 1]).toBe('up,up');
    expect(b.canceled).toEqual([[lostBatch]]);
    expect(b.runs).toHaveLength(2);
    enqueue(a.runs[1], [2]);
    complete(a.runs[1], 2);
    enqueue(b.runs[1], [7]);
    complete(b.runs[1], 7);
    await settle();
    expect(results.map((r) => r.items.map((i) => `${i.server.url}:${i.itemId}`))).toEqual([['http://a:1'], ['http://a:2'], ['http://b:7']]);
    pool.close();
  });

  it('ends the open items of an enqueued batch on a lost server with server_lost, keeping those that ended', async () => {
    const { a, b, pool, lose } = setup();
    const events: PoolRunEvent[] = [];
    const wf = imageWorkflow(8);
    pool.run(wf).subscribe({ error: ignore }); // occupies a
    let done = false;
    pool.run(wf, { sweep: { values: { 'img.width': [8, 9, 10] } } }).subscribe({ next: (e) => events.push(e), complete: () => (done = true) });
    await settle();
    enqueue(b.runs[0], [4, 5, 6]);
    complete(b.runs[0], 4, false);
    await lose(b);
    expect(done).toBe(true);
    expect(events.map((e) => (e.type === 'enqueued' ? 'enqueued' : `${e.type}:${e.itemId}${e.type === 'failed' ? `:${e.error.type}` : ''}`))).toEqual([
      'enqueued',
      'completed:4',
      'failed:5:server_lost',
      'failed:6:server_lost',
    ]);
    expect(events.every((e) => e.server.url === 'http://b' && e.retryOf === undefined)).toBe(true);
    expect(a.runs).toHaveLength(1);
    pool.close();
  });

  it('with requeueOnServerLoss, sends only the lost items elsewhere as a retry, and the result keeps sweep order', async () => {
    const { a, b, pool, lose } = setup(true);
    const wf = imageWorkflow(8);
    let result: PoolRunResult | undefined;
    // a is busy with another run first; the sweep goes to b
    pool.run(wf).subscribe({ error: ignore });
    void pool.submit(wf, { sweep: { values: { 'img.width': [8, 9, 10] } } }).then((r) => (result = r));
    await settle();
    expect(b.runs).toHaveLength(1);
    const lostBatch = b.runs[0].options.batchId;
    enqueue(b.runs[0], [4, 5, 6]);
    complete(b.runs[0], 5, false);
    await lose(b);
    // a frees up; the lost items 4 and 6 (positions 0 and 2) are retried there as one zipped batch
    enqueue(a.runs[0], [1]);
    complete(a.runs[0], 1);
    await settle();
    expect(a.runs).toHaveLength(2);
    const retry = a.runs[1];
    expect(retry.options).toMatchObject({ runs: 1, sweep: { mode: 'zip', values: { 'img.width': [8, 10] } } });
    enqueue(retry, [2, 3]);
    complete(retry, 2, false);
    complete(retry, 3);
    await settle();
    expect(result?.items.map((i) => [i.server.url, i.itemId, i.retryOf?.itemIds])).toEqual([
      ['http://a', 2, [4, 6]],
      ['http://b', 5, undefined],
      ['http://a', 3, [4, 6]],
    ]);
    expect(result?.items[0].retryOf).toEqual({ batchId: lostBatch, server: { index: 1, url: 'http://b' }, itemIds: ids.itemIds([4, 6]), attempt: 1 });
    pool.close();
  });

  it('keeps a server whose socket dropped but whose REST still answers in rotation, and loses nothing', async () => {
    const { a, b, pool } = setup();
    const wf = imageWorkflow(8);
    const statuses: string[] = [];
    pool.status$.subscribe((s) => statuses.push(s.servers.map((x) => x.health).join(',')));
    const result = pool.submit(wf);
    pool.run(wf).subscribe({ error: ignore });
    await settle();
    enqueue(b.runs[0], [3]);
    b.connection$.next({ type: 'reconnecting', attempt: 1, delayMs: 500, reason: 'ping timeout' });
    await settle();
    expect(statuses).toContain('up,suspect');
    expect(statuses[statuses.length - 1]).toBe('up,up');
    expect(b.runs[0].unsubscribed).toBe(false);
    enqueue(a.runs[0], [1]);
    complete(a.runs[0], 1);
    expect((await result).items.map((i) => i.status)).toEqual(['completed']);
    pool.close();
  });

  it('reads a server\'s models once, checks workflows against them, and reads them again on reconnect', async () => {
    const { a, b, pool } = setup();
    const model = modelConfig({ name: 'rare', type: 'main', base: 'sd-1' });
    const wf = Workflow.fromObject(makeWorkflowJson([invocation('loader', 'main_model_loader', { model: modelIdentifier(model) })], [], [['loader', 'model']]));
    const error = await pool.submit(wf).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoEligibleServerError);
    expect((error as NoEligibleServerError).missingModels.map((m) => m.wanted.name)).toEqual(['rare']);
    await expect(pool.submit(wf)).rejects.toBeInstanceOf(NoEligibleServerError);
    expect([a.state.modelReads, b.state.modelReads]).toEqual([1, 1]);
    // b installs the model; the pool learns it when b's socket reconnects
    b.state.models = [model as MockModelConfig];
    b.connection$.next({ type: 'reconnecting', attempt: 1, delayMs: 10, reason: 'restart' });
    b.connection$.next({ type: 'connected', sid: 'again' });
    await settle();
    const result = pool.submit(wf);
    await settle();
    expect(a.runs).toHaveLength(0);
    expect(b.runs).toHaveLength(1);
    enqueue(b.runs[0], [9]);
    complete(b.runs[0], 9);
    expect((await result).items[0].server.url).toBe('http://b');
    expect([a.state.modelReads, b.state.modelReads]).toEqual([1, 2]);
    pool.close();
  });

  it('a client closed under the pool takes its server out for good; runs go to the others', async () => {
    const { a, b, pool } = setup();
    const wf = imageWorkflow(8);
    pool.run(wf).subscribe({ error: ignore });
    await settle();
    expect(a.runs).toHaveLength(1);
    b.connection$.next({ type: 'disconnected', reason: 'the client was closed' });
    const second = pool.submit(wf);
    await settle();
    expect(b.runs).toHaveLength(0);
    enqueue(a.runs[0], [1]);
    complete(a.runs[0], 1);
    await settle();
    enqueue(a.runs[1], [2]);
    complete(a.runs[1], 2);
    expect((await second).items[0].server.url).toBe('http://a');
    pool.close();
  });
  it('holds thousands of waiting runs without re-checking each one per event: accepts is asked a bounded number of times per run, and runs start in the order they were handed in', async () => {
    const scheduler = new VirtualTimeScheduler();
    const a = fakeServer('http://a', scheduler);
    const b = fakeServer('http://b', scheduler);
    const asked = { a: 0, b: 0 };
    const pool = createPool(
      [
        { client: a.client, accepts: () => (asked.a += 1) > 0 },
        { client: b.client, accepts: () => (asked.b += 1) > 0 },
      ],
      { maxInFlightPerServer: 2, scheduler },
    );
    const total = 2000;
    const wf = imageWorkflow(8);
    let waiting = -1;
    pool.status$.subscribe((status) => (waiting = status.waiting));
    const done: number[] = [];
    Array.from({ length: total }, (_, i) => pool.submit(wf, { batchId: `run-${i}` }).then(() => done.push(i)));
    await settle();
    expect(waiting).toBe(total - 4);
    // Finish the oldest unfinished run, one at a time, until all have run. After each step the runs
    // that started are the next ones in the order they were handed in.
    const started: number[] = [];
    const seen = { a: 0, b: 0 };
    const takeStarted = () => {
      const fresh = [...a.runs.slice(seen.a), ...b.runs.slice(seen.b)].map((r) => Number((r.options.batchId as string).slice('run-'.length)));
      seen.a = a.runs.length;
      seen.b = b.runs.length;
      started.push(...fresh.sort((x, y) => x - y));
    };
    takeStarted();
    const finished = new Set<FakeRun>();
    for (let itemId = 1; finished.size < total; itemId++) {
      const next = a.runs.concat(b.runs).find((r) => !finished.has(r));
      if (next === undefined) break;
      finished.add(next);
      enqueue(next, [itemId]);
      complete(next, itemId);
      await settle();
      takeStarted();
    }
    await settle();
    expect(done).toHaveLength(total);
    expect(started).toEqual(Array.from({ length: total }, (_, i) => i));
    // Checked when it arrives and once more when it is placed, per server: not once per event.
    expect(asked.a + asked.b).toBeLessThanOrEqual(total * 2 * 3);
    expect(waiting).toBe(0);
    pool.close();
  });
  it('learns each server\'s time per item of a workflow (after a warm-up item) and shares a split sweep by it; with learnSpeed false, by free slots alone', async () => {
    const shareAfterLearning = async (learnSpeed: boolean): Promise<{ sizes: number[]; msPerItem: Array<Readonly<Record<string, number>>> }> => {
      const scheduler = new VirtualTimeScheduler();
      const a = fakeServer('http://a', scheduler);
      const b = fakeServer('http://b', scheduler);
      const pool = createPool([a.client, b.client], { maxInFlightPerServer: 1, splitSweeps: true, learnSpeed, scheduler });
      const advanceTo = async (t: number) => {
        scheduler.maxFrames = t;
        scheduler.flush();
        scheduler.frame = t;
        await settle();
      };
      const wf = imageWorkflow(8);
      const timed = (run: FakeRun, itemId: number) => {
        enqueue(run, [itemId]);
        run.events.next({ type: 'status', itemId: ids.itemId(itemId), status: 'in_progress' });
      };
      // Two items on each, one after the other: a warm-up (a slow model load on a: 5 s), then 100 ms
      // on a and 400 ms on b.
      for (const [round, aMs] of [[0, 5000], [1, 100]] as const) {
        const t0 = scheduler.now();
        pool.submit(wf).catch(ignore);
        pool.submit(wf).catch(ignore);
        await settle();
        timed(a.runs[round], 10 + round);
        timed(b.runs[round], 20 + round);
        await advanceTo(t0 + Math.min(aMs, 400));
        complete(aMs < 400 ? a.runs[round] : b.runs[round], aMs < 400 ? 10 + round : 20 + round);
        await advanceTo(t0 + Math.max(aMs, 400));
        complete(aMs < 400 ? b.runs[round] : a.runs[round], aMs < 400 ? 20 + round : 10 + round);
        await settle();
      }
      let msPerItem: Array<Readonly<Record<string, number>>> = [];
      pool.status$.subscribe((status) => (msPerItem = status.servers.map((x) => x.msPerItem)));
      pool.submit(wf, { sweep: { values: { 'img.width': Array.from({ length: 10 }, (_, i) => 8 + i) } } }).catch(ignore);
      await settle();
      const sizes = [a.runs[2], b.runs[2]].map((run) => (run?.options.sweep?.values['img.width'] as unknown[] | undefined)?.length ?? 0);
      pool.close();
      return { sizes, msPerItem };
    };
    // The warm-up (a's 5 s model load) is not counted: a did its measured item 4x as fast, weights
    // 2.5 and 0.625 (the median counts 1), so 8 of 10 items go there.
    const learned = await shareAfterLearning(true);
    expect(learned.sizes).toEqual([8, 2]);
    expect(learned.msPerItem.map((m) => Object.values(m))).toEqual([[100], [400]]);
    expect((await shareAfterLearning(false)).sizes).toEqual([5, 5]);
  });
  it('waits for every server\'s model list before splitting a sweep, so the first server to answer does not take it all', async () => {
    const scheduler = new VirtualTimeScheduler();
    const a = fakeServer('http://a', scheduler);
    const b = fakeServer('http://b', scheduler);
    const model = modelConfig({ name: 'common', type: 'main', base: 'sd-1' }) as MockModelConfig;
    a.state.models = [model];
    b.state.models = [model];
    // b's model list answers only when the test says so.
    let answerB: () => void = () => undefined;
    (models(b.client) as unknown as { list: () => Promise<ReadonlyArray<MockModelConfig>> }).list = () => new Promise((resolve) => (answerB = () => resolve([model])));
    const pool = createPool([a.client, b.client], { maxInFlightPerServer: 1, splitSweeps: true, scheduler });
    const wf = Workflow.fromObject(makeWorkflowJson([invocation('loader', 'main_model_loader', { model: modelIdentifier(model) })], [], [['loader', 'model']]));
    pool.submit(wf, { runs: 4 }).catch(ignore);
    await settle();
    expect(a.runs).toHaveLength(0);
    answerB();
    await settle();
    expect([a.runs.length, b.runs.length]).toEqual([1, 1]);
    expect([a.runs[0].options.runs, b.runs[0].options.runs]).toEqual([2, 2]);
    pool.close();
  });
  it('stays linear when an idle server takes none of the waiting runs: each server is asked a bounded number of times per run', async () => {
    const scheduler = new VirtualTimeScheduler();
    const a = fakeServer('http://a', scheduler);
    const c = fakeServer('http://c', scheduler);
    const asked = { a: 0, c: 0 };
    const pool = createPool(
      [
        { client: a.client, accepts: () => (asked.a += 1) > 0 },
        // c is up with free slots the whole time, but takes nothing of this work list.
        { client: c.client, accepts: () => (asked.c += 1) < 0 },
      ],
      { maxInFlightPerServer: 2, scheduler },
    );
    const total = 1000;
    const wf = imageWorkflow(8);
    let done = 0;
    for (let i = 0; i < total; i++) pool.submit(wf).then(() => (done += 1), ignore);
    await settle();
    // a's runs start in order, two at a time: finish them one by one.
    for (let itemId = 1; done < total && itemId <= total; itemId++) {
      const next = a.runs[itemId - 1];
      if (next === undefined) break;
      enqueue(next, [itemId]);
      complete(next, itemId);
      await settle();
    }
    expect(done).toBe(total);
    expect(c.runs).toHaveLength(0);
    expect(asked.a).toBeLessThanOrEqual(total * 3);
    expect(asked.c).toBeLessThanOrEqual(total * 3);
    pool.close();
  });
});

// createPool against three simulated servers of different speeds: shares that follow speed, a
// server killed mid-way and coming back, model-limited workflows, split sweeps, strategies, close.
import { lastValueFrom, filter, first, firstValueFrom, toArray } from 'rxjs';
import { createClient } from '../../lib/client/client';
import { queue } from '../../lib/client/queue';
import { NoEligibleServerError, PoolClosedError } from '../../lib/pool/errors';
import type { PoolRunEvent, PoolRunResult } from '../../lib/pool/events';
import type { PoolOptions } from '../../lib/pool/options';
import { InvokeAIPool, createPool } from '../../lib/pool/pool';
import type { PoolStatus } from '../../lib/pool/status';
import type { RunEvent } from '../../lib/run/events';
import { MockServer, defaultModels, modelIdentifier, startMockServer } from '../../lib/testing';
import { modelConfig } from '../../lib/testing/models';
import { listInputs } from '../../lib/workflow/inputs';
import { Workflow } from '../../lib/workflow/workflow';
import { collect, eventually, imageWorkflow, runViolations } from '../run/run-helpers';
import { invocation, makeWorkflowJson } from '../workflow/builders';

/** Fast reconnects, probes and polls, so that losing and regaining a server takes tens of ms. */
const FAST: PoolOptions = {
  probe: { initialDelayMs: 20, maxDelayMs: 100, jitter: 0 },
  clientOptions: {
    pollIntervalMs: 50,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 },
  },
};

/** Step times of the fast, middle and slow server (three heavy steps per run). */
const SPEEDS = [1, 15, 60];

const startServers = (options: Parameters<typeof startMockServer>[0][] = SPEEDS.map((stepMs) => ({ stepMs }))) =>
  Promise.all(options.map((o) => startMockServer({ steps: 3, ...o })));

/** Pool batch ids per server, from the servers' own queues. */
const batchesOn = (server: MockServer): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of server.queueItems()) counts.set(String(item['batch_id']), (counts.get(String(item['batch_id'])) ?? 0) + 1);
  return counts;
};

const enqueueCount = (server: MockServer) => server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/enqueue_batch')).length;

const sharesOf = (results: readonly PoolRunResult[], n = 3): number[] => {
  const shares = Array.from({ length: n }, () => 0);
  for (const r of results) for (const item of r.items) shares[item.server.index] += 1;
  return shares;
};

describe('createPool over three simulated servers', () => {
  let servers: MockServer[] = [];
  let pool: InvokeAIPool | undefined;
  afterEach(async () => {
    pool?.close();
    pool = undefined;
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it('spreads runs over all servers at once, and a faster server takes more of them', async () => {
    servers = await startServers();
    pool = createPool(
      servers.map((s) => s.url),
      { ...FAST, maxInFlightPerServer: 2 },
    );
    const busyAtOnce: number[] = [];
    const watching = pool.status$.subscribe((s) => busyAtOnce.push(s.servers.filter((x) => x.inFlight > 0).length));
    const wf = imageWorkflow(8);
    const runs = await Promise.all(Array.from({ length: 45 }, () => collect(pool!.run(wf))));
    watching.unsubscribe();

    for (const run of runs) {
      expect(runViolations(run)).toEqual([]);
      // every event names the server, and that server holds the batch
      const server = (run.events[0] as PoolRunEvent).server;
      expect(run.events.every((e) => (e as PoolRunEvent).server.index === server.index)).toBe(true);
      const batchId = (run.events[0] as Extract<RunEvent, { type: 'enqueued' }>).batchId;
      expect(batchesOn(servers[server.index]).get(batchId)).toBe(1);
      expect(server.url).toBe(servers[server.index].url);
    }
    expect(runs.every((r) => r.events.some((e) => e.type === 'completed'))).toBe(true);
    const shares = [0, 0, 0];
    for (const run of runs) shares[(run.events[0] as PoolRunEvent).server.index] += 1;
    // faster servers take more runs; every server takes part
    expect(shares[0]).toBeGreaterThan(shares[1]);
    expect(shares[1]).toBeGreaterThan(shares[2]);
    expect(shares[2]).toBeGreaterThan(0);
    // the three worked side by side (which is why the pool finishes sooner than any one of them)
    expect(Math.max(...busyAtOnce)).toBe(3);
  });

  it('loses no run when a server is killed mid-way (its open items are requeued elsewhere, never enqueued twice), and the server rejoins when it comes back', async () => {
    servers = await startServers([{ stepMs: 2 }, { stepMs: 6 }, { stepMs: 10 }]);
    pool = createPool(
      servers.map((s) => s.url),
      { ...FAST, maxInFlightPerServer: 2, requeueOnServerLoss: true },
    );
    const wf = imageWorkflow(8);
    let ended = 0;
    const running = Array.from({ length: 36 }, () =>
      collect(pool!.run(wf)).then((run) => {
        ended += 1;
        return run;
      }),
    );
    await eventually(
      () => ended >= 9 && servers[1].queueItems().some((i) => i['status'] === 'in_progress'),
      'a quarter of the runs to end, and one running on the middle server',
    );
    const port = servers[1].port;
    await servers[1].close();
    const lost = servers[1];
    const runs = await Promise.all(running);

    // every run completed, whatever happened to its first server
    let lostTotal = 0;
    for (const run of runs) {
      expect(run.completed).toBe(true);
      const terminals = run.events.filter((e) => e.type === 'completed' || e.type === 'failed' || e.type === 'canceled');
      const lostItems = terminals.filter((e) => e.type === 'failed' && e.error.type === 'server_lost');
      const completed = terminals.filter((e) => e.type === 'completed') as PoolRunEvent[];
      expect(completed).toHaveLength(1);
      lostTotal += lostItems.length;
      // a lost item is retried once, on another server, and the retry says so
      for (const gone of lostItems as PoolRunEvent[]) {
        expect(gone.server.index).toBe(1);
        const retry = completed[0];
        expect(retry.retryOf).toMatchObject({ server: { index: 1 }, itemIds: [gone.type === 'failed' ? gone.itemId : -1], attempt: 1 });
        expect(retry.server.index).not.toBe(1);
      }
    }
    // the item running on the killed server was lost and retried
    expect(lostTotal).toBeGreaterThanOrEqual(1);
    // no batch on two servers, no batch with more than its one item
    const seen = new Map<string, number>();
    for (const server of [servers[0], lost, servers[2]]) {
      for (const [batchId, count] of batchesOn(server)) {
        expect(count).toBe(1);
        expect(seen.has(batchId)).toBe(false);
        seen.set(batchId, server.port);
      }
    }
    // the server comes back on its port and takes runs again
    servers[1] = await startMockServer({ stepMs: 6, steps: 3, port });
    await firstValueFrom(pool.status$.pipe(filter((s: PoolStatus) => s.servers[1].health === 'up' && s.servers[1].connection === 'connected')));
    const more = await Promise.all(Array.from({ length: 9 }, () => pool!.submit(wf)));
    expect(more.every((r) => r.items.length === 1 && r.items[0].status === 'completed')).toBe(true);
    expect(sharesOf(more)[1]).toBeGreaterThan(0);
    expect(servers[1].queueItems().length).toBe(sharesOf(more)[1]);
  });

  it('without requeueOnServerLoss, the items enqueued on a killed server end failed with server_lost; nothing hangs, nothing is enqueued twice', async () => {
    servers = await startServers([{ stepMs: 2 }, { stepMs: 20 }, { stepMs: 2 }]);
    pool = createPool(
      servers.map((s) => s.url),
      { ...FAST, maxInFlightPerServer: 2 },
    );
    const wf = imageWorkflow(8);
    const running = Array.from({ length: 18 }, () => collect(pool!.run(wf)));
    // the slow server holds two runs of ours, one of them running
    await eventually(() => servers[1].queueItems().filter((i) => i['status'] === 'in_progress').length === 1, 'a run in progress on the slow server');
    await servers[1].close();
    const runs = await Promise.all(running);
    let lostCount = 0;
    for (const run of runs) {
      expect(runViolations(run)).toEqual([]);
      for (const e of run.events as PoolRunEvent[]) {
        if (e.type === 'failed') {
          expect(e.error.type).toBe('server_lost');
          expect(e.server.index).toBe(1);
          lostCount += 1;
        }
      }
    }
    expect(lostCount).toBeGreaterThanOrEqual(1);
    const perBatch = [...servers].flatMap((s) => [...batchesOn(s).keys()]);
    expect(new Set(perBatch).size).toBe(perBatch.length);
  });

  it('sends a workflow whose model only one server has only there, syncing its model fields to that server; no server has it: a typed error naming the model', async () => {
    const special = modelConfig({ name: 'only-on-slow', type: 'main', base: 'sd-1' });
    const common = defaultModels();
    servers = await startServers([
      { stepMs: 1, models: common },
      { stepMs: 1, models: common },
      { stepMs: 8, models: [...common, special] },
    ]);
    pool = createPool(
      servers.map((s) => s.url),
      { ...FAST },
    );
    const loader = (model: unknown) =>
      Workflow.fromObject(makeWorkflowJson([invocation('loader', 'main_model_loader', { model })], [], [['loader', 'model']]));
    // the key differs from the server's: matched by name, and the server's key is what gets sent
    const wf = loader({ ...modelIdentifier(special), key: 'key-from-another-machine' });
    const results = await Promise.all(Array.from({ length: 8 }, () => pool!.submit(wf)));
    expect(results.every((r) => r.items[0].status === 'completed')).toBe(true);
    expect(sharesOf(results)).toEqual([0, 0, 8]);
    expect(enqueueCount(servers[0]) + enqueueCount(servers[1])).toBe(0);
    expect(results[0].items[0].queueItem?.session.graph?.nodes?.['loader']).toMatchObject({ model: { key: special.key } });

    // a model of no server: the run errors before anything is enqueued
    const error = await pool.submit(loader({ key: 'nowhere', hash: 'blake3:00', name: 'not-installed', base: 'sdxl', type: 'main' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoEligibleServerError);
    expect((error as NoEligibleServerError).name).toBe('NoEligibleServerError');
    expect((error as NoEligibleServerError).missingModels.map((m) => m.wanted.name)).toEqual(['not-installed']);
    expect((error as Error).message).toContain('not-installed');
    expect(enqueueCount(servers[0]) + enqueueCount(servers[1])).toBe(0);
  });

  it('honours a server\'s accepts predicate and reports when no server accepts a workflow', async () => {
    servers = await startServers([{ stepMs: 1 }, { stepMs: 1 }]);
    const big = imageWorkflow(32);
    const isSmall = (wf: Workflow) => listInputs(wf)[0].value === 8;
    pool = createPool([{ url: servers[0].url, accepts: isSmall }, { url: servers[1].url }], FAST);
    const results = await Promise.all(Array.from({ length: 4 }, () => pool!.submit(big)));
    expect(sharesOf(results, 2)).toEqual([0, 4]);
    pool.close();
    pool = createPool([{ url: servers[0].url, accepts: () => false }], FAST);
    await expect(pool.submit(big)).rejects.toThrow(/does not accept it/);
  });

  it('splits a sweep over the servers in proportion to free capacity, then to learned speed, and keeps the items in sweep order', async () => {
    servers = await startServers();
    pool = createPool(
      servers.map((s) => s.url),
      { ...FAST, splitSweeps: true },
    );
    const wf = imageWorkflow(8);
    const widths = Array.from({ length: 12 }, (_, i) => 8 + i);
    const events = await lastValueFrom(pool.run(wf, { sweep: { values: { 'img.width': widths } } }).pipe(toArray()));
    const enqueued = events.filter((e) => e.type === 'enqueued');
    expect(enqueued.map((e) => e.server.index).sort()).toEqual([0, 1, 2]);
    expect(events.filter((e) => e.type === 'completed')).toHaveLength(12);

    // The first sweep taught the pool the servers' speeds: the second gives the fast one the most.
    const status = await firstValueFrom(pool.status$);
    const [fast, middle, slow] = status.servers.map((s) => Object.values(s.msPerItem)[0]);
    expect(fast).toBeLessThan(middle);
    expect(middle).toBeLessThan(slow);
    const result = await pool.submit(wf, { sweep: { values: { 'img.width': widths } } });
    expect(result.items.map((i) => i.fieldValues[0]?.value)).toEqual(widths);
    expect(result.items.map((i) => i.outputs[0].images[0].width)).toEqual(widths);
    const shares = sharesOf([result]);
    expect(shares[0]).toBeGreaterThan(shares[1]);
    expect(shares[1]).toBeGreaterThanOrEqual(shares[2]);
    expect(result.batches.length).toBeGreaterThanOrEqual(2);
    // each item is on the server the result names, in the batch it names
    for (const item of result.items) expect(batchesOn(servers[item.server.index]).get(item.batchId)).toBeGreaterThan(0);
  });

  it('round-robin visits the servers in turn; a user function chooses the server', async () => {
    servers = await startServers([{ stepMs: 1 }, { stepMs: 1 }, { stepMs: 1 }]);
    pool = createPool(
      servers.map((s) => s.url),
      { ...FAST, strategy: 'round-robin' },
    );
    const wf = imageWorkflow(8);
    const order: number[] = [];
    for (let i = 0; i < 6; i++) order.push((await pool.submit(wf)).items[0].server.index);
    expect(order).toEqual([0, 1, 2, 0, 1, 2]);
    pool.close();
    pool = createPool(
      servers.map((s) => s.url),
      { ...FAST, strategy: ({ candidates }) => candidates[candidates.length - 1].index },
    );
    const results = await Promise.all(Array.from({ length: 3 }, () => pool!.submit(wf)));
    expect(sharesOf(results)).toEqual([0, 0, 3]);
  });

  it('holds runs in the pool while every server is full', async () => {
    servers = await startServers([{ stepMs: 5 }]);
    pool = createPool([servers[0].url], { ...FAST, maxInFlightPerServer: 1 });
    const statuses: PoolStatus[] = [];
    const watching = pool.status$.subscribe((s) => statuses.push(s));
    const results = await Promise.all(Array.from({ length: 4 }, () => pool!.submit(imageWorkflow(8))));
    watching.unsubscribe();
    expect(results.every((r) => r.items[0].status === 'completed')).toBe(true);
    expect(Math.max(...statuses.map((s) => s.servers[0].inFlight))).toBe(1);
    expect(Math.max(...statuses.map((s) => s.waiting))).toBe(3);
    // never more than one of ours in the server's queue at once
    expect(Math.max(...statuses.map((s) => (s.servers[0].queue?.pending ?? 0) + (s.servers[0].queue?.in_progress ?? 0)))).toBeLessThanOrEqual(1);
  });

  it('runMany tags every event with its index and runs them all through the pool', async () => {
    servers = await startServers([{ stepMs: 1 }, { stepMs: 1 }]);
    pool = createPool(
      servers.map((s) => s.url),
      FAST,
    );
    const events = await lastValueFrom(pool.runMany([imageWorkflow(8), { workflow: imageWorkflow(9), options: { runs: 2 } }], { concurrency: 2 }).pipe(toArray()));
    expect(events.filter((e) => e.event.type === 'completed').map((e) => e.index).sort()).toEqual([0, 1, 1]);
    expect(events.every((e) => e.event.server.url === servers[e.event.server.index].url)).toBe(true);
  });

  it('close() ends waiting and running runs with PoolClosedError, completes status$, closes the clients it created and leaves given clients open', async () => {
    servers = await startServers([{ stepMs: 50 }, { stepMs: 50 }]);
    const given = createClient({ baseUrl: servers[1].url });
    pool = createPool([servers[0].url, given], { ...FAST, maxInFlightPerServer: 1 });
    const status = lastValueFrom(pool.status$.pipe(toArray()));
    const runs = Array.from({ length: 3 }, () => collect(pool!.run(imageWorkflow(8))));
    await firstValueFrom(pool.status$.pipe(first((s) => s.servers.every((x) => x.connection === 'connected' && x.inFlight === 1))));
    pool.close();
    const ended = await Promise.all(runs);
    expect(ended.every((r) => r.error instanceof PoolClosedError)).toBe(true);
    await status;
    await expect(pool.submit(imageWorkflow(8))).rejects.toBeInstanceOf(PoolClosedError);
    // the pool's own client is gone; the given one still works until its owner closes it
    await eventually(() => servers[0].socketCount === 0, 'the pool-created client to disconnect');
    expect((await queue(given).status()).queue.queue_id).toBe('default');
    // the runs were canceled on the servers
    await eventually(() => servers.every((s) => s.queueItems().every((i) => i['status'] === 'canceled' || i['status'] === 'completed')), 'the runs to be canceled');
    given.close();
  });
});

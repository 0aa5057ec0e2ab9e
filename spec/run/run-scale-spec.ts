// Fan-out at size: a 1,000-item sweep in one run, and 200 runs at once over one socket.
import { lastValueFrom, tap, toArray } from 'rxjs';
import { createClient, InvokeAIClient } from '../../lib/client/client';
import type { RunEvent } from '../../lib/run/events';
import { MockServer, startMockServer } from '../../lib/testing';
import { collect, integerWorkflow, runViolations } from './run-helpers';

describe('client.run at scale', () => {
  let server: MockServer;
  let client: InvokeAIClient;
  beforeEach(async () => {
    server = await startMockServer({ stepMs: 0, steps: 1 });
    client = createClient({ baseUrl: server.url });
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('runs a 1,000-item sweep as one batch in one stream, every item completed once, with few requests', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const run = await collect(client.run(integerWorkflow(), { sweep: { values: { 'int.value': values } } }));
    expect(runViolations(run, server)).toEqual([]);
    const enqueued = run.events[0];
    if (enqueued?.type !== 'enqueued') throw new Error('no enqueued event');
    expect({ requested: enqueued.requested, enqueued: enqueued.enqueued, items: enqueued.itemIds.length }).toEqual({
      requested: 1000,
      enqueued: 1000,
      items: 1000,
    });
    const completed = run.events.filter((e): e is Extract<RunEvent, { type: 'completed' }> => e.type === 'completed');
    expect(completed).toHaveLength(1000);
    const swept = completed.map((e) => e.queueItem.field_values?.[0]?.value as number).sort((a, b) => a - b);
    expect(swept).toEqual(values);
    // One enqueue, reads coalesced: at most one read per item plus the initial one.
    const requests = server.requests.length;
    expect(requests).toBeLessThanOrEqual(1 + 1 + 1000);
    console.log(`1,000-item sweep: ${requests} HTTP requests`);
  }, 60000);

  it('runs 200 runs at once over one WebSocket, each completing correctly', async () => {
    let peakSockets = 0;
    const runs = Array.from({ length: 200 }, () =>
      collect(client.run(integerWorkflow()).pipe(tap(() => (peakSockets = Math.max(peakSockets, server.socketCount))))),
    );
    const results = await Promise.all(runs);
    for (const run of results) expect(runViolations(run, server)).toEqual([]);
    const batchIds = new Set(results.map((r) => (r.events[0]?.type === 'enqueued' ? r.events[0].batchId : '')));
    expect(batchIds.size).toBe(200);
    expect(server.queueItems()).toHaveLength(200);
    expect(peakSockets).toBe(1);
    const perRun = server.requests.length / 200;
    expect(perRun).toBeLessThanOrEqual(3);
    console.log(`200 concurrent runs: ${server.requests.length} HTTP requests (${perRun} per run), ${peakSockets} socket`);
  }, 60000);

  it('runMany with a concurrency of 50 over 200 workflows', async () => {
    const tagged = await lastValueFrom(client.runMany(Array.from({ length: 200 }, () => integerWorkflow()), { concurrency: 50 }).pipe(toArray()));
    const byIndex = new Map<number, RunEvent[]>();
    for (const { index, event } of tagged) byIndex.set(index, [...(byIndex.get(index) ?? []), event]);
    expect(byIndex.size).toBe(200);
    for (const events of byIndex.values()) expect(runViolations({ events, completed: true }, server)).toEqual([]);
  }, 60000);
});

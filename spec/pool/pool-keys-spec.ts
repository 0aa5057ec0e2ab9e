// A pool's keyed runs and attach: the key's batch is looked up on every server, and followed where
// it is; a batch on no server is dispatched once.
import { lastValueFrom, toArray } from 'rxjs';
import { AttachError, batchIdOfKey, createPool, type InvokeAIPool } from '../../lib/index';
import { startMockServer, type MockServer } from '../../lib/testing';
import { imageWorkflow } from '../run/run-helpers';

const posts = (server: MockServer): number => server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/enqueue_batch')).length;

describe('pool keys and attach', () => {
  let servers: MockServer[];
  let pool: InvokeAIPool;
  beforeEach(async () => {
    servers = [await startMockServer({ stepMs: 1, steps: 2 }), await startMockServer({ stepMs: 1, steps: 2 })];
    pool = createPool(servers.map((s) => s.url));
  });
  afterEach(async () => {
    pool.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('enqueues a keyed run once across the servers: another pool’s run of the key follows it where it is', async () => {
    const first = await pool.submit(imageWorkflow(), { key: 'job-7', runs: 2 });
    const other = createPool(servers.map((s) => s.url).reverse());
    try {
      const events = await lastValueFrom(other.run(imageWorkflow(), { key: 'job-7', runs: 2 }).pipe(toArray()));
      expect(events[0]).toMatchObject({ type: 'enqueued', attached: true, batchId: batchIdOfKey('job-7', 'default') });
      const where = first.batches[0]!.server.index;
      // The other pool lists the servers the other way round: its index of the same server differs.
      expect(events[0]!.server.url).toBe(servers[where]!.url);
      const ended = events.filter((e) => e.type === 'completed').map((e) => (e.type === 'completed' ? e.outputs : []));
      expect(ended).toEqual(first.items.map((i) => i.outputs));
    } finally {
      other.close();
    }
    expect(posts(servers[0]!) + posts(servers[1]!)).toBe(1);
  });

  it('attaches to a batch on whichever server has it, and says when none has it', async () => {
    const first = await pool.submit(imageWorkflow());
    const result = await pool.attachResult(first.batchId);
    expect(result.items.map((i) => [i.itemId, i.status, i.server.url, i.outputs])).toEqual(first.items.map((i) => [i.itemId, i.status, i.server.url, i.outputs]));
    await expect(pool.attachResult('nowhere')).rejects.toBeInstanceOf(AttachError);
  });
});

// Rows "`queue.retry(ids)`" and "`queue.item(id)` of an item in another queue": retry answers the
// new items (found by `retried_from_item_id`, since InvokeAI answers the ids it retried), and the
// 500 InvokeAI wraps its 404 in is `null`. Against the simulator, which answers as InvokeAI does,
// and against a hostile server that answers with InvokeAI's exact texts.
import { createClient } from '../../lib/client/client';
import { matchRetried, queue } from '../../lib/client/queue';
import type { QueueItem } from '../../lib/protocol/dto';
import type { ItemId } from '../../lib/protocol/ids';
import { HttpError } from '../../lib/transport/errors';
import { startMockServer, type MockServer } from '../../lib/testing';
import { SimClient, startSim } from '../client/sim-helpers';
import { HostileServer, json, startHostileServer } from './hostile-server';
import * as ids from '../run/ids';

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe('queue.retry answers the new items', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  /** Enqueues the simulator's one-node graph `runs` times; answers the item ids, oldest first. */
  const enqueue = async (runs = 1): Promise<ItemId[]> => {
    const res = await fetch(`${sim.server.url}/api/v1/queue/default/enqueue_batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prepend: false, batch: { graph: { id: 'g', nodes: { s: { id: 's', type: 'string', value: 'x' } }, edges: [] }, runs } }),
    });
    return ids.itemIds(((await res.json()) as { item_ids: number[] }).item_ids.sort((a, b) => a - b));
  };
  const ended = (id: number) => () => ['completed', 'failed', 'canceled'].includes(String(sim.server.queueItem(id)?.status));

  it('answers the new items, each made from the item it names, and skips what cannot be retried', async () => {
    sim.server.faults.failNodes({ type: 'string', count: 2 });
    const [first, second, third] = await enqueue(3);
    for (const id of [first, second, third]) await until(ended(id), `item ${id}`);
    expect([first, second, third].map((id) => sim.server.queueItem(id)?.status)).toEqual(['failed', 'failed', 'completed']);
    // Another batch in between: the new items are not simply the newest ones.
    const result = await queue(sim.client).retry([second, third, ids.itemId(424242), first]);
    const later = await enqueue(2);
    expect(result.retried_from).toEqual([second, first]);
    expect(result.retried_item_ids).toHaveLength(2);
    for (const id of result.retried_item_ids) expect([first, second, third, ...later]).not.toContain(id);
    expect(result.items.map((i) => i.retried_from_item_id)).toEqual([second, first]);
    expect(result.items.map((i) => i.item_id)).toEqual(result.retried_item_ids);
    for (const id of result.retried_item_ids) await until(ended(id), `retried item ${id}`);
    expect(result.retried_item_ids.map((id) => sim.server.queueItem(id)?.status)).toEqual(['completed', 'completed']);
  });

  it('finds the new item of a retried retry, whose retried_from_item_id names the first of the chain', async () => {
    sim.server.faults.failNodes({ type: 'string', count: 2 });
    const [original] = await enqueue();
    await until(ended(original), 'the original');
    const once = await queue(sim.client).retry([original]);
    await until(ended(once.retried_item_ids[0]), 'the first retry');
    const twice = await queue(sim.client).retry(once.retried_item_ids);
    expect(twice.retried_from).toEqual(once.retried_item_ids);
    expect(twice.items[0]).toMatchObject({ retried_from_item_id: original });
    expect(twice.retried_item_ids[0]).toBeGreaterThan(once.retried_item_ids[0]);
  });

  it('answers no items when nothing could be retried', async () => {
    const [done] = await enqueue();
    await until(ended(done), 'the item');
    await expect(queue(sim.client).retry([done])).resolves.toEqual({ queue_id: 'default', retried_item_ids: [], items: [], retried_from: [] });
  });

  it('pairs sources of one chain with the new items in the order InvokeAI makes them', () => {
    const item = (item_id: number, retried_from_item_id: number | null) => ({ item_id, retried_from_item_id }) as unknown as QueueItem;
    // Sources 1 and 5 (retried from 1) share the chain 1: their new items are 9 and 10, in that order.
    const matched = matchRetried([{ item_id: ids.itemId(1), chain: ids.itemId(1) }, { item_id: ids.itemId(5), chain: ids.itemId(1) }, { item_id: ids.itemId(7), chain: ids.itemId(7) }], [item(12, null), item(11, 7), item(10, 1), item(9, 1), item(8, 1)]);
    expect(matched.map((m) => m?.item_id)).toEqual([9, 10, 11]);
  });
});

describe('queue.item of an item in another queue is null', () => {
  let server: MockServer;
  beforeEach(async () => {
    server = await startMockServer({ stepMs: 1, steps: 1 });
  });
  afterEach(() => server.close());

  it('against the simulator, which wraps the 404 in a 500 as InvokeAI does', async () => {
    const res = await fetch(`${server.url}/api/v1/queue/default/enqueue_batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prepend: false, batch: { graph: { id: 'g', nodes: { s: { id: 's', type: 'string', value: 'x' } }, edges: [] }, runs: 1 } }),
    });
    const [id] = ids.itemIds(((await res.json()) as { item_ids: number[] }).item_ids);
    const mine = createClient({ baseUrl: server.url, retry: false });
    const other = createClient({ baseUrl: server.url, queueId: 'elsewhere', retry: false });
    try {
      await expect(queue(mine).item(id)).resolves.toMatchObject({ item_id: id });
      await expect(queue(other).item(id)).resolves.toBeNull();
      await expect(queue(other).item(ids.itemId(424242))).resolves.toBeNull();
    } finally {
      mine.close();
      other.close();
    }
  });
});

describe('queue.item against InvokeAI\'s exact answers', () => {
  let server: HostileServer;
  beforeEach(async () => {
    server = await startHostileServer();
  });
  afterEach(() => server.close());

  it('maps the wrapped 404 to null, and still throws any other 500', async () => {
    server.onHttp((req, res) =>
      req.url.endsWith('/i/5')
        ? json(res, 500, { detail: 'Unexpected error while fetching queue item: 404: Queue item with id 5 not found in queue default' })
        : json(res, 500, { detail: 'Unexpected error while fetching queue item: database is locked' }),
    );
    const client = createClient({ baseUrl: server.url, retry: false });
    try {
      await expect(queue(client).item(ids.itemId(5))).resolves.toBeNull();
      const error = await queue(client).item(ids.itemId(6)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 500 });
    } finally {
      client.close();
    }
  });
});

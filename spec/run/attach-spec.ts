// Keys and attach: a keyed run enqueues its batch once (a second run of the key follows it), a
// pruned batch is enqueued again, and attaching after the enqueuing process was killed gives the
// terminal events and outputs that process's live run gave.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import { lastValueFrom, toArray } from 'rxjs';
import { AttachError, batchIdOfKey, createClient, isTerminalRunEvent, type InvokeAIClient, type RunEvent, type TerminalRunEvent, queue } from '../../lib/index';
import { ManualClock, startMockServer, type MockServer } from '../../lib/testing';
import { imageWorkflow } from './run-helpers';

const ROOT = path.resolve(__dirname, '../..');
const posts = (server: MockServer): number => server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/enqueue_batch')).length;
const terminals = (events: readonly RunEvent[]): TerminalRunEvent[] => events.filter(isTerminalRunEvent);

describe('keys and attach', () => {
  let server: MockServer;
  let client: InvokeAIClient;
  beforeEach(async () => {
    server = await startMockServer({ stepMs: 1, steps: 2 });
    client = createClient({ baseUrl: server.url });
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('derives the batch id from the key and the queue, the same in every process', () => {
    expect(batchIdOfKey('order-1', 'default')).toBe(batchIdOfKey('order-1', 'default'));
    expect(batchIdOfKey('order-1', 'default')).not.toBe(batchIdOfKey('order-2', 'default'));
    expect(batchIdOfKey('order-1', 'default')).not.toBe(batchIdOfKey('order-1', 'other'));
    expect(() => batchIdOfKey('', 'default')).toThrow('RunOptions.key must be a non-empty string.');
  });

  it('enqueues a keyed batch once: a second run of the key follows it, with the same items and outputs', async () => {
    const first = await lastValueFrom(client.run(imageWorkflow(), { key: 'order-1', runs: 2 }).pipe(toArray()));
    const second = await lastValueFrom(client.run(imageWorkflow(), { key: 'order-1', runs: 2 }).pipe(toArray()));
    expect(posts(server)).toBe(1);
    expect(first[0]).toMatchObject({ type: 'enqueued', batchId: batchIdOfKey('order-1', 'default') });
    expect(first[0]).not.toHaveProperty('attached');
    expect(second[0]).toMatchObject({ type: 'enqueued', batchId: batchIdOfKey('order-1', 'default'), attached: true });
    const outputsOf = (events: readonly RunEvent[]) => terminals(events).map((e) => (e.type === 'completed' ? [e.itemId, e.outputs] : [e.itemId, e.type]));
    expect(outputsOf(second)).toEqual(outputsOf(first));
    const result = await client.submit(imageWorkflow(), { key: 'order-1', runs: 2 });
    expect(result.items.map((i) => i.status)).toEqual(['completed', 'completed']);
    expect(posts(server)).toBe(1);
  });

  it('enqueues a keyed batch again once it was pruned from the queue (InvokeAI keeps no record of it)', async () => {
    await client.submit(imageWorkflow(), { key: 'order-2' });
    await queue(client).prune();
    const again = await lastValueFrom(client.run(imageWorkflow(), { key: 'order-2' }).pipe(toArray()));
    expect(again[0]).not.toHaveProperty('attached');
    expect(posts(server)).toBe(2);
  });

  it('refuses a key with a batch id, and an attach to a batch the server does not have', async () => {
    await expect(client.submit(imageWorkflow(), { key: 'k', batchId: 'b' })).rejects.toThrow('give a key or a batchId, not both');
    const error = await client.attachResult('no-such-batch').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttachError);
    expect(error).toMatchObject({ reason: 'not_found', batchId: 'no-such-batch' });
  });

  it('attaches after the enqueuing process was killed: the terminal events and outputs its live run gave, and every other item once', async () => {
    // A server of its own, whose time moves only when this test says: it stands still once the
    // first item has completed, so the others are still queued when the process is killed.
    const clock = new ManualClock();
    const frozen = await startMockServer({ clock, stepMs: 1, steps: 2 });
    const follower = createClient({ baseUrl: frozen.url });
    const key = 'killed-mid-run';
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'enqueue-and-die.ts')], {
      cwd: ROOT,
      env: { ...process.env, SERVER_URL: frozen.url, RUN_KEY: key, RUNS: '4' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const live: RunEvent[] = [];
    // Kill it once it has told the end of the one item the server finished.
    const toldOneEnd = new Promise<void>((resolve) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as RunEvent;
        live.push(event);
        if (isTerminalRunEvent(event)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    try {
      await clock.runUntil(() => frozen.queueItems().some((i) => i.status === 'completed'));
      await toldOneEnd;
      await exited;
      const liveEnds = terminals(live);
      expect(liveEnds).toHaveLength(1);
      expect(frozen.queueItems().filter((i) => i.status !== 'completed')).toHaveLength(3);
      const enqueued = live[0];
      if (enqueued?.type !== 'enqueued') throw new Error('the live run did not start with enqueued');

      let attachedDone = false;
      const attaching = lastValueFrom(follower.attach(batchIdOfKey(key, 'default')).pipe(toArray())).finally(() => (attachedDone = true));
      await clock.runUntil(() => attachedDone);
      const attached = await attaching;
      expect(attached[0]).toMatchObject({ type: 'enqueued', attached: true, itemIds: enqueued.itemIds });
      const ends = terminals(attached);
      // Every item ends once, completed, with images the server has.
      expect(ends.map((e) => e.itemId).sort()).toEqual([...enqueued.itemIds].sort());
      const names = new Set(frozen.images().map((i) => i.image_name));
      for (const end of ends) {
        expect(end.type).toBe('completed');
        if (end.type === 'completed') for (const name of end.outputs.flatMap((o) => o.images.map((i) => i.imageName))) expect(names.has(name)).toBe(true);
      }
      // What the live run had seen end, the attach gives alike: same item, same outputs (mapped by the
      // workflow stored with the batch, not given here).
      for (const end of liveEnds) {
        const same = ends.find((e) => e.itemId === end.itemId);
        expect(same?.type).toBe(end.type);
        if (same?.type === 'completed' && end.type === 'completed') {
          expect(same.outputs).toEqual(end.outputs);
          expect(same.queueItem.status).toBe(end.queueItem.status);
        }
      }
      // Nothing was enqueued again.
      expect(posts(frozen)).toBe(1);
    } finally {
      await follower.close();
      await frozen.close();
    }
  }, 60_000);
});

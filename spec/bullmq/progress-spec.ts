import * as E from 'fp-ts/Either';
import { RunJobProgressCodec, initialProgress, nextProgress } from '../../lib/bullmq/progress';

import { asEvent, asEvents } from './events';

const fold = (events: readonly object[]) => asEvents(events).reduce(nextProgress, initialProgress);
const gpu1 = { index: 0, url: 'http://gpu1:9090' };
const gpu2 = { index: 1, url: 'http://gpu2:9090' };

describe('nextProgress', () => {
  it('counts the items as they end, and the fraction adds the running node’s share of its item', () => {
    const events = asEvents([
      { type: 'enqueued', batchId: 'b', itemIds: [1, 2, 3, 4], requested: 4, enqueued: 4 },
      { type: 'node_started', itemId: 1, nodeId: 'denoise', preparedId: 'p', nodeType: 'denoise_latents' },
      { type: 'node_progress', itemId: 1, nodeId: 'denoise', percentage: 0.5, message: '', image: null, preparedId: 'p' },
    ]);
    expect(fold(events)).toEqual({
      batchIds: ['b'],
      items: 4,
      completed: 0,
      failed: 0,
      canceled: 0,
      current: { itemId: 1, nodeId: 'denoise', percentage: 0.5 },
      fraction: 0.125,
    });
    const ended = fold([
      ...events,
      { type: 'completed', itemId: 1, outputs: [], queueItem: {} as never },
      { type: 'failed', itemId: 2, error: { type: 'E', message: 'm', traceback: '' } },
      { type: 'canceled', itemId: 3 },
    ]);
    expect(ended).toMatchObject({ completed: 1, failed: 1, canceled: 1, current: null, fraction: 0.75 });
  });

  it('returns the same progress for events a user does not see (so no update is sent)', () => {
    const p = fold([{ type: 'enqueued', batchId: 'b', itemIds: [1], requested: 1, enqueued: 1 }]);
    expect(nextProgress(p, asEvent({ type: 'status', itemId: 1, status: 'in_progress' }))).toBe(p);
    expect(nextProgress(p, asEvent({ type: 'node_completed', itemId: 1, nodeId: 'n', preparedId: 'p', nodeType: 't', result: { type: 'integer_output' } as never }))).toBe(p);
  });

  it('counts an item lost with its server once, as its retry ends, and names the server of the running node', () => {
    const events = asEvents([
      { type: 'enqueued', batchId: 'b1', itemIds: [7, 8], requested: 2, enqueued: 2, server: gpu1 },
      { type: 'completed', itemId: 7, outputs: [], queueItem: {} as never, server: gpu1 },
      { type: 'failed', itemId: 8, error: { type: 'server_lost', message: '', traceback: '' }, server: gpu1 },
      {
        type: 'enqueued',
        batchId: 'b2',
        itemIds: [3],
        requested: 1,
        enqueued: 1,
        server: gpu2,
        retryOf: { batchId: 'b1', server: gpu1, itemIds: [8], attempt: 1 },
      },
    ]);
    expect(fold(events)).toMatchObject({ batchIds: ['b1', 'b2'], items: 2, completed: 1, failed: 0, fraction: 0.5 });
    const running = nextProgress(fold(events), asEvent({ type: 'node_started', itemId: 3, nodeId: 'n', preparedId: 'p', nodeType: 't', server: gpu2 }));
    expect(running.current).toEqual({ itemId: 3, nodeId: 'n', percentage: null, server: gpu2 });
    expect(nextProgress(running, asEvent({ type: 'completed', itemId: 3, outputs: [], queueItem: {} as never, server: gpu2 }))).toMatchObject({ completed: 2, failed: 0, fraction: 1 });
  });

  it('never moves back when another node or item reports less, but does when lost items run again', () => {
    const p = fold([
      { type: 'enqueued', batchId: 'b', itemIds: [1, 2], requested: 2, enqueued: 2 },
      { type: 'node_progress', itemId: 1, nodeId: 'denoise', percentage: 0.8, message: '', image: null, preparedId: 'p' },
      { type: 'node_started', itemId: 1, nodeId: 'l2i', preparedId: 'q', nodeType: 'l2i' },
    ]);
    expect(p.fraction).toBe(0.4);
    const lost = fold([
      { type: 'enqueued', batchId: 'b', itemIds: [1, 2], requested: 2, enqueued: 2, server: gpu1 },
      { type: 'failed', itemId: 1, error: { type: 'server_lost', message: '', traceback: '' }, server: gpu1 },
      { type: 'failed', itemId: 2, error: { type: 'server_lost', message: '', traceback: '' }, server: gpu1 },
      { type: 'enqueued', batchId: 'c', itemIds: [9, 10], requested: 2, enqueued: 2, server: gpu2, retryOf: { batchId: 'b', server: gpu1, itemIds: [1, 2], attempt: 1 } },
    ]);
    expect(lost).toMatchObject({ items: 2, failed: 0, fraction: 0 });
  });

  it('stays within 0..1 and is 0 before the enqueue', () => {
    expect(initialProgress.fraction).toBe(0);
    const p = fold([
      { type: 'enqueued', batchId: 'b', itemIds: [1], requested: 1, enqueued: 1 },
      { type: 'node_progress', itemId: 1, nodeId: 'n', percentage: 3, message: '', image: null, preparedId: 'p' },
    ]);
    expect(p.fraction).toBe(1);
  });
});

describe('RunJobProgressCodec', () => {
  it('decodes a progress as stored, and refuses a number or a partial object', () => {
    const p = fold([{ type: 'enqueued', batchId: 'b', itemIds: [1], requested: 1, enqueued: 1 }]);
    expect(RunJobProgressCodec.decode(JSON.parse(JSON.stringify(p)))).toEqual(E.right(p));
    expect(E.isLeft(RunJobProgressCodec.decode(42))).toBe(true);
    expect(E.isLeft(RunJobProgressCodec.decode({ items: 1 }))).toBe(true);
  });
});

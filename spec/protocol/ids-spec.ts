import { isLeft, isRight } from 'fp-ts/Either';
import { BatchId, ItemId, NodeId, PreparedId } from '../../lib/protocol/ids';
import { QueueItem } from '../../lib/protocol/dto';
import { decodeHotEvent } from '../../lib/protocol/events-fastpath';
import { decodeServerEvent } from '../../lib/protocol/events-decode';
import { samplePayloads } from './event-samples';

describe('branded ids', () => {
  it('an item id is a safe integer; the string ids are not empty', () => {
    expect([1, 0, 2 ** 53 - 1].map(ItemId.is)).toEqual([true, true, true]);
    expect([1.5, NaN, Infinity, 2 ** 53, '1'].map(ItemId.is)).toEqual([false, false, false, false, false]);
    for (const codec of [BatchId, NodeId, PreparedId]) {
      expect(codec.is('3f1c')).toBe(true);
      expect(codec.is('')).toBe(false);
      expect(codec.is(7)).toBe(false);
    }
  });

  it('a queue item with an empty batch id does not decode', () => {
    const item = { item_id: 1, status: 'pending', batch_id: '', session_id: 's', queue_id: 'default', created_at: '', updated_at: '', session: { id: 's' } };
    expect(isLeft(QueueItem.decode(item))).toBe(true);
    expect(isRight(QueueItem.decode({ ...item, batch_id: 'b' }))).toBe(true);
  });

  it.each([
    ['a fractional item id', { item_id: 1.5 }],
    ['an empty batch id', { batch_id: '' }],
    ['an empty source node id', { invocation_source_id: '' }],
  ])('an invocation event with %s is refused by the fast path and the codec alike', (_, change) => {
    const payload = { ...samplePayloads.invocation_progress, ...change };
    expect(decodeHotEvent('invocation_progress', payload)).toBeUndefined();
    expect(isLeft(decodeServerEvent('invocation_progress', payload))).toBe(true);
  });

  it('an empty prepared id is refused by the fast path and the codec alike', () => {
    const sample = samplePayloads.invocation_started;
    const payload = { ...sample, invocation: { ...(sample.invocation as object), id: '' } };
    expect(decodeHotEvent('invocation_started', payload)).toBeUndefined();
    expect(isLeft(decodeServerEvent('invocation_started', payload))).toBe(true);
  });
});

// The invariant checker the fault specs rely on must itself catch broken streams.
import type { RunEvent } from '../../lib/run/events';
import type { QueueItem } from '../../lib/protocol/dto';
import { runViolations } from './run-helpers';
import * as ids from './ids';

const item = { item_id: 1 } as unknown as QueueItem;
const enqueued: RunEvent = { type: 'enqueued', batchId: ids.batchId('b'), itemIds: ids.itemIds([1, 2]), requested: 2, enqueued: 2 };
const image = (name: string) => ({ nodeId: ids.nodeId('img'), nodeType: 'blank_image', label: 'x', boardId: null, images: [{ imageName: name, width: 8, height: 8 }], videos: [], values: [] });
const done = (itemId: number, name = `i${itemId}`): RunEvent => ({ type: 'completed', itemId: ids.itemId(itemId), outputs: [image(name)], queueItem: item });

describe('runViolations', () => {
  it('accepts a sound run', () => {
    expect(runViolations({ completed: true, events: [enqueued, { type: 'output', itemId: ids.itemId(1), output: image('i1') }, done(1), done(2)] })).toEqual([]);
  });

  it('reports a missing terminal event, a duplicate one, events after the end and foreign items', () => {
    const problems = runViolations({
      completed: true,
      events: [enqueued, done(1), { type: 'status', itemId: ids.itemId(1), status: 'completed' }, done(1), { type: 'canceled', itemId: ids.itemId(9) }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'event status of item 1 after its terminal event',
        'event completed of item 1 after its terminal event',
        'event canceled of item 9, which is not in the batch',
        'item 2 has no terminal event',
      ]),
    );
  });

  it('reports a stream that errored or did not start with enqueued, and early outputs the end disowns', () => {
    expect(runViolations({ completed: false, error: new Error('x'), events: [done(1)] })).toEqual(
      expect.arrayContaining(['the stream did not complete (error: Error: x)', 'expected one leading enqueued event, got 0']),
    );
    expect(runViolations({ completed: true, events: [enqueued, { type: 'output', itemId: ids.itemId(1), output: image('early') }, done(1, 'late'), done(2)] })).toEqual([
      'item 1: early output img:early is not among its outputs',
    ]);
  });
});

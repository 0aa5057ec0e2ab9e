import * as E from 'fp-ts/Either';
import type { RunOutput } from '../../lib/index';
import { RunJobResultCodec, createResultCollector } from '../../lib/bullmq/result';

import { asEvent, asEvents } from './events';

const gpu1 = { index: 0, url: 'http://gpu1:9090' };
const gpu2 = { index: 1, url: 'http://gpu2:9090' };
const output = (name: string): RunOutput => ({
  nodeId: 'save' as RunOutput['nodeId'],
  nodeType: 'save_image',
  label: 'Save',
  boardId: null,
  images: [{ imageName: name, width: 8, height: 8 }],
  videos: [],
  values: [],
});

describe('createResultCollector', () => {
  it('keeps each item’s end with its batch and server, and names instead of image objects', () => {
    const c = createResultCollector();
    c.add(asEvent({ type: 'enqueued', batchId: 'b1', itemIds: [1, 2], requested: 2, enqueued: 2 }));
    c.add(asEvent({ type: 'status', itemId: 1, status: 'in_progress' }));
    c.add(asEvent({ type: 'completed', itemId: 1, outputs: [output('a.png')], queueItem: {} as never }));
    c.add(asEvent({ type: 'failed', itemId: 2, error: { type: 'E', message: 'm', traceback: 't' }, nodeId: 'save' }));
    expect(c.result()).toEqual({
      batches: [{ batchId: 'b1' }],
      items: [
        { itemId: 1, status: 'completed', batchId: 'b1', outputs: [{ nodeId: 'save', nodeType: 'save_image', label: 'Save', images: ['a.png'], videos: [], values: [] }] },
        { itemId: 2, status: 'failed', batchId: 'b1', outputs: [], error: { type: 'E', message: 'm', traceback: 't' } },
      ],
    });
  });

  it('replaces an item lost with its server by its retry, and tells items of two servers with the same id apart', () => {
    const c = createResultCollector();
    const events = asEvents([
      { type: 'enqueued', batchId: 'b1', itemIds: [5, 6], requested: 2, enqueued: 2, server: gpu1 },
      { type: 'completed', itemId: 5, outputs: [output('x.png')], queueItem: {} as never, server: gpu1 },
      { type: 'failed', itemId: 6, error: { type: 'server_lost', message: '', traceback: '' }, server: gpu1 },
      { type: 'enqueued', batchId: 'b2', itemIds: [5], requested: 1, enqueued: 1, server: gpu2, retryOf: { batchId: 'b1', server: gpu1, itemIds: [6], attempt: 1 } },
      { type: 'completed', itemId: 5, outputs: [output('y.png')], queueItem: {} as never, server: gpu2, retryOf: { batchId: 'b1', server: gpu1, itemIds: [6], attempt: 1 } },
    ]);
    events.forEach((e) => c.add(e));
    const result = c.result();
    expect(result.batches).toEqual([
      { batchId: 'b1', server: gpu1 },
      { batchId: 'b2', server: gpu2, retryOf: { batchId: 'b1', itemIds: [6] } },
    ]);
    expect(result.items.map((i) => [i.batchId, i.server?.index, i.itemId, i.status, i.outputs[0]?.images[0]])).toEqual([
      ['b1', 0, 5, 'completed', 'x.png'],
      ['b2', 1, 5, 'completed', 'y.png'],
    ]);
    expect(RunJobResultCodec.decode(JSON.parse(JSON.stringify(result)))).toEqual(E.right(result));
  });

  it('refuses what is not a result', () => {
    expect(E.isLeft(RunJobResultCodec.decode({ items: [{ itemId: 'one' }], batches: [] }))).toBe(true);
    expect(E.isLeft(RunJobResultCodec.decode(null))).toBe(true);
  });
});

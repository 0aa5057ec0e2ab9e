import { queueItem } from './history';
import type { RunEvent } from '../../lib/run/events';
import { isItemRunEvent, isRunEventOf, isTerminalRunEvent } from '../../lib/run/events';
import * as ids from './ids';

const all: RunEvent[] = [
  { type: 'enqueued', batchId: ids.batchId('b'), itemIds: ids.itemIds([1]), requested: 1, enqueued: 1 },
  { type: 'status', itemId: ids.itemId(1), status: 'in_progress' },
  { type: 'node_started', itemId: ids.itemId(1), nodeId: ids.nodeId('n'), preparedId: ids.preparedId('p'), nodeType: 't' },
  { type: 'node_progress', itemId: ids.itemId(1), nodeId: ids.nodeId('n'), preparedId: ids.preparedId('p'), percentage: null, message: '', image: null },
  { type: 'node_completed', itemId: ids.itemId(1), nodeId: ids.nodeId('n'), preparedId: ids.preparedId('p'), nodeType: 't', result: { type: 'string_output', value: 'x' } },
  { type: 'output', itemId: ids.itemId(1), output: { nodeId: ids.nodeId('n'), nodeType: 't', label: 'l', boardId: null, images: [], videos: [], values: ['x'] } },
  { type: 'completed', itemId: ids.itemId(1), outputs: [], queueItem: queueItem(1, 'completed', 2) },
  { type: 'failed', itemId: ids.itemId(1), error: { type: 'E', message: 'm', traceback: '' } },
  { type: 'canceled', itemId: ids.itemId(1), reason: 'deleted' },
];

describe('run event guards', () => {
  it('isTerminalRunEvent: exactly completed, failed and canceled', () => {
    expect(all.filter(isTerminalRunEvent).map((e) => e.type)).toEqual(['completed', 'failed', 'canceled']);
  });

  it('isItemRunEvent: everything but enqueued', () => {
    expect(all.filter(isItemRunEvent)).toHaveLength(all.length - 1);
    expect(all.filter(isItemRunEvent).every((e) => e.itemId === 1)).toBe(true);
  });

  it('isRunEventOf picks one kind', () => {
    expect(all.filter(isRunEventOf('status'))).toEqual([{ type: 'status', itemId: ids.itemId(1), status: 'in_progress' }]);
  });
});

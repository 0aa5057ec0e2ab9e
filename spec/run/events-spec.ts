import { queueItem } from './history';
import type { RunEvent } from '../../lib/run/events';
import { isItemRunEvent, isRunEventOf, isTerminalRunEvent } from '../../lib/run/events';

const all: RunEvent[] = [
  { type: 'enqueued', batchId: 'b', itemIds: [1], requested: 1, enqueued: 1 },
  { type: 'status', itemId: 1, status: 'in_progress' },
  { type: 'node_started', itemId: 1, nodeId: 'n', preparedId: 'p', nodeType: 't' },
  { type: 'node_progress', itemId: 1, nodeId: 'n', preparedId: 'p', percentage: null, message: '', image: null },
  { type: 'node_completed', itemId: 1, nodeId: 'n', preparedId: 'p', nodeType: 't', result: { type: 'string_output', value: 'x' } },
  { type: 'output', itemId: 1, output: { nodeId: 'n', nodeType: 't', label: 'l', boardId: null, images: [], videos: [], values: ['x'] } },
  { type: 'completed', itemId: 1, outputs: [], queueItem: queueItem(1, 'completed', 2) },
  { type: 'failed', itemId: 1, error: { type: 'E', message: 'm', traceback: '' } },
  { type: 'canceled', itemId: 1, reason: 'deleted' },
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
    expect(all.filter(isRunEventOf('status'))).toEqual([{ type: 'status', itemId: 1, status: 'in_progress' }]);
  });
});

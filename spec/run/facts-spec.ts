import { isRight } from 'fp-ts/Either';
import { EnqueueBatchResult } from '../../lib/protocol/dto';
import type { ServerEvent } from '../../lib/protocol/events';
import { decodeServerEvent } from '../../lib/protocol/events-decode';
import { factOfEnqueueResult, factOfQueueItem, factOfServerEvent } from '../../lib/run/facts';
import { initialRunState, itemsInDoubt, reduceRunAll, RunFact } from '../../lib/run/state';
import { asDecoded } from '../decoded';
import { BATCH, queueItem, SAVE_OUTPUT } from './history';
import * as ids from './ids';

const decoded = (name: string, payload: unknown): ServerEvent => {
  const result = decodeServerEvent(name, payload);
  if (!isRight(result)) throw new Error(`${name} did not decode: ${JSON.stringify(result.left.issues)}`);
  return result.right;
};

const itemBase = { timestamp: 1, queue_id: 'default', item_id: 5, batch_id: BATCH, origin: 'invokeai-rx:1', destination: null, user_id: 'system' };
const invocation = { ...itemBase, session_id: 's5', invocation: { id: 'prep-1', type: 'save_image', is_intermediate: false, board: { board_id: 'b1' } }, invocation_source_id: 'save' };
const counts = { pending: 0, in_progress: 0, waiting: 0, completed: 0, failed: 1, canceled: 0, total: 1 };
const statusChanged = (status: string, sequence: number, error: string | null) => ({
  ...itemBase,
  status,
  status_sequence: sequence,
  error_type: error,
  error_message: error === null ? null : 'boom',
  error_traceback: error === null ? null : 'tb',
  created_at: 'c',
  updated_at: 'u',
  started_at: 's',
  completed_at: null,
  batch_status: { queue_id: 'default', batch_id: BATCH, origin: null, destination: null, ...counts },
  queue_status: { queue_id: 'default', item_id: 5, batch_id: BATCH, session_id: 's5', ...counts },
  session_id: 's5',
});

describe('factOfServerEvent', () => {
  it('maps invocation events to node facts keyed by the workflow node id', () => {
    expect(factOfServerEvent(decoded('invocation_started', invocation), 'default')).toEqual({
      kind: 'node_started', itemId: ids.itemId(5), batchId: BATCH, preparedId: ids.preparedId('prep-1'), sourceNodeId: 'save', nodeType: 'save_image',
    });
    const complete = factOfServerEvent(
      decoded('invocation_complete', { ...invocation, result: { type: 'image_output', image: { image_name: 'a.png' }, width: 8, height: 8, output_meta: null } }),
      'default',
    );
    expect(complete).toEqual(expect.objectContaining({ kind: 'node_completed', sourceNodeId: 'save', preparedId: ids.preparedId('prep-1') }));
  });

  it('maps status changes with their sequence and error', () => {
    expect(factOfServerEvent(decoded('queue_item_status_changed', statusChanged('failed', 3, 'RuntimeError')), 'default')).toEqual({
      kind: 'status', itemId: ids.itemId(5), batchId: BATCH, status: 'failed', sequence: 3,
      error: { type: 'RuntimeError', message: 'boom', traceback: 'tb' }, source: 'socket',
    });
  });

  it('ignores other queues and events that are not about queue items', () => {
    expect(factOfServerEvent(decoded('invocation_started', { ...invocation, queue_id: 'other' }), 'default')).toBeNull();
    expect(factOfServerEvent(decoded('queue_cleared', { timestamp: 1, queue_id: 'other', user_id: null }), 'default')).toBeNull();
    expect(factOfServerEvent(decoded('download_started', { timestamp: 1, source: 'x', download_path: '/tmp/x' }), 'default')).toBeNull();
    expect(factOfServerEvent({ type: 'unknown', name: 'future_event', payload: {} }, 'default')).toBeNull();
  });

  it('maps a bulk cancel and a cleared queue', () => {
    const canceled = decoded('queue_items_canceled', { timestamp: 1, queue_id: 'default', canceled_item_ids: [5, 6], user_ids: ['system'], canceled_item_ids_by_user: {} });
    expect(factOfServerEvent(canceled, 'default')).toEqual({ kind: 'items_canceled', itemIds: ids.itemIds([5, 6]) });
    expect(factOfServerEvent(decoded('queue_cleared', { timestamp: 1, queue_id: 'default', user_id: null }), 'default')).toEqual({ kind: 'queue_cleared' });
  });
});

describe('socket payloads through the reducer', () => {
  it('the real failure order (failed status, then invocation_error) gives one failed event naming the node', () => {
    const facts = [
      decoded('queue_item_status_changed', statusChanged('in_progress', 1, null)),
      decoded('invocation_started', invocation),
      decoded('queue_item_status_changed', statusChanged('failed', 2, 'RuntimeError')),
      decoded('invocation_error', { ...invocation, error_type: 'RuntimeError', error_message: 'boom', error_traceback: 'tb' }),
    ]
      .map((event) => factOfServerEvent(event, 'default'))
      .filter((fact): fact is RunFact => fact !== null);
    const enqueue = factOfEnqueueResult(asDecoded(EnqueueBatchResult, { queue_id: 'default', enqueued: 1, requested: 1, batch: { batch_id: BATCH }, item_ids: [5] }));
    // The socket beat the HTTP answer: every event came first.
    const { emit } = reduceRunAll(initialRunState({ batchId: BATCH, outputs: [SAVE_OUTPUT] }), [...facts, enqueue]);
    expect(emit.map((e) => e.type)).toEqual(['enqueued', 'status', 'node_started', 'status', 'failed']);
    expect(emit[emit.length - 1]).toEqual({ type: 'failed', itemId: ids.itemId(5), nodeId: ids.nodeId('save'), error: { type: 'RuntimeError', message: 'boom', traceback: 'tb' } });
  });

  it('a bulk cancel ends the open items of the run and no others', () => {
    const { emit } = reduceRunAll(initialRunState({ batchId: BATCH, outputs: [] }), [
      factOfEnqueueResult(asDecoded(EnqueueBatchResult, { queue_id: 'default', enqueued: 2, requested: 2, batch: { batch_id: BATCH }, item_ids: [6, 5] })),
      factOfQueueItem(queueItem(5, 'completed', 2)),
      { kind: 'items_canceled', itemIds: ids.itemIds([5, 6, 99]) },
    ]);
    expect(emit.filter((e) => e.type === 'canceled' || e.type === 'completed').map((e) => [e.type, 'itemId' in e ? e.itemId : null])).toEqual([
      ['completed', 5],
      ['canceled', 6],
    ]);
  });

  it('a socket queue_cleared names no items, so it ends none: the open ones are left to a read', () => {
    const cleared = factOfServerEvent(decoded('queue_cleared', { timestamp: 1, queue_id: 'default', user_id: null }), 'default');
    expect(cleared).not.toBeNull();
    const { emit, state } = reduceRunAll(initialRunState({ batchId: BATCH, outputs: [] }), [
      factOfEnqueueResult(asDecoded(EnqueueBatchResult, { queue_id: 'default', enqueued: 2, requested: 2, batch: { batch_id: BATCH }, item_ids: [5, 6] })),
      factOfQueueItem(queueItem(5, 'completed', 2)),
      cleared as RunFact,
    ]);
    expect(emit.map((e) => e.type)).toEqual(['enqueued', 'status', 'completed']);
    expect(itemsInDoubt(state)).toEqual([6]);
  });
});

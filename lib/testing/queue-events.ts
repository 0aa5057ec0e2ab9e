// The queue's socket events, routed as InvokeAI's sockets.py routes them: an item's own events to
// its owner and the admins, a sanitized copy (owner fields redacted) to everyone else in the queue
// room, progress to the owner alone, and bulk cancels and retries split per owner.
import type { SocketHub } from './events';
import { unixNow } from './clock';
import { QueueItemRecord, QueueStore, REDACTED_OWNER_FIELDS, itemOutcomeJson } from './queue';
import type { GraphNode } from './validate';

/** How the simulator tells the queue's changes. */
export interface QueueEvents {
  /** `SessionQueueStatus` of a queue: its current item and its counts. */
  readonly queueStatus: (queueId: string) => Record<string, unknown>;
  /** `BatchStatus` of one batch. */
  readonly batchStatus: (queueId: string, batchId: string) => Record<string, unknown>;
  /** The rooms an item's events go to: its owner's and the admins'. */
  readonly ownerRooms: (userId: string) => string[];
  /** `queue_item_status_changed`. */
  readonly emitStatus: (item: QueueItemRecord) => void;
  /** `invocation_started`, `invocation_progress`, `invocation_complete` and `invocation_error`. */
  readonly emitInvocation: (name: string, item: QueueItemRecord, invocation: GraphNode, sourceId: string, extra: Record<string, unknown>) => void;
  /** `queue_items_canceled` and `queue_items_retried`. */
  readonly emitBulk: (name: 'queue_items_canceled' | 'queue_items_retried', queueId: string, items: readonly QueueItemRecord[]) => void;
}

/** The queue's events over this hub. */
export const createQueueEvents = (hub: SocketHub, queue: QueueStore): QueueEvents => {
  const queueStatus = (queueId: string): Record<string, unknown> => {
    const current = queue.current(queueId);
    return { queue_id: queueId, item_id: current?.item_id ?? null, batch_id: current?.batch_id ?? null, session_id: current?.session_id ?? null, ...queue.counts(queueId) };
  };
  const batchStatus = (queueId: string, batchId: string): Record<string, unknown> => {
    const { first, counts } = queue.batchSummary(queueId, batchId);
    return { queue_id: queueId, batch_id: batchId, origin: first?.origin ?? null, destination: first?.destination ?? null, ...counts };
  };
  const itemEventBase = (item: QueueItemRecord): Record<string, unknown> => ({
    timestamp: unixNow(),
    queue_id: item.queue_id,
    item_id: item.item_id,
    batch_id: item.batch_id,
    origin: item.origin,
    destination: item.destination,
    user_id: item.user_id,
  });
  const ownerRooms = (userId: string): string[] => [`user:${userId}`, 'admin'];
  const emitStatus = (item: QueueItemRecord): void => {
    const payload = {
      ...itemEventBase(item),
      status: item.status,
      status_sequence: item.status_sequence,
      ...itemOutcomeJson(item),
      batch_status: batchStatus(item.queue_id, item.batch_id),
      queue_status: { ...queueStatus(item.queue_id), user_pending: null, user_in_progress: null },
      session_id: item.session_id,
    };
    const sanitized = {
      ...payload,
      ...REDACTED_OWNER_FIELDS,
      batch_status: { ...payload.batch_status, batch_id: 'redacted', origin: null, destination: null },
      queue_status: { ...payload.queue_status, item_id: null, session_id: null, batch_id: null, user_pending: null, user_in_progress: null },
    };
    hub.emit({ name: 'queue_item_status_changed', payload, rooms: ownerRooms(item.user_id), sanitized: { room: item.queue_id, payload: sanitized } });
  };
  const emitInvocation = (name: string, item: QueueItemRecord, invocation: GraphNode, sourceId: string, extra: Record<string, unknown>): void => {
    const payload = { ...itemEventBase(item), session_id: item.session_id, invocation, invocation_source_id: sourceId, ...extra };
    hub.emit({ name, payload, rooms: name === 'invocation_progress' ? [`user:${item.user_id}`] : ownerRooms(item.user_id) });
  };
  /**
   * `queue_items_canceled` / `queue_items_retried` as sockets.py routes them: the full payload to
   * admins, each owner a copy with only their own items, and a copy with empty lists to the queue room.
   */
  const emitBulk = (name: 'queue_items_canceled' | 'queue_items_retried', queueId: string, items: readonly QueueItemRecord[]): void => {
    const word = name === 'queue_items_canceled' ? 'canceled' : 'retried';
    const byUser: Record<string, number[]> = {};
    items.forEach((i) => (byUser[i.user_id] ??= []).push(i.item_id));
    const payload = (ids: number[], users: Record<string, number[]>) => ({
      timestamp: unixNow(),
      queue_id: queueId,
      [`${word}_item_ids`]: ids,
      user_ids: Object.keys(users),
      [`${word}_item_ids_by_user`]: users,
    });
    hub.emit({
      name,
      payload: payload(items.map((i) => i.item_id), byUser),
      rooms: ['admin'],
      perOwner: Object.entries(byUser).map(([user, ids]) => ({ room: `user:${user}`, payload: payload(ids, { [user]: ids }) })),
      sanitized: { room: queueId, payload: payload([], {}) },
    });
  };

  return { queueStatus, batchStatus, ownerRooms, emitStatus, emitInvocation, emitBulk };
};

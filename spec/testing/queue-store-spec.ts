// The simulator's queue table keeps indexes (counts per queue, items per batch, pending and
// in-progress items) so that status events do not rescan it. Whatever sequence of enqueues, status
// changes and deletions happens, what the indexes answer must equal what a scan of the table gives.
import fc from 'fast-check';
import { QueueItemRecord, QueueItemStatus, QueueStore, countStatuses, freshPending } from '../../lib/testing/queue';

const STATUSES: readonly QueueItemStatus[] = ['pending', 'in_progress', 'waiting', 'completed', 'failed', 'canceled'];

const record = (store: QueueStore, queueId: string, batchId: string, priority: number): QueueItemRecord => {
  const now = '2026-11-26 00:00:00.000';
  return {
    item_id: store.allocateId(),
    priority,
    batch_id: batchId,
    origin: null,
    destination: null,
    session_id: 's',
    ...freshPending(now),
    queue_id: queueId,
    user_id: 'system',
    field_values: [],
    retried_from_item_id: null,
    session: {} as QueueItemRecord['session'],
    workflow: null,
  };
};

type Op =
  | { readonly kind: 'put'; readonly queue: string; readonly batch: string; readonly priority: number }
  | { readonly kind: 'status'; readonly pick: number; readonly status: QueueItemStatus }
  | { readonly kind: 'delete'; readonly pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), queue: fc.constantFrom('default', 'other'), batch: fc.constantFrom('b1', 'b2', 'b3'), priority: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('status' as const), pick: fc.nat(), status: fc.constantFrom(...STATUSES) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
);

describe('the simulator queue table', () => {
  it('answers counts, current, next pending, batch items and batch counts exactly as a scan of the table would, after any sequence of changes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const store = new QueueStore();
        for (const o of ops) {
          const items = store.list();
          if (o.kind === 'put') store.put(record(store, o.queue, o.batch, o.priority));
          else if (items.length > 0 && o.kind === 'status') store.setStatus(items[o.pick % items.length], o.status);
          else if (items.length > 0 && o.kind === 'delete') store.delete(items[o.pick % items.length].item_id);
        }
        for (const queueId of ['default', 'other']) {
          const scanned = store.list(queueId);
          expect(store.counts(queueId)).toEqual(countStatuses(scanned));
          expect(store.current(queueId)).toBe(scanned.find((i) => i.status === 'in_progress'));
          expect(store.next(queueId)).toBe(scanned.find((i) => i.status === 'pending'));
          expect(store.pendingItems(queueId).sort((x, y) => x.item_id - y.item_id)).toEqual(scanned.filter((i) => i.status === 'pending').sort((x, y) => x.item_id - y.item_id));
          for (const batchId of ['b1', 'b2', 'b3']) {
            const batch = scanned.filter((i) => i.batch_id === batchId).sort((x, y) => x.item_id - y.item_id);
            expect(store.batchItems(queueId, batchId)).toEqual(batch);
            expect(store.batchSummary(queueId, batchId)).toEqual({ first: batch[0], counts: countStatuses(batch) });
          }
        }
        expect(store.next()).toBe(store.list().find((i) => i.status === 'pending'));
        expect(store.pendingCount()).toBe(store.list().filter((i) => i.status === 'pending').length);
      }),
      { numRuns: 300 },
    );
  });
});

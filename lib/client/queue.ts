// `client.queue`: the session queue of the client's `queueId`, and `status$`, its live
// counts: taken from `queue_item_status_changed` events, re-read over REST whenever the socket
// (re)connects or an event changes the counts without carrying them, and polled over REST while the
// socket is down.
import * as t from 'io-ts';
import { EMPTY, Observable, catchError, concatMap, distinctUntilChanged, filter, map, merge, of, repeat, shareReplay, switchMap, timer } from 'rxjs';
import {
  BatchStatus,
  QueueAndProcessorStatus,
  NodeFieldValue,
  QueueItem,
  QueueItemStatus,
  SessionProcessorStatus,
  SessionQueueStatus,
  nullable,
  statusCounts,
} from '../protocol/dto';
import { BatchId, ItemId } from '../protocol/ids';
import { DEFAULT_POLL_INTERVAL_MS, type ClientContext } from '../transport/context';
import { RequestOptions, apiPath } from '../transport/http';
import { DiagnosticSink, UnknownArray, decodeItems, notFoundAs, nullOn404 } from './resource';

const Canceled = t.type({ canceled: t.number }, 'CancelResult');
const Deleted = t.type({ deleted: t.number }, 'DeleteResult');

/** `PUT .../retry_items_by_id`: the ids of the new items made from the retried ones. */
export const RetryItemsResult = t.type({ queue_id: t.string, retried_item_ids: t.array(ItemId) }, 'RetryItemsResult');
/** The ids of the new items made from the retried ones. */
export type RetryItemsResult = t.TypeOf<typeof RetryItemsResult>;

/** `GET .../item_ids`: the ids of every item of the queue, and how many there are. */
export const QueueItemIds = t.type({ item_ids: t.array(ItemId), total_count: t.number }, 'ItemIdsResult');
/** The ids of every item of the queue, and how many there are. */
export type QueueItemIds = t.TypeOf<typeof QueueItemIds>;

/** A queue item without its session and workflow (`SessionQueueItemSummary`): cheap to read for many items. */
export const QueueItemSummary = t.intersection(
  [
    t.type({ item_id: ItemId, status: QueueItemStatus, created_at: t.string }),
    t.partial({
      batch_id: BatchId,
      started_at: nullable(t.string),
      completed_at: nullable(t.string),
      origin: nullable(t.string),
      destination: nullable(t.string),
      device: nullable(t.string),
      user_id: t.string,
      user_display_name: nullable(t.string),
      user_email: nullable(t.string),
      field_values: nullable(t.array(NodeFieldValue)),
      parent_item_id: nullable(ItemId),
    }),
  ],
  'SessionQueueItemSummary',
);
/** A queue item without its session and workflow. */
export type QueueItemSummary = t.TypeOf<typeof QueueItemSummary>;

/** `GET .../counts_by_destination`: the item counts of one destination. `waiting` is absent on servers without workflow calls. */
export const QueueCountsByDestination = t.intersection(
  [
    t.type({ queue_id: t.string, destination: t.string, ...statusCounts }),
    t.partial({ waiting: t.number }),
  ],
  'SessionQueueCountsByDestination',
);
/** The item counts of one destination. */
export type QueueCountsByDestination = t.TypeOf<typeof QueueCountsByDestination>;

/**
 * `client.queue`. `item`, `current` and `next` answer `null` when there is no such item; `cancel`/`delete` of an unknown id throw `NotFoundError`.
 *
 * @example
 * import { createClient } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const sub = client.queue.status$.subscribe((s) => console.log(`${s.pending} pending, ${s.in_progress} running`));
 */
export interface QueueResource {
  /** Item counts and the current item, and whether the processor runs. */
  readonly status: () => Promise<QueueAndProcessorStatus>;
  /** The item in progress, or `null` when the queue is idle. */
  readonly current: () => Promise<QueueItem | null>;
  /** The item the processor takes next (highest priority, then oldest), or `null` when nothing is pending. */
  readonly next: () => Promise<QueueItem | null>;
  /** One item, or `null` when the queue has no such item. */
  readonly item: (id: number) => Promise<QueueItem | null>;
  /** Items by id, in the order asked; unknown ids are left out, as are items that do not decode (reported on `resourceDiagnostics$`). */
  readonly items: (ids: ReadonlyArray<number>) => Promise<ReadonlyArray<QueueItem>>;
  /** Every item (with its session: a heavy answer), optionally of one destination; items that do not decode are reported on `resourceDiagnostics$`. */
  readonly list: (options?: { readonly destination?: string }) => Promise<ReadonlyArray<QueueItem>>;
  /** The id of every item of the queue, by id (default `DESC`: newest first). Cheap: no item is read. */
  readonly itemIds: (options?: { readonly order?: 'ASC' | 'DESC' }) => Promise<QueueItemIds>;
  /** Summaries (no session, no workflow) of these items, in the order asked; unknown ids are left out, as are summaries that do not decode (reported on `resourceDiagnostics$`). */
  readonly summaries: (ids: ReadonlyArray<number>) => Promise<ReadonlyArray<QueueItemSummary>>;
  /** Item counts of one destination. */
  readonly countsByDestination: (destination: string) => Promise<QueueCountsByDestination>;
  /** Item counts of one batch. */
  readonly batchStatus: (batchId: string) => Promise<BatchStatus>;
  /** Cancels one item; a finished item is answered unchanged. */
  readonly cancel: (id: number) => Promise<QueueItem>;
  /** Cancels the unfinished items of these batches; answers how many. */
  readonly cancelBatches: (batchIds: ReadonlyArray<string>) => Promise<number>;
  /** Cancels the unfinished items of one destination; answers how many. */
  readonly cancelDestination: (destination: string) => Promise<number>;
  /** Cancels every unfinished item but the one in progress; answers how many. */
  readonly cancelAllExceptCurrent: () => Promise<number>;
  /** Cancels the item if needed, then deletes it. */
  readonly delete: (id: number) => Promise<void>;
  /** Deletes every item but the one in progress, whatever its status; answers how many. */
  readonly deleteAllExceptCurrent: () => Promise<number>;
  /**
   * Cancels the unfinished items of one destination, then deletes all its items; answers how many.
   * The destination travels in the path: InvokeAI decodes `%2F` before routing, so a destination
   * containing `/` matches no route there (use `list({ destination })` and `delete(id)` instead).
   */
  readonly deleteDestination: (destination: string) => Promise<number>;
  /** Cancels what runs and deletes every item; answers how many. */
  readonly clear: () => Promise<number>;
  /** Deletes the finished items (completed, failed, canceled); answers how many. */
  readonly prune: () => Promise<number>;
  /** Enqueues failed or canceled items again as new items; answers the new ids. */
  readonly retry: (ids: ReadonlyArray<number>) => Promise<RetryItemsResult>;
  /** Stops the processor from taking new items (admin). */
  readonly pause: () => Promise<SessionProcessorStatus>;
  readonly resume: () => Promise<SessionProcessorStatus>;
  /**
   * The queue's counts, live: read over REST on every (re)connect of the socket, then taken from
   * `queue_item_status_changed` events, and re-read when an enqueue, clear, bulk cancel or retry
   * changes them. While the socket is connecting or reconnecting, re-read over REST every
   * `pollIntervalMs` of the client (default 1 s). Shared; the latest value is replayed to late
   * subscribers. Holds the socket open while subscribed.
   */
  readonly status$: Observable<SessionQueueStatus>;
}

// Enqueueing, clearing, bulk-canceling and retrying change the counts, but their events do not carry them.
const RECOUNT_EVENTS: ReadonlySet<string> = new Set(['batch_enqueued', 'queue_cleared', 'queue_items_canceled', 'queue_items_retried']);

const ITEMS_PER_REQUEST = 1000;

/** Builds `client.queue` (for `createResources`). @internal */
export const queueResource = (context: ClientContext, sink: DiagnosticSink): QueueResource => {
  const { http, queueId } = context;
  const queuePath = (suffix: string) => `${apiPath`/api/v1/queue/${queueId}`}${suffix}`;
  const itemPath = (id: number) => queuePath(apiPath`/i/${id}`);

  const statusRequest: RequestOptions<QueueAndProcessorStatus> = { method: 'GET', path: queuePath('/status'), decode: QueueAndProcessorStatus };
  const status = () => http.request(statusRequest);

  // Both by-ids reads answer in the order asked; the server takes at most 1000 ids per request.
  const byIds =
    <A>(codec: t.Decoder<unknown, A>, suffix: string) =>
    async (ids: ReadonlyArray<number>): Promise<ReadonlyArray<A>> => {
      const path = queuePath(suffix);
      const pages: A[][] = [];
      for (let start = 0; start < ids.length; start += ITEMS_PER_REQUEST) {
        const raw = await http.request({
          method: 'POST',
          path,
          body: { json: { item_ids: ids.slice(start, start + ITEMS_PER_REQUEST) } },
          decode: UnknownArray,
        });
        pages.push(decodeItems(codec, raw, `POST ${path}`, sink.report));
      }
      return pages.flat();
    };

  const reread$ = (): Observable<SessionQueueStatus> =>
    http.request$(statusRequest).pipe(
      map((s) => s.queue),
      // A failed re-read keeps the last counts; the next event, poll or reconnect brings fresh ones.
      catchError((error: unknown) => {
        context.options.logger?.warn?.(`queue.status$: could not re-read the queue status (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
        return EMPTY;
      }),
    );

  const pollIntervalMs = context.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  // One read per interval, the next interval counted from the end of the read, so a server slower
  // than the interval still gets to answer.
  const poll$: Observable<SessionQueueStatus> = timer(pollIntervalMs, context.scheduler).pipe(
    concatMap(() => reread$()),
    repeat(),
  );

  const reads$: Observable<Observable<SessionQueueStatus>> = merge(
    context.socket.connection$.pipe(
      // Each reconnect attempt emits `connecting` and `reconnecting`; only a change between up and
      // down may restart the poll, or attempts faster than the interval would starve it.
      map((state) => (state.type === 'connected' ? 'up' : state.type === 'disconnected' ? 'stopped' : 'down')),
      distinctUntilChanged(),
      // A socket stopped for good (closed, or refused: REST would be refused too) is not polled.
      map((link) => (link === 'up' ? reread$() : link === 'down' ? poll$ : EMPTY)),
    ),
    context.socket.events$.pipe(
      map((event): Observable<SessionQueueStatus> | null => {
        if (event.type === 'queue_item_status_changed') return event.queue_id === queueId ? of(event.queue_status) : null;
        if (event.type !== 'unknown' && RECOUNT_EVENTS.has(event.type) && 'queue_id' in event && event.queue_id === queueId) return reread$();
        return null;
      }),
      filter((read): read is Observable<SessionQueueStatus> => read !== null),
    ),
  );

  // The counts in an event are the server's at emit time, so a newer source always supersedes an
  // older read still in flight: switchMap drops the stale one (and a reconnect ends the poll).
  const status$ = reads$.pipe(
    switchMap((read) => read),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  return {
    status,
    current: () => http.request({ method: 'GET', path: queuePath('/current'), decode: nullable(QueueItem) }),
    next: () => http.request({ method: 'GET', path: queuePath('/next'), decode: nullable(QueueItem) }),
    item: (id) => http.request({ method: 'GET', path: itemPath(id), decode: QueueItem }).catch(nullOn404),
    items: byIds(QueueItem, '/items_by_ids'),
    list: async (options) => {
      const path = queuePath('/list_all');
      const raw = await http.request({ method: 'GET', path, query: { destination: options?.destination }, decode: UnknownArray });
      return decodeItems(QueueItem, raw, `GET ${path}`, sink.report);
    },
    itemIds: (options) =>
      http.request({ method: 'GET', path: queuePath('/item_ids'), query: { order_dir: options?.order }, decode: QueueItemIds }),
    summaries: byIds(QueueItemSummary, '/item_summaries_by_ids'),
    countsByDestination: (destination) =>
      http.request({ method: 'GET', path: queuePath('/counts_by_destination'), query: { destination }, decode: QueueCountsByDestination }),
    batchStatus: (batchId) => http.request({ method: 'GET', path: queuePath(apiPath`/b/${batchId}/status`), decode: BatchStatus }),
    cancel: (id) =>
      http.request({ method: 'PUT', path: `${itemPath(id)}/cancel`, decode: QueueItem, idempotent: true }).catch(notFoundAs('queue item', id)),
    cancelBatches: async (batchIds) =>
      (await http.request({ method: 'PUT', path: queuePath('/cancel_by_batch_ids'), body: { json: { batch_ids: batchIds } }, decode: Canceled, idempotent: true }))
        .canceled,
    cancelDestination: async (destination) =>
      (await http.request({ method: 'PUT', path: queuePath('/cancel_by_destination'), query: { destination }, decode: Canceled, idempotent: true }))
        .canceled,
    cancelAllExceptCurrent: async () =>
      (await http.request({ method: 'PUT', path: queuePath('/cancel_all_except_current'), decode: Canceled, idempotent: true })).canceled,
    delete: async (id) => {
      await http.request({ method: 'DELETE', path: itemPath(id), decode: t.unknown, idempotent: true }).catch(notFoundAs('queue item', id));
    },
    deleteAllExceptCurrent: async () =>
      (await http.request({ method: 'PUT', path: queuePath('/delete_all_except_current'), decode: Deleted, idempotent: true })).deleted,
    deleteDestination: async (destination) =>
      (await http.request({ method: 'DELETE', path: queuePath(apiPath`/d/${destination}`), decode: Deleted, idempotent: true })).deleted,
    clear: async () => (await http.request({ method: 'PUT', path: queuePath('/clear'), decode: Deleted, idempotent: true })).deleted,
    prune: async () => (await http.request({ method: 'PUT', path: queuePath('/prune'), decode: Deleted, idempotent: true })).deleted,
    // A bare array, unlike the other id lists. Not idempotent: each call makes new items.
    retry: (ids) => http.request({ method: 'PUT', path: queuePath('/retry_items_by_id'), body: { json: ids }, decode: RetryItemsResult }),
    pause: () => http.request({ method: 'PUT', path: queuePath('/processor/pause'), decode: SessionProcessorStatus, idempotent: true }),
    resume: () => http.request({ method: 'PUT', path: queuePath('/processor/resume'), decode: SessionProcessorStatus, idempotent: true }),
    status$,
  };
};

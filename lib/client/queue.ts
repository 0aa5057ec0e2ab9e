// `queue(client)`: the session queue of the client's `queueId`, and `status$`, its live
// counts: taken from `queue_item_status_changed` events, re-read over REST whenever the socket
// (re)connects or an event changes the counts without carrying them, and polled over REST while the
// socket is down.
import * as t from 'io-ts';
import { EMPTY, Observable, catchError, concatMap, distinctUntilChanged, filter, map, merge, of, repeat, shareReplay, switchMap, timer } from 'rxjs';
import { BatchStatus, QueueAndProcessorStatus, QueueItem, SessionProcessorStatus, SessionQueueStatus } from '../protocol/dto';
import type { BatchId, ItemId } from '../protocol/ids';
import type { ClientContext } from '../transport/context';
import { DEFAULT_POLL_INTERVAL_MS } from '../transport/context';
import { HttpError } from '../transport/errors';
import type { RequestOptions } from '../transport/http';
import {
  QueueCountsByDestination,
  QueueItemIds,
  QueueItemSummary,
  RetryItemsResult,
  chunkIds,
  queueEndpoints,
} from '../transport/queue-endpoints';
import { DiagnosticSink, UnknownArray, decodeItems, notFoundAs, nullOn404, resourceAccessor } from './resource';

export { QueueCountsByDestination, QueueItemIds, QueueItemSummary, RetryItemsResult } from '../transport/queue-endpoints';

/** What `queue.retry` answers: the new items, and the items they were made from. */
export interface RetryResult {
  readonly queue_id: string;
  /** The ids of the new items, one per retried item, in the order of `retried_from`. */
  readonly retried_item_ids: ReadonlyArray<ItemId>;
  /** The new items, in the same order. */
  readonly items: ReadonlyArray<QueueItem>;
  /** The items the server retried: those asked that were failed or canceled, each once (others are skipped). */
  readonly retried_from: ReadonlyArray<ItemId>;
}

/**
 * `queue(client)`. `item`, `current` and `next` answer `null` when there is no such item; `cancel`/`delete` of an unknown id throw `NotFoundError`.
 *
 * @example
 * import { createClient, queue } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const sub = queue(client).status$.subscribe((s) => console.log(`${s.pending} pending, ${s.in_progress} running`));
 */
export interface QueueResource {
  /** Item counts and the current item, and whether the processor runs. */
  readonly status: () => Promise<QueueAndProcessorStatus>;
  /** The item in progress, or `null` when the queue is idle. */
  readonly current: () => Promise<QueueItem | null>;
  /** The item the processor takes next (highest priority, then oldest), or `null` when nothing is pending. */
  readonly next: () => Promise<QueueItem | null>;
  /** One item, or `null` when the queue has no such item (InvokeAI's 404, and the 500 it answers for another queue's item). */
  readonly item: (id: ItemId) => Promise<QueueItem | null>;
  /** Items by id, in the order asked; unknown ids are left out, as are items that do not decode (reported on `resourceDiagnostics$`). */
  readonly items: (ids: ReadonlyArray<ItemId>) => Promise<ReadonlyArray<QueueItem>>;
  /** Every item (with its session: a heavy answer), optionally of one destination; items that do not decode are reported on `resourceDiagnostics$`. */
  readonly list: (options?: { readonly destination?: string }) => Promise<ReadonlyArray<QueueItem>>;
  /** The id of every item of the queue, by id (default `DESC`: newest first). Cheap: no item is read. */
  readonly itemIds: (options?: { readonly order?: 'ASC' | 'DESC' }) => Promise<QueueItemIds>;
  /** Summaries (no session, no workflow) of these items, in the order asked; unknown ids are left out, as are summaries that do not decode (reported on `resourceDiagnostics$`). */
  readonly summaries: (ids: ReadonlyArray<ItemId>) => Promise<ReadonlyArray<QueueItemSummary>>;
  /** Item counts of one destination. */
  readonly countsByDestination: (destination: string) => Promise<QueueCountsByDestination>;
  /** Item counts of one batch. */
  readonly batchStatus: (batchId: BatchId) => Promise<BatchStatus>;
  /** Cancels one item; a finished item is answered unchanged. */
  readonly cancel: (id: ItemId) => Promise<QueueItem>;
  /** Cancels the unfinished items of these batches; answers how many. */
  readonly cancelBatches: (batchIds: ReadonlyArray<BatchId>) => Promise<number>;
  /** Cancels the unfinished items of one destination; answers how many. */
  readonly cancelDestination: (destination: string) => Promise<number>;
  /** Cancels every unfinished item but the one in progress; answers how many. */
  readonly cancelAllExceptCurrent: () => Promise<number>;
  /** Cancels the item if needed, then deletes it. */
  readonly delete: (id: ItemId) => Promise<void>;
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
  /**
   * Enqueues failed or canceled items again as new items; answers the new items and their ids.
   * InvokeAI answers only the ids it retried: the new items are found by their `retried_from_item_id`
   * among the items made after them. Items that are neither failed nor canceled are skipped.
   */
  readonly retry: (ids: ReadonlyArray<ItemId>) => Promise<RetryResult>;
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
const RECOUNT_EVENTS: ReadonlySet<string> = /*#__PURE__*/ new Set(['batch_enqueued', 'queue_cleared', 'queue_items_canceled', 'queue_items_retried']);

/** How many of the newest items `retry` reads at once while looking for the new ones after the first read. */
const RETRY_SCAN_CHUNK = 100;

/**
 * InvokeAI's `GET .../i/{id}` of an item of another queue raises its 404 inside a generic `except`,
 * which answers 500 with this detail; it means "no such item in this queue".
 */
const WRAPPED_NOT_FOUND = /^Unexpected error while fetching queue item: 404\b/;

/** `null` for a missing item: a 404, or the 500 that wraps one. Other failures pass through. */
const nullOnMissingItem = (error: unknown): null => {
  if (error instanceof HttpError && error.status === 500 && typeof error.detail === 'string' && WRAPPED_NOT_FOUND.test(error.detail)) return null;
  return nullOn404(error);
};

/**
 * Pairs the retried items with the new ones. A new item's `retried_from_item_id` is the first item
 * of its retry chain (the source's own `retried_from_item_id`, else the source), so sources of one
 * chain share it; InvokeAI makes their new items in the order of the sources. @internal
 */
export const matchRetried = (
  sources: ReadonlyArray<{ readonly item_id: ItemId; readonly chain: ItemId }>,
  newest: ReadonlyArray<QueueItem>,
): ReadonlyArray<QueueItem | undefined> => {
  const wanted = new Map<ItemId, number>();
  for (const source of sources) wanted.set(source.chain, (wanted.get(source.chain) ?? 0) + 1);
  const found = new Map<ItemId, QueueItem[]>();
  for (const item of [...newest].sort((a, b) => b.item_id - a.item_id)) {
    const chain = item.retried_from_item_id;
    if (chain === null || chain === undefined) continue;
    const list = found.get(chain) ?? [];
    if (list.length < (wanted.get(chain) ?? 0)) found.set(chain, [...list, item]);
  }
  const taken = new Map<ItemId, number>();
  return sources.map((source) => {
    const list = [...(found.get(source.chain) ?? [])].sort((a, b) => a.item_id - b.item_id);
    const index = taken.get(source.chain) ?? 0;
    taken.set(source.chain, index + 1);
    return list[index];
  });
};

/** Builds a client's queue resource (for `queue`). @internal */
export const queueResource = (context: ClientContext, sink: DiagnosticSink): QueueResource => {
  const { http, queueId } = context;
  const endpoints = queueEndpoints(queueId);
  const status = () => http.request(endpoints.status());

  // Both by-ids reads answer in the order asked, one request per chunk the server accepts.
  const byIds =
    <A>(codec: t.Decoder<unknown, A>, request: (ids: ReadonlyArray<ItemId>) => RequestOptions<ReadonlyArray<unknown>>) =>
    async (ids: ReadonlyArray<ItemId>): Promise<ReadonlyArray<A>> => {
      const pages: A[][] = [];
      for (const chunk of chunkIds(ids)) {
        const options = request(chunk);
        const raw = await http.request(options);
        pages.push(decodeItems(codec, raw, `${options.method} ${options.path}`, sink.report));
      }
      return pages.flat();
    };

  const items = byIds(QueueItem, (ids) => endpoints.itemsByIds(ids, UnknownArray));

  const reread$ = (): Observable<SessionQueueStatus> =>
    http.request$(endpoints.status()).pipe(
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
    current: () => http.request(endpoints.current()),
    next: () => http.request(endpoints.next()),
    item: (id) => http.request(endpoints.item(id)).catch(nullOnMissingItem),
    items,
    list: async (options) => {
      const request = endpoints.listAll(options?.destination, UnknownArray);
      const raw = await http.request(request);
      return decodeItems(QueueItem, raw, `GET ${request.path}`, sink.report);
    },
    itemIds: (options) => http.request(endpoints.itemIds(options?.order)),
    summaries: byIds(QueueItemSummary, (ids) => endpoints.itemSummariesByIds(ids, UnknownArray)),
    countsByDestination: (destination) => http.request(endpoints.countsByDestination(destination)),
    batchStatus: (batchId) => http.request(endpoints.batchStatus(batchId)),
    cancel: (id) => http.request(endpoints.cancelItem(id)).catch(notFoundAs('queue item', id)),
    cancelBatches: async (batchIds) => (await http.request(endpoints.cancelBatches(batchIds))).canceled,
    cancelDestination: async (destination) => (await http.request(endpoints.cancelDestination(destination))).canceled,
    cancelAllExceptCurrent: async () => (await http.request(endpoints.cancelAllExceptCurrent())).canceled,
    delete: async (id) => {
      await http.request(endpoints.deleteItem(id)).catch(notFoundAs('queue item', id));
    },
    deleteAllExceptCurrent: async () => (await http.request(endpoints.deleteAllExceptCurrent())).deleted,
    deleteDestination: async (destination) => (await http.request(endpoints.deleteDestination(destination))).deleted,
    clear: async () => (await http.request(endpoints.clear())).deleted,
    prune: async () => (await http.request(endpoints.prune())).deleted,
    retry: async (ids) => {
      const answer = await http.request(endpoints.retryItems(ids));
      const sources = answer.retried_item_ids;
      if (sources.length === 0) return { queue_id: answer.queue_id, retried_item_ids: [], items: [], retried_from: [] };
      const sourceItems = new Map((await items(sources)).map((item) => [item.item_id, item]));
      const chains = sources.map((id) => ({ item_id: id, chain: sourceItems.get(id)?.retried_from_item_id ?? id }));
      // The new items were made after every existing item: their ids are above every source's. They
      // are read newest first, the first read as many as were retried, until each source has its own.
      const newest = (await http.request(endpoints.itemIds('DESC'))).item_ids.filter((id) => id > Math.max(...sources)).sort((a, b) => b - a);
      const seen: QueueItem[] = [];
      let matched = matchRetried(chains, seen);
      for (let start = 0, size = sources.length; start < newest.length && matched.some((m) => m === undefined); start += size, size = RETRY_SCAN_CHUNK) {
        seen.push(...(await items(newest.slice(start, start + size))));
        matched = matchRetried(chains, seen);
      }
      const pairs = chains.flatMap((c, i) => (matched[i] === undefined ? [] : [{ source: c.item_id, item: matched[i] as QueueItem }]));
      return { queue_id: answer.queue_id, retried_item_ids: pairs.map((p) => p.item.item_id), items: pairs.map((p) => p.item), retried_from: pairs.map((p) => p.source) };
    },
    pause: () => http.request(endpoints.pauseProcessor()),
    resume: () => http.request(endpoints.resumeProcessor()),
    status$,
  };
};

/**
 * The queue of a client's server (the client's `queueId`): `await queue(client).status()`.
 *
 * @example
 * ```ts
 * import { createClient, queue } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const { queue: counts } = await queue(client).status();
 * ```
 */
export const queue = /*#__PURE__*/ resourceAccessor('queue', queueResource);

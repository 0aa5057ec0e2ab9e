// The read scheduler of one run: which of its queue items to read over REST, when, and how many
// per request. REST reads are the truth the socket is checked against: every item once its
// terminal status is known (its terminal event waits for the authoritative outputs), every open
// item at the start, on a reconnect and at each poll, the items a queue clear may have deleted, and
// an item that seems to run while the processor has moved on (its end was probably lost). Such
// hints are rate-limited, never dropped: one inside the interval is acted on when it ends.
//
// Reads go one request at a time; what is asked meanwhile is read together next, up to the
// server's limit per request. Whatever it tracks is kept in sets updated per item, so a fact costs
// O(1) however many items the run has.
import type { SchedulerLike, Subscription } from 'rxjs';
import { AuthError, HttpError } from '../transport/errors';
import type { HttpClient, Logger } from '../transport/http';
import { MAX_IDS_PER_REQUEST, QueueEndpoints } from '../transport/queue-endpoints';
import { QueueItem } from '../protocol/dto';
import type { BatchId, ItemId } from '../protocol/ids';
import * as t from 'io-ts';
import { ConnectionLostError } from './errors';
import { factOfQueueItem, type RunFact } from './facts';
import type { RunStore } from './store';

const QueueItems = /*#__PURE__*/ t.array(QueueItem);

/** What the read scheduler works with. */
export interface RunReadsDeps {
  readonly http: HttpClient;
  readonly endpoints: QueueEndpoints;
  readonly store: RunStore;
  readonly batchId: BatchId;
  /** Aborts the reads in flight when the run stops. */
  readonly signal: AbortSignal;
  /** Consecutive failed reads after which the run errors with `ConnectionLostError`. */
  readonly maxReadFailures: number;
  /** The least time between two reads caused by the processor moving on. */
  readonly hintIntervalMs: number;
  /** The run's clock: a hint inside `hintIntervalMs` waits on it for the interval's end. */
  readonly scheduler: SchedulerLike;
  readonly logger?: Logger;
  /** Feeds the facts a read brought. */
  readonly feed: (facts: readonly RunFact[]) => void;
  readonly fail: (error: unknown) => void;
  /** Whether a read is owed (a terminal item whose read failed or was stale): the run then polls with backoff. */
  readonly setOwed: (owed: boolean) => void;
  readonly isStopped: () => boolean;
  /** Runs a callback, turning what it throws into the run's error. */
  readonly guard: <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => void;
}

/** The read scheduler of one run. */
export interface RunReads {
  /** The store's listener: an item's terminal status is known; read it once. */
  readonly needsSnapshot: (itemId: ItemId) => void;
  /** The store's listener: an item ended; nothing of it is read any more. */
  readonly ended: (itemId: ItemId) => void;
  /** Reads every open item (the start, a reconnect, each poll). */
  readonly readOpen: () => void;
  /** Reads the items a queue clear may have deleted. */
  readonly readInDoubt: () => void;
  /** Another item started: ours that seem to run are read, at most once per `hintIntervalMs` (a later hint waits for the interval's end). */
  readonly processorMoved: (runningItemId: ItemId) => void;
  /** Sends what is wanted (the pipeline calls this after applying facts). */
  readonly flush: () => void;
  /** Items being read right now. */
  readonly reading: ReadonlySet<ItemId>;
  /** Drops a hint waiting for its interval (the run ended). */
  readonly stop: () => void;
}

/**
 * Creates the read scheduler of a run.
 *
 * @example
 * declare const deps: RunReadsDeps;
 * const reads = createRunReads({ ...deps, maxReadFailures: 8, hintIntervalMs: 1000 });
 * reads.readOpen();
 * @internal
 */
export const createRunReads = (deps: RunReadsDeps): RunReads => {
  const { http, endpoints, store, signal } = deps;
  /** Items to read next, in the order asked. */
  const wanted = new Set<ItemId>();
  const reading = new Set<ItemId>();
  /** Unsettled items whose last read failed or was stale: left to the poll loop, with backoff. */
  const owed = new Set<ItemId>();
  /** The last read failed: the poll loop reads again with backoff, whatever it was about. */
  let lastReadFailed = false;
  let failures = 0;
  let owedSaid = false;
  let lastHintAt = Number.NEGATIVE_INFINITY;
  /** A hint that came inside the interval, waiting for its end; the item the processor runs is the latest hint's. */
  let deferredHint: Subscription | undefined;
  let latestRunningItemId: ItemId | undefined;

  const sayOwed = (): void => {
    const now = owed.size > 0 || lastReadFailed;
    if (now === owedSaid) return;
    owedSaid = now;
    deps.setOwed(now);
  };

  /** Says whether reads are owed, and sends the next read if none is in flight. */
  const flush = (): void => {
    sayOwed();
    pump();
  };

  // Wanted even while a read of it is in flight: that read may predate what made it wanted (a
  // terminal status, a clear), so it is read again once that one is back.
  const want = (itemId: ItemId): void => {
    owed.delete(itemId);
    wanted.add(itemId);
  };

  /** An item whose terminal event or doubt still waits after a read of it. */
  const unsettled = (itemId: ItemId): boolean => store.needingSnapshot.has(itemId) || store.inDoubt.has(itemId);

  /** Reads items: one by `GET .../i/{id}`, several by `items_by_ids`; a missing item is gone. */
  const readItems = async (ids: readonly ItemId[]): Promise<RunFact[]> => {
    if (ids.length === 1) {
      const itemId = ids[0];
      try {
        return [factOfQueueItem(await http.request({ ...endpoints.item(itemId), signal }))];
      } catch (error) {
        if (error instanceof HttpError && error.status === 404) return [{ kind: 'item_gone', itemId, reason: 'deleted' }];
        throw error;
      }
    }
    const items = await http.request({ ...endpoints.itemsByIds(ids, QueueItems), signal });
    const found = new Set<number>();
    const facts: RunFact[] = [];
    for (const item of items) {
      found.add(item.item_id);
      facts.push(factOfQueueItem(item));
    }
    for (const itemId of ids) if (!found.has(itemId)) facts.push({ kind: 'item_gone', itemId, reason: 'deleted' });
    return facts;
  };

  const settleRead = deps.guard((ids: readonly ItemId[], facts: readonly RunFact[]): void => {
    for (const id of ids) reading.delete(id);
    if (deps.isStopped()) return;
    failures = 0;
    lastReadFailed = false;
    deps.feed(facts);
    if (deps.isStopped()) return;
    for (const id of ids) if (unsettled(id) && !wanted.has(id)) owed.add(id);
    flush();
  });

  const failRead = deps.guard((ids: readonly ItemId[], error: unknown): void => {
    for (const id of ids) reading.delete(id);
    if (deps.isStopped()) return;
    if (error instanceof AuthError) return deps.fail(error);
    failures += 1;
    deps.logger?.warn?.(`run ${deps.batchId}: reading its queue items failed (${failures} in a row)`, { error });
    if (failures >= deps.maxReadFailures) {
      return deps.fail(new ConnectionLostError(deps.batchId, `${failures} reads of its queue items failed in a row`, error));
    }
    // The poll loop reads again with backoff; terminal reads that failed are owed.
    for (const id of ids) if (unsettled(id) && !wanted.has(id)) owed.add(id);
    lastReadFailed = true;
    flush();
  });

  /** Reads ours that seem to run while the processor runs `latestRunningItemId`. */
  const actOnHint = deps.guard((): void => {
    deferredHint = undefined;
    if (deps.isStopped()) return;
    let suspects = 0;
    for (const id of store.running) {
      if (id === latestRunningItemId || reading.has(id)) continue;
      want(id);
      suspects += 1;
    }
    if (suspects === 0) return;
    lastHintAt = deps.scheduler.now();
    flush();
  });

  /** Sends the next read when none is in flight. */
  const pump = (): void => {
    if (deps.isStopped() || reading.size > 0 || wanted.size === 0) return;
    const ids: ItemId[] = [];
    for (const id of wanted) {
      wanted.delete(id);
      if (!store.open.has(id)) continue;
      ids.push(id);
      reading.add(id);
      if (ids.length === MAX_IDS_PER_REQUEST) break;
    }
    if (ids.length === 0) return;
    readItems(ids).then(
      (facts) => settleRead(ids, facts),
      (error: unknown) => failRead(ids, error),
    );
  };

  return {
    // Called from inside the store: the read goes out at the next `flush`, once the fact is applied.
    needsSnapshot: want,
    ended: (itemId) => {
      wanted.delete(itemId);
      if (owed.delete(itemId)) sayOwed();
    },
    readOpen: () => {
      for (const id of store.open) want(id);
      flush();
    },
    readInDoubt: () => {
      for (const id of store.inDoubt) want(id);
      flush();
    },
    processorMoved: (runningItemId) => {
      latestRunningItemId = runningItemId;
      // Several processors may run items side by side: at most one such read per interval. A hint
      // inside it is not dropped (an item whose end was lost would then wait for the silence poll).
      if (deferredHint !== undefined) return;
      const waitMs = lastHintAt + deps.hintIntervalMs - deps.scheduler.now();
      if (waitMs > 0) deferredHint = deps.scheduler.schedule(actOnHint, waitMs);
      else actOnHint();
    },
    stop: () => {
      deferredHint?.unsubscribe();
      deferredHint = undefined;
    },
    flush,
    reading,
  };
};

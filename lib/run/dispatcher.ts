// One socket-event dispatcher per client: the only subscriber the runs of a client need on its
// shared socket. Each frame costs one `Map` lookup by batch id, whatever the number of runs in
// flight; the few events that concern every run (a queue clear, a bulk cancel, a connection change)
// go to each of them. It also keeps what runs share: when the socket last said anything, which
// item the processor took last (a run whose item seems to run learns that the processor moved on),
// and the cancels runs left running in the background, so that `client.close()` can wait for them.
import type { SchedulerLike, Subscription } from 'rxjs';
import type { ConnectionState, SocketConnection } from '../transport/socket';
import type { ServerEvent } from '../protocol/events';
import type { BatchId, ItemId } from '../protocol/ids';

/** What a run hears from its client's dispatcher. */
export interface RunChannel {
  /** The batch id the run follows (chosen before the enqueue, so early events find it). */
  readonly batchId: BatchId;
  /** An event that names this batch. */
  readonly onBatchEvent: (event: ServerEvent) => void;
  /** An event about the whole queue: `queue_cleared`, `queue_items_canceled`. */
  readonly onQueueEvent: (event: ServerEvent) => void;
  /** Another queue item started running; sent only while the run says it has items that seem to run. */
  readonly onProcessorMoved: (runningItemId: ItemId) => void;
  readonly onConnection: (state: ConnectionState) => void;
  /** The socket stream ended: the client was closed (no error) or the server refused it. */
  readonly onSocketEnd: (error?: unknown) => void;
}

/** A run's place in the dispatcher. */
export interface RunRoute {
  /** Whether the socket is connected now. */
  readonly connected: () => boolean;
  /** `scheduler.now()` of the last socket event of any batch (`-Infinity` before the first). */
  readonly lastEventAt: () => number;
  /**
   * Starts hearing: opens the socket for the first run, or tells the current connection state. A
   * closed client ends at once (`onSocketEnd`), which is why this is a step of its own after `join`.
   */
  readonly listen: () => void;
  /** Whether the run has items that seem to run (then it hears `onProcessorMoved`). */
  readonly setRunning: (running: boolean) => void;
  /** Leaves the dispatcher; the last run to leave releases the socket. */
  readonly leave: () => void;
}

/** The dispatcher of one client. */
export interface RunDispatcher {
  readonly join: (channel: RunChannel) => RunRoute;
  /** Keeps background work (a cancel) until it settles; it must never reject. */
  readonly track: (work: Promise<unknown>) => void;
  /** Settles once every tracked piece of work has settled, including work tracked meanwhile. */
  readonly settled: () => Promise<void>;
}

const QUEUE_WIDE_EVENTS: ReadonlySet<string> = /*#__PURE__*/ new Set(['queue_cleared', 'queue_items_canceled']);

/** The item an event says started running, if it says so. */
const startedItemOf = (event: ServerEvent): ItemId | null =>
  event.type === 'invocation_started' || (event.type === 'queue_item_status_changed' && event.status === 'in_progress') ? event.item_id : null;

/** The batch id an event names, if any. */
const batchIdOf = (event: ServerEvent): string | null => {
  const batchId = (event as { readonly batch_id?: unknown }).batch_id;
  return typeof batchId === 'string' ? batchId : null;
};

const createDispatcher = (socket: SocketConnection, scheduler: SchedulerLike): RunDispatcher => {
  /** Runs by batch id: usually one each; two subscriptions may share a batch id a user chose. */
  const byBatch = new Map<string, RunChannel[]>();
  const channels = new Set<RunChannel>();
  const running = new Set<RunChannel>();
  const background = new Set<Promise<unknown>>();
  let subscriptions: Subscription[] = [];
  let state: ConnectionState | undefined;
  let lastEventAt = Number.NEGATIVE_INFINITY;
  let lastStartedItem: ItemId | null = null;

  const everyRun = (tell: (channel: RunChannel) => void): void => {
    // A run may leave (or join) while being told: tell those present at the start.
    for (const channel of [...channels]) if (channels.has(channel)) tell(channel);
  };

  const onEvent = (event: ServerEvent): void => {
    lastEventAt = scheduler.now();
    const batchId = batchIdOf(event);
    if (batchId !== null) {
      const runs = byBatch.get(batchId);
      if (runs !== undefined) {
        if (runs.length === 1) runs[0].onBatchEvent(event);
        else for (const run of [...runs]) run.onBatchEvent(event);
      }
    } else if (QUEUE_WIDE_EVENTS.has(event.type)) {
      everyRun((channel) => channel.onQueueEvent(event));
    }
    const started = startedItemOf(event);
    if (started !== null && started !== lastStartedItem) {
      lastStartedItem = started;
      if (running.size > 0) for (const channel of [...running]) channel.onProcessorMoved(started);
    }
  };

  const onEnd = (error?: unknown): void => {
    release();
    everyRun((channel) => channel.onSocketEnd(error));
  };

  const release = (): void => {
    const current = subscriptions;
    subscriptions = [];
    state = undefined;
    current.forEach((subscription) => subscription.unsubscribe());
  };

  const listen = (): void => {
    const events = socket.events$.subscribe({ next: onEvent, error: (error: unknown) => onEnd(error), complete: () => onEnd() });
    if (events.closed) return;
    subscriptions.push(events);
    subscriptions.push(
      socket.connection$.subscribe((next) => {
        state = next;
        everyRun((channel) => channel.onConnection(next));
      }),
    );
  };

  const leave = (channel: RunChannel): void => {
    if (!channels.delete(channel)) return;
    running.delete(channel);
    const runs = byBatch.get(channel.batchId);
    if (runs !== undefined) {
      const rest = runs.filter((run) => run !== channel);
      if (rest.length === 0) byBatch.delete(channel.batchId);
      else byBatch.set(channel.batchId, rest);
    }
    if (channels.size === 0) release();
  };

  const join = (channel: RunChannel): RunRoute => {
    channels.add(channel);
    byBatch.set(channel.batchId, [...(byBatch.get(channel.batchId) ?? []), channel]);
    return {
      listen: () => {
        if (!channels.has(channel)) return;
        if (subscriptions.length === 0) listen();
        else if (state !== undefined) channel.onConnection(state);
      },
      connected: () => state?.type === 'connected',
      lastEventAt: () => lastEventAt,
      setRunning: (isRunning) => {
        if (!channels.has(channel)) return;
        if (isRunning) running.add(channel);
        else running.delete(channel);
      },
      leave: () => leave(channel),
    };
  };

  const track = (work: Promise<unknown>): void => {
    background.add(work);
    const done = (): void => void background.delete(work);
    work.then(done, done);
  };

  const settled = async (): Promise<void> => {
    while (background.size > 0) await Promise.allSettled([...background]);
  };

  return { join, track, settled };
};

const dispatchers = /*#__PURE__*/ new WeakMap<SocketConnection, RunDispatcher>();

/**
 * The dispatcher of a client's socket (made on first use).
 *
 * @example
 * declare const channel: RunChannel;
 * const route = dispatcherOf(client.context.socket, client.context.scheduler).join(channel);
 * route.listen();
 * // ... when the run ends:
 * route.leave();
 * @internal
 */
export const dispatcherOf = (socket: SocketConnection, scheduler: SchedulerLike): RunDispatcher => {
  let dispatcher = dispatchers.get(socket);
  if (dispatcher === undefined) {
    dispatcher = createDispatcher(socket, scheduler);
    dispatchers.set(socket, dispatcher);
  }
  return dispatcher;
};

/**
 * Closes a client's socket for good and resolves once the cancels its runs left in the background
 * (theirs and those of runs that ended before) have been answered. Never rejects.
 *
 * @example
 * await closeClientRuns(client.context.socket, client.context.scheduler);
 * @internal
 */
export const closeClientRuns = (socket: SocketConnection, scheduler: SchedulerLike): Promise<void> => {
  socket.close();
  return dispatcherOf(socket, scheduler).settled();
};

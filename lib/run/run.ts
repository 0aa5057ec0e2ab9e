// The run pipeline: one workflow → one enqueued batch → one stream of `RunEvent`s that ends with
// exactly one terminal event per item (PUBLIC-API.md §2–§3, API.md §5.6, §9, PEERS.md §1.5).
//
// How it stays correct when the socket lies by omission:
// - correlate first: the batch id is chosen here, the shared socket is subscribed (and, within
//   `connectWaitMs`, connected) before the POST; the reducer keeps events that beat the answer.
// - two sources, one reducer: socket events are the fast path; REST reads (the item once at the
//   start, on every reconnect, at each terminal status, and by polling with backoff whenever the
//   socket is down, silent or a read is owed) are the truth. `reduceRun` decides what to emit.
//   "Silent" is about this batch: a busy server does not hide that our events stopped. When another
//   item starts while one of ours still seems to run, ours is read at once (its end was lost).
// - exactly-once enqueue: a POST that got no answer is followed by `b/{batch_id}/status` before
//   any retry, so one subscription never enqueues twice.
// - every path ends: completion after the last terminal event; typed errors only when the run as
//   a whole cannot go on; unsubscribing cancels what is left on the server (opt-out).
import * as t from 'io-ts';
import { Observable, Subscription, from, map, mergeMap } from 'rxjs';
import type { ClientContext } from '../transport/context';
import { AuthError, HttpError, NetworkError, RequestTimeoutError } from '../transport/errors';
import { backoffDelay } from '../internal/backoff';
import { apiPath } from '../transport/http';
import { withModelsResolved } from './model-references';
import { modelsResource } from '../client/models';
import { diagnosticSink } from '../client/resource';
import { BatchStatus, EnqueueBatchResult, QueueItem } from '../protocol/dto';
import type { ServerEvent } from '../protocol/events';
import { buildBatch, countBatchItems, type Batch, type Sweep } from '../workflow/batch';
import { uuidV4 } from '../internal/uuid';
import { listOutputs } from '../workflow/outputs';
import type { Workflow } from '../workflow/workflow';
import { ConnectionLostError, RunTimeoutError } from './errors';
import type { RunEvent, RunResult } from './events';
import { factOfEnqueueResult, factOfQueueItem, factOfServerEvent } from './facts';
import { DEFAULT_POLL_POLICY, PollLoop, PollPolicy, createPollLoop } from './poll';
import {
  RunFact,
  RunState,
  initialRunState,
  isDone,
  itemsInDoubt,
  itemsNeedingSnapshot,
  mayChangeReads,
  pendingItems,
  reduceRunAll,
  runResultOf,
} from './state';

/** Options of `client.run` / `client.submit`. Everything is optional. */
export interface RunOptions {
  /** How many times the whole batch runs (default 1). */
  readonly runs?: number;
  /** Values per input ref, zipped or as a product; sent as the server's `Batch.data`. */
  readonly sweep?: Sweep;
  /** Stored on every queue item (default: a unique `invokeai-rx:<batchId>`). */
  readonly origin?: string;
  /** Stored on every queue item (default `gallery`, as the GUI's workflow editor). */
  readonly destination?: string;
  /** Put the batch at the front of the queue. */
  readonly prepend?: boolean;
  /** Give up after this long: the unfinished items are canceled and the stream errors with `RunTimeoutError`. */
  readonly timeoutMs?: number;
  /** Cancel the unfinished items on the server when the subscriber leaves before the end (default true). */
  readonly cancelOnUnsubscribe?: boolean;
  /** The batch id to enqueue with (default: a fresh uuid). Must be unique on the server. */
  readonly batchId?: string;
  /** The board that board inputs set to `auto` save to. */
  readonly autoAddBoardId?: string;
  /** The first delay of REST polling once the socket is down or silent (default: the client's `pollIntervalMs`, else 1000). */
  readonly pollIntervalMs?: number;
  /** The longest delay between polls (default 15000). */
  readonly maxPollIntervalMs?: number;
  /** No event of this run's batch for this long (of any batch before its first) and the socket is no longer trusted: the run polls (default 15000). */
  readonly silenceMs?: number;
  /** How long to wait for the socket before enqueueing anyway and relying on REST (default 5000). */
  readonly connectWaitMs?: number;
  /** Consecutive failed REST reads after which the run errors with `ConnectionLostError` (default 8). */
  readonly maxReadFailures?: number;
  /** Enqueue attempts when the POST gets no answer and the batch is not on the server (default 3). */
  readonly enqueueAttempts?: number;
}

/** One workflow of `runMany`, with options of its own. */
export interface RunRequest {
  readonly workflow: Workflow;
  readonly options?: RunOptions;
}

/** Options of `runMany`: those of every run (batch ids are always per run), and how many run at once. */
export interface RunManyOptions extends Omit<RunOptions, 'batchId'> {
  /** Runs in flight at most (default 4). */
  readonly concurrency?: number;
}

/** An event of `runMany`: the run event and the position of its workflow in the input. */
export interface RunManyEvent {
  readonly index: number;
  readonly event: RunEvent;
}

const DEFAULT_CONNECT_WAIT_MS = 5000;
const DEFAULT_MAX_READ_FAILURES = 8;
const DEFAULT_ENQUEUE_ATTEMPTS = 3;
const DEFAULT_CONCURRENCY = 4;
/** `items_by_ids` takes at most this many ids. */
const ITEMS_PER_READ = 1000;
const ENQUEUE_BACKOFF = { initialDelayMs: 500, maxDelayMs: 5000, factor: 2, jitter: 0.5 };

const QueueItems = t.array(QueueItem);

/** True when a request may have reached the server without its answer reaching us. */
const answerLost = (error: unknown): boolean =>
  error instanceof NetworkError ||
  error instanceof RequestTimeoutError ||
  (error instanceof HttpError && !(error instanceof AuthError) && [502, 503, 504].includes(error.status));

const pollPolicyOf = (context: ClientContext, options: RunOptions): PollPolicy => ({
  ...DEFAULT_POLL_POLICY,
  pollIntervalMs: options.pollIntervalMs ?? context.options.pollIntervalMs ?? DEFAULT_POLL_POLICY.pollIntervalMs,
  ...(options.maxPollIntervalMs !== undefined ? { maxPollIntervalMs: options.maxPollIntervalMs } : {}),
  ...(options.silenceMs !== undefined ? { silenceMs: options.silenceMs } : {}),
});

/** The pipeline; `onResult` receives the run's result just before the stream completes. */
const runPipeline = (
  context: ClientContext,
  wf: Workflow,
  options: RunOptions,
  onResult: (result: RunResult) => void,
): Observable<RunEvent> =>
  new Observable<RunEvent>((subscriber) => {
    const { http, socket, scheduler, queueId, random } = context;
    const logger = context.options.logger;
    const batchId = options.batchId ?? uuidV4();
    let batch: Batch;
    try {
      batch = buildBatch(wf, {
        batchId,
        origin: options.origin ?? `invokeai-rx:${batchId}`,
        ...(options.destination !== undefined ? { destination: options.destination } : {}),
        ...(options.runs !== undefined ? { runs: options.runs } : {}),
        ...(options.sweep !== undefined ? { sweep: options.sweep } : {}),
        ...(options.autoAddBoardId !== undefined ? { autoAddBoardId: options.autoAddBoardId } : {}),
      });
    } catch (error) {
      subscriber.error(error);
      return;
    }
    const requested = countBatchItems(batch);
    const policy = pollPolicyOf(context, options);
    const maxReadFailures = options.maxReadFailures ?? DEFAULT_MAX_READ_FAILURES;
    const enqueueAttempts = Math.max(1, options.enqueueAttempts ?? DEFAULT_ENQUEUE_ATTEMPTS);
    // Reads are aborted when the run ends; the enqueue POST and the cancel are never aborted, so
    // that an enqueue in flight can still be canceled.
    const reads = new AbortController();
    const subscriptions = new Subscription();

    let state: RunState = initialRunState({ batchId, outputs: listOutputs(wf) });
    /** No event, no read after this (completed, errored, timed out, or unsubscribed). */
    let stopped = false;
    let phase: 'waiting' | 'posting' | 'enqueued' = 'waiting';
    let enqueueSettled: Promise<void> = Promise.resolve();
    let socketConnected = false;
    let loop: PollLoop | undefined;
    let readFailures = 0;
    /** Whether any event of this batch arrived (then only its own events count as socket activity). */
    let heardFromBatch = false;
    let lastRunningItem: number | null = null;
    let lastHintAt = Number.NEGATIVE_INFINITY;
    /** Items whose terminal read was already asked for (a second one is left to the poll loop). */
    const terminalReadAsked = new Set<number>();
    /** Items to read next, and those being read. */
    const wanted = new Set<number>();
    const reading = new Set<number>();

    const stop = (): void => {
      stopped = true;
      loop?.stop();
      subscriptions.unsubscribe();
      reads.abort();
    };
    const complete = (): void => {
      if (stopped) return;
      stop();
      onResult(runResultOf(state));
      subscriber.complete();
    };
    const fail = (error: unknown): void => {
      if (stopped) return;
      stop();
      subscriber.error(error);
    };

    const cancelBatch = (): Promise<unknown> =>
      http.request({
        method: 'PUT',
        path: apiPath`/api/v1/queue/${queueId}/cancel_by_batch_ids`,
        body: { json: { batch_ids: [batchId] } },
        decode: t.unknown,
        idempotent: true,
      });

    /** Asks for the terminal reads the reducer waits for; tells the poll loop when one is owed. */
    const requestTerminalReads = (): void => {
      let owed = false;
      for (const id of itemsNeedingSnapshot(state)) {
        if (!terminalReadAsked.has(id)) {
          terminalReadAsked.add(id);
          wanted.add(id);
        } else if (!wanted.has(id) && !reading.has(id)) {
          // Read once already and still not settled (stale or failed read): poll with backoff.
          owed = true;
        }
      }
      // Items a clear may have deleted were read at once (see `feed`); still in doubt and not being
      // read means that read failed. The socket will not tell: a deleted pending item has no event.
      if (!owed) owed = itemsInDoubt(state).some((id) => !wanted.has(id) && !reading.has(id));
      loop?.setReadOwed(owed);
      pump();
    };

    const feed = (facts: readonly RunFact[]): void => {
      if (stopped) return;
      const step = reduceRunAll(state, facts);
      // A queue clear may have deleted any open item, or none of ours (its event can be late): read
      // them now. Also when they are in doubt already: a read in flight may predate this clear.
      const cleared = facts.some((fact) => fact.kind === 'queue_cleared');
      if (cleared) for (const id of itemsInDoubt(step.state)) wanted.add(id);
      const changed = step.state !== state;
      if (!cleared && !changed && step.emit.length === 0) return;
      state = step.state;
      for (const event of step.emit) {
        subscriber.next(event);
        // A subscriber may leave from inside `next` (take, first ...).
        if (stopped || subscriber.closed) return;
      }
      if (isDone(state)) complete();
      // What is owed depends on the state and on the read sets, and every change of those sets
      // re-checks by itself: node events (started, progress, completed) owe nothing new, so a long
      // sweep does not rescan its items for each of them.
      else if (cleared || (changed && facts.some(mayChangeReads))) requestTerminalReads();
    };

    /** Reads items: one by `GET .../i/{id}`, several by `items_by_ids`; a missing item is gone. */
    const readItems = async (ids: readonly number[]): Promise<RunFact[]> => {
      if (ids.length === 1) {
        const [id] = ids;
        try {
          const item = await http.request({ method: 'GET', path: apiPath`/api/v1/queue/${queueId}/i/${id}`, decode: QueueItem, signal: reads.signal });
          return [factOfQueueItem(item)];
        } catch (error) {
          if (error instanceof HttpError && error.status === 404) return [{ kind: 'item_gone', itemId: id, reason: 'deleted' }];
          throw error;
        }
      }
      const items = await http.request({
        method: 'POST',
        path: apiPath`/api/v1/queue/${queueId}/items_by_ids`,
        body: { json: { item_ids: ids } },
        decode: QueueItems,
        signal: reads.signal,
      });
      const found = new Set(items.map((item) => item.item_id));
      return [
        ...items.map(factOfQueueItem),
        ...ids.filter((id) => !found.has(id)).map((id): RunFact => ({ kind: 'item_gone', itemId: id, reason: 'deleted' })),
      ];
    };

    /** Reads what is wanted, one request at a time (what is asked meanwhile is read together next). */
    const pump = (): void => {
      if (stopped || reading.size > 0 || wanted.size === 0) return;
      const ids = [...wanted].slice(0, ITEMS_PER_READ);
      for (const id of ids) {
        wanted.delete(id);
        reading.add(id);
      }
      readItems(ids).then(
        (facts) => {
          reading.clear();
          if (stopped) return;
          readFailures = 0;
          feed(facts);
          if (stopped) return;
          requestTerminalReads();
        },
        (error: unknown) => {
          reading.clear();
          if (stopped) return;
          if (error instanceof AuthError) return fail(error);
          readFailures += 1;
          logger?.warn?.(`run ${batchId}: reading its queue items failed (${readFailures} in a row)`, { error });
          if (readFailures >= maxReadFailures) {
            return fail(new ConnectionLostError(batchId, `${readFailures} reads of its queue items failed in a row`, error));
          }
          // The poll loop reads again with backoff; terminal reads that failed are owed.
          requestTerminalReads();
          loop?.setReadOwed(true);
        },
      );
    };

    /** Reads every item that has not ended (the start, reconnects, polls). */
    const readOpenItems = (): void => {
      if (stopped) return;
      for (const id of pendingItems(state)) wanted.add(id);
      pump();
    };

    const onEnqueued = (facts: readonly RunFact[], initialRead: boolean): void => {
      if (stopped) return;
      phase = 'enqueued';
      loop = createPollLoop({ policy, scheduler, random, poll: readOpenItems, connected: socketConnected });
      feed(facts);
      if (initialRead) readOpenItems();
    };

    /** After an enqueue without an answer: the batch's items if the server has them, else `null`. */
    const findBatch = async (): Promise<RunFact[] | null> => {
      const status = await http.request({ method: 'GET', path: apiPath`/api/v1/queue/${queueId}/b/${batchId}/status`, decode: BatchStatus, signal: reads.signal });
      if (status.total === 0) return null;
      const all = await http.request({
        method: 'GET',
        path: apiPath`/api/v1/queue/${queueId}/list_all`,
        query: { destination: batch.destination },
        decode: QueueItems,
        signal: reads.signal,
      });
      // A call_saved_workflow child shares its parent's batch id; the run's items are those it enqueued.
      const ours = all.filter((item) => item.batch_id === batchId && (item.parent_item_id ?? null) === null);
      // Counted, but cleared or pruned by the time of the list: treated as absent and posted again.
      // Items pruned after they finished would then run twice; the window is the time between the
      // two reads, and the server offers no idempotency key to close it.
      if (ours.length === 0) return null;
      return [
        { kind: 'enqueued', batchId, itemIds: ours.map((item) => item.item_id), requested, enqueued: ours.length },
        ...ours.map(factOfQueueItem),
      ];
    };

    const enqueue = (attempt: number): void => {
      if (stopped) return;
      phase = 'posting';
      const posted = http.request({
        method: 'POST',
        path: apiPath`/api/v1/queue/${queueId}/enqueue_batch`,
        body: { json: { batch, prepend: options.prepend ?? false } },
        decode: EnqueueBatchResult,
      });
      enqueueSettled = posted.then(
        () => undefined,
        () => undefined,
      );
      posted.then(
        (result) => onEnqueued([factOfEnqueueResult(result)], true),
        (error: unknown) => {
          if (stopped) return;
          if (!answerLost(error)) return fail(error);
          // The POST may have reached the server: ask before sending it again.
          findBatch().then(
            (found) => {
              if (stopped) return;
              if (found !== null) return onEnqueued(found, false);
              if (attempt >= enqueueAttempts) {
                return fail(new ConnectionLostError(batchId, `the enqueue got no answer ${attempt} time(s) and the batch is not on the server`, error));
              }
              const retry = scheduler.schedule(() => enqueue(attempt + 1), backoffDelay(attempt, ENQUEUE_BACKOFF, random()));
              subscriptions.add(retry);
            },
            (statusError: unknown) => {
              if (statusError instanceof AuthError) return fail(statusError);
              fail(new ConnectionLostError(batchId, 'the enqueue got no answer and whether the batch exists could not be read', statusError));
            },
          );
        },
      );
    };

    /**
     * Another item started running while one of ours still runs as far as we know: the processor
     * has moved on, so ours has probably ended and its end was lost. Read it (at most once per
     * `pollIntervalMs`, since several processors may run items side by side).
     */
    const onProcessorHint = (event: ServerEvent): void => {
      if (stopped || phase !== 'enqueued') return;
      const running =
        event.type === 'invocation_started' || (event.type === 'queue_item_status_changed' && event.status === 'in_progress')
          ? event.item_id
          : null;
      if (running === null || running === lastRunningItem) return;
      lastRunningItem = running;
      const now = scheduler.now();
      if (now - lastHintAt < policy.pollIntervalMs) return;
      const suspects = pendingItems(state).filter((id) => {
        const item = state.items[id];
        // A status already terminal has its read asked for; `pending` with started nodes lost its `in_progress`.
        const seemsRunning = item.status === 'in_progress' || (item.status === 'pending' && Object.keys(item.started).length > 0);
        return id !== running && seemsRunning && !reading.has(id);
      });
      if (suspects.length === 0) return;
      lastHintAt = now;
      for (const id of suspects) wanted.add(id);
      pump();
    };

    const startEnqueue = (): void => {
      if (phase === 'waiting' && !stopped) enqueue(1);
    };

    subscriptions.add(
      socket.events$.subscribe({
        next: (event) => {
          if (stopped) return;
          // The shared socket carries every run's events: another batch's say nothing to this
          // run's reducer, so no fact is made of them (with many runs, most events are others').
          const fact = 'batch_id' in event && event.batch_id !== batchId ? null : factOfServerEvent(event, queueId);
          const ours = fact !== null;
          // Once the batch has been heard from, only its own events prove the socket still tells
          // it everything: a busy server must not hide that our events stopped.
          if (ours) heardFromBatch = true;
          if (ours || !heardFromBatch) loop?.activity();
          if (fact !== null) feed([fact]);
          onProcessorHint(event);
        },
        // The server refused the socket connect (AuthError).
        error: (error: unknown) => fail(error),
        complete: () => fail(new ConnectionLostError(batchId, 'the client was closed before the run ended')),
      }),
    );
    subscriptions.add(
      socket.connection$.subscribe((connection) => {
        if (stopped) return;
        if (connection.type === 'connected') {
          socketConnected = true;
          if (phase === 'waiting') startEnqueue();
          else if (phase === 'enqueued') {
            // Events of the gap are lost for good (no connection-state recovery): read the truth.
            loop?.connected();
            readOpenItems();
          }
        } else if (connection.type === 'reconnecting' || connection.type === 'disconnected') {
          if (socketConnected) loop?.disconnected();
          socketConnected = false;
          if (connection.type === 'disconnected' && connection.error !== undefined) fail(connection.error);
        }
      }),
    );
    if (!stopped && phase === 'waiting') {
      subscriptions.add(scheduler.schedule(startEnqueue, options.connectWaitMs ?? DEFAULT_CONNECT_WAIT_MS));
    }
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      subscriptions.add(
        scheduler.schedule(() => {
          if (stopped) return;
          // Nothing more is emitted; the error waits for the cancel's answer.
          stop();
          if (phase === 'waiting') return subscriber.error(new RunTimeoutError(batchId, timeoutMs, false));
          enqueueSettled
            .then(() => cancelBatch())
            .then(
              () => subscriber.error(new RunTimeoutError(batchId, timeoutMs, false)),
              (error: unknown) => subscriber.error(new RunTimeoutError(batchId, timeoutMs, true, error)),
            );
        }, timeoutMs),
      );
    }

    return () => {
      if (stopped) return;
      stop();
      if (options.cancelOnUnsubscribe === false || phase === 'waiting') return;
      enqueueSettled
        .then(() => cancelBatch())
        .catch((error: unknown) => logger?.warn?.(`run ${batchId}: canceling its items after unsubscribe failed`, { error }));
    };
  });

/** The server's models, for model inputs set by name or key (read only when a run has one). */
const listModelsOf = (context: ClientContext) => () => modelsResource(context, diagnosticSink(context.options.logger)).list();

/**
 * Runs a workflow: a cold Observable that enqueues one batch when subscribed and emits its events
 * until every item has ended (PUBLIC-API.md §3). Unsubscribing before the end cancels the unfinished
 * items on the server, unless `cancelOnUnsubscribe: false`.
 *
 * @example
 * import { createClient, ofType } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * client.run(wf, { sweep: { values: { seed: [1, 2, 3] } } })
 *   .pipe(ofType('completed'))
 *   .subscribe((done) => console.log(done.itemId, done.outputs));
 */
export const runWorkflow = (context: ClientContext, wf: Workflow, options: RunOptions = {}): Observable<RunEvent> =>
  withModelsResolved(listModelsOf(context), wf, options, (w, o) => runPipeline(context, w, o, () => undefined));

/**
 * Runs a workflow to the end: resolves with every item's outcome (item failures are results, not
 * rejections); rejects only where `runWorkflow` errors.
 *
 * @example
 * const result = await client.submit(wf);
 * for (const item of result.items) console.log(item.itemId, item.status, item.outputs);
 */
export const submitWorkflow = (context: ClientContext, wf: Workflow, options: RunOptions = {}): Promise<RunResult> =>
  settleRun<RunResult>((onResult) => withModelsResolved(listModelsOf(context), wf, options, (w, o) => runPipeline(context, w, o, onResult)), { batchId: options.batchId ?? '', items: [] });

/**
 * A run stream that hands its result to `onResult` just before completing, as a Promise of that
 * result; it rejects where the stream errors. Shared by the client's and the pool's `submit`.
 */
export const settleRun = <R>(start: (onResult: (result: R) => void) => Observable<unknown>, empty: R): Promise<R> =>
  new Promise<R>((resolve, reject) => {
    let result = empty;
    start((settled) => {
      result = settled;
    }).subscribe({ error: reject, complete: () => resolve(result) });
  });

/** Whether an input of `runMany` is a `RunRequest` (a `Workflow` value has a `_tag`). */
export const isRunRequest = (input: Workflow | RunRequest): input is RunRequest => !('_tag' in input) && 'workflow' in input;

/**
 * Runs many workflows, at most `concurrency` at once, as one stream of their events tagged with
 * the workflow's index. A run that errors errors the whole stream (the others are canceled).
 *
 * @example
 * client.runMany(workflows, { concurrency: 2 }).subscribe(({ index, event }) => console.log(index, event.type));
 */
export const runMany = (
  context: ClientContext,
  workflows: Iterable<Workflow | RunRequest>,
  options: RunManyOptions = {},
): Observable<RunManyEvent> => {
  return fanOutRuns(workflows, options, DEFAULT_CONCURRENCY, (wf, runOptions) => runWorkflow(context, wf, runOptions));
};

/**
 * Runs each workflow with `runOne` (the options of the call under those of its request), at most
 * `concurrency` at once (else `defaultConcurrency`), tagging every event with the workflow's index.
 * Shared by the client's and the pool's `runMany`.
 */
export const fanOutRuns = <E>(
  workflows: Iterable<Workflow | RunRequest>,
  options: RunManyOptions,
  defaultConcurrency: number,
  runOne: (wf: Workflow, options: RunOptions) => Observable<E>,
): Observable<{ readonly index: number; readonly event: E }> => {
  const { concurrency, ...shared } = options;
  return from(workflows).pipe(
    mergeMap((input, index) => {
      const request: RunRequest = isRunRequest(input) ? input : { workflow: input };
      return runOne(request.workflow, { ...shared, ...(request.options ?? {}) }).pipe(map((event) => ({ index, event })));
    }, Math.max(1, concurrency ?? defaultConcurrency)),
  );
};

// The run pipeline: one workflow → one batch, enqueued at most once → one stream of `RunEvent`s
// that ends with exactly one terminal event per item. Its pieces, each in a module of its own:
// - `store.ts`: the run's items, at O(1) per fact; it decides what to emit, and indexes what to read.
// - `dispatcher.ts`: the client's one subscriber of the socket, routing events to runs by batch id.
// - `enqueue.ts`: the enqueue-once step, and finding a batch on the server by its id.
// - `reads.ts`: which items to read over REST, and when; `poll.ts`: when the socket is not trusted.
// This file wires them for one subscription and owns how it ends:
// - completion right after the last terminal event;
// - a typed error only when the run as a whole cannot go on, and anything thrown inside the
//   pipeline reaches the subscriber as the stream's error (never an unhandled rejection);
// - `timeoutMs` is a hard bound: the stream errors then, whatever is in flight;
// - unsubscribing, `client.close()` and a timeout cancel what is left on the server, in the
//   background (after the enqueue POST, if it is still in flight, has settled).
//
// Correlation comes first: the batch id is chosen here and the run joins the dispatcher under it
// (and waits up to `connectWaitMs` for the socket) before the POST, so that events which beat the
// answer are kept. Socket events are the fast path; REST reads (every open item at the start unless
// the socket was connected, its queue subscription acknowledged, from before the POST to its answer;
// on each reconnect; every item at its terminal status; and by polling whenever the socket is down,
// silent or a read is owed) are the truth.
import { Observable, Subscription } from 'rxjs';
import type { ClientContext } from '../transport/context';
import { queueEndpoints } from '../transport/queue-endpoints';
import type { ServerEvent } from '../protocol/events';
import type { BatchId, ItemId } from '../protocol/ids';
import { buildBatch, countBatchItems, type Batch } from '../workflow/batch';
import { listOutputs } from '../workflow/outputs';
import type { Workflow } from '../workflow/workflow';
import type { WorkflowOutput } from '../workflow/types';
import { dispatcherOf, type RunRoute } from './dispatcher';
import { createEnqueueOnce, type LocatedBatch } from './enqueue';
import { newBatchId } from './keys';
import { CancelOutcome, ConnectionLostError, EnqueueUnconfirmedError, RunTimeoutError } from './errors';
import type { RunEvent, RunResult } from './events';
import { factOfServerEvent, type RunFact } from './facts';
import { runSettingsOf, type RunOptions } from './options';
import { createPollLoop, type PollLoop } from './poll';
import { createRunReads } from './reads';
import { RunStore } from './store';

export type { RunManyEvent, RunManyOptions, RunOptions, RunRequest } from './options';

/** A run that follows a batch already on the server: its id, the outputs its items are mapped by, and the batch as found. @internal */
export interface AttachPlan {
  readonly batchId: BatchId;
  readonly outputs: readonly WorkflowOutput[];
  readonly located?: LocatedBatch;
}

/**
 * The pipeline of one run; `onResult` (for `submit`) receives the run's result just before the
 * stream completes, and makes the run keep every item's result until then.
 * @internal
 */
export const runPipeline = (
  context: ClientContext,
  wf: Workflow | null,
  options: RunOptions,
  onResult?: (result: RunResult) => void,
  attach?: AttachPlan,
): Observable<RunEvent> =>
  new Observable<RunEvent>((subscriber) => {
    const { http, socket, scheduler, queueId, random } = context;
    const logger = context.options.logger;
    if (options.key !== undefined && options.batchId !== undefined) {
      subscriber.error(new TypeError('RunOptions: give a key or a batchId, not both (a key names its batch).'));
      return;
    }
    let batchId: BatchId;
    try {
      batchId = attach?.batchId ?? newBatchId(options, queueId);
    } catch (error) {
      subscriber.error(error);
      return;
    }
    let batch: Batch | null = null;
    let outputs: readonly WorkflowOutput[];
    try {
      if (attach !== undefined || wf === null) outputs = attach?.outputs ?? [];
      else {
        batch = buildBatch(wf, {
          batchId,
          origin: options.origin ?? `invokeai-rx:${batchId}`,
          ...(options.destination !== undefined ? { destination: options.destination } : {}),
          ...(options.runs !== undefined ? { runs: options.runs } : {}),
          ...(options.sweep !== undefined ? { sweep: options.sweep } : {}),
          ...(options.autoAddBoardId !== undefined ? { autoAddBoardId: options.autoAddBoardId } : {}),
        });
        outputs = listOutputs(wf);
      }
    } catch (error) {
      subscriber.error(error);
      return;
    }
    const settings = runSettingsOf(context, options);
    const endpoints = queueEndpoints(queueId);
    const dispatcher = dispatcherOf(socket, scheduler);
    // Reads are aborted when the run ends; the enqueue POST and the cancel are never aborted, so
    // that a batch whose POST is in flight can still be canceled once it has landed.
    const abort = new AbortController();
    const timers = new Subscription();
    let timeout: Subscription | undefined;

    /** No event, no read after this. */
    let ended = false;
    /** The subscriber was told the end (or left). */
    let told = false;
    let phase: 'waiting' | 'enqueueing' | 'enqueued' = 'waiting';
    let socketConnected = false;
    /**
     * The socket stayed connected (its queue subscription acknowledged) from before the POST to its
     * answer: every event of the batch arrived (and was kept).
     */
    let heardThroughPost = false;
    /** Whether any event of this batch arrived (then only its own events count as socket activity). */
    let heardFromBatch = false;
    let loop: PollLoop | undefined;
    let cancellation: Promise<CancelOutcome> | undefined;
    let route: RunRoute | undefined;

    /** Runs a callback of the pipeline; what it throws becomes the stream's error. */
    const guard =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A): void => {
        try {
          fn(...args);
        } catch (error) {
          fail(error);
        }
      };

    const end = (): void => {
      if (ended) return;
      ended = true;
      loop?.stop();
      timers.unsubscribe();
      reads.stop();
      abort.abort();
      enqueue.stop();
      route?.leave();
    };
    const complete = (): void => {
      if (told) return;
      end();
      told = true;
      timeout?.unsubscribe();
      onResult?.(store.result());
      subscriber.complete();
    };
    function fail(error: unknown): void {
      if (told) return;
      end();
      told = true;
      timeout?.unsubscribe();
      subscriber.error(error);
    }

    /** Cancels the batch on the server once its POST has settled, at most once; never rejects. */
    const cancelInBackground = (): Promise<CancelOutcome> => {
      if (cancellation !== undefined) return cancellation;
      const canceling = (async (): Promise<CancelOutcome> => {
        if (!enqueue.mayExist()) return { type: 'nothing_to_cancel' };
        await enqueue.posted();
        if (!enqueue.mayExist()) return { type: 'nothing_to_cancel' };
        try {
          const answer = await http.request(endpoints.cancelBatches([batchId]));
          return { type: 'canceled', canceled: answer.canceled };
        } catch (error) {
          try {
            logger?.warn?.(`run ${batchId}: canceling its batch on the server failed; it may still run`, { error });
          } catch {
            // A logger that throws must not turn the outcome into a rejection.
          }
          return { type: 'failed', error };
        }
      })();
      cancellation = canceling;
      dispatcher.track(canceling);
      return canceling;
    };

    /** Ends the run now and errors once the batch is canceled (or at `timeoutMs`, if that comes first). */
    const failAfterCancel = (makeError: (canceling: Promise<CancelOutcome>) => unknown): void => {
      if (ended) return;
      const canceling = cancelInBackground();
      end();
      void canceling.then(guard(() => fail(makeError(canceling))));
    };

    const store = new RunStore(
      { batchId, outputs },
      {
        keepResults: onResult !== undefined,
        listener: { needsSnapshot: (itemId) => reads.needsSnapshot(itemId), ended: (itemId) => reads.ended(itemId) },
      },
    );

    /** Applies facts, emits what they cause, and asks for the reads they make owed. */
    const feed = (facts: readonly RunFact[]): void => {
      if (ended) return;
      const out: RunEvent[] = [];
      let cleared = false;
      for (const fact of facts) {
        store.apply(fact, out);
        if (fact.kind === 'queue_cleared') cleared = true;
      }
      for (const event of out) {
        subscriber.next(event);
        // A subscriber may leave from inside `next` (take, first ...).
        if (ended) return;
      }
      if (store.isDone()) return complete();
      // A queue clear may have deleted any open item, or none of ours (its event can be late): read them now.
      if (cleared && store.enqueue !== null) reads.readInDoubt();
      reads.flush();
      route?.setRunning(store.running.size > 0);
    };

    const reads = createRunReads({
      http,
      endpoints,
      store,
      batchId,
      signal: abort.signal,
      maxReadFailures: settings.maxReadFailures,
      hintIntervalMs: settings.policy.pollIntervalMs,
      scheduler,
      ...(logger !== undefined ? { logger } : {}),
      feed,
      fail,
      setOwed: (owed) => loop?.setReadOwed(owed),
      isStopped: () => ended,
      guard,
    });

    const enqueue = createEnqueueOnce({
      http,
      queueId,
      scheduler,
      random,
      ...(logger !== undefined ? { logger } : {}),
      signal: abort.signal,
      mode: attach !== undefined ? 'attach' : options.key !== undefined ? 'look-first' : 'enqueue',
      batch,
      ...(attach?.located !== undefined ? { located: attach.located } : {}),
      batchId,
      prepend: options.prepend ?? false,
      requested: batch !== null ? countBatchItems(batch) : (attach?.located?.status.total ?? 0),
      attempts: settings.enqueueAttempts,
      followMs: settings.enqueueFollowMs,
      policy: settings.policy,
      maxReadFailures: settings.maxReadFailures,
      guard,
      onEnqueued: (facts, answered) => {
        if (ended) return;
        phase = 'enqueued';
        loop = createPollLoop({
          policy: settings.policy,
          scheduler,
          random,
          poll: guard(reads.readOpen),
          connected: socketConnected,
          // Until the batch is heard from, any event proves the socket alive.
          sharedActivityAt: () => (heardFromBatch || route === undefined ? Number.NEGATIVE_INFINITY : route.lastEventAt()),
        });
        feed(facts);
        // Events of the batch that beat the answer were kept, so with the socket connected all along
        // nothing is missing. Otherwise (no socket yet, a reconnect, a batch found by its id) read
        // what is open.
        if (!ended && !(answered && heardThroughPost)) reads.readOpen();
      },
      onFailed: fail,
      onUnconfirmed: (reason, cause) => failAfterCancel((canceling) => new EnqueueUnconfirmedError(batchId, reason, canceling, cause)),
    });

    const startEnqueue = (): void => {
      if (phase !== 'waiting' || ended) return;
      phase = 'enqueueing';
      heardThroughPost = socketConnected;
      enqueue.start();
    };

    route = dispatcher.join({
      batchId,
      onBatchEvent: guard((event: ServerEvent) => {
        if (ended) return;
        heardFromBatch = true;
        loop?.activity();
        if (phase === 'enqueueing') enqueue.nudge();
        const fact = factOfServerEvent(event, queueId);
        if (fact !== null) feed([fact]);
      }),
      onQueueEvent: guard((event: ServerEvent) => {
        const fact = factOfServerEvent(event, queueId);
        if (fact !== null) feed([fact]);
      }),
      onProcessorMoved: guard((itemId: ItemId) => {
        if (!ended && phase === 'enqueued') reads.processorMoved(itemId);
      }),
      onConnection: guard((connection) => {
        if (ended) return;
        if (connection.type === 'connected') {
          socketConnected = true;
          if (phase === 'waiting') startEnqueue();
          else if (phase === 'enqueueing') enqueue.nudge();
          else {
            // Events of the gap are lost for good (no connection-state recovery): read the truth.
            loop?.connected();
            reads.readOpen();
          }
        } else if (connection.type === 'reconnecting' || connection.type === 'disconnected') {
          if (socketConnected) loop?.disconnected();
          socketConnected = false;
          heardThroughPost = false;
          if (connection.type === 'disconnected' && connection.error !== undefined) fail(connection.error);
        }
      }),
      onSocketEnd: guard((error?: unknown) => {
        if (ended) return;
        // Refused by the server (an AuthError): REST would be refused too.
        if (error !== undefined) return fail(error);
        // The client was closed: what is left is canceled, as when the subscriber leaves.
        if (options.cancelOnUnsubscribe !== false) cancelInBackground();
        fail(new ConnectionLostError(batchId, 'the client was closed before the run ended'));
      }),
    });

    timers.add(scheduler.schedule(guard(startEnqueue), settings.connectWaitMs));
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      timeout = scheduler.schedule(
        guard(() => {
          if (told) return;
          fail(new RunTimeoutError(batchId, timeoutMs, cancelInBackground()));
        }),
        timeoutMs,
      );
    }
    route.listen();

    return () => {
      if (told) return end();
      told = true;
      timeout?.unsubscribe();
      const wasEnded = ended;
      end();
      if (!wasEnded && options.cancelOnUnsubscribe !== false) cancelInBackground();
    };
  });

/**
 * Runs a workflow: a cold Observable that enqueues one batch when subscribed and emits its events
 * until every item has ended. Unsubscribing before the end cancels the unfinished items on the
 * server, unless `cancelOnUnsubscribe: false`.
 *
 * @example
 * import { ofType } from 'invokeai-rx';
 * runWorkflow(client.context, wf, { runs: 3 })
 *   .pipe(ofType('completed'))
 *   .subscribe((done) => console.log(done.itemId, done.outputs));
 * @internal
 */
export const runWorkflow = (context: ClientContext, wf: Workflow, options: RunOptions = {}): Observable<RunEvent> =>
  runPipeline(context, wf, options);

// The pool's engine: the runs of the pool and the parts that move them. A run waits in the
// `WaitingRoom` until the dispatcher finds it a server (`dispatcher.ts`), runs there as batches of
// the client's own runs (`batches.ts`), and is followed through its servers' health
// (`membership.ts`); it ends when its last batch has ended, or with the first error that ends it.
import { BehaviorSubject, Observable, defer } from 'rxjs';
import { newBatchId } from '../run/keys';
import type { BatchId } from '../protocol/ids';
import type { RunOptions } from '../run/run';
import type { Workflow } from '../workflow/workflow';
import { newAttempt } from './attempt';
import { createBatches } from './batches';
import { createDispatcher } from './dispatcher';
import { needsModelsOf } from './eligibility';
import { PoolClosedError } from './errors';
import type { PoolRunEvent, PoolRunResult } from './events';
import { memberStatus } from './members';
import { createMembership } from './membership';
import type { EngineSettings } from './options';
import type { Attempt, Member, RunHandle } from './state';
import type { PoolStatus } from './status';
import { WaitingRoom } from './waiting';

/** What the pool's facade drives. */
export interface PoolEngine {
  /** A run through the pool: cold; `onResult` gets its result just before it completes. */
  readonly run: (wf: Workflow, options: RunOptions, onResult: (result: PoolRunResult) => void) => Observable<PoolRunEvent>;
  readonly status$: Observable<PoolStatus>;
  /** Ends every run (`PoolClosedError`), stops watches and probes, closes the clients the pool owns. */
  readonly close: () => void;
}

/** The engine over these servers. */
export const createPoolEngine = (members: ReadonlyArray<Member>, settings: EngineSettings): PoolEngine => {
  const room = new WaitingRoom();
  const handles = new Set<RunHandle>();
  let started = false;
  let closed = false;
  const isClosed = (): boolean => closed;
  const isGone = (attempt: Attempt): boolean => attempt.done || attempt.handle.ended;

  const snapshot = (): PoolStatus => ({ servers: members.map(memberStatus), waiting: room.count(isGone) });
  const status = new BehaviorSubject<PoolStatus>(snapshot());
  // Nobody watching: the snapshot is built when someone subscribes, not on every dispatch.
  let stale = false;
  const publish = (): void => {
    if (closed) return;
    stale = !status.observed;
    if (!stale) status.next(snapshot());
  };

  // The three parts call each other only through these hooks, each after all are made.
  const membership = createMembership({
    isClosed,
    loseBatchesOf: (member) => {
      for (const attempt of [...member.load.attempts]) batches.lose(attempt);
    },
    pump: () => pump(),
    publish,
    logger: settings.logger,
    scheduler: settings.scheduler,
    random: settings.random,
    probePolicy: settings.probePolicy,
  });
  const batches = createBatches({
    room,
    scheduler: settings.scheduler,
    requeueOnServerLoss: settings.requeueOnServerLoss,
    isClosed,
    pump: () => pump(),
    settleRun: (handle) => settleIfDone(handle),
    endRun: (handle, error) => endHandle(handle, error),
    checkServer: membership.check,
  });
  const pump = createDispatcher({
    members,
    room,
    settings,
    isClosed,
    start: batches.start,
    endRun: (handle, error) => endHandle(handle, error),
    loadModels: membership.loadModels,
    publish,
  });

  function settleIfDone(handle: RunHandle): void {
    if (handle.ended || handle.attempts.size > 0) return;
    handle.ended = true;
    handles.delete(handle);
    const items = [...handle.slots.entries()].sort((a, b) => a[0] - b[0]).map(([, item]) => item);
    // A run that completes enqueued at least one batch: the fallback only satisfies the type.
    handle.complete({ batchId: handle.batches[0]?.batchId ?? ((handle.options.batchId ?? '') as BatchId), items, batches: handle.batches });
  }

  /** Ends a run's batches; their client runs cancel what is left on the server (unless `cancelOnUnsubscribe: false`). */
  function releaseHandle(handle: RunHandle): void {
    handle.ended = true;
    handles.delete(handle);
    for (const attempt of [...handle.attempts]) {
      const sub = attempt.sub;
      batches.detach(attempt);
      sub?.unsubscribe();
    }
  }

  function endHandle(handle: RunHandle, error: unknown): void {
    if (handle.ended) return;
    releaseHandle(handle);
    handle.fail(error);
    pump();
  }

  const ensureStarted = (): void => {
    if (started || closed) return;
    started = true;
    members.forEach(membership.watch);
  };

  const run = (wf: Workflow, runOptions: RunOptions, onResult: (result: PoolRunResult) => void): Observable<PoolRunEvent> =>
    new Observable<PoolRunEvent>((subscriber) => {
      if (closed) {
        subscriber.error(new PoolClosedError());
        return;
      }
      ensureStarted();
      const handle: RunHandle = {
        workflow: wf,
        options: runOptions,
        emit: (event) => {
          if (!subscriber.closed) subscriber.next(event);
        },
        fail: (error) => subscriber.error(error),
        complete: (result) => {
          onResult(result);
          subscriber.complete();
        },
        attempts: new Set(),
        slots: new Map(),
        batches: [],
        needsModels: needsModelsOf(wf),
        expansion: undefined,
        synced: new Map(),
        ended: false,
      };
      handles.add(handle);
      // A keyed run's first batch is named by its key (its servers share one queue id); the client
      // that takes it looks it up before posting.
      let batchId: BatchId;
      try {
        batchId = newBatchId(runOptions, members[0]!.config.client.context.queueId);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      room.waitLast(newAttempt(handle, { part: null, positions: null, retryOf: undefined, splittable: true, batchId }));
      pump();
      return () => {
        if (handle.ended) return;
        releaseHandle(handle);
        pump();
      };
    });

  const close = (): void => {
    if (closed) return;
    // Closed first, so that ending one run does not dispatch another that waits.
    closed = true;
    for (const handle of [...handles]) endHandle(handle, new PoolClosedError());
    room.clear();
    membership.unwatchAll(members);
    for (const member of members) if (member.config.owned) member.config.client.close();
    status.complete();
  };

  return {
    run,
    status$: defer(() => {
      ensureStarted();
      if (stale && !closed) {
        stale = false;
        status.next(snapshot());
      }
      return status.asObservable();
    }),
    close,
  };
};

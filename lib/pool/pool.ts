// createPool: several InvokeAI servers driven as one, with the client's run contract: `run`,
// `submit` and `runMany` as the client's, each event also naming the server it ran on. The engine
// (engine.ts) decides where runs go; this file turns the options into servers and settings.
import { Observable, defer, map, switchMap, throwError } from 'rxjs';
import type { InvokeAIClient } from '../client/client';
import { fanOutRuns, settleRun } from '../run/many';
import type { AttachOptions, RunManyOptions, RunOptions, RunRequest } from '../run/options';
import { attachPipeline } from '../run/attach';
import { AttachError } from '../run/errors';
import { batchIdOfKey } from '../run/keys';
import { BatchId } from '../protocol/ids';
import type { Workflow } from '../workflow/workflow';
import { createPoolEngine } from './engine';
import type { PoolRunEvent, PoolRunManyEvent, PoolRunResult } from './events';
import { createMembers } from './members';
import { settingsOf, type PoolOptions, type PoolServer } from './options';
import type { PoolStatus } from './status';
import type { Member } from './state';
import { queue } from '../client/queue';

/** Many InvokeAI servers as one, with the client's run contract. */
export interface InvokeAIPool {
  /**
   * Runs a workflow on a server of the pool: cold; the client's `RunEvent`s, each with its `server`.
   * The run's options apply to each batch it becomes (`timeoutMs` counts from its dispatch, not
   * from the time it waited in the pool).
   */
  readonly run: (wf: Workflow, options?: RunOptions) => Observable<PoolRunEvent>;
  /** The same run as a Promise; items in sweep order. */
  readonly submit: (wf: Workflow, options?: RunOptions) => Promise<PoolRunResult>;
  /** Many runs, at most `concurrency` at once (default: unbounded, the servers' slots bound them), tagged with their index. */
  readonly runMany: (workflows: Iterable<Workflow | RunRequest>, options?: RunManyOptions) => Observable<PoolRunManyEvent>;
  /**
   * Follows a batch enqueued earlier on one of the servers (looked up on each): the client's
   * `attach`, each event with its server. `AttachError` when no server has it.
   */
  readonly attach: (batchId: string, options?: AttachOptions) => Observable<PoolRunEvent>;
  /** The same as a Promise of its result. */
  readonly attachResult: (batchId: string, options?: AttachOptions) => Promise<PoolRunResult>;
  /** Per server: connection, health, queue counts, in flight. Replays the latest; completes on `close()`. */
  readonly status$: Observable<PoolStatus>;
  /** The servers' clients, by pool position. */
  readonly clients: ReadonlyArray<InvokeAIClient>;
  /** Ends every run (`PoolClosedError`), stops probes and subscriptions, closes the clients it created. */
  readonly close: () => void;
}

/**
 * Drives several InvokeAI servers as one: `run`, `submit` and `runMany` as the client's, whose
 * events also say which server ran them.
 *
 * @example
 * import { createPool } from 'invokeai-rx';
 * const pool = createPool(['http://gpu1:9090', 'http://gpu2:9090'], { maxInFlightPerServer: 2, requeueOnServerLoss: true });
 * pool.run(wf, { sweep: { values: { seed: [1, 2, 3, 4] } } })
 *   .subscribe((event) => console.log(event.server.url, event.type));
 * // ...
 * pool.close();
 */
export const createPool = (servers: ReadonlyArray<PoolServer>, options: PoolOptions = {}): InvokeAIPool => {
  if (servers.length === 0) throw new RangeError('createPool needs at least one server (a URL, a client, or { url | client, ... }).');
  const members = createMembers(servers, options);
  const engine = createPoolEngine(members, settingsOf(options));

  /** The server that has the batch (asked in parallel; one that cannot be asked counts as not having it). */
  const findBatch = async (idOn: (member: Member) => BatchId): Promise<{ member: Member; batchId: BatchId } | null> => {
    const looks = await Promise.all(
      members.map(async (member) => {
        const batchId = idOn(member);
        const status = await queue(member.config.client).batchStatus(batchId).catch(() => null);
        return status !== null && status.total > 0 ? { member, batchId } : null;
      }),
    );
    return looks.find((found) => found !== null) ?? null;
  };

  /** Follows a batch on one server, with the server on every event and item. */
  const attachOn = (member: Member, batchId: BatchId, options: AttachOptions, onResult: (result: PoolRunResult) => void): Observable<PoolRunEvent> => {
    const server = member.config.ref;
    return attachPipeline(member.config.client.context, batchId, options, (result) =>
      onResult({ batchId: result.batchId, batches: [{ batchId: result.batchId, server }], items: result.items.map((item) => ({ ...item, batchId: result.batchId, server })) }),
    ).pipe(map((event) => ({ ...event, server }) as PoolRunEvent));
  };

  const attachAny = (batchId: string, options: AttachOptions, onResult: (result: PoolRunResult) => void): Observable<PoolRunEvent> =>
    // An empty id names no batch on any server.
    defer(() => (BatchId.is(batchId) ? findBatch(() => batchId) : Promise.resolve(null))).pipe(
      switchMap((found) => (found === null ? throwError(() => new AttachError(batchId, 'not_found')) : attachOn(found.member, found.batchId, options, onResult))),
    );

  /**
   * A keyed run: when a server has the key's batch, follow it there; else the engine dispatches it
   * (and the client it goes to looks it up once more before posting). A server that cannot be asked
   * is taken not to have it.
   */
  const runKeyed = (wf: Workflow, runOptions: RunOptions, onResult: (result: PoolRunResult) => void): Observable<PoolRunEvent> => {
    const key = runOptions.key;
    if (key === undefined) return engine.run(wf, runOptions, onResult);
    return defer(() => findBatch((member) => batchIdOfKey(key, member.config.client.context.queueId))).pipe(
      switchMap((found) => {
        if (found === null) return engine.run(wf, runOptions, onResult);
        const { timeoutMs, cancelOnUnsubscribe, pollIntervalMs, maxPollIntervalMs, silenceMs, connectWaitMs, maxReadFailures } = runOptions;
        const follow: AttachOptions = { workflow: wf, timeoutMs, cancelOnUnsubscribe, pollIntervalMs, maxPollIntervalMs, silenceMs, connectWaitMs, maxReadFailures };
        return attachOn(found.member, found.batchId, follow, onResult);
      }),
    );
  };

  const run = (wf: Workflow, runOptions: RunOptions = {}): Observable<PoolRunEvent> => runKeyed(wf, runOptions, () => undefined);

  return {
    run,
    submit: (wf, runOptions = {}) => settleRun<PoolRunResult>((onResult) => runKeyed(wf, runOptions, onResult)),
    attach: (batchId, attachOptions = {}) => attachAny(batchId, attachOptions, () => undefined),
    attachResult: (batchId, attachOptions = {}) => settleRun<PoolRunResult>((onResult) => attachAny(batchId, attachOptions, onResult)),
    // Unbounded by default: the servers' slots already bound what runs at once.
    runMany: (workflows, manyOptions = {}) => fanOutRuns(workflows, manyOptions, Number.POSITIVE_INFINITY, run),
    status$: engine.status$,
    clients: members.map((m) => m.config.client),
    close: engine.close,
  };
};

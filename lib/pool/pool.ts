// createPool: several InvokeAI servers driven as one, with the client's run contract: `run`,
// `submit` and `runMany` as the client's, each event also naming the server it ran on. The engine
// (engine.ts) decides where runs go; this file turns the options into servers and settings.
import type { Observable } from 'rxjs';
import type { InvokeAIClient } from '../client/client';
import { fanOutRuns, settleRun } from '../run/many';
import type { RunManyOptions, RunOptions, RunRequest } from '../run/options';
import type { Workflow } from '../workflow/workflow';
import { createPoolEngine } from './engine';
import type { PoolRunEvent, PoolRunManyEvent, PoolRunResult } from './events';
import { createMembers } from './members';
import { settingsOf, type PoolOptions, type PoolServer } from './options';
import type { PoolStatus } from './status';

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

  const run = (wf: Workflow, runOptions: RunOptions = {}): Observable<PoolRunEvent> => engine.run(wf, runOptions, () => undefined);

  return {
    run,
    submit: (wf, runOptions = {}) =>
      settleRun<PoolRunResult>((onResult) => engine.run(wf, runOptions, onResult)),
    // Unbounded by default: the servers' slots already bound what runs at once.
    runMany: (workflows, manyOptions = {}) => fanOutRuns(workflows, manyOptions, Number.POSITIVE_INFINITY, run),
    status$: engine.status$,
    clients: members.map((m) => m.config.client),
    close: engine.close,
  };
};

// What `createPool` is given: the servers (URLs, clients, or either with what each may run and
// take) and the options of the pool as a whole, and those options with their defaults.
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { InvokeAIClient } from '../client/client';
import type { BackoffPolicy } from '../internal/backoff';
import type { ClientOptions } from '../transport/context';
import type { Logger } from '../transport/http';
import { redactingLogger } from '../transport/redact';
import type { SyncModelsOptions } from '../workflow/sync-models';
import type { Workflow } from '../workflow/workflow';
import type { DispatchStrategy } from './dispatch';
import { DEFAULT_PROBE_POLICY } from './health';

/** One server of the pool, with what it may run and how much it may take. */
export interface PoolServerOptions {
  /** A client to use (the pool does not close it unless `closeClients`)... */
  readonly client?: InvokeAIClient;
  /** ...or the URL of a server, for which the pool creates (and closes) a client. */
  readonly url?: string;
  /** Only workflows this returns true for go to this server (default: all). */
  readonly accepts?: (wf: Workflow) => boolean;
  /** Relative speed for least-loaded dispatch and sweep shares (default: learned from the items it runs, see `learnSpeed`). */
  readonly weight?: number;
  /** Runs in flight there at most (default: the pool's `maxInFlightPerServer`). */
  readonly maxInFlight?: number;
}

/** A server given to `createPool`: a URL, a client, or both with options. */
export type PoolServer = string | InvokeAIClient | PoolServerOptions;

/** Options of `createPool`. */
export interface PoolOptions {
  /** How a server is chosen among those that can take a run now (default `least-loaded`). */
  readonly strategy?: DispatchStrategy;
  /** Runs in flight per server at most; further runs wait in the pool (default 4). */
  readonly maxInFlightPerServer?: number;
  /** Send the unfinished items of a run whose server was lost to another server, as a new batch (default false: they end `failed` with `server_lost`). */
  readonly requeueOnServerLoss?: boolean;
  /** Split a sweep (or `runs` > 1) into per-server batches in proportion to free capacity and speed (default false). Workflows with batch nodes are never split. */
  readonly splitSweeps?: boolean;
  /**
   * Learn each server's speed from how long its items of each workflow take (from `in_progress` to
   * `completed`; the first item of a workflow on a server is a warm-up, not counted) and weigh
   * dispatch and sweep shares by it, for servers given no `weight` (default true). Until two
   * servers have a measure for the workflow, all count the same.
   */
  readonly learnSpeed?: boolean;
  /** How workflows' model fields are matched to a server's models (see `syncModels`); `false` turns the model check off. */
  readonly modelSync?: SyncModelsOptions | false;
  /** Backoff of the probes of a server out of rotation (default 500 ms doubling to 15 s, half jitter). */
  readonly probe?: Partial<BackoffPolicy>;
  /** Options of the clients the pool creates from URLs. */
  readonly clientOptions?: Omit<ClientOptions, 'baseUrl'>;
  /** Close the clients given to the pool too, on `close()` (default false). */
  readonly closeClients?: boolean;
  /** Timers of the probes (tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** The source of probe jitter, 0..1. */
  readonly random?: () => number;
  readonly logger?: Logger;
}

/** The pool options the engine acts on, defaults applied. */
export interface EngineSettings {
  readonly strategy: DispatchStrategy;
  readonly modelSync: SyncModelsOptions | false | undefined;
  readonly splitSweeps: boolean;
  readonly requeueOnServerLoss: boolean;
  readonly learnSpeed: boolean;
  readonly probePolicy: BackoffPolicy;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly logger: Logger | undefined;
}

/** The options with their defaults. */
export const settingsOf = (options: PoolOptions): EngineSettings => ({
  strategy: options.strategy ?? 'least-loaded',
  modelSync: options.modelSync,
  splitSweeps: options.splitSweeps === true,
  requeueOnServerLoss: options.requeueOnServerLoss === true,
  learnSpeed: options.learnSpeed !== false,
  probePolicy: { ...DEFAULT_PROBE_POLICY, ...(options.probe ?? {}) },
  scheduler: options.scheduler ?? asyncScheduler,
  random: options.random ?? Math.random,
  // Pool lines name servers by URL: redacted like the clients' own.
  logger: redactingLogger(options.logger ?? options.clientOptions?.logger),
});

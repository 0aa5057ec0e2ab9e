// createPool: several InvokeAI servers driven as one, with the client's run contract (issue 9).
//
// How a run travels:
// - a run waits in the pool until a server can take it: one that accepts the workflow, resolves its
//   models (`syncModels` against the server's cached model list; the synced workflow is what is
//   sent), is in rotation, and has a free slot (`maxInFlightPerServer`). The strategy picks among
//   those; the least loaded by default, from the live queue counts and what the pool has in flight.
// - on the server it is the client's own run (`client.run`), whose events are passed on with the
//   server added, so the pool keeps every guarantee of the pipeline (correlation, exactly-once
//   enqueue, one terminal event per item).
// - when a server is lost (socket down and REST failing, or a run of it losing its connection), a
//   run not yet enqueued there goes elsewhere; an enqueued one is never enqueued again as it is: its
//   open items end `failed` with `server_lost`, or (`requeueOnServerLoss`) just those items are sent
//   elsewhere as a new batch whose events carry `retryOf`. The server is probed with backoff; when it
//   answers again it rejoins, and the batches the pool abandoned there are canceled, so that a server
//   that kept its queue does not run them a second time.
import {
  BehaviorSubject,
  Observable,
  SchedulerLike,
  Subscription,
  asyncScheduler,
  defer,
  from,
} from 'rxjs';
import { BackoffPolicy } from '../internal/backoff';
import { InvokeAIClient, createClient } from '../client/client';
import type { ClientOptions } from '../transport/context';
import type { Logger } from '../transport/http';
import type { ConnectionState } from '../transport/socket';
import type { SessionQueueStatus } from '../protocol/dto';
import type { BatchId, ItemId } from '../protocol/ids';
import { ConnectionLostError, describeError } from '../run/errors';
import { isTerminalRunEvent, type EnqueuedEvent, type RunEvent } from '../run/events';
import { fanOutRuns, settleRun } from '../run/many';
import type { RunManyOptions, RunOptions, RunRequest } from '../run/options';
import { batchNodeData } from '../workflow/batch';
import { uuidV4 } from '../internal/uuid';
import { ModelRecord, ModelSync, SyncModelsOptions, UnresolvedModel, syncModels } from '../workflow/sync-models';
import type { Workflow } from '../workflow/types';
import { DispatchStrategy, ServerLoad, SweepItem, chooseServer, expandSweep, freeCapacity, itemsAsRun, learnedWeights, nextMsPerItem, shareByCapacity } from './dispatch';
import { Ineligibility, NoEligibleServerError, PoolClosedError } from './errors';
import { PoolRunEvent, PoolRunItemResult, PoolRunManyEvent, PoolRunResult, PoolServerRef, RetryRef, SERVER_LOST } from './events';
import { DEFAULT_PROBE_POLICY, probeUntilUp } from './health';

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

/** Whether a server is in rotation: `suspect` while a failed connection is being checked, `down` while probed. */
export type ServerHealth = 'up' | 'suspect' | 'down';

/** One server in `pool.status$`. */
export interface PoolServerStatus extends PoolServerRef {
  /** The socket's state (`idle` before the pool first used it). */
  readonly connection: ConnectionState['type'] | 'idle';
  readonly health: ServerHealth;
  /** The server's queue counts, live; `null` until first read. */
  readonly queue: SessionQueueStatus | null;
  /** Runs of the pool in flight there. */
  readonly inFlight: number;
  /** Their items that have not ended. */
  readonly inFlightItems: number;
  /** Runs (batches) the pool has sent there so far. */
  readonly dispatched: number;
  /**
   * The learned time per item in ms (a moving average), by workflow (its id, else its name), once
   * two items of it finished there (the first is a warm-up: it may include loading the models).
   */
  readonly msPerItem: Readonly<Record<string, number>>;
}

/** `pool.status$`: every server, and the runs waiting in the pool for a server. */
export interface PoolStatus {
  readonly servers: ReadonlyArray<PoolServerStatus>;
  readonly waiting: number;
}

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

const DEFAULT_MAX_IN_FLIGHT = 4;
/** Times a batch not yet enqueued is moved to another server after a connection loss before its run errors. */
const MAX_MOVES = 5;

interface Member {
  readonly ref: PoolServerRef;
  readonly client: InvokeAIClient;
  readonly owned: boolean;
  readonly accepts: (wf: Workflow) => boolean;
  /** The weight the user gave, if any (it then overrides the learned speed). */
  readonly weight: number | undefined;
  readonly maxInFlight: number;
  /** What it has learned of its speed, by workflow key. */
  readonly speed: Map<string, LearnedSpeed>;
  health: ServerHealth;
  connection: ConnectionState['type'] | 'idle';
  everConnected: boolean;
  queue: SessionQueueStatus | null;
  readonly attempts: Set<Attempt>;
  models: ReadonlyArray<ModelRecord> | undefined;
  modelsVersion: number;
  modelsLoading: boolean;
  modelsFailed: boolean;
  /** Batch ids the pool gave up on here (the server was lost); canceled when it returns. */
  readonly abandoned: Set<string>;
  lastDispatch: number;
  dispatched: number;
  checking: boolean;
  probe: Subscription | undefined;
  /** Its client was closed (or refused): out of rotation for good. */
  retired: boolean;
}

interface Handle {
  readonly workflow: Workflow;
  readonly options: RunOptions;
  readonly emit: (event: PoolRunEvent) => void;
  readonly fail: (error: unknown) => void;
  readonly complete: (result: PoolRunResult) => void;
  readonly attempts: Set<Attempt>;
  readonly slots: Map<number, PoolRunItemResult>;
  readonly batches: Array<{ readonly batchId: BatchId; readonly server: PoolServerRef }>;
  readonly needsModels: boolean;
  /** The run's items in server order, or `null` when they cannot be expressed as a sweep (batch nodes). Computed when first needed. */
  expansion: SweepItem[] | null | undefined;
  readonly synced: Map<number, { readonly version: number; readonly sync: ModelSync }>;
  ended: boolean;
}

interface Attempt {
  readonly handle: Handle;
  /** `null`: the run's own `runs` / `sweep`; else the items this batch enqueues. */
  readonly part: { readonly runs: number; readonly sweep?: RunOptions['sweep'] } | null;
  /** The run's positions of this batch's items, in item order; `null` = 0, 1, 2 ... */
  readonly positions: readonly number[] | null;
  readonly retryOf: RetryRef | undefined;
  /** Whether it may still be split over servers (the run's first attempt). */
  readonly splittable: boolean;
  readonly batchId: string;
  member: Member | undefined;
  sub: Subscription | undefined;
  enqueued: EnqueuedEvent | null;
  /** Its items that have not ended, each with its position in the run (its key in `slots`; -1: none). */
  readonly open: Map<ItemId, number>;
  /** No more events of it count (ended, lost, or its run ended). */
  done: boolean;
  /** How often this batch was moved to another server before it was enqueued. */
  readonly moves: number;
  /** When each of its items went in progress (scheduler time); gone with the attempt. */
  readonly itemStarts: Map<number, number>;
  /** The eligibility signature it was last checked under, and the servers that could take it then. */
  checkedSignature: string | undefined;
  okMembers: ReadonlySet<number>;
}

/** A server's learned time per item for one workflow. */
interface LearnedSpeed {
  readonly samples: number;
  readonly msPerItem: number | undefined;
}

// Workflows are immutable values, and a work list often repeats one: what the pool asks of a
// workflow on every run is worked out once per value.
const modelNeeds = new WeakMap<Workflow, boolean>();
const batchNodeUse = new WeakMap<Workflow, boolean>();

const workflowKeys = new WeakMap<Workflow, string>();

/** What the pool learns speeds by: the workflow's id, else its name (items of one workflow cost alike). */
const workflowKeyOf = (wf: Workflow): string => {
  let key = workflowKeys.get(wf);
  if (key === undefined) {
    key = wf.json.id !== undefined && wf.json.id !== '' ? wf.json.id : wf.json.name !== '' ? wf.json.name : 'workflow';
    workflowKeys.set(wf, key);
  }
  return key;
};

/** Whether the workflow has model fields (so servers are checked for its models). */
const needsModelsOf = (wf: Workflow): boolean => {
  let needs = modelNeeds.get(wf);
  if (needs === undefined) {
    try {
      needs = syncModels(wf, []).unresolved.length > 0;
    } catch {
      // A workflow the matcher cannot read is the client's to reject.
      needs = false;
    }
    modelNeeds.set(wf, needs);
  }
  return needs;
};

/** Whether the workflow has batch nodes (its items are then never split or requeued). */
const hasBatchNodes = (wf: Workflow): boolean => {
  let has = batchNodeUse.get(wf);
  if (has === undefined) {
    has = batchNodeData(wf).length > 0;
    batchNodeUse.set(wf, has);
  }
  return has;
};

const isClient = (server: PoolServer): server is InvokeAIClient =>
  typeof server === 'object' && 'run' in server && 'context' in server && typeof server.run === 'function';

const toModelRecord = (m: { key: string; name: string; base: string; type: string; hash?: string; format?: string }): ModelRecord => ({
  key: m.key,
  name: m.name,
  base: m.base,
  type: m.type,
  ...(m.hash !== undefined ? { hash: m.hash } : {}),
  ...(m.format !== undefined ? { format: m.format } : {}),
});

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
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? options.clientOptions?.logger;
  const probePolicy: BackoffPolicy = { ...DEFAULT_PROBE_POLICY, ...(options.probe ?? {}) };
  const defaultMax = Math.max(1, options.maxInFlightPerServer ?? DEFAULT_MAX_IN_FLIGHT);
  const strategy: DispatchStrategy = options.strategy ?? 'least-loaded';
  const modelSync = options.modelSync;

  const members: Member[] = servers.map((server, index) => {
    const spec: PoolServerOptions = typeof server === 'string' ? { url: server } : isClient(server) ? { client: server } : server;
    const owned = spec.client === undefined;
    if (spec.client === undefined && spec.url === undefined) throw new TypeError(`Pool server ${index} has neither a url nor a client; give one.`);
    const client = spec.client ?? createClient({ ...(options.clientOptions ?? {}), baseUrl: spec.url as string });
    return {
      ref: { index, url: client.context.baseUrl },
      client,
      owned: owned || options.closeClients === true,
      accepts: spec.accepts ?? (() => true),
      weight: spec.weight !== undefined && spec.weight > 0 ? spec.weight : undefined,
      speed: new Map(),
      maxInFlight: Math.max(1, spec.maxInFlight ?? defaultMax),
      health: 'up',
      connection: 'idle',
      everConnected: false,
      queue: null,
      attempts: new Set(),
      models: undefined,
      modelsVersion: 0,
      modelsLoading: false,
      modelsFailed: false,
      abandoned: new Set(),
      lastDispatch: 0,
      dispatched: 0,
      checking: false,
      probe: undefined,
      retired: false,
    };
  });

  // Runs waiting for a server. Sent-back batches (their server was lost) wait in front of new runs;
  // a Set keeps the new ones in order with O(1) removal. `unchecked` holds the waiting runs not yet
  // checked against the servers as they are now (see `eligibilitySignature`).
  let waitingFront: Attempt[] = [];
  const waitingBack = new Set<Attempt>();
  const unchecked = new Set<Attempt>();
  const waitFirst = (attempt: Attempt): void => {
    waitingFront.unshift(attempt);
    unchecked.add(attempt);
  };
  const waitLast = (attempt: Attempt): void => {
    waitingBack.add(attempt);
    unchecked.add(attempt);
  };
  const isGone = (attempt: Attempt): boolean => attempt.done || attempt.handle.ended;
  const handles = new Set<Handle>();
  const watchers = new Subscription();
  let started = false;
  let closed = false;
  let sequence = 0;
  let lastIndex = -1;

  // --- speed ---------------------------------------------------------------------------------

  /** The member's relative speed for a workflow: its given weight, else the one learned from its items of that workflow. */
  const weightOf = (member: Member, workflowKey: string): number => {
    if (member.weight !== undefined) return member.weight;
    if (options.learnSpeed === false) return 1;
    const learned = members.filter((m) => m.weight === undefined);
    return learnedWeights(learned.map((m) => m.speed.get(workflowKey)?.msPerItem))[learned.indexOf(member)] ?? 1;
  };
  /** Learns from an item's status and end: the time from `in_progress` to `completed`, per workflow. */
  const learnFrom = (attempt: Attempt, member: Member, event: RunEvent): void => {
    if (event.type === 'status' && event.status === 'in_progress') {
      attempt.itemStarts.set(event.itemId, scheduler.now());
    } else if (isTerminalRunEvent(event)) {
      const started = attempt.itemStarts.get(event.itemId);
      attempt.itemStarts.delete(event.itemId);
      // A failed or canceled item says nothing about the server's speed.
      if (started === undefined || event.type !== 'completed') return;
      const key = workflowKeyOf(attempt.handle.workflow);
      const known = member.speed.get(key) ?? { samples: 0, msPerItem: undefined };
      // The first item of a workflow on a server may include loading its models: a warm-up, not a measure.
      const msPerItem = known.samples === 0 ? undefined : nextMsPerItem(known.msPerItem, scheduler.now() - started);
      member.speed.set(key, { samples: known.samples + 1, msPerItem });
    }
  };

  // --- status -------------------------------------------------------------------------------

  const openItemsOf = (attempt: Attempt): number =>
    attempt.enqueued !== null ? attempt.open.size : attempt.positions?.length ?? expansionOf(attempt.handle)?.length ?? 1;
  const inFlightItems = (member: Member): number => [...member.attempts].reduce((sum, a) => sum + openItemsOf(a), 0);

  const snapshot = (): PoolStatus => ({
    servers: members.map((m) => ({
      ...m.ref,
      connection: m.connection,
      health: m.health,
      queue: m.queue,
      inFlight: m.attempts.size,
      inFlightItems: inFlightItems(m),
      dispatched: m.dispatched,
      msPerItem: Object.fromEntries([...m.speed].flatMap(([key, learned]) => (learned.msPerItem === undefined ? [] : [[key, learned.msPerItem]]))),
    })),
    waiting: waitingBack.size + waitingFront.reduce((n, a) => (isGone(a) ? n : n + 1), 0),
  });
  const status = new BehaviorSubject<PoolStatus>(snapshot());
  // Nobody watching: the snapshot is built when someone subscribes, not on every dispatch.
  let stale = false;
  const publish = (): void => {
    if (closed) return;
    stale = !status.observed;
    if (!stale) status.next(snapshot());
  };

  // --- models and eligibility ---------------------------------------------------------------

  const loadModels = (member: Member): void => {
    if (member.modelsLoading || closed) return;
    member.modelsLoading = true;
    member.client.models.list().then(
      (models) => {
        member.modelsLoading = false;
        if (closed) return;
        member.models = models.map(toModelRecord);
        member.modelsVersion += 1;
        member.modelsFailed = false;
        pump();
      },
      (error: unknown) => {
        member.modelsLoading = false;
        if (closed) return;
        member.modelsFailed = true;
        logger?.warn?.(`pool: reading the models of ${member.ref.url} failed (${describeError(error)})`);
        checkMember(member);
        pump();
      },
    );
  };

  function expansionOf(handle: Handle): SweepItem[] | null {
    if (handle.expansion !== undefined) return handle.expansion;
    try {
      handle.expansion = hasBatchNodes(handle.workflow) ? null : expandSweep(handle.options.sweep, handle.options.runs ?? 1);
    } catch {
      // The client's run reports the same problem as its error.
      handle.expansion = null;
    }
    return handle.expansion;
  }

  type Eligibility =
    | { readonly kind: 'ok'; readonly workflow: Workflow }
    | { readonly kind: 'later' }
    | { readonly kind: 'no'; readonly why: Ineligibility };

  const eligibility = (handle: Handle, member: Member): Eligibility => {
    if (!member.accepts(handle.workflow)) return { kind: 'no', why: { server: member.ref, reason: 'accepts' } };
    if (member.retired) return { kind: 'no', why: { server: member.ref, reason: 'unreachable' } };
    if (!handle.needsModels || modelSync === false) return member.health === 'up' ? { kind: 'ok', workflow: handle.workflow } : { kind: 'later' };
    if (member.models === undefined) {
      if (member.health === 'down' || member.modelsFailed) return { kind: 'no', why: { server: member.ref, reason: 'unreachable' } };
      loadModels(member);
      return { kind: 'later' };
    }
    let cached = handle.synced.get(member.ref.index);
    if (cached === undefined || cached.version !== member.modelsVersion) {
      cached = { version: member.modelsVersion, sync: syncModels(handle.workflow, member.models, modelSync ?? {}) };
      handle.synced.set(member.ref.index, cached);
    }
    const missing: ReadonlyArray<UnresolvedModel> = cached.sync.unresolved;
    if (missing.length > 0) return { kind: 'no', why: { server: member.ref, reason: 'models', missing } };
    return member.health === 'up' ? { kind: 'ok', workflow: cached.sync.workflow } : { kind: 'later' };
  };

  /** What the dispatch functions see of a member (not `dispatch.ts`'s `loadOf`, which scores one). */
  const serverLoad = (member: Member, workflowKey: string): ServerLoad => ({
    index: member.ref.index,
    url: member.ref.url,
    queued: member.queue === null ? null : member.queue.pending + member.queue.in_progress,
    inFlight: member.attempts.size,
    inFlightItems: inFlightItems(member),
    maxInFlight: member.maxInFlight,
    weight: weightOf(member, workflowKey),
    lastDispatch: member.lastDispatch,
  });

  // --- dispatch ------------------------------------------------------------------------------

  /**
   * What the "can this run go anywhere at all?" verdicts depend on, as one string: a waiting run
   * checked under the same signature need not be checked again while no server has a free slot.
   */
  const eligibilitySignature = (): string =>
    members.map((m) => `${m.retired ? 'r' : ''}${m.health}:${m.modelsVersion}:${m.modelsFailed ? 'f' : ''}${m.models === undefined ? 'u' : ''}`).join('|');
  /** The members that could start a run now (up, with a free slot), by pool position. */
  const freeMembers = (): number[] => members.filter((m) => m.health === 'up' && !m.retired && m.attempts.size < m.maxInFlight).map((m) => m.ref.index);

  let lastSignature = '';
  let pumping = false;
  let pumpAgain = false;

  // A pass looks at the waiting runs in order only while some server has a free slot, and at the
  // others only if they are unchecked: a run behind full servers costs nothing per pass, so handing
  // the pool thousands of runs at once stays linear. A pump asked for while one is running (a run
  // that ends synchronously as it starts) becomes one more pass, so runs keep their order.
  const pump = (): void => {
    if (closed) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        dispatchPass();
      } while (pumpAgain && !closed);
    } finally {
      pumping = false;
    }
    publish();
  };

  const dispatchPass = (): void => {
    const signature = eligibilitySignature();
    if (signature !== lastSignature) {
      lastSignature = signature;
      for (const attempt of waitingFront) unchecked.add(attempt);
      for (const attempt of waitingBack) unchecked.add(attempt);
    }
    let free = freeMembers();
    let anyFree = free.length > 0;
    // A run checked under this signature can only start on a server that could take it then: while
    // none of those has a free slot, looking at it again costs a set lookup, not a check per server
    // (a server that takes none of the waiting runs stays idle without making each pass quadratic).
    const mayStartNow = (attempt: Attempt): boolean => attempt.checkedSignature !== signature || free.some((index) => attempt.okMembers.has(index));
    /** Checks one waiting run; `placeIt` also starts it if a server can take it. Whether it stopped waiting. */
    const consider = (attempt: Attempt, placeIt: boolean): boolean => {
      unchecked.delete(attempt);
      const handle = attempt.handle;
      const verdicts = members.map((member) => ({ member, verdict: eligibility(handle, member) }));
      attempt.checkedSignature = signature;
      attempt.okMembers = new Set(verdicts.filter((v) => v.verdict.kind === 'ok').map((v) => v.member.ref.index));
      if (verdicts.every((v) => v.verdict.kind === 'no')) {
        endHandle(handle, new NoEligibleServerError(verdicts.map((v) => (v.verdict as { why: Ineligibility }).why)));
        return true;
      }
      if (!placeIt) return false;
      // A sweep to split waits until every server still reading its model list has answered (one
      // request each, once): otherwise the first server to answer would take the whole sweep.
      if (options.splitSweeps === true && attempt.splittable && verdicts.some((v) => v.verdict.kind === 'later' && v.member.modelsLoading)) return false;
      const open = verdicts.filter(
        (v): v is { member: Member; verdict: { kind: 'ok'; workflow: Workflow } } => v.verdict.kind === 'ok' && v.member.attempts.size < v.member.maxInFlight,
      );
      if (open.length === 0) return false;
      place(attempt, open);
      free = freeMembers();
      anyFree = free.length > 0;
      return true;
    };

    if (waitingFront.length > 0) {
      const front = waitingFront;
      waitingFront = [];
      const kept = front.filter((attempt) => !isGone(attempt) && !closed && !(((anyFree && mayStartNow(attempt)) || unchecked.has(attempt)) && consider(attempt, anyFree)));
      // Batches sent back during this pass (a server lost as they started) went in front of these.
      waitingFront.push(...kept);
    }
    for (const attempt of waitingBack) {
      if (!anyFree || closed) break;
      if (isGone(attempt)) waitingBack.delete(attempt);
      else if (mayStartNow(attempt) && consider(attempt, true)) waitingBack.delete(attempt);
    }
    // Runs that no server can take end now, even while every server is busy.
    for (const attempt of unchecked) {
      if (closed) break;
      if (isGone(attempt) || consider(attempt, false)) {
        unchecked.delete(attempt);
        waitingBack.delete(attempt);
        waitingFront = waitingFront.filter((a) => a !== attempt);
      }
    }
  };

  /** Starts a waiting run on one of the `free` servers, or splits its sweep over several. */
  const place = (attempt: Attempt, free: ReadonlyArray<{ member: Member; verdict: { kind: 'ok'; workflow: Workflow } }>): void => {
    const handle = attempt.handle;
    const expansion = options.splitSweeps === true && attempt.splittable ? expansionOf(handle) : null;
    if (expansion !== null && expansion.length > 1 && free.length > 1) {
      const shares = shareByCapacity(expansion.length, free.map((v) => freeCapacity(serverLoad(v.member, workflowKeyOf(handle.workflow)))));
      let next = 0;
      const parts: Array<{ member: Member; workflow: Workflow; positions: number[] }> = [];
      free.forEach((v, i) => {
        if (shares[i] === 0) return;
        parts.push({ member: v.member, workflow: v.verdict.workflow, positions: Array.from({ length: shares[i] }, (_, k) => next + k) });
        next += shares[i];
      });
      if (parts.length > 1) {
        handle.attempts.delete(attempt);
        parts.forEach((part, i) => {
          // A batch that failed at once (a workflow the server rejects) has ended the run.
          if (handle.ended) return;
          const child = newAttempt(handle, {
            part: itemsAsRun(part.positions.map((p) => expansion[p])),
            positions: part.positions,
            retryOf: attempt.retryOf,
            splittable: false,
            batchId: i === 0 ? attempt.batchId : uuidV4(),
          });
          start(child, part.member, part.workflow);
        });
        return;
      }
    }
    const request = { candidates: free.map((v) => serverLoad(v.member, workflowKeyOf(handle.workflow))), workflow: handle.workflow, options: handle.options };
    const chosen = chooseServer(strategy, request, lastIndex);
    const target = free.find((v) => v.member.ref.index === chosen.index) ?? free[0];
    start(attempt, target.member, target.verdict.workflow);
  };

  const newAttempt = (
    handle: Handle,
    init: Pick<Attempt, 'part' | 'positions' | 'retryOf' | 'splittable' | 'batchId'> & { readonly moves?: number },
  ): Attempt => {
    const attempt: Attempt = {
      moves: 0,
      ...init,
      handle,
      member: undefined,
      sub: undefined,
      enqueued: null,
      open: new Map(),
      done: false,
      itemStarts: new Map(),
      checkedSignature: undefined,
      okMembers: new Set(),
    };
    handle.attempts.add(attempt);
    return attempt;
  };

  const runOptionsOf = (attempt: Attempt): RunOptions => {
    const { sweep: _sweep, runs: _runs, batchId: _batchId, ...rest } = attempt.handle.options;
    const own = attempt.part === null ? attempt.handle.options : attempt.part;
    return {
      ...rest,
      ...(own.runs !== undefined ? { runs: own.runs } : {}),
      ...(own.sweep !== undefined ? { sweep: own.sweep } : {}),
      batchId: attempt.batchId,
    };
  };

  const start = (attempt: Attempt, member: Member, workflow: Workflow): void => {
    attempt.member = member;
    member.attempts.add(attempt);
    member.lastDispatch = ++sequence;
    member.dispatched += 1;
    lastIndex = member.ref.index;
    const sub = member.client.run(workflow, runOptionsOf(attempt)).subscribe({
      next: (event) => onEvent(attempt, event),
      error: (error: unknown) => onAttemptError(attempt, error),
      complete: () => onAttemptEnd(attempt),
    });
    if (attempt.done) sub.unsubscribe();
    else attempt.sub = sub;
  };

  const originOf = (attempt: Attempt): { server: PoolServerRef; retryOf?: RetryRef } => ({
    server: (attempt.member as Member).ref,
    ...(attempt.retryOf !== undefined ? { retryOf: attempt.retryOf } : {}),
  });

  /** An item of the attempt ended: it is no longer open, and its result fills its run position. */
  const record = (attempt: Attempt, result: PoolRunItemResult): void => {
    const position = attempt.open.get(result.itemId) ?? -1;
    attempt.open.delete(result.itemId);
    if (position >= 0) attempt.handle.slots.set(position, result);
  };

  const onEvent = (attempt: Attempt, event: RunEvent): void => {
    if (attempt.member !== undefined) learnFrom(attempt, attempt.member, event);
    if (attempt.done || attempt.handle.ended) return;
    const origin = originOf(attempt);
    if (event.type === 'enqueued') {
      attempt.enqueued = event;
      event.itemIds.forEach((id, k) => attempt.open.set(id, attempt.positions === null ? k : attempt.positions[k] ?? -1));
      attempt.handle.batches.push({ batchId: event.batchId, server: origin.server });
    } else if (event.type === 'completed') {
      record(attempt, { itemId: event.itemId, status: 'completed', outputs: event.outputs, fieldValues: event.queueItem.field_values ?? [], queueItem: event.queueItem, batchId: attempt.batchId, ...origin });
    } else if (event.type === 'failed') {
      record(attempt, {
        itemId: event.itemId,
        status: 'failed',
        outputs: [],
        error: event.error,
        ...(event.nodeId !== undefined ? { failedNodeId: event.nodeId } : {}),
        fieldValues: [],
        queueItem: null,
        batchId: attempt.batchId,
        ...origin,
      });
    } else if (event.type === 'canceled') {
      record(attempt, { itemId: event.itemId, status: 'canceled', outputs: [], fieldValues: [], queueItem: null, batchId: attempt.batchId, ...origin });
    }
    attempt.handle.emit({ ...event, ...origin } as PoolRunEvent);
  };

  const detach = (attempt: Attempt): void => {
    attempt.done = true;
    attempt.member?.attempts.delete(attempt);
    attempt.handle.attempts.delete(attempt);
    waitingBack.delete(attempt);
    unchecked.delete(attempt);
    // One still in `waitingFront` (rare, and short) is dropped by the next dispatch pass.
  };

  const onAttemptEnd = (attempt: Attempt): void => {
    if (attempt.done) return;
    detach(attempt);
    settleIfDone(attempt.handle);
    pump();
  };

  const onAttemptError = (attempt: Attempt, error: unknown): void => {
    if (attempt.done) return;
    const member = attempt.member;
    // A batch that keeps losing its server before it is even enqueued (a client closed under the
    // pool, a server that answers REST but never runs anything) ends with the error, not a loop.
    const movable = attempt.enqueued !== null || attempt.moves < MAX_MOVES;
    if (error instanceof ConnectionLostError && member !== undefined && !closed && movable) {
      // The run could not reach its server: that is the server's loss, not the run's.
      loseAttempt(attempt);
      checkMember(member);
      return;
    }
    detach(attempt);
    endHandle(attempt.handle, error);
  };

  /** Its server is gone: send it elsewhere if it was not enqueued; else end or requeue its open items. */
  const loseAttempt = (attempt: Attempt): void => {
    if (attempt.done) return;
    const member = attempt.member as Member;
    const handle = attempt.handle;
    const sub = attempt.sub;
    detach(attempt);
    // The server cannot be asked to cancel now; `rejoin` cancels the batch if the server comes back with it.
    member.abandoned.add(attempt.batchId);
    sub?.unsubscribe();
    if (handle.ended) return;
    const userBatchId = handle.options.batchId !== undefined && attempt.batchId === handle.options.batchId;
    if (attempt.enqueued === null) {
      // Nothing of it was emitted: the same batch again, on another server.
      waitFirst(
        newAttempt(handle, {
          part: attempt.part,
          positions: attempt.positions,
          retryOf: attempt.retryOf,
          splittable: attempt.splittable,
          batchId: userBatchId ? attempt.batchId : uuidV4(),
          moves: attempt.moves + 1,
        }),
      );
    } else {
      const lost = [...attempt.open.keys()];
      const positions = [...attempt.open.values()];
      const origin = originOf(attempt);
      const message = `The server ${member.ref.url} was lost (its socket and REST calls failed) after batch ${attempt.batchId} was enqueued there. ${options.requeueOnServerLoss === true ? 'The pool resubmits the item elsewhere when it can (events with retryOf); ' : 'Run it again, or set requeueOnServerLoss to have the pool resubmit it; '}if the server comes back with its queue, the pool cancels the batch there.`;
      for (const itemId of lost) {
        if (handle.ended) return;
        const error = { type: SERVER_LOST, message, traceback: '' };
        record(attempt, { itemId, status: 'failed', outputs: [], error, fieldValues: [], queueItem: null, batchId: attempt.batchId, ...origin });
        handle.emit({ type: 'failed', itemId, error, ...origin });
      }
      const expansion = expansionOf(handle);
      if (options.requeueOnServerLoss === true && lost.length > 0 && expansion !== null && !handle.ended) {
        waitFirst(
          newAttempt(handle, {
            part: itemsAsRun(positions.map((p) => expansion[p])),
            positions,
            retryOf: { batchId: attempt.batchId, server: member.ref, itemIds: lost, attempt: (attempt.retryOf?.attempt ?? 0) + 1 },
            splittable: false,
            batchId: uuidV4(),
          }),
        );
      }
    }
    settleIfDone(handle);
  };

  // --- health --------------------------------------------------------------------------------

  /** One REST read decides whether a server whose connection failed is still there. */
  const checkMember = (member: Member): void => {
    if (closed || member.checking || member.health === 'down' || member.retired) return;
    member.checking = true;
    member.health = 'suspect';
    publish();
    member.client.queue.status().then(
      (s) => {
        member.checking = false;
        if (closed || member.health === 'down' || member.retired) return;
        member.queue = s.queue;
        member.health = 'up';
        cancelAbandoned(member);
        pump();
      },
      () => {
        member.checking = false;
        if (closed) return;
        declareDown(member);
      },
    );
  };

  const declareDown = (member: Member): void => {
    if (member.health === 'down' || member.retired) return;
    member.health = 'down';
    // Its last counts no longer say anything; the re-read on reconnect brings fresh ones.
    member.queue = null;
    logger?.warn?.(`pool: ${member.ref.url} is out of rotation (socket down, REST failing); probing it`);
    for (const attempt of [...member.attempts]) loseAttempt(attempt);
    member.probe?.unsubscribe();
    member.probe = probeUntilUp(() => defer(() => from(member.client.queue.status())), probePolicy, scheduler, random).subscribe(() => rejoin(member));
    pump();
  };

  /**
   * The batches the pool gave up on at a server that answers again: cancel them there, in case the
   * server kept its queue (or the enqueue landed after all), so that their items never run twice.
   */
  const cancelAbandoned = (member: Member): void => {
    if (member.abandoned.size === 0) return;
    const batchIds = [...member.abandoned];
    member.abandoned.clear();
    member.client.queue.cancelBatches(batchIds).catch((error: unknown) => {
      logger?.warn?.(`pool: canceling abandoned batches on ${member.ref.url} failed (${describeError(error)}); they may run there: ${batchIds.join(', ')}`);
    });
  };

  /** The client's socket stopped for good (closed by its owner, or refused): out of rotation, no probes. */
  const retire = (member: Member): void => {
    if (member.retired) return;
    member.retired = true;
    member.health = 'down';
    member.probe?.unsubscribe();
    member.probe = undefined;
    logger?.warn?.(`pool: the client of ${member.ref.url} was closed or refused; it leaves the pool`);
    for (const attempt of [...member.attempts]) loseAttempt(attempt);
    pump();
  };

  const rejoin = (member: Member): void => {
    if (closed || member.health === 'up' || member.retired) return;
    member.probe?.unsubscribe();
    member.probe = undefined;
    member.health = 'up';
    member.modelsFailed = false;
    // Its models may have changed while it was away.
    if (member.models !== undefined) loadModels(member);
    cancelAbandoned(member);
    logger?.debug?.(`pool: ${member.ref.url} is back in rotation`);
    pump();
  };

  const watch = (member: Member): void => {
    watchers.add(
      member.client.connection$.subscribe((connection) => {
        if (closed) return;
        member.connection = connection.type;
        if (connection.type === 'connected') {
          const reconnect = member.everConnected;
          member.everConnected = true;
          if (member.health !== 'up') rejoin(member);
          else if (reconnect && member.models !== undefined) loadModels(member);
        } else if (connection.type === 'reconnecting') {
          checkMember(member);
        } else if (connection.type === 'disconnected') {
          retire(member);
        }
        publish();
      }),
    );
    watchers.add(
      member.client.queue.status$.subscribe({
        next: (queue) => {
          member.queue = queue;
          publish();
        },
        error: (error: unknown) => logger?.warn?.(`pool: the queue counts of ${member.ref.url} stopped (${describeError(error)})`),
      }),
    );
  };

  const ensureStarted = (): void => {
    if (started || closed) return;
    started = true;
    members.forEach(watch);
  };

  // --- runs ----------------------------------------------------------------------------------

  function settleIfDone(handle: Handle): void {
    if (handle.ended || handle.attempts.size > 0) return;
    handle.ended = true;
    handles.delete(handle);
    const items = [...handle.slots.entries()].sort((a, b) => a[0] - b[0]).map(([, item]) => item);
    // A run that completes enqueued at least one batch: the fallback only satisfies the type.
    handle.complete({ batchId: handle.batches[0]?.batchId ?? ((handle.options.batchId ?? '') as BatchId), items, batches: handle.batches });
  }

  /** Ends a run's batches; their client runs cancel what is left on the server (unless `cancelOnUnsubscribe: false`). */
  function releaseHandle(handle: Handle): void {
    handle.ended = true;
    handles.delete(handle);
    for (const attempt of [...handle.attempts]) {
      const sub = attempt.sub;
      detach(attempt);
      sub?.unsubscribe();
    }
  }

  function endHandle(handle: Handle, error: unknown): void {
    if (handle.ended) return;
    releaseHandle(handle);
    handle.fail(error);
    pump();
  }

  const runPool = (wf: Workflow, runOptions: RunOptions, onResult: (result: PoolRunResult) => void): Observable<PoolRunEvent> =>
    new Observable<PoolRunEvent>((subscriber) => {
      if (closed) {
        subscriber.error(new PoolClosedError());
        return;
      }
      ensureStarted();
      const needsModels = needsModelsOf(wf);
      const handle: Handle = {
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
        needsModels,
        expansion: undefined,
        synced: new Map(),
        ended: false,
      };
      handles.add(handle);
      waitLast(newAttempt(handle, { part: null, positions: null, retryOf: undefined, splittable: true, batchId: runOptions.batchId ?? uuidV4() }));
      pump();
      return () => {
        if (handle.ended) return;
        releaseHandle(handle);
        pump();
      };
    });

  const run = (wf: Workflow, runOptions: RunOptions = {}): Observable<PoolRunEvent> => runPool(wf, runOptions, () => undefined);

  const submit = (wf: Workflow, runOptions: RunOptions = {}): Promise<PoolRunResult> =>
    settleRun<PoolRunResult>((onResult) => runPool(wf, runOptions, onResult));

  // Unbounded by default: the servers' slots already bound what runs at once.
  const runMany = (workflows: Iterable<Workflow | RunRequest>, manyOptions: RunManyOptions = {}): Observable<PoolRunManyEvent> =>
    fanOutRuns(workflows, manyOptions, Number.POSITIVE_INFINITY, run);

  const close = (): void => {
    if (closed) return;
    // Closed first, so that ending one run does not dispatch another that waits.
    closed = true;
    for (const handle of [...handles]) endHandle(handle, new PoolClosedError());
    waitingFront = [];
    waitingBack.clear();
    unchecked.clear();
    watchers.unsubscribe();
    for (const member of members) {
      member.probe?.unsubscribe();
      if (member.owned) member.client.close();
    }
    status.complete();
  };

  return {
    run,
    submit,
    runMany,
    status$: defer(() => {
      ensureStarted();
      if (stale && !closed) {
        stale = false;
        status.next(snapshot());
      }
      return status.asObservable();
    }),
    clients: members.map((m) => m.client),
    close,
  };
};

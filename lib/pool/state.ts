// What the pool holds while it works: its servers (`Member`: the configuration it was given, then the
// load, health, model list and learned speeds that change as it runs), its runs (`RunHandle`) and
// the batches they become on servers (`Attempt`). Records only: the engine changes them, the pure
// modules (eligibility, speed, dispatch) read snapshots made of them.
import type { Subscription } from 'rxjs';
import type { InvokeAIClient } from '../client/client';
import type { SessionQueueStatus } from '../protocol/dto';
import type { BatchId, ItemId } from '../protocol/ids';
import type { EnqueuedEvent } from '../run/events';
import type { RunOptions } from '../run/run';
import type { ConnectionState } from '../transport/socket';
import type { ModelRecord, ModelSync } from '../workflow/sync-models';
import type { Workflow } from '../workflow/workflow';
import type { PoolRunEvent, PoolRunItemResult, PoolRunResult, PoolServerRef, RetryRef } from './events';
import type { LearnedSpeed } from './speed';
import type { ServerHealth } from './status';
import type { SweepItem } from './sweep';

/** A server as it was given to the pool: fixed for the pool's life. */
export interface MemberConfig {
  readonly ref: PoolServerRef;
  readonly client: InvokeAIClient;
  /** The pool closes the client on `close()`. */
  readonly owned: boolean;
  readonly accepts: (wf: Workflow) => boolean;
  /** The weight the user gave, if any (it then overrides the learned speed). */
  readonly weight: number | undefined;
  readonly maxInFlight: number;
}

/** What the pool has sent a server, and the server's own queue counts. */
export interface MemberLoad {
  /** The pool's batches in flight there. */
  readonly attempts: Set<Attempt>;
  /** The server's live queue counts; `null` until read, and while it is down. */
  queue: SessionQueueStatus | null;
  /** When it last got a batch (the pool's dispatch sequence; 0 = never). */
  lastDispatch: number;
  /** Batches sent there so far. */
  dispatched: number;
}

/** Whether a server is in rotation, and what watches and probes it. */
export interface MemberHealth {
  state: ServerHealth;
  connection: ConnectionState['type'] | 'idle';
  everConnected: boolean;
  /** A REST read is deciding whether a failed connection means the server is gone. */
  checking: boolean;
  /** The probe of a server out of rotation. */
  probe: Subscription | undefined;
  /** Its client was closed (or refused): out of rotation for good. */
  retired: boolean;
  /** Batch ids the pool gave up on here (the server was lost); canceled when it returns. */
  readonly abandoned: Set<BatchId>;
}

/** A server's model list, read when a workflow first needs it and again after a reconnect. */
export interface MemberModels {
  list: ReadonlyArray<ModelRecord> | undefined;
  /** Counts the reads, so that model syncs made with an older list are redone. */
  version: number;
  loading: boolean;
  /** The last read failed. */
  failed: boolean;
}

/** One server of the pool. */
export interface Member {
  readonly config: MemberConfig;
  readonly load: MemberLoad;
  readonly health: MemberHealth;
  readonly models: MemberModels;
  /** What it has learned of its speed, by workflow key. */
  readonly speed: Map<string, LearnedSpeed>;
}

/** A run of the pool: its workflow, its subscriber, and every batch it has become. */
export interface RunHandle {
  readonly workflow: Workflow;
  readonly options: RunOptions;
  readonly emit: (event: PoolRunEvent) => void;
  readonly fail: (error: unknown) => void;
  readonly complete: (result: PoolRunResult) => void;
  /** Its batches waiting or in flight. */
  readonly attempts: Set<Attempt>;
  /** How each item ended, by its position in the run. */
  readonly slots: Map<number, PoolRunItemResult>;
  readonly batches: Array<{ readonly batchId: BatchId; readonly server: PoolServerRef }>;
  /** The workflow has model fields, so servers are checked for its models. */
  readonly needsModels: boolean;
  /** The run's items in server order, or `null` when they cannot be expressed as a sweep (batch nodes). Computed when first needed. */
  expansion: SweepItem[] | null | undefined;
  /** The workflow synced to each server's models, by pool position, with the model list version it was synced against. */
  readonly synced: Map<number, { readonly version: number; readonly sync: ModelSync }>;
  ended: boolean;
}

/** One batch of a run: waiting in the pool, or sent to one server. */
export interface Attempt {
  readonly handle: RunHandle;
  /** `null`: the run's own `runs` / `sweep`; else the items this batch enqueues. */
  readonly part: { readonly runs: number; readonly sweep?: RunOptions['sweep'] } | null;
  /** The run's positions of this batch's items, in item order; `null` = 0, 1, 2 ... */
  readonly positions: readonly number[] | null;
  readonly retryOf: RetryRef | undefined;
  /** Whether it may still be split over servers (the run's first attempt). */
  readonly splittable: boolean;
  readonly batchId: BatchId;
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

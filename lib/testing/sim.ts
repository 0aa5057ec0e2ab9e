// What the simulator's routes share: its stores, its processor and socket hub, the queue's events,
// and who may see what (in multi-user mode a user sees and changes only their own records, admins
// everything).
import type { AuthStore } from './auth';
import type { BoardStore } from './boards';
import type { Timers } from './clock';
import type { SocketHub } from './events';
import type { FaultState } from './faults';
import type { RequestUser } from './http';
import type { ImageStore } from './images';
import type { MockModelConfig } from './models';
import type { SchemaIndex } from './openapi';
import type { Processor } from './processor';
import type { QueueEvents } from './queue-events';
import type { QueueStore } from './queue';
import type { VideoStore } from './videos';
import type { WorkflowStore } from './workflows';

/** One simulated server's state, as its routes see it. */
export interface Sim {
  /** The path prefix of every route (a reverse-proxy sub-path), or `''`. */
  readonly basePath: string;
  /** The node schemas graphs are validated against. */
  readonly index: SchemaIndex;
  readonly timers: Timers;
  readonly queue: QueueStore;
  readonly images: ImageStore;
  readonly videos: VideoStore;
  readonly boards: BoardStore;
  readonly workflows: WorkflowStore;
  /** Set in multi-user mode. */
  readonly auth: AuthStore | undefined;
  readonly multi: boolean;
  readonly faultState: FaultState;
  readonly hub: SocketHub;
  readonly events: QueueEvents;
  readonly processor: Processor;
  readonly maxQueueSize: number;
  /** The installed models (`addModel` replaces the list). */
  models: MockModelConfig[];
  /** Whether the user may see (and change) a record of this owner. */
  readonly canSee: (user: RequestUser, ownerId: string) => boolean;
}

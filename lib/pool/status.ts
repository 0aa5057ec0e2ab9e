// What `pool.status$` tells of the pool: each server's connection, health, queue counts, load and
// learned speed, and the runs waiting for a server.
import type { SessionQueueStatus } from '../protocol/dto';
import type { ConnectionState } from '../transport/socket';
import type { PoolServerRef } from './events';

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

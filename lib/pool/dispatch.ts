// The pool's dispatch decisions, as pure functions of a snapshot of the servers: which server takes
// the next run (least loaded, round-robin or the user's function), and how a sweep's items are
// shared out in proportion to free capacity.
import type { Workflow } from '../workflow/workflow';
import type { RunOptions } from '../run/run';

/** What the pool knows of one server when it chooses where a run goes. */
export interface ServerLoad {
  /** The server's position in the pool. */
  readonly index: number;
  readonly url: string;
  /** Pending plus in-progress items of the server's queue (all clients'), from its live counts; `null` before the first read. */
  readonly queued: number | null;
  /** Runs the pool has in flight there. */
  readonly inFlight: number;
  /** Items of those runs that have not ended yet. */
  readonly inFlightItems: number;
  /** Runs the pool may have in flight there at once. */
  readonly maxInFlight: number;
  /** The server's relative speed (default 1): a server of weight 2 counts as half as loaded. */
  readonly weight: number;
  /** When the pool last sent it a run (a sequence number; 0 = never). */
  readonly lastDispatch: number;
}

/** What a user's strategy is asked: the servers that may take the run now, and the run. */
export interface DispatchRequest {
  /** Eligible servers with a free slot, by pool position. Never empty. */
  readonly candidates: ReadonlyArray<ServerLoad>;
  readonly workflow: Workflow;
  readonly options: RunOptions;
}

/** A user's strategy: the `index` of one of the candidates (anything else falls back to least loaded). */
export type DispatchFunction = (request: DispatchRequest) => number;

/** How the pool chooses a server: `least-loaded` (default), `round-robin`, or a function. */
export type DispatchStrategy = 'least-loaded' | 'round-robin' | DispatchFunction;

/**
 * The load the pool sees on a server: its queue counts already include the items the pool enqueued
 * there, but they lag behind an enqueue; the pool's own count fills that gap, hence the larger of
 * the two, per unit of weight.
 */
export const loadOf = (server: ServerLoad): number => Math.max(server.queued ?? 0, server.inFlightItems, server.inFlight) / server.weight;

/**
 * The least loaded candidate; on a tie, the one that got a run least recently (so idle servers take
 * turns), then the lowest index.
 *
 * @example
 * const load = (index: number, queued: number): ServerLoad => ({ index, url: `http://gpu${index}:9090`, queued, inFlight: 0, inFlightItems: 0, maxInFlight: 4, weight: 1, lastDispatch: 0 });
 * leastLoaded([load(0, 3), load(1, 1), load(2, 1)]).index; // 1 (a tie goes to the one that waited longest, then the lower index)
 * @internal
 */
export const leastLoaded = (candidates: ReadonlyArray<ServerLoad>): ServerLoad =>
  candidates.reduce((best, server) => {
    const d = loadOf(server) - loadOf(best);
    if (d !== 0) return d < 0 ? server : best;
    if (server.lastDispatch !== best.lastDispatch) return server.lastDispatch < best.lastDispatch ? server : best;
    return server.index < best.index ? server : best;
  });

/** The first candidate after `lastIndex` in pool order, wrapping around. */
export const roundRobin = (candidates: ReadonlyArray<ServerLoad>, lastIndex: number): ServerLoad =>
  candidates.find((server) => server.index > lastIndex) ?? candidates[0];

/**
 * Chooses the server for one run among non-empty `candidates`. `lastIndex` is the index of the
 * server that took the previous run (round-robin continues after it).
 */
export const chooseServer = (strategy: DispatchStrategy, request: DispatchRequest, lastIndex: number): ServerLoad => {
  const { candidates } = request;
  if (strategy === 'round-robin') return roundRobin(candidates, lastIndex);
  if (typeof strategy === 'function') {
    const chosen = strategy(request);
    return candidates.find((server) => server.index === chosen) ?? leastLoaded(candidates);
  }
  return leastLoaded(candidates);
};

/**
 * Splits `total` items into shares proportional to `capacities` (largest remainder, ties to the
 * earlier one); a capacity of 0 gets nothing. All capacities 0: everything to the first.
 *
 * @example
 * shareByCapacity(10, [3, 1, 1]); // [6, 2, 2]
 * @internal
 */
export const shareByCapacity = (total: number, capacities: ReadonlyArray<number>): number[] => {
  const positive = capacities.map((c) => (Number.isFinite(c) && c > 0 ? c : 0));
  const sum = positive.reduce((a, b) => a + b, 0);
  if (capacities.length === 0) return [];
  if (sum === 0) return capacities.map((_, i) => (i === 0 ? total : 0));
  const exact = positive.map((c) => (total * c) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if (positive[i] === 0) continue;
    shares[i] += 1;
    left -= 1;
  }
  return shares;
};

/** The capacity a server offers a sweep now: its free slots times its weight, less what its queue already holds. */
export const freeCapacity = (server: ServerLoad): number => {
  const freeSlots = Math.max(0, server.maxInFlight - server.inFlight);
  if (freeSlots === 0) return 0;
  return (server.weight * freeSlots) / (1 + Math.max(server.queued ?? 0, server.inFlightItems));
};

// The soak's fault scheduler: at random intervals it switches on one of the simulator's faults,
// each kind once first, then chosen by weight, all from a seeded generator, so that a seed replays
// the same sequence of faults (their exact interleaving with the runs still depends on timing).
import type { RemoteServer } from './remote';

/** Every kind of fault the soak injects. */
export const FAULT_KINDS = [
  'socket_drop',
  'socket_restart',
  'stall_then_deliver',
  'stall_then_drop',
  'drop_events',
  'reorder_events',
  'delay_events',
  'http_503',
  'node_failure',
  'cancel_item',
  'cancel_batch',
  'queue_clear',
  'events_before_response',
  'pause_processor',
  'hold_waiting',
  'stop_pings',
] as const;
/** One kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Relative weights: queue clears end every run in flight, so they are rare. */
const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  socket_drop: 6,
  socket_restart: 3,
  stall_then_deliver: 6,
  stall_then_drop: 4,
  drop_events: 6,
  reorder_events: 6,
  delay_events: 4,
  http_503: 8,
  node_failure: 6,
  cancel_item: 6,
  cancel_batch: 3,
  queue_clear: 1,
  events_before_response: 3,
  pause_processor: 4,
  hold_waiting: 3,
  stop_pings: 2,
};

/** What the scheduler needs to know about the runs in flight (for cancels). */
export interface InFlight {
  /** Item ids of runs in flight that are not known to be terminal. */
  readonly items: () => readonly number[];
  /** Batch ids of runs in flight. */
  readonly batches: () => readonly string[];
}

/** Options of the fault scheduler. */
export interface FaultSchedulerOptions {
  readonly server: RemoteServer;
  readonly random: () => number;
  /** Node types the workflows use (for node failures). */
  readonly nodeTypes: readonly string[];
  readonly inFlight: InFlight;
  /** Mean milliseconds between faults (default 150). */
  readonly meanIntervalMs?: number;
  /** Fault kinds to leave out. */
  readonly exclude?: readonly FaultKind[];
}

/** A running fault scheduler. */
export interface FaultScheduler {
  /** How many faults of each kind were injected. */
  readonly counts: Readonly<Record<FaultKind, number>>;
  /** How many queue clears were injected so far (a run compares this at its start and end). */
  readonly clears: () => number;
  /** Faults that could not be injected (e.g. a cancel whose request failed), by kind. */
  readonly failed: Readonly<Record<FaultKind, number>>;
  /** Stops injecting, waits for faults in progress, and clears every fault on the server. */
  stop(): Promise<void>;
}

const zeroCounts = (): Record<FaultKind, number> => Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

/** Starts injecting faults until `stop()`. */
export const startFaultScheduler = (options: FaultSchedulerOptions): FaultScheduler => {
  const { server, random } = options;
  const mean = options.meanIntervalMs ?? 150;
  const kinds = FAULT_KINDS.filter((k) => !(options.exclude ?? []).includes(k));
  const totalWeight = kinds.reduce((sum, k) => sum + WEIGHTS[k], 0);
  const counts = zeroCounts();
  const failed = zeroCounts();
  const inProgress = new Set<Promise<void>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;

  const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[Math.floor(random() * xs.length)]);
  const later = (ms: number, action: () => Promise<void>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) track(action());
    }, ms);
    timers.add(timer);
  };
  const track = (p: Promise<void>): void => {
    inProgress.add(p);
    void p.finally(() => inProgress.delete(p));
  };
  const put = async (path: string, body?: unknown): Promise<void> => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'PUT',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`PUT ${path}: ${res.status}`);
  };

  const inject = async (kind: FaultKind): Promise<void> => {
    switch (kind) {
      case 'socket_drop':
        return server.fault('dropAllSockets');
      case 'socket_restart':
        return server.fault('restartSocketServer', between(0, 300));
      case 'stall_then_deliver':
        return server.fault('stallEvents', between(50, 600), 'deliver');
      case 'stall_then_drop':
        return server.fault('stallEvents', between(50, 400), 'drop');
      case 'drop_events': {
        await server.fault('dropEvents', 0.1 + random() * 0.25, between(1, 1e6));
        later(between(100, 500), () => server.fault('dropEvents', 0));
        return;
      }
      case 'reorder_events':
        return server.fault('reorderEvents', between(2, 12));
      case 'delay_events': {
        await server.fault('delayEvents', between(5, 60));
        later(between(100, 500), () => server.fault('delayEvents', 0));
        return;
      }
      case 'http_503':
        return server.fault('failRequests', { path: '/api/v1/queue/', status: 503, count: between(1, 2) });
      case 'node_failure': {
        const type = pick(options.nodeTypes);
        return type === undefined ? undefined : server.fault('failNodes', { type, errorType: 'SoakError', message: 'injected by the soak', count: 1 });
      }
      case 'cancel_item': {
        const id = pick(options.inFlight.items());
        return id === undefined ? undefined : put(`/api/v1/queue/default/i/${id}/cancel`);
      }
      case 'cancel_batch': {
        const batchId = pick(options.inFlight.batches());
        return batchId === undefined ? undefined : put('/api/v1/queue/default/cancel_by_batch_ids', { batch_ids: [batchId] });
      }
      case 'queue_clear':
        return put('/api/v1/queue/default/clear');
      case 'events_before_response': {
        await server.fault('eventsBeforeEnqueueResponse', true);
        later(between(100, 600), () => server.fault('eventsBeforeEnqueueResponse', false));
        return;
      }
      case 'pause_processor': {
        await server.fault('pauseProcessor');
        later(between(50, 500), () => server.fault('resumeProcessor'));
        return;
      }
      case 'hold_waiting':
        return server.fault('holdWaiting', between(50, 400));
      case 'stop_pings': {
        // Long enough for the client's ping deadline (the soak's server pings every 500 ms).
        await server.fault('stopPings');
        later(between(800, 2500), () => server.fault('resumePings'));
        return;
      }
    }
  };

  const firstRound = [...kinds];
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [firstRound[i], firstRound[j]] = [firstRound[j], firstRound[i]];
  }
  const next = (): void => {
    if (stopped) return;
    // Exponential gaps around the mean: bursts of faults and quiet spells, as in real outages.
    const gap = Math.min(mean * 6, -Math.log(1 - random()) * mean);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      // Every kind once first (in a seeded order), so that even a short soak meets all of them;
      // then by weight.
      let kind: FaultKind;
      if (firstRound.length > 0) kind = firstRound.pop() as FaultKind;
      else {
        let r = random() * totalWeight;
        kind = kinds.find((k) => (r -= WEIGHTS[k]) < 0) ?? kinds[kinds.length - 1];
      }
      counts[kind] += 1;
      track(
        inject(kind).catch(() => {
          // A fault that could not be injected (its own request met a 503, an item had just
          // ended) is counted, not fatal: the runs are what is under test.
          failed[kind] += 1;
        }),
      );
      next();
    }, gap);
    timers.add(timer);
  };
  next();

  return {
    counts,
    clears: () => counts.queue_clear,
    failed,
    stop: async () => {
      stopped = true;
      timers.forEach(clearTimeout);
      timers.clear();
      await Promise.all([...inProgress]);
      await server.fault('clear');
    },
  };
};

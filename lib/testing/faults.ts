/** Fault injection of the simulator (`server.faults`): the public interface and the HTTP/processor-side state. */
import type { SocketHub } from './events';
import type { InjectedNodeFailure, Processor } from './processor';

/** A rule that fails the next matching HTTP requests. */
export interface RequestFailure {
  /** Substring or pattern matched against the path (without the base path and query). */
  readonly path: string | RegExp;
  /** Only requests with this method (any when absent). */
  readonly method?: string;
  /** The status to answer with. */
  readonly status: number;
  /** How many requests to fail (default 1). */
  readonly count?: number;
  /** Response body (default FastAPI's `{detail}` with a short text). */
  readonly body?: unknown;
}

/** Faults a test can inject into a running simulator. */
export interface MockFaults {
  /** Disconnects every socket now; clients see a transport close. */
  dropAllSockets(): void;
  /** Holds every socket event for `ms`, then delivers them in order (`'deliver'`, default) or drops them. */
  stallEvents(ms: number, then?: 'deliver' | 'drop'): void;
  /** Drops a fraction (0..1) of socket events, chosen by a seeded generator; 0 stops. */
  dropEvents(fraction: number, seed?: number): void;
  /** Delays every socket event by `ms`, keeping their order; 0 stops. */
  delayEvents(ms: number): void;
  /** Holds the next `count` socket events and delivers them in reverse order. */
  reorderEvents(count: number): void;
  /** While on, the enqueue HTTP response waits until the batch's items have finished, so events arrive first. */
  eventsBeforeEnqueueResponse(on: boolean): void;
  /** Fails the next matching HTTP requests with a status. */
  failRequests(rule: RequestFailure): void;
  /** Fails nodes of a type at run time with the given error (default `Exception`), `count` times (default: always). */
  failNodes(rule: { readonly type: string; readonly errorType?: string; readonly message?: string; readonly count?: number }): void;
  /** Stops the processor from taking new items. */
  pauseProcessor(): void;
  /** Lets the processor take items again. */
  resumeProcessor(): void;
  /** The next item that starts goes to `waiting` for `ms` (as a `call_saved_workflow` parent), then pending, then runs. */
  holdWaiting(ms: number): void;
  /** Closes all sockets and the socket engine, stays down `downMs`, then accepts connections again on the same port. */
  restartSocketServer(downMs?: number): Promise<void>;
  /** Stops sending engine.io pings, so clients hit their ping timeout. */
  stopPings(): void;
  /** Sends pings again. */
  resumePings(): void;
  /** Removes every fault (held events are delivered). */
  clear(): void;
}

/** HTTP- and processor-side fault state. */
export class FaultState {
  readonly requestFailures: Array<RequestFailure & { remaining: number }> = [];
  readonly nodeFailures: InjectedNodeFailure[] = [];
  readonly waitingHolds: number[] = [];
  eventsBeforeEnqueueResponse = false;

  /** Consumes a matching request failure, if any. */
  takeRequestFailure(method: string, path: string): RequestFailure | undefined {
    const rule = this.requestFailures.find(
      (r) => r.remaining > 0 && (!r.method || r.method.toUpperCase() === method) && (typeof r.path === 'string' ? path.includes(r.path) : r.path.test(path)),
    );
    if (rule) rule.remaining -= 1;
    return rule;
  }

  /** Clears everything. */
  clear(): void {
    this.requestFailures.length = 0;
    this.nodeFailures.length = 0;
    this.waitingHolds.length = 0;
    this.eventsBeforeEnqueueResponse = false;
  }
}

/** `server.faults`: each fault set on the hub (socket side), the fault state (HTTP and nodes) or the processor. */
export const faultControls = (hub: SocketHub, faultState: FaultState, processor: Processor): MockFaults => ({
  dropAllSockets: () => hub.dropAllSockets(),
  stallEvents: (ms, then = 'deliver') => hub.stall(ms, then),
  dropEvents: (fraction, seed = 1) => hub.dropFraction(fraction, seed),
  delayEvents: (ms) => hub.delay(ms),
  reorderEvents: (count) => hub.reorder(count),
  eventsBeforeEnqueueResponse: (on) => {
    faultState.eventsBeforeEnqueueResponse = on;
  },
  failRequests: (rule) => void faultState.requestFailures.push({ ...rule, remaining: rule.count ?? 1 }),
  failNodes: (rule) =>
    void faultState.nodeFailures.push({ type: rule.type, errorType: rule.errorType ?? 'Exception', message: rule.message ?? `Simulated failure of ${rule.type}`, remaining: rule.count ?? Infinity }),
  pauseProcessor: () => processor.pause(),
  resumeProcessor: () => processor.resume(),
  holdWaiting: (ms) => void faultState.waitingHolds.push(ms),
  restartSocketServer: (downMs = 0) => hub.restart(downMs),
  stopPings: () => hub.stopPings(),
  resumePings: () => hub.resumePings(),
  clear: () => {
    faultState.clear();
    hub.clearFaults();
    processor.resume();
  },
});

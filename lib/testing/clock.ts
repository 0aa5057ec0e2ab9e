/** Time helpers of the simulator: SQLite-style timestamps, the clock its timers run on, and tracked timers that `close()` can clear. */

/** A UTC timestamp as InvokeAI's SQLite stores it: `YYYY-MM-DD HH:MM:SS.fff`. */
export const sqliteNow = (now: Date = new Date()): string => now.toISOString().replace('T', ' ').replace('Z', '').slice(0, 23);

/** Unix seconds, as in event `timestamp`s. */
export const unixNow = (): number => Math.floor(Date.now() / 1000);

/** What the simulator's timers run on: real time (the default), or a clock the test moves itself (`ManualClock`). */
export interface SimClock {
  /** Calls `fn` once `ms` have passed on this clock; the function returned cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

/** Real time: `setTimeout`. */
export const realTime: SimClock = {
  schedule: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/** One turn of the event loop (what a timer set off runs meanwhile: promise callbacks, immediates). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that moves only when the test moves it, so a test of timing (events stalled or delayed for
 * a while, an item held in `waiting`, a node's steps) gives the same answer however busy the machine
 * is. Timers of 0 ms or less wait for no time: they run on a next turn of the event loop.
 *
 * @example
 * import { ManualClock, startMockServer } from 'invokeai-rx/testing';
 * const clock = new ManualClock();
 * const server = await startMockServer({ clock, stepMs: 0 });
 * server.faults.stallEvents(500); // socket events are held, however long the test takes meanwhile...
 * await clock.advance(500); // ...until the clock says 500 ms have passed
 * await server.close();
 */
export class ManualClock implements SimClock {
  private time = 0;
  private order = 0;
  private immediates = 0;
  private readonly timers: Array<{ readonly at: number; readonly order: number; readonly fn: () => void }> = [];

  /** Milliseconds moved so far. */
  now(): number {
    return this.time;
  }

  /** How many timers wait for the clock to move. */
  get pending(): number {
    return this.timers.length;
  }

  schedule(fn: () => void, ms: number): () => void {
    if (!(ms > 0)) {
      this.immediates += 1;
      let ran = false;
      const immediate = setImmediate(() => {
        ran = true;
        this.immediates -= 1;
        fn();
      });
      return () => {
        if (ran) return;
        ran = true;
        this.immediates -= 1;
        clearImmediate(immediate);
      };
    }
    const timer = { at: this.time + ms, order: this.order++, fn };
    this.timers.push(timer);
    return () => {
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  /**
   * Moves the clock `ms` forward and runs the timers that fall due, in order; after each, what it set
   * off (promise callbacks, 0 ms timers, and the timers those schedule) runs before the next one.
   */
  async advance(ms: number): Promise<void> {
    const until = this.time + Math.max(0, ms);
    await this.settle();
    for (let next = this.next(); next !== undefined && next.at <= until; next = this.next()) await this.fire(next);
    this.time = until;
  }

  /** Moves the clock to its next timer and runs it (as `advance`); false when no timer is pending. */
  async advanceToNext(): Promise<boolean> {
    await this.settle();
    const next = this.next();
    if (next === undefined) return false;
    await this.fire(next);
    return true;
  }

  /**
   * Moves the clock from timer to timer until `done()` holds (asked before each move), e.g. until an
   * item has completed, then leaves it standing there. While no timer is pending (the server waits
   * for a request still on its way), real I/O runs for a moment and it looks again; after
   * `maxIdleMs` of real time with no timer and `done()` still false, it rejects, naming the wait.
   */
  async runUntil(done: () => boolean, maxIdleMs = 10_000): Promise<void> {
    let idleSince: number | undefined;
    while (!done()) {
      if (await this.advanceToNext()) {
        idleSince = undefined;
        continue;
      }
      idleSince ??= Date.now();
      if (Date.now() - idleSince > maxIdleMs) throw new Error(`ManualClock.runUntil: no timer was pending for ${maxIdleMs} ms, and the condition still does not hold`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private next(): { readonly at: number; readonly order: number; readonly fn: () => void } | undefined {
    let first: (typeof this.timers)[number] | undefined;
    for (const t of this.timers) if (first === undefined || t.at < first.at || (t.at === first.at && t.order < first.order)) first = t;
    return first;
  }

  private async fire(timer: (typeof this.timers)[number]): Promise<void> {
    this.timers.splice(this.timers.indexOf(timer), 1);
    this.time = Math.max(this.time, timer.at);
    timer.fn();
    await this.settle();
  }

  /** Turns of the event loop until no 0 ms timer is left (a chain of them runs to its end). */
  private async settle(): Promise<void> {
    do await turn();
    while (this.immediates > 0);
  }
}

/** A set of timers on one clock that can all be cleared at once (no open handles after `close()`). */
export class Timers {
  private readonly pending = new Set<() => void>();
  private closed = false;

  constructor(private readonly clock: SimClock = realTime) {}

  /** Runs `fn` after `ms` unless the set was closed. */
  after(ms: number, fn: () => void): void {
    if (this.closed) return;
    const cancel = this.clock.schedule(() => {
      this.pending.delete(cancel);
      if (!this.closed) fn();
    }, ms);
    this.pending.add(cancel);
  }

  /** Resolves after `ms` (never resolves once closed, which ends the awaiting task). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Clears every pending timer; later calls to `after` do nothing. */
  close(): void {
    this.closed = true;
    for (const cancel of this.pending) cancel();
    this.pending.clear();
  }
}

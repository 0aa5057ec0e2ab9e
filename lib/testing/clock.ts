/** Time helpers of the simulator: SQLite-style timestamps and tracked timers that `close()` can clear. */

/** A UTC timestamp as InvokeAI's SQLite stores it: `YYYY-MM-DD HH:MM:SS.fff`. */
export const sqliteNow = (now: Date = new Date()): string => now.toISOString().replace('T', ' ').replace('Z', '').slice(0, 23);

/** Unix seconds, as in event `timestamp`s. */
export const unixNow = (): number => Math.floor(Date.now() / 1000);

/** A set of timers that can all be cleared at once (no open handles after `close()`). */
export class Timers {
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private closed = false;

  /** Runs `fn` after `ms` unless the set was closed. */
  after(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.pending.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.pending.add(t);
  }

  /** Resolves after `ms` (never resolves once closed, which ends the awaiting task). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Clears every pending timer; later calls to `after` do nothing. */
  close(): void {
    this.closed = true;
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}

// The batches waiting in the pool for a server, in the order they are offered one: batches sent back
// (their server was lost) before new runs, new runs in arrival order. Which of them still need a
// check against the servers as they are now is kept beside, so that a pass over a long queue behind
// busy servers costs nothing per waiting run.
import type { Attempt } from './state';

/** The pool's waiting batches. */
export class WaitingRoom {
  /** Batches sent back after their server was lost, most recent first. */
  front: Attempt[] = [];
  /** New runs in arrival order (a Set, for O(1) removal). */
  readonly back = new Set<Attempt>();
  /** Waiting batches not yet checked against the servers as they are now. */
  readonly unchecked = new Set<Attempt>();

  /** A batch sent back: it waits before every other. */
  waitFirst(attempt: Attempt): void {
    this.front.unshift(attempt);
    this.unchecked.add(attempt);
  }

  /** A new run: it waits behind every other. */
  waitLast(attempt: Attempt): void {
    this.back.add(attempt);
    this.unchecked.add(attempt);
  }

  /** The batch stops waiting (it ended). One still in `front` (rare, and short) is dropped by the next pass. */
  leave(attempt: Attempt): void {
    this.back.delete(attempt);
    this.unchecked.delete(attempt);
  }

  /** The servers changed in a way that may change any verdict: every waiting batch is checked again. */
  uncheckAll(): void {
    for (const attempt of this.front) this.unchecked.add(attempt);
    for (const attempt of this.back) this.unchecked.add(attempt);
  }

  /** How many wait, not counting batches that ended while in `front`. */
  count(isGone: (attempt: Attempt) => boolean): number {
    return this.back.size + this.front.reduce((n, a) => (isGone(a) ? n : n + 1), 0);
  }

  clear(): void {
    this.front = [];
    this.back.clear();
    this.unchecked.clear();
  }
}

// Progress updates cost a Redis round trip and an event for every listener, while a run may report
// node progress dozens of times a second: send the latest value at most once per interval, one send
// at a time, and flush the last one at once when the run ends (so that a job's final progress is
// stored before its result, without waiting out the interval).
import { SchedulerLike, Subscription } from 'rxjs';

/** Sends values through `send`, throttled; see the file comment. */
export interface ProgressSender<P> {
  /** A new value: sent now if the interval has passed and nothing is in flight, else later (only the latest is kept). */
  readonly offer: (value: P) => void;
  /** Sends what is pending now and resolves when every send has settled. */
  readonly flush: () => Promise<void>;
}

/**
 * A throttled sender. A send that fails is reported to `onError` and not retried: the next value
 * carries the whole progress anyway.
 */
export const createProgressSender = <P>(
  send: (value: P) => Promise<unknown>,
  intervalMs: number,
  scheduler: SchedulerLike,
  onError: (error: unknown) => void,
): ProgressSender<P> => {
  let pending: { readonly value: P } | null = null;
  let inFlight: Promise<void> | null = null;
  let timer: Subscription | null = null;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  /** Once flushing, what is offered goes as soon as nothing is in flight, whatever the interval. */
  let flushing = false;

  const sendPending = (): void => {
    if (pending === null || inFlight !== null) return;
    const { value } = pending;
    pending = null;
    lastSentAt = scheduler.now();
    inFlight = send(value).then(
      () => undefined,
      (error: unknown) => onError(error),
    );
    void inFlight.then(() => {
      inFlight = null;
      schedule();
    });
  };

  /** Sends the pending value now if allowed, else arms the timer for when it is. */
  const schedule = (): void => {
    if (pending === null || inFlight !== null || timer !== null) return;
    const wait = lastSentAt + intervalMs - scheduler.now();
    if (wait <= 0 || flushing) return sendPending();
    timer = scheduler.schedule(() => {
      timer = null;
      sendPending();
    }, wait);
  };

  return {
    offer: (value) => {
      pending = { value };
      schedule();
    },
    flush: async () => {
      flushing = true;
      timer?.unsubscribe();
      timer = null;
      sendPending();
      // Each settled send sends what was offered meanwhile (see `schedule`).
      while (inFlight !== null) await inFlight;
    },
  };
};

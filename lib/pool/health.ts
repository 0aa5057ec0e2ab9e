// Probing a server that left the pool's rotation: one REST read after each backoff delay until one
// answers. Timers run on the given scheduler, so the backoff is tested in virtual time.
import { Observable, SchedulerLike, Subscription } from 'rxjs';
import { BackoffPolicy, backoffDelay } from '../internal/backoff';
import { queue } from '../client/queue';

/** The default probe backoff: 500 ms doubling to at most 15 s, with half jitter. */
export const DEFAULT_PROBE_POLICY: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 15000, factor: 2, jitter: 0.5 };

/**
 * Probes until one probe succeeds: waits `backoffDelay(n)` before probe `n` (1-based), then emits
 * `n` and completes. A probe fails by erroring (or by answering `false`). Unsubscribing stops the
 * timers and the probe in flight.
 *
 * @example
 * import { queue } from 'invokeai-rx';
 * import { asyncScheduler, from } from 'rxjs';
 * probeUntilUp(() => from(queue(client).status()), DEFAULT_PROBE_POLICY, asyncScheduler).subscribe(() => console.log('back'));
 * @internal
 */
export const probeUntilUp = (
  probe: () => Observable<unknown>,
  policy: BackoffPolicy,
  scheduler: SchedulerLike,
  random: () => number = Math.random,
): Observable<number> =>
  new Observable<number>((subscriber) => {
    const subscriptions = new Subscription();
    const attempt = (n: number): void => {
      subscriptions.add(
        scheduler.schedule(() => {
          let answered = false;
          const failed = (): void => {
            if (answered) return;
            answered = true;
            attempt(n + 1);
          };
          subscriptions.add(
            probe().subscribe({
              next: (value) => {
                if (answered) return;
                if (value === false) return failed();
                answered = true;
                subscriber.next(n);
                subscriber.complete();
              },
              error: failed,
              complete: failed,
            }),
          );
        }, backoffDelay(n, policy, random())),
      );
    };
    attempt(1);
    return () => subscriptions.unsubscribe();
  });

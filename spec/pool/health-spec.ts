// Probing a server out of rotation, in virtual time: the backoff between probes, the end at the
// first answer, and nothing left scheduled after unsubscribing.
import { Observable, defer, of, throwError, timer, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { probeUntilUp } from '../../lib/pool/health';

const policy = { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0 };

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A probe that fails `failures` times (each after `latency` ms), then answers; records when each probe started. */
const flakyProbe = (scheduler: TestScheduler, failures: number, latency = 0) => {
  const startedAt: number[] = [];
  const probe = (): Observable<unknown> =>
    defer(() => {
      startedAt.push(scheduler.now());
      const fails = startedAt.length <= failures;
      return timer(latency, scheduler).pipe(map(() => (fails ? false : 'ok')));
    });
  return { probe, startedAt };
};

describe('probeUntilUp', () => {
  it('waits 100, 200, 400, 400 ms (capped) between failing probes and emits the number of the first that answers', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { probe, startedAt } = flakyProbe(scheduler, 4);
      // probes at 100, 300, 700, 1100, 1500; the fifth answers
      expectObservable(probeUntilUp(probe, policy, scheduler)).toBe('1500ms (a|)', { a: 5 });
      scheduler.flush();
      expect(startedAt).toEqual([100, 300, 700, 1100, 1500]);
    });
  });

  it('counts an erroring probe as a failure and waits for a slow probe before the next delay', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      let n = 0;
      const times: number[] = [];
      const probe = () =>
        defer(() => {
          times.push(scheduler.now());
          n += 1;
          return n === 1 ? throwError(() => new Error('ECONNREFUSED')) : n === 2 ? timer(50, scheduler).pipe(map(() => false)) : of(true);
        });
      // 100: error; 300: slow failure answered at 350; 350 + 400 = 750: answers
      expectObservable(probeUntilUp(probe, policy, scheduler)).toBe('750ms (a|)', { a: 3 });
      scheduler.flush();
      expect(times).toEqual([100, 300, 750]);
    });
  });

  it('applies jitter from the injected random source', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { probe } = flakyProbe(scheduler, 1);
      // half jitter at random 1: each delay halved: 50, then 100
      expectObservable(probeUntilUp(probe, { ...policy, jitter: 0.5 }, scheduler, () => 1)).toBe('150ms (a|)', { a: 2 });
    });
  });

  it('stops probing when unsubscribed', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { probe, startedAt } = flakyProbe(scheduler, 100);
      expectObservable(probeUntilUp(probe, policy, scheduler), '^ 1000ms !').toBe('');
      scheduler.flush();
      expect(startedAt).toEqual([100, 300, 700]);
    });
  });
});

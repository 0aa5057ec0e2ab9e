// The run's poll clock in virtual time: nothing while the socket is healthy, backoff while it is
// down, silent, or a read is owed, and back to sleep once it is healthy again.
import { TestScheduler } from 'rxjs/testing';
import { createPollLoop, pollDelay, PollPolicy, socketHealthy } from '../../lib/run/poll';

const POLICY: PollPolicy = { pollIntervalMs: 100, maxPollIntervalMs: 800, silenceMs: 1000, jitter: 0 };

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('pollDelay', () => {
  it('doubles from pollIntervalMs up to maxPollIntervalMs', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => pollDelay(n, POLICY, 0))).toEqual([100, 200, 400, 800, 800, 800, 800]);
  });

  it('jitter only ever shortens a delay, by at most its share', () => {
    const jittered = { ...POLICY, jitter: 0.2 };
    for (const r of [0, 0.3, 0.99, 1]) {
      const delay = pollDelay(3, jittered, r);
      expect(delay).toBeLessThanOrEqual(400);
      expect(delay).toBeGreaterThanOrEqual(320);
    }
  });
});

describe('socketHealthy', () => {
  it('is healthy only when connected, not owed a read, and heard from within silenceMs', () => {
    const base = { connected: true, lastActivityAt: 0, readOwed: false };
    expect(socketHealthy(base, 999, POLICY)).toBe(true);
    expect(socketHealthy(base, 1000, POLICY)).toBe(false);
    expect(socketHealthy({ ...base, connected: false }, 1, POLICY)).toBe(false);
    expect(socketHealthy({ ...base, readOwed: true }, 1, POLICY)).toBe(false);
  });
});

describe('createPollLoop (virtual time)', () => {
  /** Runs `script` in virtual time; returns the times at which the loop polled. */
  const pollTimes = (connected: boolean, script: (loop: ReturnType<typeof createPollLoop>, at: (ms: number, f: () => void) => void) => void, until: number) => {
    const scheduler = newScheduler();
    const polls: number[] = [];
    scheduler.run(() => {
      const loop = createPollLoop({ policy: POLICY, scheduler, poll: () => polls.push(scheduler.now()), connected, random: () => 0 });
      const at = (ms: number, f: () => void) => void scheduler.schedule(f, ms);
      script(loop, at);
      at(until, () => loop.stop());
    });
    return polls;
  };

  it('never polls while a connected socket keeps talking', () => {
    const polls = pollTimes(true, (loop, at) => {
      for (let t = 500; t < 10000; t += 500) at(t, () => loop.activity());
    }, 10000);
    expect(polls).toEqual([]);
  });

  it('polls once the socket is silent for silenceMs, with backoff, and stops when it talks again', () => {
    const polls = pollTimes(true, (loop, at) => {
      at(2600, () => loop.activity());
    }, 3500);
    // silent from 0: polls at 1000, then +200, +400, +800 (capped); activity at 2600 ends it
    expect(polls).toEqual([1000, 1200, 1600, 2400]);
  });

  it('after activity resumes, silence is measured from the last event again', () => {
    const polls = pollTimes(true, (loop, at) => {
      at(2600, () => loop.activity());
    }, 4500);
    // silent again from 2600: polls at 3600, backing off anew (+200, +400)
    expect(polls.filter((t) => t > 2600)).toEqual([3600, 3800, 4200]);
  });

  it('polls from pollIntervalMs after a disconnect, backing off, until reconnected', () => {
    const polls = pollTimes(true, (loop, at) => {
      at(100, () => loop.disconnected());
      at(1500, () => loop.connected());
    }, 2400);
    // down at 100: 200, then 400 (+200), 800 (+400), 1600 would be next (+800) but the socket is back at 1500
    expect(polls).toEqual([200, 400, 800]);
  });

  it('a read owed while the socket is healthy polls with backoff until it is settled', () => {
    const polls = pollTimes(true, (loop, at) => {
      for (let t = 100; t < 5000; t += 100) at(t, () => loop.activity());
      at(300, () => loop.setReadOwed(true));
      at(1000, () => loop.setReadOwed(false));
    }, 5000);
    expect(polls).toEqual([400, 600]);
  });

  it('a run that starts without a socket polls from the start', () => {
    const polls = pollTimes(false, () => undefined, 1600);
    expect(polls).toEqual([100, 300, 700, 1500]);
  });

  it('stop cancels every timer', () => {
    const scheduler = newScheduler();
    const polls: number[] = [];
    scheduler.run(() => {
      const loop = createPollLoop({ policy: POLICY, scheduler, poll: () => polls.push(scheduler.now()), connected: false, random: () => 0 });
      scheduler.schedule(() => loop.stop(), 50);
    });
    expect(polls).toEqual([]);
  });
});

// The progress throttle in virtual time: sends are promises the test settles by hand.
import { VirtualTimeScheduler } from 'rxjs';
import { createProgressSender } from '../../lib/bullmq/progress-sender';

interface Send {
  readonly value: number;
  readonly at: number;
  settle(ok?: boolean): Promise<void>;
}

const setup = () => {
  const scheduler = new VirtualTimeScheduler();
  const sends: Send[] = [];
  const errors: unknown[] = [];
  const sender = createProgressSender<number>(
    (value) =>
      new Promise((resolve, reject) => {
        sends.push({
          value,
          at: scheduler.now(),
          settle: async (ok = true) => {
            if (ok) resolve(undefined);
            else reject(new Error(`send ${value} failed`));
            // Let the sender's promise callbacks run.
            for (let i = 0; i < 5; i++) await Promise.resolve();
          },
        });
      }),
    100,
    scheduler,
    (error) => errors.push(error),
  );
  /** Moves virtual time to `t`, running the timers due by then. */
  const advanceTo = (t: number): void => {
    scheduler.schedule(() => undefined, t - scheduler.now());
    scheduler.maxFrames = t;
    scheduler.flush();
  };
  return { sender, sends, errors, advanceTo, scheduler };
};

describe('createProgressSender', () => {
  it('sends the first value at once, then only the latest, at most once per interval and one at a time', async () => {
    const { sender, sends, advanceTo } = setup();
    sender.offer(1);
    expect(sends.map((s) => [s.value, s.at])).toEqual([[1, 0]]);
    advanceTo(10);
    sender.offer(2);
    sender.offer(3);
    expect(sends).toHaveLength(1);
    await sends[0].settle();
    advanceTo(99);
    expect(sends).toHaveLength(1);
    advanceTo(100);
    expect(sends.map((s) => [s.value, s.at])).toEqual([
      [1, 0],
      [3, 100],
    ]);
    // A send that takes longer than the interval holds the next one back until it settles.
    advanceTo(250);
    sender.offer(4);
    expect(sends).toHaveLength(2);
    await sends[1].settle();
    expect(sends.map((s) => [s.value, s.at])).toEqual([
      [1, 0],
      [3, 100],
      [4, 250],
    ]);
  });

  it('flush sends what is pending now, without waiting out the interval, and resolves once every send settled', async () => {
    const { sender, sends, advanceTo } = setup();
    sender.offer(1);
    advanceTo(20);
    sender.offer(2);
    let flushed = false;
    const flush = sender.flush().then(() => {
      flushed = true;
    });
    await sends[0].settle();
    expect(sends.map((s) => [s.value, s.at])).toEqual([
      [1, 0],
      [2, 20],
    ]);
    expect(flushed).toBe(false);
    await sends[1].settle();
    await flush;
    expect(flushed).toBe(true);
  });

  it('reports a failed send and goes on: the next value carries the whole progress', async () => {
    const { sender, sends, errors, advanceTo } = setup();
    sender.offer(1);
    await sends[0].settle(false);
    expect(errors.map(String)).toEqual(['Error: send 1 failed']);
    advanceTo(100);
    sender.offer(2);
    expect(sends.map((s) => s.value)).toEqual([1, 2]);
  });
});

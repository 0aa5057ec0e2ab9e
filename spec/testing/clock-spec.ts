// The simulator's manual clock: timers run only when the test moves it, in order, each with what it
// set off before the next; 0 ms timers wait for no time; cancelled and closed timers never run.
import { ManualClock, Timers } from '../../lib/testing/clock';

describe('ManualClock', () => {
  it('runs timers only as far as it is moved, in time order, ties in the order they were set', async () => {
    const clock = new ManualClock();
    const ran: string[] = [];
    clock.schedule(() => ran.push('b@20'), 20);
    clock.schedule(() => ran.push('a@10'), 10);
    clock.schedule(() => ran.push('c@20'), 20);
    await clock.advance(9);
    expect(ran).toEqual([]);
    expect(clock.pending).toBe(3);
    await clock.advance(11);
    expect(ran).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(20);
    expect(clock.pending).toBe(0);
  });

  it('lets what a timer set off run before the next timer: a loop of sleeps steps once per interval', async () => {
    const clock = new ManualClock();
    const timers = new Timers(clock);
    const steps: number[] = [];
    void (async () => {
      for (let i = 0; i < 5; i++) {
        await timers.sleep(10);
        await timers.sleep(0);
        steps.push(clock.now());
      }
    })();
    await clock.advance(35);
    expect(steps).toEqual([10, 20, 30]);
    expect(await clock.advanceToNext()).toBe(true);
    expect(steps).toEqual([10, 20, 30, 40]);
    await clock.advance(100);
    expect(steps).toEqual([10, 20, 30, 40, 50]);
    expect(await clock.advanceToNext()).toBe(false);
  });

  it('runUntil moves timer by timer until the condition holds, waits for real I/O while no timer is pending, and gives up after maxIdleMs', async () => {
    const clock = new ManualClock();
    const timers = new Timers(clock);
    const steps: number[] = [];
    const tick = (): void =>
      timers.after(10, () => {
        steps.push(clock.now());
        tick();
      });
    // The first timer is set only once a real-time callback has run, as a request answered later would.
    setTimeout(tick, 20);
    await clock.runUntil(() => steps.length === 3);
    expect(steps).toEqual([10, 20, 30]);
    expect(clock.now()).toBe(30);
    await expect(new ManualClock().runUntil(() => false, 50)).rejects.toThrow('no timer was pending for 50 ms');
  });

  it('never runs a cancelled timer, nor a closed set\'s', async () => {
    const clock = new ManualClock();
    const ran: string[] = [];
    const cancel = clock.schedule(() => ran.push('cancelled'), 5);
    clock.schedule(() => ran.push('kept'), 5);
    cancel();
    const timers = new Timers(clock);
    timers.after(5, () => ran.push('closed'));
    timers.after(0, () => ran.push('closed at once'));
    timers.close();
    await clock.advance(10);
    expect(ran).toEqual(['kept']);
  });
});

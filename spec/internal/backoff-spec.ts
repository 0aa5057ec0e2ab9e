import * as fc from 'fast-check';
import { backoffDelay, BackoffPolicy } from '../../lib/internal/backoff';

const noJitter: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 };

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, noJitter, 0.7))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('jitter takes away up to its share of the delay', () => {
    const policy = { ...noJitter, jitter: 0.5 };
    expect(backoffDelay(2, policy, 0)).toBe(200);
    expect(backoffDelay(2, policy, 1)).toBe(100);
    expect(backoffDelay(2, policy, 0.5)).toBe(150);
  });

  it('stays within [base * (1 - jitter), cap] for any attempt and random value', () => {
    const policy = fc.record({
      initialDelayMs: fc.integer({ min: 0, max: 10000 }),
      maxDelayMs: fc.integer({ min: 0, max: 60000 }),
      factor: fc.double({ min: 1, max: 4, noNaN: true }),
      jitter: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 10000 }), fc.double({ min: 0, max: 1, noNaN: true }), (p, n, r) => {
        const delay = backoffDelay(n, p, r);
        const base = p.initialDelayMs === 0 ? 0 : Math.min(p.maxDelayMs, p.initialDelayMs * Math.pow(p.factor, n - 1));
        expect(delay).toBeLessThanOrEqual(Math.max(p.maxDelayMs, 0) + 0.5);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - p.jitter)) - 0.5);
        expect(Number.isFinite(delay)).toBe(true);
      }),
    );
  });
});

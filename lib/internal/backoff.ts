// Pure backoff arithmetic shared by HTTP retries, socket reconnects, run polls and pool probes.

/** Capped exponential backoff with jitter. */
export interface BackoffPolicy {
  /** The delay before the first retry, before jitter. */
  readonly initialDelayMs: number;
  /** No delay exceeds this. */
  readonly maxDelayMs: number;
  /** Growth per attempt (2 doubles). */
  readonly factor: number;
  /** 0..1: the share of each delay that is randomized away, so many clients do not retry in lockstep. */
  readonly jitter: number;
}

/** Retry policy of idempotent HTTP requests. */
export interface RetryPolicy extends BackoffPolicy {
  /** Retries after the first attempt (0 disables retrying). */
  readonly maxRetries: number;
}

/** The default HTTP retry policy: 3 retries, 250 ms doubling to at most 5 s, half jitter. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, initialDelayMs: 250, maxDelayMs: 5000, factor: 2, jitter: 0.5 };

/** The default reconnect policy of the socket: 500 ms doubling to at most 30 s, half jitter, forever. */
export const DEFAULT_RECONNECT_POLICY: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 30000, factor: 2, jitter: 0.5 };

/**
 * The delay before retry number `attempt` (1-based): `min(max, initial * factor^(attempt-1))`, then
 * reduced by up to `jitter` of itself according to `random` (0..1). Never above `maxDelayMs`, never negative.
 *
 * @example
 * backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 }, Math.random()); // 400
 * @internal
 */
export const backoffDelay = (attempt: number, policy: BackoffPolicy, random: number): number => {
  const exponent = Math.max(0, attempt - 1);
  const growth = policy.initialDelayMs * Math.pow(policy.factor, exponent);
  // 0 * Infinity is NaN for a huge attempt number; a zero initial delay stays zero.
  const base = Math.max(0, Math.min(policy.maxDelayMs, Number.isNaN(growth) ? 0 : growth));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const r = Math.min(1, Math.max(0, Number.isFinite(random) ? random : 0));
  return Math.max(0, Math.round(base * (1 - jitter * r)));
};

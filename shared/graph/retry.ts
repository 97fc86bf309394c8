/**
 * Pure helpers of the retry discipline: Retry-After parsing and exponential backoff with jitter.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (0 = no retry). Queue workers keep this small and reschedule instead. */
  maxRetries: number;
  /** First backoff step when Graph sends no Retry-After. */
  baseDelayMs: number;
  /** Upper bound of one backoff step. */
  maxDelayMs: number;
  /**
   * A Retry-After longer than this is not waited for in-process: the error is thrown with `retryAfterMs` so the
   * caller (a queue worker) can reschedule the work instead of holding a Functions instance.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/**
 * Parses a Retry-After header: delta-seconds (Graph sends fractional values such as "2.128") or an HTTP-date.
 * Returns milliseconds (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  // An HTTP-date (IMF-fixdate); refuse bare numbers with signs or exponents, which Date.parse would accept.
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Backoff before retry number `retry` (0-based) when Graph gave no Retry-After: exponential with "equal jitter",
 * i.e. uniformly in [step/2, step] where step = min(maxDelayMs, baseDelayMs * 2^retry).
 * `random` returns a number in [0, 1).
 */
export function backoffDelay(
  retry: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry));
  const half = step / 2;
  return Math.round(half + random() * half);
}

/**
 * Retry policy for a user whose migration failed (some meetings could not be updated, or the run stopped on a
 * retryable error). MMS retries up to 9 times over 24 hours (reference/mms-behaviour.md §4); so do we, by
 * default (setting MIGRATION_MAX_RETRIES).
 *
 * The schedule starts short, because most failures are transient (throttling, a 5xx, a mailbox still being
 * provisioned), and grows, because the rest need time or an admin:
 *
 * | retry | waits   | after the first failure |
 * |-------|---------|-------------------------|
 * | 1     | 5 min   | 0 h 05                  |
 * | 2     | 15 min  | 0 h 20                  |
 * | 3     | 30 min  | 0 h 50                  |
 * | 4     | 1 h     | 1 h 50                  |
 * | 5     | 2 h     | 3 h 50                  |
 * | 6     | 3 h     | 6 h 50                  |
 * | 7     | 4 h     | 10 h 50                 |
 * | 8     | 6 h     | 16 h 50                 |
 * | 9     | 7 h     | 23 h 50                 |
 *
 * Nine retries take 23 h 50 min in all. A smaller MIGRATION_MAX_RETRIES uses the first steps; a larger one
 * repeats the last step (7 h) for every further retry. When Graph asks for a longer wait (Retry-After), the
 * caller waits the longer of the two (`retryDelayHonouring`).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The wait before retry n+1, for n = 0..8. */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  2 * HOUR,
  3 * HOUR,
  4 * HOUR,
  6 * HOUR,
  7 * HOUR,
];

/** MMS's number of retries, our default. */
export const DEFAULT_MAX_RETRIES = 9;

/**
 * How long to wait before the next retry, given how many retries have already run (`retryCount`, 0 after the
 * first failure), or null when `maxRetries` retries have run and the user stays Failed.
 */
export function nextRetryDelay(retryCount: number, maxRetries: number = DEFAULT_MAX_RETRIES): number | null {
  if (!Number.isInteger(retryCount) || retryCount < 0) {
    throw new RangeError(`retryCount must be a whole number >= 0, got ${retryCount}`);
  }
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new RangeError(`maxRetries must be a whole number >= 0, got ${maxRetries}`);
  }
  if (retryCount >= maxRetries) return null;
  const last = RETRY_SCHEDULE_MS[RETRY_SCHEDULE_MS.length - 1] ?? HOUR;
  return RETRY_SCHEDULE_MS[retryCount] ?? last;
}

/** `nextRetryDelay`, but never shorter than a wait the server asked for (Retry-After, in ms). */
export function retryDelayHonouring(
  retryCount: number,
  maxRetries: number,
  retryAfterMs: number | undefined,
): number | null {
  const d = nextRetryDelay(retryCount, maxRetries);
  if (d === null) return null;
  return retryAfterMs !== undefined && retryAfterMs > d ? retryAfterMs : d;
}

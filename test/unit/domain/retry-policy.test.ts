/**
 * Retry schedule: 9 retries within 24 hours (MMS's numbers), growing waits, and an end.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_RETRIES,
  RETRY_SCHEDULE_MS,
  nextRetryDelay,
  retryDelayHonouring,
} from '../../../shared/domain/retry-policy';

const MIN = 60_000;
const HOUR = 60 * MIN;

function schedule(maxRetries: number): number[] {
  const out: number[] = [];
  for (let n = 0; ; n++) {
    const d = nextRetryDelay(n, maxRetries);
    if (d === null) return out;
    out.push(d);
    assert.ok(n < 1000, 'the schedule must end');
  }
}

describe('retry policy', () => {
  it('retries 9 times by default, as MMS does', () => {
    assert.equal(DEFAULT_MAX_RETRIES, 9);
    assert.equal(schedule(DEFAULT_MAX_RETRIES).length, 9);
    assert.equal(nextRetryDelay(9), null);
  });

  it('uses the documented waits: 5 min, 15 min, 30 min, 1, 2, 3, 4, 6, 7 h', () => {
    assert.deepEqual(schedule(9), [
      5 * MIN,
      15 * MIN,
      30 * MIN,
      HOUR,
      2 * HOUR,
      3 * HOUR,
      4 * HOUR,
      6 * HOUR,
      7 * HOUR,
    ]);
    assert.deepEqual([...RETRY_SCHEDULE_MS], schedule(9));
  });

  it('fits the 9 retries in 24 hours, using most of it (23 h 50 min)', () => {
    const total = schedule(9).reduce((a, b) => a + b, 0);
    assert.equal(total, 23 * HOUR + 50 * MIN);
    assert.ok(total <= 24 * HOUR);
  });

  it('never shortens the wait from one retry to the next', () => {
    const s = schedule(20);
    for (let i = 1; i < s.length; i++) assert.ok(s[i]! >= s[i - 1]!, `step ${i}`);
  });

  it('ends after exactly maxRetries retries for every allowed setting (0..50)', () => {
    for (let max = 0; max <= 50; max++) {
      const s = schedule(max);
      assert.equal(s.length, max);
      assert.ok(s.every((d) => d > 0));
    }
  });

  it('uses the first steps for fewer retries and repeats the last (7 h) for more', () => {
    assert.deepEqual(schedule(3), [5 * MIN, 15 * MIN, 30 * MIN]);
    assert.deepEqual(schedule(11).slice(9), [7 * HOUR, 7 * HOUR]);
  });

  it('refuses nonsense counts', () => {
    assert.throws(() => nextRetryDelay(-1, 9), RangeError);
    assert.throws(() => nextRetryDelay(1.5, 9), RangeError);
    assert.throws(() => nextRetryDelay(0, -1), RangeError);
  });

  it('waits at least as long as the server asked (Retry-After), and still ends', () => {
    assert.equal(retryDelayHonouring(0, 9, 20 * MIN), 20 * MIN);
    assert.equal(retryDelayHonouring(0, 9, 1000), 5 * MIN);
    assert.equal(retryDelayHonouring(0, 9, undefined), 5 * MIN);
    assert.equal(retryDelayHonouring(9, 9, 1000), null);
  });
});

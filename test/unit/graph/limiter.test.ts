/**
 * The per-mailbox limiter's request budget (Outlook: 10,000 requests per 10 minutes), on a fake clock: no window
 * ever holds more than the budget, a mailbox under its budget is never slowed, mailboxes are independent, and a
 * mailbox is remembered exactly as long as its requests count.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedLimiter, OUTLOOK_MAILBOX_BUDGET, type RequestBudget } from '../../../shared/graph/limiter';

/** Virtual time: `sleep` resolves when `run` advances the clock to its deadline. */
class FakeClock {
  now = 0;
  private timers: { at: number; resolve: () => void }[] = [];
  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => this.timers.push({ at: this.now + Math.max(0, ms), resolve }));
  private static flush(): Promise<void> {
    return new Promise((r) => setImmediate(r));
  }
  /** Runs `work` to completion, jumping the clock from timer to timer whenever nothing else can happen. */
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    for (;;) {
      await FakeClock.flush();
      if (done) return result;
      if (this.timers.length === 0) throw new Error('deadlock: work pending and no timer');
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0]?.at ?? this.now;
      this.now = Math.max(this.now, next);
      const due = this.timers.filter((t) => t.at <= this.now);
      this.timers = this.timers.filter((t) => t.at > this.now);
      for (const t of due) t.resolve();
    }
  }
}

/** Starts `n` requests on `key`, each taking `ms` of virtual time; resolves with their start times. */
function requests(limiter: KeyedLimiter, clock: FakeClock, key: string, n: number, ms: number) {
  const starts: number[] = [];
  const all = Array.from({ length: n }, () =>
    limiter.run(key, async () => {
      starts.push(clock.now);
      await clock.sleep(ms);
    }),
  );
  return Promise.all(all).then(() => starts.sort((a, b) => a - b));
}

/** The most starts in any half-open interval of length `windowMs`. */
function busiestWindow(starts: number[], windowMs: number): number {
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < starts.length; hi++) {
    while ((starts[hi] ?? 0) - (starts[lo] ?? 0) >= windowMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

describe('KeyedLimiter request budget', () => {
  const budget: RequestBudget = { requests: 100, windowMs: 60_000, marginMs: 500 };

  it('never starts more than the budget in any window, and paces instead of stopping', async () => {
    const clock = new FakeClock();
    const limiter = new KeyedLimiter(4, clock.sleep, () => clock.now, budget);
    const starts = await clock.run(requests(limiter, clock, 'm', 350, 100));
    assert.equal(starts.length, 350);
    assert.equal(busiestWindow(starts, budget.windowMs), 100);
    // A window plus the margin plus at most two 100 ms buckets between each hundred: no more waiting than that.
    const lastHundred = starts[300] ?? 0;
    assert.ok(lastHundred <= 3 * (60_000 + 500 + 200) + 100, `4th hundred started at ${lastHundred}`);
    assert.ok(lastHundred >= 3 * 60_000, `4th hundred started at ${lastHundred}`);
    assert.ok(limiter.stats().budgetWaits > 0);
  });

  it('does not slow a mailbox that stays within its budget: only the 4 slots bound it', async () => {
    const clock = new FakeClock();
    const limiter = new KeyedLimiter(4, clock.sleep, () => clock.now, budget);
    const starts = await clock.run(requests(limiter, clock, 'm', 100, 100));
    assert.equal(starts.at(-1), (100 / 4 - 1) * 100);
    assert.deepEqual(limiter.stats(), { budgetWaits: 0, budgetWaitMs: 0, tasks: 100, busyMs: 100 * 100 });
  });

  it('keeps each mailbox to its own budget', async () => {
    const clock = new FakeClock();
    const limiter = new KeyedLimiter(4, clock.sleep, () => clock.now, budget);
    const a = await clock.run(requests(limiter, clock, 'A', 100, 100));
    const [a2, b] = await clock.run(
      Promise.all([requests(limiter, clock, 'a', 1, 100), requests(limiter, clock, 'B', 100, 100)]),
    );
    assert.ok((a2?.[0] ?? 0) - (a[0] ?? 0) >= budget.windowMs, 'keys are case-insensitive: "a" waited');
    assert.ok((b.at(-1) ?? Infinity) < 10_000, 'B was not held by A');
  });

  it('counts retries and requests that failed: every attempt spends budget', async () => {
    const clock = new FakeClock();
    const limiter = new KeyedLimiter(4, clock.sleep, () => clock.now, { requests: 3, windowMs: 1000 });
    const fail = () => limiter.run('m', () => Promise.reject(new Error('503')));
    await clock.run(Promise.allSettled([fail(), fail(), fail()]));
    assert.equal(limiter.used('m'), 3);
    const before = clock.now;
    await clock.run(limiter.run('m', () => Promise.resolve()));
    assert.ok(clock.now - before >= 1000, 'the fourth attempt waited for the window');
  });

  it('remembers a mailbox while its requests count, then forgets it', async () => {
    const clock = new FakeClock();
    const limiter = new KeyedLimiter(4, clock.sleep, () => clock.now, budget);
    await clock.run(requests(limiter, clock, 'm', 10, 100));
    assert.equal(limiter.size, 1);
    assert.equal(limiter.used('m'), 10);
    clock.now += budget.windowMs;
    limiter.sweep();
    assert.equal(limiter.size, 1, 'still counted during the margin');
    clock.now += 1000;
    limiter.sweep();
    assert.equal(limiter.size, 0);
    assert.equal(limiter.used('m'), 0);
  });

  it("defaults to Outlook's 10,000 per 10 minutes, and refuses a meaningless budget", () => {
    const limiter = new KeyedLimiter(4, () => Promise.resolve());
    assert.deepEqual(limiter.budget, OUTLOOK_MAILBOX_BUDGET);
    assert.equal(OUTLOOK_MAILBOX_BUDGET.requests, 10_000);
    assert.equal(OUTLOOK_MAILBOX_BUDGET.windowMs, 600_000);
    const sleep = () => Promise.resolve();
    assert.throws(() => new KeyedLimiter(4, sleep, Date.now, { requests: 0, windowMs: 1 }), RangeError);
    assert.throws(() => new KeyedLimiter(4, sleep, Date.now, { requests: 1.5, windowMs: 1 }), RangeError);
    assert.throws(() => new KeyedLimiter(4, sleep, Date.now, { requests: 1, windowMs: 0 }), RangeError);
    assert.throws(() => new KeyedLimiter(4, sleep, Date.now, { requests: 1, windowMs: 1, marginMs: -1 }));
  });

  it('paces a 12,000-request mailbox at Outlook scale: no 10-minute window over 10,000', async () => {
    const clock = new FakeClock();
    const limiter = new KeyedLimiter(4, clock.sleep, () => clock.now);
    const starts = await clock.run(requests(limiter, clock, 'big', 12_000, 40));
    assert.equal(busiestWindow(starts, 600_000), 10_000);
    assert.equal(busiestWindow(starts, 601_000), 10_000, 'the margin holds too');
    // 10,000 at 4 × 40 ms = 100 s, then the rest after the window: about 10 minutes, not more.
    assert.ok((starts.at(-1) ?? 0) < 600_000 + 1000 + 2000 + 2000 * 10, `last start ${starts.at(-1)}`);
  });
});

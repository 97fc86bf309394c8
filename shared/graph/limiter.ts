/**
 * Per-mailbox limits of Exchange Online, kept on our side so the mailbox never has to refuse us:
 * - at most `concurrency` requests in flight per key (Outlook allows 4 per app and mailbox);
 * - at most `budget.requests` started in any `budget.windowMs` (Outlook: 10,000 per 10 minutes). A request that
 *   would exceed it waits, holding its slot, until the oldest counted requests leave the window;
 * - a shared "paused until" when Graph throttles the mailbox anyway, so every request for that mailbox waits for
 *   Retry-After instead of only the one that got the 429.
 *
 * The budget is a sliding window of one-second buckets (600 for 10 minutes). A request counts from the start of
 * its bucket until its window, one more bucket and a margin for its transit have passed: longer than Graph counts
 * it, never shorter, whether Graph's window is fixed or sliding. Every attempt counts, retries included.
 *
 * Limiters are created on first use and dropped when nothing holds them: no slot in use, no pause pending and no
 * request left in the window, so memory follows the mailboxes of the last window, not every mailbox ever seen.
 */
import pLimit, { type LimitFunction } from 'p-limit';

/** Requests allowed per mailbox in any window. */
export interface RequestBudget {
  requests: number;
  windowMs: number;
  /**
   * How much longer than the window a request keeps counting (default 1 s): Graph starts counting it when it
   * arrives, a little after we start it, and its window may begin a little after ours.
   */
  marginMs?: number;
}

/** Outlook's documented per app and mailbox limit (graph-facts.md, "Throttling"). */
export const OUTLOOK_MAILBOX_BUDGET: RequestBudget = { requests: 10_000, windowMs: 600_000, marginMs: 1000 };

/** Buckets per window: the granularity of the sliding window (1 s for Outlook's 10 minutes). */
const BUCKETS_PER_WINDOW = 600;

/** Above this many tracked keys, droppable ones are swept after each request. */
const SWEEP_THRESHOLD = 1000;

/**
 * Requests started per bucket, oldest first. Bucket `b` covers [b·w, (b+1)·w); its requests count until
 * (b+2)·w + windowMs + marginMs.
 */
class SlidingWindow {
  private readonly width: number;
  private readonly span: number;
  private readonly buckets: number[] = [];
  private readonly counts: number[] = [];
  private head = 0;
  private total = 0;

  constructor(private readonly budget: RequestBudget) {
    this.width = Math.max(1, Math.floor(budget.windowMs / BUCKETS_PER_WINDOW));
    this.span = budget.windowMs + (budget.marginMs ?? 1000);
  }

  private expiryOf(bucket: number): number {
    return (bucket + 2) * this.width + this.span;
  }

  private expire(now: number): void {
    while (this.head < this.buckets.length && this.expiryOf(this.buckets[this.head] ?? 0) <= now) {
      this.total -= this.counts[this.head] ?? 0;
      this.head++;
    }
    if (this.head === this.buckets.length) {
      this.buckets.length = 0;
      this.counts.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.buckets.length) {
      this.buckets.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Milliseconds to wait before one more request fits the budget (0: it fits now). */
  waitMs(now: number): number {
    this.expire(now);
    if (this.total < this.budget.requests) return 0;
    // Full: the oldest bucket's expiry frees at least one request.
    return Math.max(1, this.expiryOf(this.buckets[this.head] ?? 0) - now);
  }

  record(now: number): void {
    const b = Math.floor(now / this.width);
    const last = this.buckets.length - 1;
    if (last >= this.head && this.buckets[last] === b) this.counts[last] = (this.counts[last] ?? 0) + 1;
    else {
      this.buckets.push(b);
      this.counts.push(1);
    }
    this.total++;
  }

  /** Requests still counted at `now`. */
  used(now: number): number {
    this.expire(now);
    return this.total;
  }
}

interface Entry {
  limit: LimitFunction;
  /** Callers that hold or wait for a slot (ours, not p-limit's counters, so the drop decision is exact). */
  users: number;
  /** Epoch ms before which no request for this key starts. */
  pausedUntil: number;
  window: SlidingWindow | undefined;
}

export interface KeyedLimiterStats {
  /** Requests that waited for the budget before they started. */
  budgetWaits: number;
  /** Total time requests spent waiting for the budget, ms. */
  budgetWaitMs: number;
  /** Tasks run, and the total time they held a slot, ms (slot occupancy = busyMs ÷ (slots × wall time)). */
  tasks: number;
  busyMs: number;
}

export class KeyedLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly counters: KeyedLimiterStats = { budgetWaits: 0, budgetWaitMs: 0, tasks: 0, busyMs: 0 };

  /**
   * `budget`: requests allowed per window and key (default Outlook's; `null`: concurrency and pauses only, for
   * keys that are not mailboxes).
   */
  constructor(
    readonly concurrency: number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly now: () => number = Date.now,
    readonly budget: RequestBudget | null = OUTLOOK_MAILBOX_BUDGET,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');
    if (budget !== null) {
      if (!Number.isInteger(budget.requests) || budget.requests < 1)
        throw new RangeError('budget.requests must be an integer >= 1');
      if (!Number.isFinite(budget.windowMs) || budget.windowMs < 1)
        throw new RangeError('budget.windowMs must be >= 1');
      if (budget.marginMs !== undefined && !(budget.marginMs >= 0))
        throw new RangeError('budget.marginMs must be >= 0');
    }
  }

  /** Runs `task` inside the key's limits, after any pause on the key has passed and the budget allows it. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const k = key.toLowerCase();
    let entry = this.entries.get(k);
    if (!entry) {
      entry = {
        limit: pLimit(this.concurrency),
        users: 0,
        pausedUntil: 0,
        window: this.budget ? new SlidingWindow(this.budget) : undefined,
      };
      this.entries.set(k, entry);
    }
    const e = entry;
    e.users++;
    try {
      return await e.limit(async () => {
        // Checked after getting the slot: a 429 may have paused the key while this task was queued, and the
        // other slots may have spent the budget. Check and record are synchronous, so slots cannot overspend.
        for (;;) {
          const now = this.now();
          const paused = e.pausedUntil - now;
          if (paused > 0) {
            await this.sleep(paused);
            continue;
          }
          const wait = e.window?.waitMs(now) ?? 0;
          if (wait > 0) {
            this.counters.budgetWaits++;
            this.counters.budgetWaitMs += wait;
            await this.sleep(wait);
            continue;
          }
          e.window?.record(now);
          break;
        }
        const started = this.now();
        try {
          return await task();
        } finally {
          this.counters.tasks++;
          this.counters.busyMs += this.now() - started;
        }
      });
    } finally {
      e.users--;
      if (this.droppable(e, this.now()) && this.entries.get(k) === e) this.entries.delete(k);
      if (this.entries.size > SWEEP_THRESHOLD) this.sweep();
    }
  }

  private droppable(e: Entry, now: number): boolean {
    return e.users === 0 && e.pausedUntil <= now && (e.window === undefined || e.window.used(now) === 0);
  }

  /** Drops keys nothing holds any more (keys idle since their last request are otherwise kept until next used). */
  sweep(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (this.droppable(e, now)) this.entries.delete(k);
  }

  /** Holds every request for `key` until `ms` from now (longest pause wins). */
  pause(key: string, ms: number): void {
    const e = this.entries.get(key.toLowerCase());
    if (e) e.pausedUntil = Math.max(e.pausedUntil, this.now() + ms);
  }

  /** Requests of `key` counted in its current window. */
  used(key: string): number {
    return this.entries.get(key.toLowerCase())?.window?.used(this.now()) ?? 0;
  }

  /** Number of keys currently tracked (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  stats(): KeyedLimiterStats {
    return { ...this.counters };
  }
}

/**
 * Per-mailbox concurrency: at most `concurrency` requests in flight per key (Exchange Online allows 4 per app
 * and mailbox), plus a shared "paused until" when Graph throttles the mailbox, so every request for that mailbox
 * waits for Retry-After instead of only the one that got the 429. Limiters are created on first use and dropped
 * when idle, so memory does not grow with the number of mailboxes ever seen.
 */
import pLimit, { type LimitFunction } from 'p-limit';

/** Above this many tracked keys, idle ones are swept after each request. */
const SWEEP_THRESHOLD = 1000;

interface Entry {
  limit: LimitFunction;
  /** Callers that hold or wait for a slot (ours, not p-limit's counters, so the drop decision is exact). */
  users: number;
  /** Epoch ms before which no request for this key starts. */
  pausedUntil: number;
}

export class KeyedLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly concurrency: number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');
  }

  /** Runs `task` inside the key's limit, after any pause on the key has passed. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const k = key.toLowerCase();
    let entry = this.entries.get(k);
    if (!entry) {
      entry = { limit: pLimit(this.concurrency), users: 0, pausedUntil: 0 };
      this.entries.set(k, entry);
    }
    const e = entry;
    e.users++;
    try {
      return await e.limit(async () => {
        // Re-check after getting the slot: a 429 may have paused the key while this task was queued.
        for (let wait = e.pausedUntil - this.now(); wait > 0; wait = e.pausedUntil - this.now()) {
          await this.sleep(wait);
        }
        return task();
      });
    } finally {
      e.users--;
      if (e.users === 0 && e.pausedUntil <= this.now() && this.entries.get(k) === e) this.entries.delete(k);
      if (this.entries.size > SWEEP_THRESHOLD) this.sweep();
    }
  }

  /** Drops idle keys whose pause has passed (keys paused while idle are otherwise kept until next used). */
  private sweep(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.users === 0 && e.pausedUntil <= now) this.entries.delete(k);
  }

  /** Holds every request for `key` until `ms` from now (longest pause wins). */
  pause(key: string, ms: number): void {
    const e = this.entries.get(key.toLowerCase());
    if (e) e.pausedUntil = Math.max(e.pausedUntil, this.now() + ms);
  }

  /** Number of keys currently tracked (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }
}

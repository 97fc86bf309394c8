/**
 * Outlook's per-mailbox limits (at most N concurrent requests, a request budget per window), configurable
 * latency, and fault injection: a seeded, deterministic rate of 429/503/504 answers and targeted errors for a
 * chosen event and method.
 */
import { z } from 'zod';
import { GraphError } from './http';
import { keyedUnit } from './prng';

export const throttlingConfig = z.object({
  /** Outlook allows 4 concurrent requests per app and mailbox. */
  maxConcurrentPerMailbox: z.number().int().min(1).default(4),
  /** Retry-After (seconds) sent with a concurrency 429. */
  concurrencyRetryAfterSeconds: z.number().min(0).default(1),
  /** Requests allowed per mailbox per window (Outlook: 10,000 per 10 minutes). */
  requestsPerWindow: z.number().int().min(1).default(10_000),
  windowMs: z.number().int().min(1).default(600_000),
  /** How long each Graph request takes to answer (the sandbox's own work included), holding its mailbox slot. */
  latencyMs: z.number().int().min(0).default(0),
});
export type ThrottlingConfig = z.infer<typeof throttlingConfig>;

export const faultTarget = z.object({
  /** An event id (series master, occurrence or single instance) the fault applies to. */
  eventId: z.string().min(1),
  /** HTTP method, e.g. PATCH; any method when absent. */
  method: z.string().optional(),
  status: z.number().int().min(400).max(599),
  code: z.string().optional(),
  message: z.string().optional(),
  retryAfterSeconds: z.number().min(0).optional(),
  /** How many requests it answers before it stops (unlimited when absent). */
  times: z.number().int().min(1).optional(),
});

export const faultConfig = z.object({
  /** Fraction (0..1) of Graph requests answered with one of `statuses`. */
  rate: z.number().min(0).max(1).default(0),
  statuses: z
    .array(z.union([z.literal(429), z.literal(503), z.literal(504)]))
    .min(1)
    .default([429, 503, 504]),
  /**
   * Seed of the deterministic choice of which requests fail: the n-th request with a given method and URL fails or
   * not whatever the order requests arrive in, so a concurrent run meets the same faults every time.
   */
  seed: z.number().int().default(1),
  retryAfterSeconds: z.number().min(0).default(1),
  targets: z.array(faultTarget).default([]),
});
export type FaultConfig = z.infer<typeof faultConfig>;
export type FaultConfigInput = z.input<typeof faultConfig>;

export class Throttle {
  config: ThrottlingConfig = throttlingConfig.parse({});
  private faults: FaultConfig = faultConfig.parse({});
  /** Requests seen per method and URL since the faults were set (the n in the fault choice). */
  private readonly seen = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly targetUses = new Map<number, number>();

  setConfig(input: unknown): ThrottlingConfig {
    this.config = throttlingConfig.parse({ ...this.config, ...(input as object) });
    return this.config;
  }

  setFaults(input: unknown): FaultConfig {
    this.faults = faultConfig.parse(input);
    this.seen.clear();
    this.targetUses.clear();
    return this.faults;
  }

  getFaults(): FaultConfig {
    return this.faults;
  }

  reset(): void {
    this.config = throttlingConfig.parse({});
    this.setFaults({});
    this.inFlight.clear();
    this.windows.clear();
  }

  concurrency(mailbox: string): number {
    return this.inFlight.get(mailbox) ?? 0;
  }

  /** Takes a slot for the mailbox or throws Outlook's 429. Returns the release function. */
  acquire(mailbox: string, now = Date.now()): () => void {
    const current = this.inFlight.get(mailbox) ?? 0;
    if (current >= this.config.maxConcurrentPerMailbox) {
      throw new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
        'Retry-After': String(this.config.concurrencyRetryAfterSeconds),
      });
    }
    let w = this.windows.get(mailbox);
    if (!w || now - w.start >= this.config.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(mailbox, w);
    }
    if (w.count >= this.config.requestsPerWindow) {
      const wait = Math.max(1, Math.ceil((w.start + this.config.windowMs - now) / 1000));
      throw new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxRequests limit.', {
        'Retry-After': String(wait),
      });
    }
    w.count++;
    this.inFlight.set(mailbox, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.inFlight.get(mailbox) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(mailbox);
      else this.inFlight.set(mailbox, n);
    };
  }

  /**
   * Throws the injected fault for this request, if any. `url` is the request's path and query: with `rate` set, the
   * n-th request with this method and URL fails when a number drawn from (seed, method, url, n) falls under it.
   */
  injectFault(method: string, url: string, eventIds: readonly string[]): void {
    this.faults.targets.forEach((t, i) => {
      if (t.method && t.method.toUpperCase() !== method.toUpperCase()) return;
      if (!eventIds.includes(t.eventId)) return;
      const used = this.targetUses.get(i) ?? 0;
      if (t.times !== undefined && used >= t.times) return;
      this.targetUses.set(i, used + 1);
      throw faultError(t.status, t.retryAfterSeconds, t.code, t.message);
    });
    if (this.faults.rate <= 0) return;
    const key = `${method.toUpperCase()} ${url}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    const draw = keyedUnit(this.faults.seed, `${key} #${n}`);
    if (draw < this.faults.rate) {
      const statuses = this.faults.statuses;
      // The same draw, scaled within the failing share, picks the status: no second number needed.
      const status = statuses[Math.floor((draw / this.faults.rate) * statuses.length)] ?? 503;
      throw faultError(status, this.faults.retryAfterSeconds);
    }
  }
}

function faultError(
  status: number,
  retryAfter: number | undefined,
  code?: string,
  message?: string,
): GraphError {
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined && (status === 429 || status === 503 || status === 504)) {
    headers['Retry-After'] = String(retryAfter);
  } else if (status === 429 || status === 503) {
    headers['Retry-After'] = '1';
  }
  const dflt: Record<number, [string, string]> = {
    429: ['TooManyRequests', 'Please retry again later.'],
    503: ['serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.'],
    504: ['generalException', 'The request timed out.'],
    500: ['generalException', 'An internal server error occurred.'],
    404: ['ErrorItemNotFound', 'The specified object was not found in the store.'],
    409: [
      'ErrorIrresolvableConflict',
      'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
    ],
    400: ['ErrorInvalidRequest', 'The request is invalid.'],
  };
  const [c, m] = dflt[status] ?? ['generalException', 'An error occurred.'];
  return new GraphError(status, code ?? c, message ?? m, headers);
}

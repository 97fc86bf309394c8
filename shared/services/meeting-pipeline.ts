/**
 * The parts of the migration worker's pipeline that keep the mailbox's Graph slots busy (migrate-user.ts uses
 * them):
 *
 * - `prefetch(pages)`: the next listing page is requested as soon as the current one is handed out, so it is there
 *   when the meetings of the current page are done (at most one page ahead: memory stays a few pages).
 *   `startedWith(first, rest)` lets the first page be asked for before the loop starts (beside the user checks).
 * - `GroupCommitWriter`: storage writes of one partition collected into entity group transactions (up to 100 rows
 *   each). While one transaction is in flight, the next rows gather; when it ends, they go together. A lone write
 *   goes at once, so batching never waits for a timer. `write` resolves when the row is durable (the ledger's
 *   `pending` row before its PATCH); `defer` lets the caller go on, and `flush` (at the end of a run) waits for
 *   every deferred row and throws the first failure, so nothing deferred is lost silently.
 * - `LatestWriter`: a write whose latest value is all that matters (the run's progress): runs in the background,
 *   one at a time, intermediate values skipped.
 */

/**
 * Yields the items of `source`, asking for the next one as soon as one is handed out. A failure of the prefetched
 * request surfaces when that item is consumed (never as an unhandled rejection).
 */
export async function* prefetch<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  // A rejection is observed here and rethrown by the await below when its turn comes.
  next.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const r = await next;
      if (r.done === true) {
        finished = true;
        return;
      }
      next = it.next();
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    if (!finished) {
      // The consumer stopped early (or a page failed): let the source clean up, after its request in flight.
      await next.catch(() => undefined);
      await it.return?.();
    }
  }
}

/**
 * The items of `rest` whose first `next()` was already called (its result is `first`): so a caller can start the
 * first request early and iterate later. Stopping early returns `rest`.
 */
export async function* startedWith<T>(
  first: Promise<IteratorResult<T, void>>,
  rest: AsyncGenerator<T, void, undefined>,
): AsyncGenerator<T, void, undefined> {
  try {
    for (let r = await first; r.done !== true; r = await rest.next()) yield r.value;
  } finally {
    await rest.return(undefined);
  }
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Queued<T> {
  row: T;
  waiters: Waiter[];
}

/**
 * Group commit of rows of one partition: `submit` writes up to `maxRows` rows atomically (an entity group
 * transaction). Rows with the same key queued before their transaction starts are merged (the later one wins),
 * since a transaction may touch an entity only once.
 */
export class GroupCommitWriter<T> {
  private queued = new Map<string, Queued<T>>();
  private inFlight: Promise<void> | null = null;
  private firstError: unknown = null;
  private failed = false;
  /** Transactions submitted and rows written (for diagnostics and benchmarks). */
  transactions = 0;
  rows = 0;

  constructor(
    private readonly submit: (rows: T[]) => Promise<void>,
    private readonly keyOf: (row: T) => string,
    private readonly maxRows = 100,
  ) {
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError('maxRows must be >= 1');
  }

  /** Resolves when `row` is durable; rejects with its transaction's error. */
  write(row: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue(row, { resolve, reject });
    });
  }

  /** Queues `row` without waiting; a failure is kept and thrown by `flush`. */
  defer(row: T): void {
    this.enqueue(row, {
      resolve: () => undefined,
      reject: (e) => {
        if (!this.failed) {
          this.failed = true;
          this.firstError = e;
        }
      },
    });
  }

  /** Waits until every row queued so far is written; throws the first failure of a deferred row. */
  async flush(): Promise<void> {
    while (this.inFlight !== null || this.queued.size > 0) {
      if (this.inFlight === null) this.pump();
      await this.inFlight?.catch(() => undefined);
    }
    if (this.failed) throw this.firstError;
  }

  private enqueue(row: T, waiter: Waiter): void {
    const key = this.keyOf(row);
    const existing = this.queued.get(key);
    if (existing) {
      existing.row = row;
      existing.waiters.push(waiter);
    } else {
      this.queued.set(key, { row, waiters: [waiter] });
    }
    if (this.inFlight === null) this.pump();
  }

  private pump(): void {
    if (this.inFlight !== null || this.queued.size === 0) return;
    const batch: Queued<T>[] = [];
    for (const [key, q] of this.queued) {
      batch.push(q);
      this.queued.delete(key);
      if (batch.length >= this.maxRows) break;
    }
    this.transactions++;
    this.rows += batch.length;
    this.inFlight = this.submit(batch.map((q) => q.row)).then(
      () => {
        for (const q of batch) for (const w of q.waiters) w.resolve();
      },
      (e: unknown) => {
        for (const q of batch) for (const w of q.waiters) w.reject(e);
      },
    );
    void this.inFlight.finally(() => {
      this.inFlight = null;
      this.pump();
    });
  }
}

/**
 * Runs `write(value)` for the latest value offered, one write at a time, in the background. `idle()` waits for
 * the last offered value to be written and throws the first failure.
 */
export class LatestWriter<T> {
  private pending: { value: T } | null = null;
  private running: Promise<void> | null = null;
  private error: { e: unknown } | null = null;

  constructor(private readonly write: (value: T) => Promise<void>) {}

  /** The first failure so far, if any (the caller may stop early on it). */
  get failure(): { e: unknown } | null {
    return this.error;
  }

  offer(value: T): void {
    this.pending = { value };
    if (this.running === null) this.run();
  }

  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
    if (this.error !== null) throw this.error.e;
  }

  private run(): void {
    const next = this.pending;
    if (next === null || this.error !== null) return;
    this.pending = null;
    this.running = this.write(next.value).then(
      () => undefined,
      (e: unknown) => {
        this.error ??= { e };
      },
    );
    void this.running.finally(() => {
      this.running = null;
      this.run();
    });
  }
}

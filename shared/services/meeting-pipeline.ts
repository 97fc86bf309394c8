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
 *   `pending` row before its PATCH); `defer` queues a row that only records what happened, which rides along in
 *   the next `write`'s transaction instead of making one of its own; `flush` (at the end of a run) waits for every
 *   deferred row and throws the first failure, so nothing deferred is lost silently.
 * - `LatestWriter`: a write whose latest value is all that matters (the run's progress): runs in the background,
 *   one at a time, intermediate values skipped.
 */

import { PartitionGroupCommit } from '../storage/group-commit';
import { MAX_TRANSACTION_ROWS } from '../storage/repository';

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

/**
 * Group commit of rows of one partition (shared/storage/group-commit.ts, with one partition and one transaction in
 * flight): `submit` writes up to `maxRows` rows atomically (an entity group transaction). Rows with the same key
 * queued before their transaction starts are merged (the later one wins), since a transaction may touch an entity
 * only once; a row's writes never overtake each other.
 */
export class GroupCommitWriter<T> {
  private readonly commit: PartitionGroupCommit<T>;
  private failed: { e: unknown } | null = null;

  constructor(
    submit: (rows: T[]) => Promise<void>,
    private readonly keyOf: (row: T) => string,
    maxRows = MAX_TRANSACTION_ROWS,
  ) {
    this.commit = new PartitionGroupCommit<T>(
      {
        writeBatch: (_partition, writes) =>
          submit(writes.flatMap((w) => (w.kind === 'upsert' ? [w.value] : []))),
      },
      { maxRows },
    );
  }

  /** Transactions submitted (a failed one retried row by row counts each retry), for diagnostics and benchmarks. */
  get transactions(): number {
    return this.commit.stats().requests;
  }

  /** Rows asked to be written. */
  get rows(): number {
    return this.commit.stats().writes;
  }

  /** Resolves when `row` is durable; rejects with the error that kept it from being written. */
  write(row: T): Promise<void> {
    return this.commit.upsert(PARTITION, this.keyOf(row), row);
  }

  /**
   * Queues `row` without waiting: it leaves with the next `write`'s transaction (or when a transaction's worth is
   * queued, or at `flush`). A failure is kept and thrown by `flush`.
   */
  defer(row: T): void {
    this.commit.upsert(PARTITION, this.keyOf(row), row, { defer: true }).catch((e: unknown) => {
      this.failed ??= { e };
    });
  }

  /** Waits until every row queued so far is written; throws the first failure of a deferred row. */
  async flush(): Promise<void> {
    await this.commit.flush(PARTITION);
    // A deferred row's failure is recorded by its own promise's handler, a turn after the transaction ends.
    await Promise.resolve();
    if (this.failed !== null) throw this.failed.e;
  }
}

/** The writer's one partition (the caller's submit knows which it is). */
const PARTITION = '';

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

  /** Forgets the value offered and not being written yet (one that a later write makes moot). */
  dropPending(): void {
    this.pending = null;
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

/**
 * Group commit of single-row writes into entity group transactions, per partition: while `maxInFlight`
 * transactions of a partition are in flight (default 1), the next writes of that partition gather, and leave
 * together (up to MAX_TRANSACTION_ROWS) as soon as one ends. A lone write leaves at once: batching never waits for
 * a timer, so a quiet store answers as fast as before and a busy one makes one request where it made a hundred.
 *
 * - Each `write` resolves when its row is durable (its transaction committed) and rejects with the error that
 *   kept it from being written: a caller that acknowledges something after its write (a queue's send) never
 *   acknowledges what is not stored.
 * - A deferred write (`{ defer: true }`: a row nobody waits for, such as a record of what already happened) does
 *   not start a transaction of its own: it leaves with the partition's next write, once MAX_TRANSACTION_ROWS rows
 *   are queued, or at `flush`, which waits for every row queued before it and after it until the partition is
 *   idle. Deferred rows thus ride along in transactions that are made anyway.
 * - Two writes of one row queued before their transaction leaves: the later one wins (a transaction may touch a
 *   row only once), and both resolve with it. Writes of a row never overtake each other: a write queued while an
 *   earlier one of the same row is in flight waits for it to end (transactions in flight at once never share a
 *   row).
 * - When a transaction fails, its writes are tried again one by one, so that one row the transaction could not
 *   take (a delete of a row already gone fails a whole transaction, not a lone delete) does not fail the others;
 *   each caller then gets its own row's outcome.
 */
import { MAX_TRANSACTION_ROWS, type RowWrite } from './repository';

export interface GroupCommitTarget<T> {
  /** Writes up to MAX_TRANSACTION_ROWS rows of one partition atomically (distinct row keys). */
  writeBatch(partitionKey: string, writes: readonly RowWrite<T>[]): Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Queued<T> {
  write: RowWrite<T>;
  waiters: Waiter[];
  /** Someone waits for this row: it starts a transaction (deferred rows only ride along). */
  eager: boolean;
}

interface Partition<T> {
  queued: Map<string, Queued<T>>;
  /** Queued rows that start a transaction (not deferred). */
  eager: number;
  /** Transactions in flight, and the rows they hold. */
  inFlight: number;
  busyRows: Set<string>;
  /** `flush` calls waiting for the partition to be idle (while any waits, deferred rows leave too). */
  drained: (() => void)[];
}

export interface WriteOptions {
  /** The row leaves with the partition's next transaction (or at `flush`), never on its own. */
  defer?: boolean;
}

export interface GroupCommitStats {
  /** Requests made (transactions and lone writes, retries one by one included). */
  requests: number;
  /** Row writes that callers asked for. */
  writes: number;
}

export class PartitionGroupCommit<T> {
  private readonly partitions = new Map<string, Partition<T>>();
  private readonly counters: GroupCommitStats = { requests: 0, writes: 0 };

  private readonly maxRows: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly target: GroupCommitTarget<T>,
    options: { maxRows?: number; maxInFlight?: number } = {},
  ) {
    this.maxRows = options.maxRows ?? MAX_TRANSACTION_ROWS;
    this.maxInFlight = options.maxInFlight ?? 1;
    if (!Number.isInteger(this.maxRows) || this.maxRows < 1 || this.maxRows > MAX_TRANSACTION_ROWS)
      throw new RangeError(`maxRows must be from 1 to ${MAX_TRANSACTION_ROWS}`);
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1)
      throw new RangeError('maxInFlight must be a whole number >= 1');
  }

  /** Resolves when the row is written (or deleted); rejects with the failure that kept it from that. */
  write(partitionKey: string, write: RowWrite<T>, options: WriteOptions = {}): Promise<void> {
    this.counters.writes++;
    const eager = options.defer !== true;
    return new Promise<void>((resolve, reject) => {
      const p = this.partition(partitionKey);
      const existing = p.queued.get(write.rowKey);
      if (existing) {
        existing.write = write;
        existing.waiters.push({ resolve, reject });
        if (eager && !existing.eager) {
          existing.eager = true;
          p.eager++;
        }
      } else {
        p.queued.set(write.rowKey, { write, waiters: [{ resolve, reject }], eager });
        if (eager) p.eager++;
      }
      this.pump(partitionKey, p);
    });
  }

  upsert(partitionKey: string, rowKey: string, value: T, options?: WriteOptions): Promise<void> {
    return this.write(partitionKey, { kind: 'upsert', rowKey, value }, options);
  }

  /**
   * Resolves once every row of the partition queued so far, deferred ones included, has left and its transaction
   * ended (rows queued meanwhile too): the caller may then rely on what it wrote being settled. Failures are
   * reported to each write's own promise, not here.
   */
  flush(partitionKey: string): Promise<void> {
    const p = this.partitions.get(partitionKey);
    if (!p) return Promise.resolve();
    return new Promise<void>((resolve) => {
      p.drained.push(resolve);
      this.pump(partitionKey, p);
    });
  }

  delete(partitionKey: string, rowKey: string): Promise<void> {
    return this.write(partitionKey, { kind: 'delete', rowKey });
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  private partition(partitionKey: string): Partition<T> {
    let p = this.partitions.get(partitionKey);
    if (!p) {
      p = { queued: new Map(), eager: 0, inFlight: 0, busyRows: new Set(), drained: [] };
      this.partitions.set(partitionKey, p);
    }
    return p;
  }

  /** Whether the queued rows make a transaction now: someone waits for one, a flush, or a full transaction. */
  private due(p: Partition<T>): boolean {
    return p.eager > 0 || p.drained.length > 0 || p.queued.size >= this.maxRows;
  }

  private pump(partitionKey: string, p: Partition<T>): void {
    while (p.inFlight < this.maxInFlight && this.due(p)) {
      // The rows someone waits for first, then deferred ones fill the transaction.
      const batch: Queued<T>[] = [];
      for (const eagerPass of [true, false]) {
        for (const [key, q] of p.queued) {
          if (batch.length >= this.maxRows) break;
          if (q.eager !== eagerPass) continue;
          if (p.busyRows.has(key)) continue; // its earlier write is in flight: this one waits for it
          batch.push(q);
          p.queued.delete(key);
          if (q.eager) p.eager--;
        }
      }
      if (batch.length === 0) break;
      const rows = batch.map((q) => q.write.rowKey);
      for (const r of rows) p.busyRows.add(r);
      p.inFlight++;
      void this.commit(partitionKey, batch).finally(() => {
        p.inFlight--;
        for (const r of rows) p.busyRows.delete(r);
        this.pump(partitionKey, p);
      });
    }
    if (p.inFlight === 0 && p.queued.size === 0) {
      for (const resolve of p.drained.splice(0)) resolve();
      if (this.partitions.get(partitionKey) === p) this.partitions.delete(partitionKey);
    }
  }

  private async commit(partitionKey: string, batch: Queued<T>[]): Promise<void> {
    const settle = (q: Queued<T>, error?: { e: unknown }) => {
      for (const w of q.waiters) {
        if (error) w.reject(error.e);
        else w.resolve();
      }
    };
    this.counters.requests++;
    try {
      await this.target.writeBatch(
        partitionKey,
        batch.map((q) => q.write),
      );
      for (const q of batch) settle(q);
      return;
    } catch (e) {
      if (batch.length === 1) {
        for (const q of batch) settle(q, { e });
        return;
      }
    }
    // The transaction failed as a whole: each row on its own, so each caller learns its own row's fate.
    await Promise.all(
      batch.map(async (q) => {
        this.counters.requests++;
        try {
          await this.target.writeBatch(partitionKey, [q.write]);
          settle(q);
        } catch (e) {
          settle(q, { e });
        }
      }),
    );
  }
}

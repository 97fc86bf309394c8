/**
 * Group commit of single-row writes into entity group transactions, per partition: while one transaction of a
 * partition is in flight, the next writes of that partition gather, and leave together (up to
 * MAX_TRANSACTION_ROWS) as soon as it ends. A lone write leaves at once: batching never waits for a timer, so a
 * quiet store answers as fast as before and a busy one makes one request where it made a hundred.
 *
 * - Each `write` resolves when its row is durable (its transaction committed) and rejects with the error that
 *   kept it from being written: a caller that acknowledges something after its write (a queue's send) never
 *   acknowledges what is not stored.
 * - Two writes of one row queued before their transaction leaves: the later one wins (a transaction may touch a
 *   row only once), and both resolve with it. Writes of a row never overtake each other: a write queued while an
 *   earlier one of the same row is in flight leaves with the next transaction.
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
}

interface Partition<T> {
  queued: Map<string, Queued<T>>;
  inFlight: boolean;
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

  constructor(
    private readonly target: GroupCommitTarget<T>,
    private readonly maxRows = MAX_TRANSACTION_ROWS,
  ) {
    if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > MAX_TRANSACTION_ROWS)
      throw new RangeError(`maxRows must be from 1 to ${MAX_TRANSACTION_ROWS}`);
  }

  /** Resolves when the row is written (or deleted); rejects with the failure that kept it from that. */
  write(partitionKey: string, write: RowWrite<T>): Promise<void> {
    this.counters.writes++;
    return new Promise<void>((resolve, reject) => {
      let p = this.partitions.get(partitionKey);
      if (!p) {
        p = { queued: new Map(), inFlight: false };
        this.partitions.set(partitionKey, p);
      }
      const existing = p.queued.get(write.rowKey);
      if (existing) {
        existing.write = write;
        existing.waiters.push({ resolve, reject });
      } else p.queued.set(write.rowKey, { write, waiters: [{ resolve, reject }] });
      if (!p.inFlight) this.pump(partitionKey, p);
    });
  }

  upsert(partitionKey: string, rowKey: string, value: T): Promise<void> {
    return this.write(partitionKey, { kind: 'upsert', rowKey, value });
  }

  delete(partitionKey: string, rowKey: string): Promise<void> {
    return this.write(partitionKey, { kind: 'delete', rowKey });
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  private pump(partitionKey: string, p: Partition<T>): void {
    if (p.inFlight) return;
    if (p.queued.size === 0) {
      this.partitions.delete(partitionKey);
      return;
    }
    const batch: Queued<T>[] = [];
    for (const [key, q] of p.queued) {
      batch.push(q);
      p.queued.delete(key);
      if (batch.length >= this.maxRows) break;
    }
    p.inFlight = true;
    void this.commit(partitionKey, batch).finally(() => {
      p.inFlight = false;
      this.pump(partitionKey, p);
    });
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

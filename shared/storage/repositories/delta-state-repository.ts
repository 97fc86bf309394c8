/**
 * The tenant-wide `/users/delta` state: one row (PartitionKey `delta`, RowKey `users`) holding the deltaLink of
 * the last completed round, and a lease so that one processor at a time reads delta and advances the link.
 *
 * Concurrency (every change is an etag-guarded `mutate`):
 * - `acquire(holder, now)` takes the lease when it is free or expired. When someone else holds it, it records
 *   `rerunRequested` instead and answers `busy`: the holder will run one more round before letting go, so the
 *   change that caused this call is not missed even though its caller returns at once.
 * - `saveLink(holder, link)` stores the new deltaLink only while `holder` still holds the lease (an expired
 *   lease taken over by someone else makes it answer false and write nothing): two processors never both
 *   advance the link.
 * - `release(holder)` lets go, unless a rerun was requested meanwhile: then it keeps the lease, clears the
 *   request and answers `rerun`.
 */
import { z } from 'zod';
import type { Config } from '../../config';
import { TableRepository } from '../repository';
import { nullColumn } from './columns';

export const DELTA_STATE_TABLE = 'DirectoryDelta';
export const DELTA_STATE_PARTITION = 'delta';
export const DELTA_STATE_ROW = 'users';
/** A lease outlives a crashed holder by at most this long. */
export const DEFAULT_LEASE_MS = 5 * 60_000;

export const deltaStateSchema = z.object({
  /** deltaLink of the last completed round; null before the first. */
  deltaLink: nullColumn(z.string().min(1)),
  /** The $select the link was made with (comma-separated); a different one starts from scratch. */
  select: nullColumn(z.string()),
  /** When the link was last advanced. */
  linkUpdatedAt: nullColumn(z.iso.datetime({ offset: true })),
  leaseHolder: nullColumn(z.string().min(1)),
  leaseUntil: nullColumn(z.iso.datetime({ offset: true })),
  rerunRequested: z.boolean().default(false),
  /** Completed rounds (for operators and tests). */
  rounds: z.number().int().nonnegative().default(0),
});
export type DeltaState = z.output<typeof deltaStateSchema>;

const EMPTY: DeltaState = {
  deltaLink: null,
  select: null,
  linkUpdatedAt: null,
  leaseHolder: null,
  leaseUntil: null,
  rerunRequested: false,
  rounds: 0,
};

export type AcquireResult = { acquired: true; state: DeltaState } | { acquired: false };

export class DeltaStateRepository {
  readonly table: TableRepository<typeof deltaStateSchema>;

  constructor(
    config: Pick<Config, 'tables' | 'tablesPrefix'>,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {
    this.table = new TableRepository({
      settings: config,
      logicalName: DELTA_STATE_TABLE,
      schema: deltaStateSchema,
    });
  }

  async read(): Promise<DeltaState> {
    const row = await this.table.tryGet(DELTA_STATE_PARTITION, DELTA_STATE_ROW);
    if (!row) return { ...EMPTY };
    const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...data } = row;
    return data;
  }

  async acquire(holder: string, now: Date): Promise<AcquireResult> {
    let acquired = false;
    const stored = await this.table.mutate(
      DELTA_STATE_PARTITION,
      DELTA_STATE_ROW,
      (cur) => {
        const held =
          cur.leaseHolder !== null &&
          cur.leaseHolder !== holder &&
          cur.leaseUntil !== null &&
          Date.parse(cur.leaseUntil) > now.getTime();
        acquired = !held;
        if (held) return cur.rerunRequested ? undefined : { ...cur, rerunRequested: true };
        return {
          ...cur,
          leaseHolder: holder,
          leaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(),
          rerunRequested: false,
        };
      },
      { create: () => ({ ...EMPTY }) },
    );
    if (!acquired) return { acquired: false };
    const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...state } = stored;
    return { acquired: true, state };
  }

  /** Stores the link of a completed round; false (and nothing written) when `holder` lost the lease. */
  async saveLink(holder: string, deltaLink: string, select: string, now: Date): Promise<boolean> {
    let kept = false;
    await this.table.mutate(DELTA_STATE_PARTITION, DELTA_STATE_ROW, (cur) => {
      kept = cur.leaseHolder === holder;
      if (!kept) return undefined;
      return {
        ...cur,
        deltaLink,
        select,
        linkUpdatedAt: now.toISOString(),
        // A long round keeps its lease alive each time it makes progress.
        leaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(),
        rounds: cur.rounds + 1,
      };
    });
    return kept;
  }

  /** Forgets the link (Graph forgot the sync state): the next round is a full sync. */
  async clearLink(holder: string): Promise<void> {
    await this.table.mutate(DELTA_STATE_PARTITION, DELTA_STATE_ROW, (cur) =>
      cur.leaseHolder === holder ? { ...cur, deltaLink: null, select: null } : undefined,
    );
  }

  /**
   * Lets go of the lease after a failed round, whatever was requested meanwhile (the failed message is
   * redelivered and runs the round again; a pending rerun request is then served by it).
   */
  async abandon(holder: string): Promise<void> {
    await this.table.mutate(DELTA_STATE_PARTITION, DELTA_STATE_ROW, (cur) =>
      cur.leaseHolder === holder ? { ...cur, leaseHolder: null, leaseUntil: null } : undefined,
    );
  }

  /** Lets go of the lease; `rerun` (lease kept) when another caller asked for a round meanwhile. */
  async release(holder: string, now: Date): Promise<'released' | 'rerun' | 'notHeld'> {
    let outcome: 'released' | 'rerun' | 'notHeld' = 'notHeld';
    await this.table.mutate(DELTA_STATE_PARTITION, DELTA_STATE_ROW, (cur) => {
      if (cur.leaseHolder !== holder) {
        outcome = 'notHeld';
        return undefined;
      }
      if (cur.rerunRequested) {
        outcome = 'rerun';
        return {
          ...cur,
          rerunRequested: false,
          leaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(),
        };
      }
      outcome = 'released';
      return { ...cur, leaseHolder: null, leaseUntil: null };
    });
    return outcome;
  }
}

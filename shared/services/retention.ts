/**
 * The retention purge (reference/mms-behaviour.md §4, §9): like MMS, the service keeps a user's migration status
 * for RETENTION_DAYS (150) days after the migration ended, then deletes it with the user's per-meeting ledger.
 * Run once a day by the purgeExpiredMigrations timer.
 *
 *   const report = await purgeExpiredMigrations({ repositories, log }, { now: clock() });
 *   // { cutoff, examined, purged, ledgerRowsDeleted, kept, failed, failures }
 *
 * How a record goes:
 * 1. The status table is listed server-side for Succeeded and for Failed records modified on or before the cutoff
 *    (StatusRepository.list with `state` and `modifiedTo`), page by page; Pending and InProgress records are never
 *    listed, whatever their age.
 * 2. Each candidate is read again (a point read, which gives its etag) and confirmed with the domain's
 *    isPastRetention; a record that changed since the listing is kept.
 * 3. Its ledger rows are deleted (only rows written before `now`, so rows of a migration a trigger started while
 *    the purge ran stay), then the status record, conditionally on the etag read in step 2: a record a new trigger
 *    revived meanwhile (requestMigration → Pending) is kept, with the rows of its new run. The ledger goes first so
 *    that an interrupted purge leaves a record behind that the next run finds again, never orphaned ledger rows.
 *
 * One user's failure (a storage error) is logged and counted, and the purge goes on with the others; the next
 * day's run tries that user again.
 */
import pLimit from 'p-limit';
import { isPastRetention, retentionCutoff, type MigrationState } from '../domain/status';
import { ConcurrencyError } from '../storage/repository';
import type { Repositories } from '../storage/repositories';
import { STATUS_PARTITION } from '../storage/repositories/status-repository';

export interface RetentionDeps {
  repositories: Pick<Repositories, 'status' | 'ledger'>;
  log?: (message: string, data?: Record<string, unknown>) => void;
}

export interface PurgeOptions {
  /** The purge's "now": records last modified more than RETENTION_DAYS before it are purged. */
  now: Date;
  /** Status records per listing page and ledger rows per page, 1–1000 (default 1000). */
  pageSize?: number;
  /** Users purged at the same time (default 4). */
  concurrency?: number;
}

export interface PurgeReport {
  /** retentionCutoff(now), ISO-8601: records modified before it were due. */
  cutoff: string;
  /** Finished records the listing returned (modified on or before the cutoff). */
  examined: number;
  /** Status records deleted. */
  purged: number;
  /** Ledger rows deleted (those of purged users, and of users revived while their purge ran). */
  ledgerRowsDeleted: number;
  /** Examined records left in place: changed since the listing, or revived between the read and the delete. */
  kept: number;
  /** Users whose purge failed with an error (left for the next run). */
  failed: number;
  failures: { userId: string; error: string }[];
}

/** States that end a migration: the only ones the purge deletes. */
const FINISHED_STATES: readonly MigrationState[] = ['Succeeded', 'Failed'];

/** Deletes the status records (and their ledger rows) of migrations that ended more than 150 days before `now`. */
export async function purgeExpiredMigrations(
  deps: RetentionDeps,
  options: PurgeOptions,
): Promise<PurgeReport> {
  const { status, ledger } = deps.repositories;
  const log = deps.log ?? (() => undefined);
  const { now } = options;
  const cutoff = retentionCutoff(now);
  const pageSize = options.pageSize;
  const limit = pLimit(options.concurrency ?? 4);
  const report: PurgeReport = {
    cutoff: cutoff.toISOString(),
    examined: 0,
    purged: 0,
    ledgerRowsDeleted: 0,
    kept: 0,
    failed: 0,
    failures: [],
  };

  async function purgeOne(userId: string): Promise<void> {
    // The point read gives the etag the delete is conditional on, and the record as it is now.
    const row = await status.table.tryGet(STATUS_PARTITION, userId);
    if (!row) return; // already gone (another purge)
    if (!isPastRetention(row, now)) {
      report.kept++;
      return;
    }
    // Not `report.x += await ...`: that reads the count before the await and loses concurrent users' rows.
    const rowsDeleted = await ledger.deleteForUser(userId, {
      writtenBefore: now,
      ...(pageSize !== undefined ? { pageSize } : {}),
    });
    report.ledgerRowsDeleted += rowsDeleted;
    try {
      if (await status.table.delete(STATUS_PARTITION, userId, { etag: row.etag })) report.purged++;
    } catch (e) {
      if (!(e instanceof ConcurrencyError)) throw e;
      report.kept++;
      log('purgeExpiredMigrations: record changed while being purged; kept', { userId });
    }
  }

  for (const state of FINISHED_STATES) {
    let continuationToken: string | undefined;
    do {
      // Deleting rows already read leaves the continuation token (the next key) valid.
      const page = await status.list({
        state,
        modifiedTo: cutoff,
        ...(pageSize !== undefined ? { pageSize } : {}),
        ...(continuationToken !== undefined ? { continuationToken } : {}),
      });
      report.examined += page.items.length;
      await Promise.all(
        page.items.map((s) =>
          limit(async () => {
            try {
              await purgeOne(s.userId);
            } catch (e) {
              const error = e instanceof Error ? e.message : String(e);
              report.failed++;
              report.failures.push({ userId: s.userId, error });
              log('purgeExpiredMigrations: purge of a user failed', { userId: s.userId, error });
            }
          }),
        ),
      );
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }
  return report;
}

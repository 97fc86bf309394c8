/**
 * The retention purge (shared/services/retention.ts) against Azurite, each test under its own table prefix:
 * status records are written through the domain's transitions with an injected clock and ledger rows through the
 * repository; the purge deletes ended migrations older than 150 days with all their ledger rows, and keeps recent
 * ones, Pending/InProgress ones of any age, and records a new trigger revives while the purge runs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  finishMigration,
  requestMigration,
  runKeyOf,
  startMigration,
  RETENTION_DAYS,
  type MigrationStatus,
} from '../../../shared/domain/status';
import { purgeExpiredMigrations } from '../../../shared/services/retention';
import {
  createRepositories,
  MeetingLedgerRepository,
  type LedgerEntry,
  type Repositories,
} from '../../../shared/storage/repositories';
import { testTables } from '../../support/tables';

const DAY = 24 * 3600_000;
const NOW = new Date('2026-11-21T03:30:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

function settings() {
  return testTables('ret');
}

function requested(current: MigrationStatus | null, userId: string, at: Date): MigrationStatus {
  return requestMigration(
    current,
    {
      userId,
      userPrincipalName: `${userId.slice(0, 8)}@contoso.com`,
      trigger: 'manualStart',
      correlationId: randomUUID(),
      delayMs: 1000,
      sourceMeetingType: 'All',
      targetMeetingType: 'Current',
    },
    at,
  ).status;
}

function started(current: MigrationStatus | null, at: Date): MigrationStatus {
  assert.ok(current);
  const o = startMigration(current, runKeyOf(current), at);
  assert.equal(o.kind, 'start');
  return o.status;
}

/** A Pending record requested at `at`. */
async function seedPending(repos: Repositories, userId: string, at: Date): Promise<MigrationStatus> {
  const s = await repos.status.mutate(userId, (cur) => requested(cur, userId, at));
  assert.ok(s);
  return s;
}

/** An InProgress record started at `at`. */
async function seedInProgress(repos: Repositories, userId: string, at: Date): Promise<MigrationStatus> {
  await seedPending(repos, userId, new Date(at.getTime() - 60_000));
  const s = await repos.status.mutate(userId, (cur) => started(cur, at));
  assert.ok(s);
  return s;
}

/** A migration that ended (Succeeded or Failed) at `at`. */
async function seedFinished(
  repos: Repositories,
  userId: string,
  state: 'Succeeded' | 'Failed',
  at: Date,
): Promise<MigrationStatus> {
  await seedInProgress(repos, userId, new Date(at.getTime() - 60_000));
  const s = await repos.status.mutate(userId, (cur) => {
    assert.ok(cur);
    return finishMigration(
      cur,
      runKeyOf(cur),
      state === 'Succeeded'
        ? {
            kind: 'completed',
            counts: {
              totalMeeting: 1,
              succeededMeeting: 1,
              failedMeeting: 0,
              invitesUpdate: 1,
              skippedMeeting: 0,
              skipReasons: {},
              failureCodes: {},
            },
          }
        : { kind: 'userError', code: 'unexpectedError' },
      at,
      { maxRetries: 0 },
    ).status;
  });
  assert.equal(s?.state, state);
  assert.equal(s.modifiedDate, at.toISOString());
  return s;
}

/** `count` ledger rows for the user's current migration, written at `at`. */
async function seedLedger(
  repos: Repositories,
  status: MigrationStatus,
  count: number,
  at: Date,
): Promise<LedgerEntry[]> {
  const rows: LedgerEntry[] = [];
  for (let i = 0; i < count; i++) {
    const entry: LedgerEntry = {
      userId: status.userId,
      eventId: `AAMkAG/${randomUUID()}+${i}=`,
      eventType: 'singleInstance',
      subject: `Meeting ${i}`,
      start: at.toISOString(),
      blockKind: 'skype',
      outcome: 'updated',
      correlationId: status.correlationId,
      retryCount: status.retryCount,
      at: at.toISOString(),
    };
    await repos.ledger.upsert(entry);
    rows.push(entry);
  }
  return rows;
}

async function ledgerCount(repos: Repositories, userId: string): Promise<number> {
  let n = 0;
  for await (const _ of repos.ledger.allForUser(userId)) n++;
  return n;
}

describe('purgeExpiredMigrations', () => {
  it('deletes ended migrations older than 150 days with their ledger rows, and keeps everything else', async () => {
    const config = settings();
    const repos = createRepositories(config);
    const oldSucceeded = randomUUID();
    const oldFailed = randomUUID();
    const recent = randomUUID();
    const edge = randomUUID();
    const oldPending = randomUUID();
    const oldInProgress = randomUUID();

    await seedLedger(
      repos,
      await seedFinished(repos, oldSucceeded, 'Succeeded', daysAgo(151)),
      3,
      daysAgo(151),
    );
    await seedLedger(repos, await seedFinished(repos, oldFailed, 'Failed', daysAgo(400)), 2, daysAgo(400));
    await seedLedger(repos, await seedFinished(repos, recent, 'Succeeded', daysAgo(149)), 2, daysAgo(149));
    // Exactly at the cutoff: listed (modifiedTo is inclusive) but not yet past retention.
    await seedFinished(repos, edge, 'Failed', daysAgo(RETENTION_DAYS));
    await seedLedger(repos, await seedPending(repos, oldPending, daysAgo(500)), 1, daysAgo(500));
    await seedLedger(repos, await seedInProgress(repos, oldInProgress, daysAgo(300)), 2, daysAgo(300));

    const report = await purgeExpiredMigrations({ repositories: repos }, { now: NOW });

    assert.deepEqual(report, {
      cutoff: daysAgo(RETENTION_DAYS).toISOString(),
      examined: 3, // oldSucceeded, oldFailed, edge
      purged: 2,
      ledgerRowsDeleted: 5,
      kept: 1, // edge
      failed: 0,
      failures: [],
    });
    for (const gone of [oldSucceeded, oldFailed]) {
      assert.equal(await repos.status.get(gone), null, `status of ${gone} purged`);
      assert.equal(await ledgerCount(repos, gone), 0, `ledger of ${gone} purged`);
    }
    assert.equal((await repos.status.get(recent))?.state, 'Succeeded');
    assert.equal(await ledgerCount(repos, recent), 2);
    assert.equal((await repos.status.get(edge))?.state, 'Failed');
    assert.equal((await repos.status.get(oldPending))?.state, 'Pending');
    assert.equal(await ledgerCount(repos, oldPending), 1);
    assert.equal((await repos.status.get(oldInProgress))?.state, 'InProgress');
    assert.equal(await ledgerCount(repos, oldInProgress), 2);

    // A day later the 149-day-old record is due too; a second run deletes only what became due.
    const next = await purgeExpiredMigrations(
      { repositories: repos },
      { now: new Date(NOW.getTime() + 2 * DAY) },
    );
    assert.equal(next.purged, 2); // recent (now 151 days) and edge (now 152 days)
    assert.equal(next.ledgerRowsDeleted, 2);
    assert.equal(await repos.status.get(recent), null);
    assert.equal(await repos.status.get(edge), null);
    assert.equal((await repos.status.get(oldPending))?.state, 'Pending');
    assert.equal((await repos.status.get(oldInProgress))?.state, 'InProgress');
  });

  it('keeps a record a new trigger revives between the read and the delete, with its new ledger rows', async () => {
    const config = settings();
    const repos = createRepositories(config);
    const revived = randomUUID();
    const other = randomUUID();
    await seedLedger(repos, await seedFinished(repos, revived, 'Succeeded', daysAgo(160)), 2, daysAgo(160));
    await seedLedger(repos, await seedFinished(repos, other, 'Failed', daysAgo(170)), 1, daysAgo(170));

    // The trigger lands after the purge read the record (and its etag), just before the ledger is cleared: the
    // revived migration is Pending, and a run that started meanwhile has already written a row.
    let newRow: LedgerEntry | undefined;
    class RevivingLedger extends MeetingLedgerRepository {
      override async deleteForUser(userId: string, options?: { writtenBefore?: Date; pageSize?: number }) {
        if (userId === revived) {
          const status = await repos.status.mutate(revived, (cur) => requested(cur, revived, NOW));
          assert.equal(status?.state, 'Pending');
          [newRow] = await seedLedger(repos, status, 1, NOW);
        }
        return super.deleteForUser(userId, options);
      }
    }

    const report = await purgeExpiredMigrations(
      { repositories: { status: repos.status, ledger: new RevivingLedger(config) } },
      { now: NOW },
    );

    assert.equal(report.examined, 2);
    assert.equal(report.purged, 1);
    assert.equal(report.kept, 1);
    assert.equal(report.ledgerRowsDeleted, 3, "the old migrations' rows: 2 + 1");
    assert.equal(report.failed, 0);
    const status = await repos.status.get(revived);
    assert.equal(status?.state, 'Pending', 'the revived record is kept');
    assert.ok(newRow);
    const rows = [];
    for await (const r of repos.ledger.allForUser(revived)) rows.push(r);
    assert.deepEqual(rows, [newRow], "only the new run's row remains");
    assert.equal(await repos.status.get(other), null);
    assert.equal(await ledgerCount(repos, other), 0);
  });

  it('pages through more records and ledger rows than fit in one page', async () => {
    const repos = createRepositories(settings());
    const expired: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      expired.push(id);
      await seedLedger(
        repos,
        await seedFinished(repos, id, 'Succeeded', daysAgo(151 + i)),
        i === 0 ? 5 : 1,
        daysAgo(151 + i),
      );
    }
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      expired.push(id);
      await seedFinished(repos, id, 'Failed', daysAgo(200 + i));
    }
    const kept = randomUUID();
    await seedFinished(repos, kept, 'Succeeded', daysAgo(10));

    const report = await purgeExpiredMigrations(
      { repositories: repos },
      { now: NOW, pageSize: 2, concurrency: 2 },
    );

    assert.equal(report.examined, 8);
    assert.equal(report.purged, 8);
    assert.equal(report.ledgerRowsDeleted, 9);
    assert.equal(report.kept, 0);
    for (const id of expired) {
      assert.equal(await repos.status.get(id), null);
      assert.equal(await ledgerCount(repos, id), 0);
    }
    assert.equal((await repos.status.get(kept))?.state, 'Succeeded');
  });

  it('goes on after one user fails, reports it, and leaves that user for the next run', async () => {
    const config = settings();
    const repos = createRepositories(config);
    const broken = randomUUID();
    const fine = randomUUID();
    await seedLedger(repos, await seedFinished(repos, broken, 'Succeeded', daysAgo(180)), 1, daysAgo(180));
    await seedLedger(repos, await seedFinished(repos, fine, 'Succeeded', daysAgo(181)), 1, daysAgo(181));
    class FailingLedger extends MeetingLedgerRepository {
      override async deleteForUser(userId: string, options?: { writtenBefore?: Date; pageSize?: number }) {
        if (userId === broken) throw new Error('storage unavailable');
        return super.deleteForUser(userId, options);
      }
    }

    const report = await purgeExpiredMigrations(
      { repositories: { status: repos.status, ledger: new FailingLedger(config) } },
      { now: NOW },
    );

    assert.equal(report.purged, 1);
    assert.equal(report.failed, 1);
    assert.deepEqual(report.failures, [{ userId: broken, error: 'storage unavailable' }]);
    assert.equal(await repos.status.get(fine), null);
    assert.equal((await repos.status.get(broken))?.state, 'Succeeded', 'kept for the next run');
    assert.equal(await ledgerCount(repos, broken), 1);

    const retry = await purgeExpiredMigrations({ repositories: repos }, { now: NOW });
    assert.equal(retry.purged, 1);
    assert.equal(await repos.status.get(broken), null);
    assert.equal(await ledgerCount(repos, broken), 0);
  });
});

/**
 * Queue visibility through the admin API's queries, against Azurite: records written by the real status
 * transitions (two runs that ended, one running, three queued), then GET /api/migrations (plain and paged) and
 * GET /api/migrations/{id} show queuePosition and estimatedStart on Pending, progress.percent and estimatedEnd on
 * InProgress, nothing added to the others.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  finishMigration,
  recordProgress,
  requestMigration,
  startMigration,
  type MigrationStatus,
} from '../../../shared/domain/status';
import {
  getMigrationStatus,
  listMigrations,
  migrationListQuerySchema,
} from '../../../shared/services/migration-queries';
import type { MigrationStatusView } from '../../../shared/services/queue-view';
import { createRepositories } from '../../../shared/storage/repositories';
import { testTables } from '../../support/tables';

const T0 = new Date('2026-12-01T10:00:00.000Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const uid = (n: number) => `30000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('queue visibility in the status queries', () => {
  it('adds the queue position and estimates to Pending and InProgress records', async () => {
    const repos = createRepositories(testTables('queue'));
    const put = (s: MigrationStatus) => repos.status.mutate(s.userId, () => s);
    const request = (n: number, when: Date) => {
      const o = requestMigration(
        null,
        {
          userId: uid(n),
          userPrincipalName: `u${n}@contoso.test`,
          sourceMeetingType: 'All',
          targetMeetingType: 'Current',
          trigger: 'manualStart',
          correlationId: `c-${n}`,
          delayMs: 0,
        },
        when,
      );
      if (o.kind !== 'queued') throw new Error(`not queued: ${o.kind}`);
      return o;
    };
    const counts = {
      totalMeeting: 20,
      succeededMeeting: 20,
      failedMeeting: 0,
      invitesUpdate: 20,
      skippedMeeting: 0,
      skipReasons: {},
      failureCodes: {},
    };
    // Two runs of 10 minutes that ended in the last 20 minutes, one after the other: 1 user per 10 minutes.
    for (const [n, start] of [
      [1, -30],
      [2, -20],
    ] as const) {
      const q = request(n, at(start));
      const s = startMigration(q.status, q.run, at(start));
      if (s.kind === 'stale') throw new Error('stale');
      await put(
        finishMigration(s.status, q.run, { kind: 'completed', counts }, at(start + 10), { maxRetries: 3 })
          .status,
      );
    }
    // One running: 5 of 20 meetings done.
    const r = request(3, at(-5));
    const started = startMigration(r.status, r.run, at(-5));
    if (started.kind === 'stale') throw new Error('stale');
    await put(
      recordProgress(
        started.status,
        r.run,
        { discoveredMeeting: 20, processedMeeting: 5, succeededMeeting: 4 },
        at(-1),
      ),
    );
    // Three queued, due in this order: 5, 4, 6.
    await put(request(4, at(-2)).status);
    await put(request(5, at(-3)).status);
    await put(request(6, at(-1)).status);

    const ports = {
      profiles: repos.profiles,
      directory: { getUser: () => Promise.resolve(null) },
      statuses: repos.status,
      ledger: repos.ledger,
      now: () => T0,
    };
    const all = (await listMigrations(ports, migrationListQuerySchema.parse({}))) as MigrationStatusView[];
    const by = new Map(all.map((s) => [s.userId, s]));
    assert.deepEqual(
      [5, 4, 6].map((n) => by.get(uid(n))?.queuePosition),
      [1, 2, 3],
    );
    // One slot (parallelism 1) taken by the running user: the first queued starts after one completion.
    assert.equal(by.get(uid(5))?.estimatedStart, at(10).toISOString());
    assert.equal(by.get(uid(4))?.estimatedStart, at(20).toISOString());
    const running = by.get(uid(3));
    assert.equal(running?.progress?.percent, 25);
    assert.equal(running?.progress?.succeededMeeting, 4, 'the running counts');
    assert.ok(running?.estimatedEnd, 'an estimated end');
    for (const n of [1, 2]) {
      const done = by.get(uid(n));
      assert.equal(done?.state, 'Succeeded');
      assert.equal(done?.queuePosition, undefined);
      assert.equal(done?.estimatedEnd, undefined);
    }

    const one = (await getMigrationStatus(ports, uid(6))) as MigrationStatusView;
    assert.equal(one.queuePosition, 3);
    const page = (await listMigrations(ports, migrationListQuerySchema.parse({ pageSize: '10' }))) as {
      value: MigrationStatusView[];
    };
    assert.equal(page.value.find((s) => s.userId === uid(4))?.queuePosition, 2);
  });
});

/**
 * The request service (the one path every trigger takes) and the status queries, against in-memory stores:
 * identity resolution (profile table first, then Graph), coalescing (a Pending user is never queued twice),
 * the message it sends, the undo when the queue fails, and the HTTP answers (202 with the record, 404s with
 * their two codes, the summary with zeros, time-range filtering, paged meeting results).
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrations } from '../../../functions/migrations';
import { migrationStatus } from '../../../functions/migration-status';
import { migrationMeetings } from '../../../functions/migration-meetings';
import { migrationStatusSchema, type MigrationStatus } from '../../../shared/domain/status';
import { GraphRequestError } from '../../../shared/graph/errors';
import { QUEUES } from '../../../shared/queue/port';
import { validateOutgoing } from '../../../shared/queue/messages';
import { ServiceError } from '../../../shared/services/errors';
import {
  resetInfrastructureForTests,
  setInfrastructureForTests,
} from '../../../shared/services/infrastructure';
import { listMigrations, migrationListQuerySchema } from '../../../shared/services/migration-queries';
import { requestUserMigration } from '../../../shared/services/request-migration';
import type { LedgerEntry } from '../../../shared/storage/repositories/ledger-repository';
import { ADA, BOB, context, errorOf, EVE, NOW, request, World } from './fakes';

let world: World;
beforeEach(() => {
  world = new World();
  setInfrastructureForTests(world.infrastructure());
});
afterEach(() => resetInfrastructureForTests());

async function rejectsWith(p: Promise<unknown>, status: number, code: string): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ServiceError, `a ServiceError, got ${String(e)}`);
    assert.equal(e.httpStatus, status);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected ${status} ${code}`);
}

describe('requestUserMigration', () => {
  it('resolves a known user from the profile table without asking Graph, and queues one message', async () => {
    world.profiles.add(ADA);
    const r = await requestUserMigration(world.requestPorts(), {
      identity: 'ADA@contoso.com',
      trigger: 'manualStart',
      timing: 'immediate',
    });
    assert.equal(r.outcome, 'queued');
    assert.equal(r.user.source, 'profile');
    assert.deepEqual(world.directory.calls, []);
    assert.equal(r.status.state, 'Pending');
    assert.equal(r.status.userId, ADA.userId);
    assert.equal(r.status.migrationType, 'ToSameType');
    assert.equal(r.status.notBefore, NOW.toISOString(), 'an admin start runs without the coalescing delay');
    assert.equal(world.publisher.sent.length, 1);
    const sent = world.publisher.sent[0];
    assert.ok(sent);
    assert.equal(sent.queue, QUEUES.meetingMigrations);
    assert.equal(sent.message.sessionId, ADA.userId);
    assert.equal(sent.message.messageId, r.status.correlationId, 'the run id (migration-messages.ts)');
    assert.equal(sent.message.scheduledEnqueueTime, undefined, 'delivered at once');
    // The message is what the queue accepts.
    const valid = validateOutgoing(QUEUES.meetingMigrations, sent.message);
    assert.deepEqual(
      { ...(valid.body as object) },
      {
        ...(valid.body as object),
        kind: 'migrateUser',
        userId: ADA.userId,
        correlationId: r.status.correlationId,
        sourceMeetingType: 'All',
        targetMeetingType: 'Current',
      },
    );
    assert.deepEqual(world.statuses.rows.get(ADA.userId), r.status);
  });

  it('falls back to Graph for a user the profile table does not know, by object id or UPN', async () => {
    world.directory.add(BOB);
    const byId = await requestUserMigration(world.requestPorts(), {
      identity: BOB.userId.toUpperCase(),
      trigger: 'manualStart',
    });
    assert.equal(byId.user.source, 'directory');
    assert.equal(byId.status.userPrincipalName, BOB.userPrincipalName);
    assert.deepEqual(world.directory.calls, [BOB.userId]);
    const byUpn = await requestUserMigration(world.requestPorts(), {
      identity: 'bob@contoso.com',
      trigger: 'manualStart',
    });
    assert.equal(byUpn.status.userId, BOB.userId);
  });

  it('holds a triggered migration for MIGRATION_DELAY_SECONDS', async () => {
    world.profiles.add(ADA);
    const r = await requestUserMigration(world.requestPorts(), {
      identity: ADA.userId,
      trigger: 'conferenceIdChanged',
    });
    const at = new Date(NOW.getTime() + 120_000);
    assert.equal(r.status.notBefore, at.toISOString());
    assert.equal(world.publisher.sent[0]?.message.scheduledEnqueueTime?.toISOString(), at.toISOString());
  });

  it('never queues a Pending user twice: later requests merge into the pending migration', async () => {
    world.profiles.add(ADA);
    const first = await requestUserMigration(world.requestPorts(), {
      identity: ADA.userId,
      sourceMeetingType: 'SfB',
      trigger: 'dialInEnabled',
    });
    world.now = new Date(NOW.getTime() + 5_000);
    const second = await requestUserMigration(world.requestPorts(), {
      identity: ADA.userPrincipalName,
      sourceMeetingType: 'Teams',
      trigger: 'manualStart',
      timing: 'immediate',
    });
    assert.equal(second.outcome, 'merged');
    // The merge sends the pending run's message again, with the same id: duplicate detection drops it when the
    // first went out, and it goes out now when the first never did.
    assert.equal(world.publisher.sent.length, 2);
    assert.equal(new Set(world.publisher.sent.map((m) => m.message.messageId)).size, 1, 'one run, one id');
    assert.equal(second.status.correlationId, first.status.correlationId);
    assert.equal(second.status.notBefore, first.status.notBefore, 'the scheduled message stands');
    assert.equal(second.status.migrationType, 'ToSameType', 'SfB + Teams merge into the broader All');
    assert.deepEqual(second.status.triggers, ['dialInEnabled', 'manualStart']);
  });

  it('records a follow-up for a user whose migration runs, without queuing', async () => {
    world.profiles.add(ADA);
    const first = await requestUserMigration(world.requestPorts(), {
      identity: ADA.userId,
      trigger: 'manualStart',
    });
    world.statuses.rows.set(ADA.userId, { ...first.status, state: 'InProgress', notBefore: null });
    const r = await requestUserMigration(world.requestPorts(), {
      identity: ADA.userId,
      trigger: 'manualStart',
    });
    assert.equal(r.outcome, 'followUpRecorded');
    assert.equal(r.status.state, 'InProgress');
    assert.ok(r.status.followUp);
    assert.equal(world.publisher.sent.length, 1);
  });

  it('queues a new migration for a user whose last one ended', async () => {
    world.profiles.add(ADA);
    const first = await requestUserMigration(world.requestPorts(), {
      identity: ADA.userId,
      trigger: 'manualStart',
    });
    world.statuses.rows.set(ADA.userId, { ...first.status, state: 'Succeeded', notBefore: null });
    const again = await requestUserMigration(world.requestPorts(), {
      identity: ADA.userId,
      trigger: 'manualStart',
    });
    assert.equal(again.outcome, 'queued');
    assert.notEqual(again.status.correlationId, first.status.correlationId);
    assert.equal(world.publisher.sent.length, 2);
    assert.notEqual(world.publisher.sent[0]?.message.messageId, world.publisher.sent[1]?.message.messageId);
  });

  it('answers 404 userNotFound for an unknown identity and writes nothing', async () => {
    const e = await rejectsWith(
      requestUserMigration(world.requestPorts(), { identity: 'nobody@contoso.com', trigger: 'manualStart' }),
      404,
      'userNotFound',
    );
    assert.match(e.message, /"nobody@contoso\.com"/);
    assert.equal(world.statuses.rows.size, 0);
    assert.equal(world.publisher.sent.length, 0);
  });

  it('answers 503 when Graph cannot be reached, with its Retry-After', async () => {
    world.directory.failWith = new GraphRequestError({
      status: 503,
      code: 'ServiceUnavailable',
      message: 'down',
      operation: 'GET /users/{id}',
      retryAfterMs: 7_500,
    });
    const e = await rejectsWith(
      requestUserMigration(world.requestPorts(), { identity: EVE.userId, trigger: 'manualStart' }),
      503,
      'dependencyUnavailable',
    );
    assert.equal(e.retryAfterSeconds, 8);
  });

  it('when the queue fails: 503, the record stays Pending, and the next request sends its message', async () => {
    world.profiles.add(ADA);
    world.publisher.failWith = new Error('namespace unreachable');
    await rejectsWith(
      requestUserMigration(world.requestPorts(), { identity: ADA.userId, trigger: 'manualStart' }),
      503,
      'dependencyUnavailable',
    );
    const left = world.statuses.rows.get(ADA.userId);
    assert.equal(left?.state, 'Pending', 'one write, kept: the run is recorded');
    assert.equal(world.publisher.sent.length, 0);
    world.publisher.failWith = undefined;
    const r = await requestUserMigration(world.requestPorts(), {
      identity: ADA.userId,
      trigger: 'bridgeChanged',
    });
    assert.equal(r.outcome, 'merged');
    assert.equal(world.publisher.sent.length, 1, 'the pending run finally has its message');
    assert.equal(world.publisher.sent[0]?.message.correlationId, left.correlationId);
  });

  it('a Pending user whose message never went out (the process died after the write) gets it from any later request', async () => {
    world.profiles.add(ADA);
    // The write of an earlier request landed; its send never happened.
    await requestUserMigration(world.requestPorts(), { identity: ADA.userId, trigger: 'manualStart' });
    const pendingRun = world.statuses.rows.get(ADA.userId)!;
    world.publisher.sent.length = 0;
    // A trigger (coalescing) and an admin's immediate start both re-send the run's message.
    for (const trigger of ['dialInEnabled', 'manualStart'] as const) {
      const r = await requestUserMigration(world.requestPorts(), {
        identity: ADA.userId,
        trigger,
        ...(trigger === 'manualStart' ? { timing: 'immediate' as const } : {}),
      });
      assert.equal(r.outcome, 'merged');
    }
    assert.equal(world.publisher.sent.length, 2);
    for (const { message } of world.publisher.sent) {
      assert.equal(message.correlationId, pendingRun.correlationId);
      assert.equal(message.messageId, pendingRun.correlationId, "the run's own id: a duplicate is dropped");
    }
  });

  it('a Pending record long past its time gets its message again under a resend id (the first may be consumed)', async () => {
    world.profiles.add(ADA);
    await requestUserMigration(world.requestPorts(), { identity: ADA.userId, trigger: 'manualStart' });
    const pendingRun = world.statuses.rows.get(ADA.userId)!;
    world.now = new Date(NOW.getTime() + 60 * 60_000);
    await requestUserMigration(world.requestPorts(), { identity: ADA.userId, trigger: 'bridgeChanged' });
    const resent = world.publisher.sent.at(-1)?.message;
    assert.ok(resent);
    assert.match(resent.messageId, new RegExp(`^${pendingRun.correlationId}:resend-\\d+$`));
    assert.equal((resent.body as { retryCount?: number }).retryCount, 0);
  });
});

function status(
  user: { userId: string; userPrincipalName: string },
  over: Partial<MigrationStatus>,
): MigrationStatus {
  const base: MigrationStatus = {
    userId: user.userId,
    userPrincipalName: user.userPrincipalName,
    state: 'Succeeded',
    migrationType: 'ToSameType',
    retryCount: 0,
    lastMessage: 'Done.',
    totalMeeting: 3,
    succeededMeeting: 2,
    failedMeeting: 0,
    invitesUpdate: 2,
    correlationId: `c-${user.userId.slice(0, 4)}`,
    createDate: '2026-11-10T08:00:00.000Z',
    modifiedDate: '2026-11-10T09:00:00.000Z',
    trigger: 'manualStart',
    triggers: ['manualStart'],
    sourceMeetingType: 'All',
    targetMeetingType: 'Current',
    notBefore: null,
    startDate: '2026-11-10T08:00:00.000Z',
    endDate: '2026-11-10T09:00:00.000Z',
    skippedMeeting: 1,
    skipReasons: { past: 1 },
    failureCodes: {},
    progress: null,
    lastMessageCode: 'succeeded',
    followUp: null,
  };
  return migrationStatusSchema.parse({ ...base, ...over });
}

describe('status queries', () => {
  beforeEach(() => {
    world.profiles.add(ADA).add(BOB).add(EVE);
    world.statuses.rows.set(ADA.userId, status(ADA, {}));
    world.statuses.rows.set(
      BOB.userId,
      status(BOB, {
        state: 'Failed',
        createDate: '2026-11-15T08:00:00.000Z',
        modifiedDate: '2026-11-16T08:00:00.000Z',
        migrationType: 'ToSameType',
      }),
    );
  });

  it('summaryOnly answers every state with zeros included, in the contract order', async () => {
    const res = await migrations(request('GET', '/api/migrations?summaryOnly'), context());
    assert.equal(res.status, 200);
    assert.deepEqual(res.jsonBody, [
      { state: 'Pending', userCount: 0 },
      { state: 'InProgress', userCount: 0 },
      { state: 'Succeeded', userCount: 1 },
      { state: 'Failed', userCount: 1 },
    ]);
  });

  it('lists records as stored, filtered by state, user and type', async () => {
    const all = await migrations(request('GET', '/api/migrations'), context());
    assert.deepEqual(
      (all.jsonBody as MigrationStatus[]).map((s) => s.userPrincipalName),
      ['ada@contoso.com', 'bob@contoso.com'],
    );
    assert.deepEqual((all.jsonBody as MigrationStatus[])[0], world.statuses.rows.get(ADA.userId));
    const failed = await migrations(request('GET', '/api/migrations?state=failed'), context());
    assert.deepEqual(
      (failed.jsonBody as MigrationStatus[]).map((s) => s.userId),
      [BOB.userId],
    );
    const bob = await migrations(request('GET', '/api/migrations?userId=BOB@contoso.com'), context());
    assert.deepEqual(
      (bob.jsonBody as MigrationStatus[]).map((s) => s.userId),
      [BOB.userId],
    );
    const none = await migrations(request('GET', '/api/migrations?migrationType=SfbToTeams'), context());
    assert.deepEqual(none.jsonBody, []);
  });

  it('startTime/endTime select migrations whose life overlaps the range', async () => {
    const q = (s: string) =>
      listMigrations(
        world.queryPorts(),
        migrationListQuerySchema.parse(Object.fromEntries(new URLSearchParams(s))),
      );
    const ids = async (s: string) => ((await q(s)) as MigrationStatus[]).map((r) => r.userPrincipalName);
    assert.deepEqual(await ids('startTime=2026-11-12'), ['bob@contoso.com'], 'ada ended before');
    assert.deepEqual(await ids('endTime=2026-11-12'), ['ada@contoso.com'], 'bob started after');
    assert.deepEqual(await ids('startTime=2026-11-10&endTime=2026-11-10'), ['ada@contoso.com']);
    assert.deepEqual(await ids('startTime=2026-11-16T08:00:00Z&endTime=2026-11-20'), ['bob@contoso.com']);
    assert.deepEqual(await ids('startTime=2026-11-01&endTime=2026-11-30'), [
      'ada@contoso.com',
      'bob@contoso.com',
    ]);
  });

  it('userId as an object id finds a record even when the user left the directory', async () => {
    const gone = { userId: '55555555-5555-4555-8555-555555555555', userPrincipalName: 'gone@contoso.com' };
    world.statuses.rows.set(gone.userId, status(gone, {}));
    const res = await migrations(request('GET', `/api/migrations?userId=${gone.userId}`), context());
    assert.equal(res.status, 200);
    assert.deepEqual(
      (res.jsonBody as MigrationStatus[]).map((s) => s.userId),
      [gone.userId],
    );
    const one = await migrationStatus(request('GET', '/x', { params: { identity: gone.userId } }), context());
    assert.equal(one.status, 200);
  });

  it('userId naming nobody answers 404 userNotFound', async () => {
    world.directory.calls = [];
    const res = await migrations(request('GET', '/api/migrations?userId=nobody@contoso.com'), context());
    assert.equal(res.status, 404);
    assert.equal(errorOf(res).code, 'userNotFound');
  });

  it('GET /api/migrations/{identity}: the record; 404 with different codes for unknown and never migrated', async () => {
    const byUpn = await migrationStatus(
      request('GET', '/api/migrations/ada@contoso.com', { params: { identity: 'Ada@Contoso.com' } }),
      context(),
    );
    assert.equal(byUpn.status, 200);
    assert.deepEqual(byUpn.jsonBody, world.statuses.rows.get(ADA.userId));
    // JSON-safe: survives a JSON round trip unchanged and has every contract field.
    assert.deepEqual(JSON.parse(JSON.stringify(byUpn.jsonBody)), byUpn.jsonBody);
    for (const field of [
      'userId',
      'userPrincipalName',
      'state',
      'migrationType',
      'retryCount',
      'lastMessage',
      'totalMeeting',
      'succeededMeeting',
      'failedMeeting',
      'invitesUpdate',
      'correlationId',
      'createDate',
      'modifiedDate',
    ]) {
      assert.ok(field in (byUpn.jsonBody as object), `has ${field}`);
    }
    const byId = await migrationStatus(request('GET', '/x', { params: { identity: BOB.userId } }), context());
    assert.equal((byId.jsonBody as MigrationStatus).state, 'Failed');

    const never = await migrationStatus(
      request('GET', '/x', { params: { identity: EVE.userPrincipalName } }),
      context(),
    );
    assert.equal(never.status, 404);
    const n = errorOf(never);
    assert.equal(n.code, 'migrationNotFound');
    assert.match(n.message, /eve@contoso\.com has no migration/);

    const unknown = await migrationStatus(
      request('GET', '/x', { params: { identity: '44444444-4444-4444-8444-444444444444' } }),
      context(),
    );
    assert.equal(unknown.status, 404);
    const u = errorOf(unknown);
    assert.equal(u.code, 'userNotFound');
    assert.notEqual(u.message, n.message);
  });

  it('GET .../meetings pages through the results of the current migration with a continuation token', async () => {
    const ada = world.statuses.rows.get(ADA.userId)!;
    const row = (i: number, correlationId: string): LedgerEntry => ({
      userId: ADA.userId,
      eventId: `AAMk-${i}`,
      eventType: 'singleInstance',
      subject: `Meeting ${i}`,
      start: '2026-12-01T09:00:00.000Z',
      blockKind: 'teams',
      outcome: i % 2 === 0 ? 'updated' : 'skipped',
      ...(i % 2 === 0 ? {} : { reason: 'upToDate' as const }),
      correlationId,
      retryCount: 0,
      at: '2026-11-10T08:30:00.000Z',
    });
    for (let i = 0; i < 5; i++) world.ledger.rows.push(row(i, ada.correlationId));
    world.ledger.rows.push(row(99, 'an-older-migration'));

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const qs = new URLSearchParams({ pageSize: '2', ...(token ? { continuationToken: token } : {}) });
      const res = await migrationMeetings(
        request('GET', `/api/migrations/ada@contoso.com/meetings?${qs.toString()}`, {
          params: { identity: 'ada@contoso.com' },
        }),
        context(),
      );
      assert.equal(res.status, 200);
      const body = res.jsonBody as {
        userId: string;
        correlationId: string;
        state: string;
        meetings: Record<string, unknown>[];
        continuationToken?: string;
      };
      assert.equal(body.userId, ADA.userId);
      assert.equal(body.correlationId, ada.correlationId);
      assert.equal(body.state, 'Succeeded');
      for (const m of body.meetings) {
        assert.ok(!('userId' in m));
        seen.push(String(m.eventId));
      }
      token = body.continuationToken;
      pages++;
    } while (token !== undefined);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ['AAMk-0', 'AAMk-1', 'AAMk-2', 'AAMk-3', 'AAMk-4']);

    const older = await migrationMeetings(
      request('GET', '/x?correlationId=an-older-migration', { params: { identity: ADA.userId } }),
      context(),
    );
    assert.deepEqual(
      (older.jsonBody as { meetings: { eventId: string }[] }).meetings.map((m) => m.eventId),
      ['AAMk-99'],
    );
  });

  it('POST answers 202 with the record and says what happened', async () => {
    const res = await migrations(
      request('POST', '/api/migrations', { body: JSON.stringify({ identity: 'eve@contoso.com' }) }),
      context(),
    );
    assert.equal(res.status, 202);
    const body = res.jsonBody as MigrationStatus;
    assert.equal(body.state, 'Pending');
    assert.equal(body.userId, EVE.userId);
    assert.deepEqual(body, world.statuses.rows.get(EVE.userId));
    const headers = res.headers as Record<string, string>;
    assert.equal(headers['x-mms-request-outcome'], 'queued');
    assert.equal(headers.location, `/api/migrations/${EVE.userId}`);
    const again = await migrations(
      request('POST', '/api/migrations', {
        body: JSON.stringify({ identity: EVE.userId, sourceMeetingType: 'SfB' }),
      }),
      context(),
    );
    assert.equal(again.status, 202);
    assert.equal((again.headers as Record<string, string>)['x-mms-request-outcome'], 'merged');
    assert.equal(new Set(world.publisher.sent.map((m) => m.message.messageId)).size, 1, 'one run, one id');
  });

  it('an unexpected failure answers 500 with the error shape, not a stack', async () => {
    world.statuses.all = () => {
      throw new Error('table exploded at /secret/path');
    };
    const res = await migrations(request('GET', '/api/migrations'), context());
    assert.equal(res.status, 500);
    const e = errorOf(res);
    assert.equal(e.code, 'internalError');
    assert.doesNotMatch(e.message, /secret/);
  });
});

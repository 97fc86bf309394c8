/**
 * The status record and its transitions: legal paths, coalescing, duplicate deliveries, retries to Failed,
 * illegal transitions, the summary with zeros, and retention.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MIGRATION_STATES,
  StatusTransitionError,
  finishMigration,
  isPastRetention,
  isStalled,
  runKeySchema,
  migrationStatusSchema,
  recordHeartbeat,
  recordProgress,
  requestMigration,
  takeOverStalled,
  runKeyOf,
  startMigration,
  summarizeStates,
  type MigrationRequest,
  type MigrationStatus,
  type RunResult,
} from '../../../shared/domain/status';
import type { RunCounts } from '../../../shared/domain/last-message';

const USER = '0f5c2a4e-1111-4a4a-8888-000000000001';
const T0 = new Date('2026-06-15T12:00:00.000Z');
const MIN = 60_000;
const after = (ms: number, from = T0) => new Date(from.getTime() + ms);

function req(over: Partial<MigrationRequest> = {}): MigrationRequest {
  return {
    userId: USER,
    userPrincipalName: 'adele@contoso.com',
    sourceMeetingType: 'All',
    targetMeetingType: 'Current',
    trigger: 'bridgeChanged',
    correlationId: 'corr-1',
    delayMs: 2 * MIN,
    ...over,
  };
}

function counts(over: Partial<RunCounts> = {}): RunCounts {
  return {
    totalMeeting: 5,
    succeededMeeting: 4,
    failedMeeting: 0,
    invitesUpdate: 4,
    skippedMeeting: 1,
    skipReasons: { past: 1 },
    failureCodes: {},
    ...over,
  };
}

const OK: RunResult = { kind: 'completed', counts: counts() };
const SOME_FAILED: RunResult = {
  kind: 'completed',
  counts: counts({ succeededMeeting: 2, failedMeeting: 2, invitesUpdate: 2, failureCodes: { graph5xx: 2 } }),
};
const OPTS = { maxRetries: 9 };

/** Every record a transition produces must satisfy the contract. */
function valid(s: MigrationStatus): MigrationStatus {
  const r = migrationStatusSchema.safeParse(s);
  assert.ok(r.success, r.success ? '' : JSON.stringify(r.error.issues));
  return s;
}

function pending(over: Partial<MigrationRequest> = {}, now = T0): MigrationStatus {
  const o = requestMigration(null, req(over), now);
  assert.equal(o.kind, 'queued');
  return valid(o.status);
}

function running(s: MigrationStatus, now: Date): MigrationStatus {
  const o = startMigration(s, runKeyOf(s), now);
  assert.equal(o.kind, 'start');
  return valid(o.kind === 'start' ? o.status : s);
}

describe('status record', () => {
  it('has every field of the DESIGN contract, in camelCase, and parses MMS-shaped records', () => {
    const s = pending();
    for (const f of [
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
      assert.ok(f in s, f);
    }
    assert.ok(!migrationStatusSchema.safeParse({ ...s, createDate: '2026-06-15T14:00:00+02:00' }).success);
    assert.ok(!migrationStatusSchema.safeParse({ ...s, state: 'Done' }).success);
    assert.ok(!migrationStatusSchema.safeParse({ ...s, retryCount: -1 }).success);
    assert.ok(migrationStatusSchema.safeParse({ ...s, createDate: '2024-04-27T00:24:00.1442688Z' }).success);
  });
});

describe('requestMigration', () => {
  it('creates a Pending migration that runs after the delay', () => {
    const o = requestMigration(null, req(), T0);
    assert.equal(o.kind, 'queued');
    if (o.kind !== 'queued') return;
    const s = valid(o.status);
    assert.equal(s.state, 'Pending');
    assert.equal(s.migrationType, 'ToSameType');
    assert.equal(s.retryCount, 0);
    assert.equal(s.trigger, 'bridgeChanged');
    assert.equal(s.createDate, T0.toISOString());
    assert.equal(s.notBefore, after(2 * MIN).toISOString());
    assert.deepEqual(o.run, { correlationId: 'corr-1', retryCount: 0 });
    assert.deepEqual(o.notBefore, after(2 * MIN));
    assert.equal(s.lastMessageCode, 'queued');
    assert.match(s.lastMessage, /bridgeChanged.*2026-06-15 12:02 UTC/);
  });

  it('merges a burst into the pending migration: one run, broader type, same time, all triggers', () => {
    let s = pending();
    const second = requestMigration(
      s,
      req({
        trigger: 'teamsUpgradeGranted',
        sourceMeetingType: 'SfB',
        targetMeetingType: 'Teams',
        correlationId: 'corr-2',
      }),
      after(MIN),
    );
    assert.equal(second.kind, 'merged');
    s = valid(second.status);
    assert.equal(s.migrationType, 'AllToTeams');
    assert.equal(s.sourceMeetingType, 'All');
    assert.equal(s.targetMeetingType, 'Teams');
    assert.equal(s.correlationId, 'corr-1');
    assert.equal(s.notBefore, after(2 * MIN).toISOString());
    const third = requestMigration(s, req({ correlationId: 'corr-3' }), after(90_000));
    assert.equal(third.kind, 'merged');
    assert.deepEqual(third.status.triggers, ['bridgeChanged', 'teamsUpgradeGranted']);
    assert.equal(third.status.trigger, 'bridgeChanged');
    assert.equal(third.status.migrationType, 'AllToTeams');
  });

  it('starts a fresh migration after one ended', () => {
    for (const end of [OK, { kind: 'userError', code: 'mailboxOnPremises' } as RunResult]) {
      const s = running(pending(), after(2 * MIN));
      const done = finishMigration(s, runKeyOf(s), end, after(3 * MIN), OPTS).status;
      const o = requestMigration(done, req({ correlationId: 'corr-9' }), after(10 * MIN));
      assert.equal(o.kind, 'queued');
      assert.equal(o.status.correlationId, 'corr-9');
      assert.equal(o.status.totalMeeting, 0);
      assert.equal(o.status.invitesUpdate, 0);
      assert.equal(o.status.createDate, after(10 * MIN).toISOString());
    }
  });

  it('records one follow-up while InProgress, merging later requests into it', () => {
    const s = running(pending(), after(2 * MIN));
    const a = requestMigration(
      s,
      req({ trigger: 'dialInDisabled', correlationId: 'corr-f1' }),
      after(3 * MIN),
    );
    assert.equal(a.kind, 'followUpRecorded');
    valid(a.status);
    assert.equal(a.status.state, 'InProgress');
    const b = requestMigration(
      a.status,
      req({
        trigger: 'homedOnline',
        sourceMeetingType: 'SfB',
        targetMeetingType: 'Teams',
        correlationId: 'corr-f2',
      }),
      after(4 * MIN),
    );
    assert.equal(b.kind, 'followUpRecorded');
    assert.deepEqual(valid(b.status).followUp, {
      sourceMeetingType: 'All',
      targetMeetingType: 'Teams',
      triggers: ['dialInDisabled', 'homedOnline'],
      correlationId: 'corr-f1',
      notBefore: after(5 * MIN).toISOString(),
    });
  });

  it('replaces a pending retry with a fresh migration; the retry message becomes stale', () => {
    const s = running(pending(), after(2 * MIN));
    const retry = finishMigration(s, runKeyOf(s), SOME_FAILED, after(3 * MIN), OPTS);
    assert.equal(retry.status.state, 'Pending');
    const oldRun = retry.next!.run;
    const o = requestMigration(
      retry.status,
      req({ trigger: 'conferenceIdReset', correlationId: 'corr-5' }),
      after(4 * MIN),
    );
    assert.equal(o.kind, 'queued');
    assert.equal(o.status.retryCount, 0);
    assert.equal(o.status.correlationId, 'corr-5');
    assert.deepEqual(o.status.triggers, ['bridgeChanged', 'conferenceIdReset']);
    assert.equal(startMigration(o.status, oldRun, after(8 * MIN)).kind, 'stale');
    assert.equal(startMigration(o.status, runKeyOf(o.status), after(6 * MIN)).kind, 'start');
  });

  it('refuses a request for another user and a negative delay', () => {
    assert.throws(
      () => requestMigration(pending(), req({ userId: 'someone-else' }), T0),
      StatusTransitionError,
    );
    assert.throws(() => requestMigration(null, req({ delayMs: -1 }), T0), RangeError);
  });
});

describe('startMigration', () => {
  it('starts the current run, resumes it on redelivery, and drops anything else as stale', () => {
    const p = pending();
    const key = runKeyOf(p);
    const started = startMigration(p, key, after(2 * MIN));
    assert.equal(started.kind, 'start');
    if (started.kind !== 'start') return;
    assert.equal(valid(started.status).state, 'InProgress');
    assert.equal(started.status.notBefore, null);
    assert.equal(started.status.startDate, after(2 * MIN).toISOString());
    assert.deepEqual(started.status.progress, { discoveredMeeting: 0, processedMeeting: 0 });

    assert.equal(startMigration(started.status, key, after(3 * MIN)).kind, 'resume');
    assert.equal(startMigration(started.status, { ...key, correlationId: 'other' }, T0).kind, 'stale');
    assert.equal(startMigration(p, { ...key, retryCount: 1 }, T0).kind, 'stale');
    assert.equal(startMigration(null, key, T0).kind, 'stale');

    const done = finishMigration(started.status, key, OK, after(4 * MIN), OPTS).status;
    assert.equal(startMigration(done, key, after(5 * MIN)).kind, 'stale');
  });
});

describe('finishMigration', () => {
  it('ends Succeeded with the counts when no meeting failed', () => {
    const s = running(pending(), after(2 * MIN));
    const o = finishMigration(s, runKeyOf(s), OK, after(3 * MIN), OPTS);
    valid(o.status);
    assert.equal(o.next, null);
    assert.equal(o.status.state, 'Succeeded');
    assert.equal(o.status.totalMeeting, 5);
    assert.equal(o.status.succeededMeeting, 4);
    assert.equal(o.status.invitesUpdate, 4);
    assert.equal(o.status.skippedMeeting, 1);
    assert.equal(o.status.skipReasons.past, 1);
    assert.equal(o.status.skipReasons.upToDate, 0);
    assert.equal(o.status.endDate, after(3 * MIN).toISOString());
    assert.equal(o.status.progress, null);
    assert.equal(o.status.lastMessageCode, 'succeeded');
  });

  it("retries 9 times with backoff, then stays Failed; the last attempt's counts cover the migration", () => {
    let s = running(pending(), after(2 * MIN));
    let now = after(3 * MIN);
    const waits: number[] = [];
    for (let attempt = 0; attempt < 9; attempt++) {
      const o = finishMigration(s, runKeyOf(s), SOME_FAILED, now, OPTS);
      valid(o.status);
      assert.equal(o.status.state, 'Pending');
      assert.equal(o.status.retryCount, attempt + 1);
      assert.equal(o.status.lastMessageCode, 'retryScheduled');
      assert.equal(o.next?.kind, 'retry');
      assert.deepEqual(o.next?.run, { correlationId: 'corr-1', retryCount: attempt + 1 });
      waits.push(o.next.notBefore.getTime() - now.getTime());
      now = o.next.notBefore;
      s = running(o.status, now);
      now = after(MIN, now);
    }
    const last = finishMigration(s, runKeyOf(s), SOME_FAILED, now, OPTS);
    valid(last.status);
    assert.equal(last.next, null);
    assert.equal(last.status.state, 'Failed');
    assert.equal(last.status.retryCount, 9);
    assert.equal(last.status.lastMessageCode, 'failedAfterRetries');
    assert.match(last.status.lastMessage, /Gave up after 9 retries/);
    // The worker counts the migration's updates from the ledger (every attempt's), so the record takes the
    // last attempt's count as it is: adding the attempts up would count a meeting once per attempt.
    assert.equal(last.status.invitesUpdate, 2);
    assert.equal(last.status.failedMeeting, 2);
    assert.equal(last.status.failureCodes.graph5xx, 2);
    assert.ok(waits.reduce((a, b) => a + b, 0) <= 24 * 60 * MIN);
  });

  it('fails at once, without retry, when retrying cannot help (mailbox on premises)', () => {
    const s = running(pending(), after(2 * MIN));
    const o = finishMigration(
      s,
      runKeyOf(s),
      { kind: 'userError', code: 'mailboxOnPremises' },
      after(3 * MIN),
      OPTS,
    );
    valid(o.status);
    assert.equal(o.status.state, 'Failed');
    assert.equal(o.next, null);
    assert.equal(o.status.retryCount, 0);
    assert.equal(o.status.lastMessageCode, 'mailboxOnPremises');
    assert.match(o.status.lastMessage, /Exchange Online/);
  });

  it('waits as long as Graph asked when throttled', () => {
    const s = running(pending(), after(2 * MIN));
    const o = finishMigration(
      s,
      runKeyOf(s),
      { kind: 'userError', code: 'throttled', retryAfterMs: 30 * MIN },
      after(3 * MIN),
      OPTS,
    );
    assert.equal(o.status.state, 'Pending');
    assert.deepEqual(o.next?.notBefore, after(33 * MIN));
  });

  it('stays Failed at once with maxRetries 0', () => {
    const s = running(pending(), after(2 * MIN));
    const o = finishMigration(s, runKeyOf(s), SOME_FAILED, after(3 * MIN), { maxRetries: 0 });
    assert.equal(o.status.state, 'Failed');
    assert.equal(o.status.lastMessageCode, 'failedAfterRetries');
  });

  it('queues the follow-up when the run ends, and it covers a failed run when it retries', () => {
    const s0 = running(pending(), after(2 * MIN));
    const withFollowUp = requestMigration(
      s0,
      req({
        trigger: 'homedOnline',
        sourceMeetingType: 'SfB',
        targetMeetingType: 'Teams',
        correlationId: 'corr-f',
      }),
      after(3 * MIN),
    ).status;

    const ok = finishMigration(withFollowUp, runKeyOf(withFollowUp), OK, after(10 * MIN), OPTS);
    valid(ok.status);
    assert.equal(ok.status.state, 'Pending');
    assert.equal(ok.status.correlationId, 'corr-f');
    assert.equal(ok.status.migrationType, 'SfbToTeams');
    assert.equal(ok.status.followUp, null);
    assert.equal(ok.status.trigger, 'homedOnline');
    assert.deepEqual(ok.next, {
      kind: 'followUp',
      run: { correlationId: 'corr-f', retryCount: 0 },
      notBefore: after(10 * MIN),
    });

    const failed = finishMigration(withFollowUp, runKeyOf(withFollowUp), SOME_FAILED, after(4 * MIN), OPTS);
    assert.equal(failed.next?.kind, 'followUp');
    assert.equal(failed.status.migrationType, 'AllToTeams');
    assert.deepEqual(failed.next?.notBefore, after(5 * MIN), 'not before the follow-up delay');
  });

  it('runs the follow-up on its own when the run failed for good (retrying could not help)', () => {
    const s0 = running(pending({ sourceMeetingType: 'SfB', targetMeetingType: 'Teams' }), after(2 * MIN));
    const withFollowUp = requestMigration(
      s0,
      req({ trigger: 'dialInEnabled', correlationId: 'corr-f' }),
      after(3 * MIN),
    ).status;
    const o = finishMigration(
      withFollowUp,
      runKeyOf(withFollowUp),
      { kind: 'userError', code: 'teamsNotLicensed' },
      after(4 * MIN),
      OPTS,
    );
    valid(o.status);
    assert.equal(o.next?.kind, 'followUp');
    assert.equal(o.status.migrationType, 'ToSameType');
    assert.equal(o.status.targetMeetingType, 'Current');
  });

  it('refuses illegal transitions explicitly', () => {
    const p = pending();
    assert.throws(() => finishMigration(p, runKeyOf(p), OK, T0, OPTS), StatusTransitionError);
    assert.throws(() => finishMigration(null, runKeyOf(p), OK, T0, OPTS), StatusTransitionError);
    assert.throws(
      () => recordProgress(p, runKeyOf(p), { discoveredMeeting: 1, processedMeeting: 0 }, T0),
      StatusTransitionError,
    );
    const r = running(p, after(2 * MIN));
    assert.throws(
      () => finishMigration(r, { correlationId: 'corr-1', retryCount: 3 }, OK, T0, OPTS),
      StatusTransitionError,
    );
    const done = finishMigration(r, runKeyOf(r), OK, after(3 * MIN), OPTS).status;
    assert.throws(
      () => finishMigration(done, runKeyOf(done), OK, after(4 * MIN), OPTS),
      StatusTransitionError,
    );
  });

  it('records progress of the running migration', () => {
    const r = running(pending(), after(2 * MIN));
    const s = recordProgress(r, runKeyOf(r), { discoveredMeeting: 40, processedMeeting: 12 }, after(3 * MIN));
    valid(s);
    assert.deepEqual(s.progress, { discoveredMeeting: 40, processedMeeting: 12 });
    assert.equal(s.modifiedDate, after(3 * MIN).toISOString());
  });
});

describe('stalled runs and run keys', () => {
  it('calls a run stalled only when InProgress and unchanged for longer than the limit', () => {
    const r = running(pending(), after(2 * MIN));
    assert.equal(isStalled(r, after(12 * MIN), 10 * MIN), false);
    assert.equal(isStalled(r, after(12 * MIN + 1), 10 * MIN), true);
    const fresh = recordProgress(
      r,
      runKeyOf(r),
      { discoveredMeeting: 3, processedMeeting: 1 },
      after(11 * MIN),
    );
    assert.equal(isStalled(fresh, after(13 * MIN), 10 * MIN), false);
    assert.equal(isStalled(pending(), after(60 * MIN), 10 * MIN), false);
    const ended = finishMigration(
      r,
      runKeyOf(r),
      { kind: 'userError', code: 'unexpectedError' },
      after(30 * MIN),
      OPTS,
    );
    assert.equal(ended.status.state, 'Pending');
    assert.equal(ended.next?.kind, 'retry');
  });

  it('validates run keys from queue messages', () => {
    assert.ok(runKeySchema.safeParse({ correlationId: 'c', retryCount: 0 }).success);
    assert.ok(!runKeySchema.safeParse({ correlationId: '', retryCount: 0 }).success);
    assert.ok(!runKeySchema.safeParse({ correlationId: 'c', retryCount: -1 }).success);
  });
});

describe('summary and retention', () => {
  it('lists every state, zeros included', () => {
    assert.deepEqual(summarizeStates([]), [
      { state: 'Pending', userCount: 0 },
      { state: 'InProgress', userCount: 0 },
      { state: 'Succeeded', userCount: 0 },
      { state: 'Failed', userCount: 0 },
    ]);
    const rows = summarizeStates([{ state: 'Failed' }, { state: 'Pending' }, { state: 'Failed' }]);
    assert.deepEqual(rows, [
      { state: 'Pending', userCount: 1 },
      { state: 'InProgress', userCount: 0 },
      { state: 'Succeeded', userCount: 0 },
      { state: 'Failed', userCount: 2 },
    ]);
    assert.deepEqual(
      rows.map((r) => r.state),
      [...MIGRATION_STATES],
    );
  });

  it('purges ended records older than 150 days, keeps the 150th day and anything still running', () => {
    const now = new Date('2026-06-15T00:00:00.000Z');
    const day150 = new Date(now.getTime() - 150 * 24 * 60 * MIN).toISOString();
    const older = new Date(now.getTime() - 150 * 24 * 60 * MIN - 1).toISOString();
    assert.equal(isPastRetention({ state: 'Succeeded', modifiedDate: day150 }, now), false);
    assert.equal(isPastRetention({ state: 'Succeeded', modifiedDate: older }, now), true);
    assert.equal(isPastRetention({ state: 'Failed', modifiedDate: older }, now), true);
    assert.equal(isPastRetention({ state: 'Pending', modifiedDate: older }, now), false);
    assert.equal(isPastRetention({ state: 'InProgress', modifiedDate: older }, now), false);
  });
});

describe('a Pending run always has its message; a stalled run is taken over at once', () => {
  const STALL = 7 * MIN;

  it('a request merged into a Pending migration answers its run, so the caller sends its message again', () => {
    const p = pending();
    const o = requestMigration(
      p,
      req({ trigger: 'manualStart', correlationId: 'corr-2', delayMs: 0 }),
      after(MIN),
    );
    assert.equal(o.kind, 'merged');
    assert.ok(o.kind === 'merged');
    assert.deepEqual(o.run, runKeyOf(p), 'the pending run, not a new one');
    assert.equal(o.notBefore.toISOString(), p.notBefore);
  });

  it('an admin start on a run whose heartbeat is older than the limit takes it over now, and says so', () => {
    const r = running(pending(), after(2 * MIN));
    const at = after(2 * MIN + STALL + 1);
    const o = requestMigration(r, req({ trigger: 'manualStart', correlationId: 'corr-9', delayMs: 0 }), at, {
      stalledAfterMs: STALL,
    });
    assert.equal(o.kind, 'takenOver');
    assert.ok(o.kind === 'takenOver');
    valid(o.status);
    assert.equal(o.status.state, 'Pending');
    assert.equal(o.status.correlationId, 'corr-1', 'the same migration: its ledger keeps counting');
    assert.equal(o.status.retryCount, 1);
    assert.equal(o.notBefore.getTime(), at.getTime(), 'due now');
    assert.equal(o.status.lastMessageCode, 'takenOver');
    assert.match(o.status.lastMessage, /this admin start took it over/);
    assert.ok(o.status.triggers.includes('manualStart'));
    // The dead worker is fenced: its heartbeat and finish are refused.
    assert.throws(() => recordHeartbeat(o.status, runKeyOf(r), at), StatusTransitionError);
    assert.throws(() => finishMigration(o.status, runKeyOf(r), OK, at, OPTS), StatusTransitionError);
  });

  it('a live run (recent heartbeat) still records the request as its follow-up', () => {
    const r = running(pending(), after(2 * MIN));
    const beat = recordHeartbeat(r, runKeyOf(r), after(2 * MIN + STALL - MIN));
    const o = requestMigration(
      beat,
      req({ trigger: 'manualStart', delayMs: 0 }),
      after(2 * MIN + STALL + 1),
      {
        stalledAfterMs: STALL,
      },
    );
    assert.equal(o.kind, 'followUpRecorded');
  });

  it('triggers never postpone recovery: recording follow-ups does not make a dead run look alive', () => {
    let s = running(pending(), after(2 * MIN));
    for (let i = 1; i <= 5; i++) {
      const o = requestMigration(s, req({ correlationId: `corr-f${i}` }), after(2 * MIN + i * MIN));
      assert.equal(o.kind, 'followUpRecorded');
      s = o.status;
    }
    assert.equal(isStalled(s, after(2 * MIN + STALL + 1), STALL), true, 'stall counts from the heartbeat');
    const swept = takeOverStalled(s, after(2 * MIN + STALL + 1), { maxRetries: 9, stalledAfterMs: STALL });
    assert.ok(swept);
    assert.equal(swept.kind, 'takenOver');
    assert.ok(swept.status.followUp !== null, 'the follow-up stays for after the taken-over run');
  });

  it('the sweep takes over while retries remain, then ends the run Failed', () => {
    const r = running(pending(), after(2 * MIN));
    assert.equal(takeOverStalled(r, after(2 * MIN + STALL), { maxRetries: 9, stalledAfterMs: STALL }), null);
    const last = { ...r, retryCount: 9 };
    const o = takeOverStalled(last, after(2 * MIN + STALL + 1), { maxRetries: 9, stalledAfterMs: STALL });
    assert.ok(o);
    assert.equal(o.kind, 'ended');
    assert.equal(o.status.state, 'Failed');
    assert.match(o.status.lastMessage, /no heartbeat since/);
  });
});

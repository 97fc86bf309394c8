/**
 * migrateUser with an unreliable Graph and with users it must refuse: injected 429/503 on 10 % of requests end
 * in the same state as a clean run; a meeting that keeps failing makes the user retry with backoff and then
 * stay Failed with a lastMessage naming the error; an unknown user is refused with its catalogue message.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { LAST_MESSAGES } from '../../../shared/domain/last-message';
import { requestMigration } from '../../../shared/domain/status';
import { migrationMessage } from '../../../shared/services/migration-messages';
import {
  deliver,
  expectedUpdatesPerAttendee,
  organizerEvents,
  received,
  requestRun,
  startFixture,
  type Fixture,
  hasMailbox,
} from './fixture';

function eligibleOf(f: Fixture, userId: string): string[] {
  return organizerEvents(f)
    .filter((x) => x.ev.organizerUserId === userId && x.expect.kind === 'update')
    .map((x) => x.ev.id);
}

describe('migrateUser with faults and refusals', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ users: 10, meetings: 12, seed: 5, maxRetries: 2 });
  });
  after(() => f.stop());

  const users = () => f.seed.users.filter((u) => hasMailbox(u) && eligibleOf(f, u.id).length >= 3);

  it('429/503 on 10 % of Graph requests: same end state, every eligible meeting updated once', async () => {
    f.sandbox.tenant.throttle.setFaults({ rate: 0.1, statuses: [429, 503], retryAfterSeconds: 0, seed: 3 });
    const chosen = users().slice(0, 4);
    try {
      for (const u of chosen) assert.equal((await deliver(f, await requestRun(f, u.id))).kind, 'finished');
    } finally {
      f.sandbox.tenant.throttle.setFaults({});
    }
    const faults = f.sandbox.tenant.requestLog().filter((r) => r.status === 429 || r.status === 503).length;
    assert.ok(faults > 0, 'faults were injected');
    const counts = f.sandbox.tenant.updateCounts();
    for (const u of chosen) {
      const s = await f.repos.status.get(u.id);
      assert.equal(s?.state, 'Succeeded', s?.lastMessage);
      const eligible = eligibleOf(f, u.id);
      assert.equal(s.succeededMeeting, eligible.length);
      assert.equal(s.invitesUpdate, eligible.length);
      for (const id of eligible) {
        assert.equal(f.calendar.patched.get(id), 1, `${id} PATCHed once`);
        const ev = f.before.get(id);
        const want = expectedUpdatesPerAttendee(f, id);
        for (const a of ev?.attendees ?? []) {
          assert.equal(counts[id]?.byAttendee[a.emailAddress.address] ?? 0, want, 'attendee updated once');
        }
      }
    }
  });

  it('a meeting that keeps failing: retries with backoff, then Failed with the error in lastMessage', async () => {
    const u = users()[5] ?? users()[4];
    assert.ok(u);
    const eligible = eligibleOf(f, u.id);
    const broken = eligible[0];
    assert.ok(broken);
    f.sandbox.tenant.throttle.setFaults({ targets: [{ eventId: broken, method: 'PATCH', status: 500 }] });
    try {
      let message = await requestRun(f, u.id);
      for (let attempt = 0; attempt <= 2; attempt++) {
        const sent = f.queue.sent.length;
        const out = await deliver(f, message);
        assert.equal(out.kind, 'finished');
        const s = await f.repos.status.get(u.id);
        assert.ok(s);
        if (attempt < 2) {
          assert.equal(s.state, 'Pending', s.lastMessage);
          assert.equal(s.retryCount, attempt + 1);
          assert.equal(s.lastMessageCode, 'retryScheduled');
          assert.match(
            s.lastMessage,
            /1 of \d+ meetings could not be updated \(most common error: graphUnavailable/,
          );
          const next = f.queue.sent[sent];
          assert.ok(next, 'retry enqueued');
          assert.equal(next.message.messageId, `${s.correlationId}:retry${attempt + 1}`);
          assert.ok(next.message.scheduledEnqueueTime && next.message.scheduledEnqueueTime > new Date());
          message = received(next.message);
        } else {
          assert.equal(s.state, 'Failed');
          assert.equal(s.lastMessageCode, 'failedAfterRetries');
          assert.match(s.lastMessage, /^Gave up after 2 retries\. 1 of \d+ meetings could not be updated/);
          assert.match(s.lastMessage, /GET \/api\/migrations\/.+\/meetings/);
          assert.equal(s.failedMeeting, 1);
          assert.deepEqual(s.failureCodes, { graphUnavailable: 1 });
          assert.equal(s.succeededMeeting, eligible.length - 1);
          assert.equal(f.queue.sent.length, sent, 'no further retry');
        }
      }
    } finally {
      f.sandbox.tenant.throttle.setFaults({});
    }
    const row = await f.repos.ledger.get(u.id, broken);
    assert.equal(row?.outcome, 'failed');
    assert.equal(row.errorCode, 'graphUnavailable');
    for (const id of eligible.slice(1)) assert.equal(f.calendar.patched.get(id), 1, 'others updated once');
    assert.equal(f.calendar.patched.get(broken), undefined);

    // Fixed: a new migration updates just the one that failed.
    assert.equal((await deliver(f, await requestRun(f, u.id))).kind, 'finished');
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Succeeded');
    assert.equal(s.succeededMeeting, 1);
    assert.equal(s.skipReasons.upToDate, eligible.length - 1);
    assert.equal(f.calendar.patched.get(broken), 1);
  });

  it('a user the directory does not know ends Failed with userNotFound', async () => {
    const userId = randomUUID();
    const o = requestMigration(
      null,
      {
        userId,
        userPrincipalName: 'ghost@contoso.onmicrosoft.com',
        trigger: 'manualStart',
        correlationId: randomUUID(),
        delayMs: 0,
        sourceMeetingType: 'All',
        targetMeetingType: 'Current',
      },
      new Date(),
    );
    assert.equal(o.kind, 'queued');
    if (o.kind !== 'queued') return;
    await f.repos.status.mutate(userId, () => o.status);
    const out = await deliver(f, received(migrationMessage(o.status, o.run, o.notBefore, new Date())));
    assert.equal(out.kind, 'finished');
    const s = await f.repos.status.get(userId);
    assert.equal(s?.state, 'Failed');
    assert.equal(s.lastMessageCode, 'userNotFound');
    assert.ok(s.lastMessage.startsWith(LAST_MESSAGES.userNotFound.template));
  });
});

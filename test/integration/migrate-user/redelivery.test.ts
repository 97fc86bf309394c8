/**
 * At-least-once delivery is the norm: a migrateUser message delivered twice (the embedded queue's deliverTwice
 * mode, and the handler called twice), a worker that dies half-way and is redelivered, a worker that dies on the
 * queue's last delivery, and stale messages. Each must end with every eligible meeting updated exactly once and
 * the status counts right.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { requestMigration } from '../../../shared/domain/status';
import { EmbeddedQueue } from '../../../shared/queue/embedded';
import { QUEUES } from '../../../shared/queue/port';
import { handleMigrationMessage, MIGRATION_QUEUE_MAX_DELIVERY } from '../../../shared/services/migrate-user';
import {
  deliver,
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

function assertEachPatchedOnce(f: Fixture, ids: readonly string[]): void {
  assert.ok(ids.length > 0, 'the user has eligible meetings');
  for (const id of ids) assert.equal(f.calendar.patched.get(id), 1, `event ${id} PATCHed exactly once`);
}

/** Exchange Online users with eligible meetings, skipping third-party-provider ones. */
function candidates(f: Fixture) {
  return f.seed.users.filter((u) => hasMailbox(u) && eligibleOf(f, u.id).length >= 4);
}

describe('migrateUser under redelivery', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ users: 16, meetings: 12, seed: 23 });
  });
  after(() => f.stop());

  it('a message delivered twice by the queue (deliverTwice) updates every meeting once', async () => {
    const queue = new EmbeddedQueue({ deliverTwice: true });
    const sub = queue.subscribe(QUEUES.meetingMigrations, { sessions: true }, async (m) => {
      await handleMigrationMessage({ ...f.deps, queue: () => queue }, m);
    });
    const users = candidates(f).slice(0, 3);
    try {
      for (const u of users) {
        const m = await requestRun(f, u.id);
        await queue.send(QUEUES.meetingMigrations, {
          messageId: m.messageId,
          sessionId: u.id,
          body: m.body,
        });
      }
      await queue.waitForIdle(60_000);
    } finally {
      await sub.close();
      await queue.close();
    }
    for (const u of users) {
      const s = await f.repos.status.get(u.id);
      assert.equal(s?.state, 'Succeeded', s?.lastMessage);
      const eligible = eligibleOf(f, u.id);
      assertEachPatchedOnce(f, eligible);
      assert.equal(s.succeededMeeting, eligible.length);
      assert.equal(s.invitesUpdate, eligible.length, 'each update counted once');
    }
  });

  it('the same message handled twice: the second delivery is stale and sends nothing', async () => {
    const u = candidates(f)[3];
    assert.ok(u);
    const m = await requestRun(f, u.id);
    const first = await deliver(f, m);
    assert.equal(first.kind, 'finished');
    const patches = [...f.calendar.patched.values()].reduce((a, b) => a + b, 0);
    const updates = f.sandbox.tenant.updateLog().length;
    const second = await deliver(f, { ...m, deliveryCount: 2 });
    assert.equal(second.kind, 'stale');
    assert.equal(
      [...f.calendar.patched.values()].reduce((a, b) => a + b, 0),
      patches,
    );
    assert.equal(f.sandbox.tenant.updateLog().length, updates);
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Succeeded');
    assert.equal(s.invitesUpdate, eligibleOf(f, u.id).length);
  });

  for (const [i, mode] of [
    [4, 'before'],
    [8, 'after'],
  ] as const) {
    it(`a worker that dies half-way (${mode} a PATCH lands) and is redelivered updates every meeting exactly once, counts right`, async () => {
      const u = candidates(f)[i];
      assert.ok(u);
      const eligible = eligibleOf(f, u.id);
      const m = await requestRun(f, u.id);
      f.calendar.crashMode = mode;
      f.calendar.crashAfter = [...f.calendar.patched.values()].reduce((a, b) => a + b, 0) + 2;
      await assert.rejects(deliver(f, m), /worker died/);
      const midway = await f.repos.status.get(u.id);
      assert.equal(midway?.state, 'InProgress', 'the dead worker left the run InProgress');
      f.calendar.crashAfter = undefined;
      f.calendar.crashMode = 'before';
      const out = await deliver(f, { ...m, deliveryCount: 2 });
      assert.equal(out.kind, 'finished');
      const s = await f.repos.status.get(u.id);
      assert.equal(s?.state, 'Succeeded', s?.lastMessage);
      assertEachPatchedOnce(f, eligible);
      assert.equal(s.succeededMeeting, eligible.length);
      assert.equal(s.invitesUpdate, eligible.length, 'updates sent by the dead worker are counted once');
      for (const id of eligible) {
        const row = await f.repos.ledger.get(u.id, id);
        assert.equal(row?.outcome, 'updated');
        assert.equal(row.correlationId, s.correlationId);
      }
    });
  }

  it('a worker that dies on the last delivery ends the run with a retry instead of leaving it InProgress', async () => {
    const u = candidates(f)[5];
    assert.ok(u);
    const eligible = eligibleOf(f, u.id);
    const m = await requestRun(f, u.id);
    f.calendar.crashAfter = [...f.calendar.patched.values()].reduce((a, b) => a + b, 0) + 1;
    const sentBefore = f.queue.sent.length;
    const out = await deliver(f, { ...m, deliveryCount: MIGRATION_QUEUE_MAX_DELIVERY });
    f.calendar.crashAfter = undefined;
    assert.equal(out.kind, 'finished');
    let s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Pending');
    assert.equal(s.retryCount, 1);
    assert.equal(s.lastMessageCode, 'retryScheduled');
    assert.match(s.lastMessage, /unexpected error: worker died/);
    const retry = f.queue.sent[sentBefore];
    assert.ok(retry, 'a retry message was sent');
    assert.equal(retry.message.messageId, `${s.correlationId}:retry1`);
    assert.equal(retry.message.sessionId, u.id);
    assert.ok((retry.message.scheduledEnqueueTime?.getTime() ?? 0) > Date.now(), 'scheduled with backoff');

    const done = await deliver(f, received(retry.message));
    assert.equal(done.kind, 'finished');
    s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Succeeded', s?.lastMessage);
    assertEachPatchedOnce(f, eligible);
    assert.equal(
      s.succeededMeeting,
      eligible.length,
      'meetings the first attempt updated count as succeeded',
    );
    assert.equal(s.failedMeeting, 0);
  });

  it('a message of an earlier run, or of a run that never existed, is stale: nothing is read or written', async () => {
    const u = candidates(f)[6];
    assert.ok(u);
    const old = await requestRun(f, u.id);
    assert.equal((await deliver(f, old)).kind, 'finished');
    const current = await requestRun(f, u.id);
    const statusBefore = await f.repos.status.get(u.id);
    assert.equal(statusBefore?.state, 'Pending');
    const requests = f.sandbox.tenant.requestLog().length;

    const replay = await deliver(f, { ...old, deliveryCount: 3 });
    assert.equal(replay.kind, 'stale');
    const bogus = await deliver(f, { ...current, messageId: `${statusBefore.correlationId}:retry7` });
    assert.equal(bogus.kind, 'stale');
    assert.equal(f.sandbox.tenant.requestLog().length, requests, 'no Graph request');
    assert.deepEqual(await f.repos.status.get(u.id), statusBefore, 'status untouched');

    assert.equal((await deliver(f, current)).kind, 'finished', 'the current run still runs');
  });

  it('a trigger during a run is queued as its follow-up when the run ends, and the follow-up sends nothing new', async () => {
    const u = candidates(f)[7];
    assert.ok(u);
    const eligible = eligibleOf(f, u.id);
    const m = await requestRun(f, u.id);
    f.calendar.crashAfter = [...f.calendar.patched.values()].reduce((a, b) => a + b, 0) + 1;
    await assert.rejects(deliver(f, m));
    f.calendar.crashAfter = undefined;
    // While InProgress, another change for the user arrives: recorded as the follow-up.
    const followUpId = randomUUID();
    await f.repos.status.mutate(
      u.id,
      (cur) =>
        requestMigration(
          cur,
          {
            userId: u.id,
            userPrincipalName: u.userPrincipalName,
            trigger: 'conferenceIdChanged',
            correlationId: followUpId,
            delayMs: 0,
            sourceMeetingType: 'All',
            targetMeetingType: 'Current',
          },
          new Date(),
        ).status,
    );
    const sent = f.queue.sent.length;
    const out = await deliver(f, { ...m, deliveryCount: 2 });
    assert.equal(out.kind, 'finished');
    let s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Pending');
    assert.equal(s.correlationId, followUpId);
    assert.equal(s.trigger, 'conferenceIdChanged');
    const next = f.queue.sent[sent];
    assert.ok(next, 'the follow-up was enqueued');
    assert.equal(next.message.messageId, followUpId);
    assert.equal(f.queue.sent.length, sent + 1, 'exactly one message');
    assertEachPatchedOnce(f, eligible);

    const updates = f.sandbox.tenant.updateLog().length;
    assert.equal((await deliver(f, received(next.message))).kind, 'finished');
    s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Succeeded');
    assert.equal(s.skipReasons.upToDate, eligible.length, 'nothing changed since: all up to date');
    assert.equal(f.sandbox.tenant.updateLog().length, updates, 'no update sent');
  });
});

/**
 * A worker that dies without recording anything (a host killed, a message dead-lettered or lost mid-run) must
 * not leave the user InProgress: the sweepStalledMigrations timer takes over runs whose heartbeat is older than
 * the queue's lock plus a margin (a new attempt of the same migration, due now); live runs are left alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runKeyOfMessage } from '../../../shared/services/migration-messages';
import { STALLED_AFTER_MS, sweepStalledMigrations } from '../../../shared/services/migrate-user';
import { startMigration } from '../../../shared/domain/status';
import { requestRun, startFixture, type Fixture, hasMailbox } from './fixture';

describe('sweepStalledMigrations', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ users: 4, meetings: 3, seed: 31 });
  });
  after(() => f.stop());

  it('takes over a run with no heartbeat for longer than the limit, sends its message now, and leaves live runs alone', async () => {
    const [stalledUser, liveUser] = f.seed.users.filter((u) => hasMailbox(u));
    assert.ok(stalledUser && liveUser);
    const t0 = new Date();
    const later = new Date(t0.getTime() + STALLED_AFTER_MS + 60_000);

    // The stalled user started at t0 and never beat again; the live user started (a heartbeat) a minute ago.
    for (const [user, at] of [
      [stalledUser, t0],
      [liveUser, new Date(later.getTime() - 60_000)],
    ] as const) {
      const message = await requestRun(f, user.id);
      const run = runKeyOfMessage({ messageId: message.messageId, body: message.body });
      assert.ok(run);
      await f.repos.status.mutate(user.id, (cur) => {
        const o = startMigration(cur, run, at);
        assert.equal(o.kind, 'start');
        return o.kind === 'start' ? o.status : undefined;
      });
    }
    const sentBefore = f.queue.sent.length;

    const report = await sweepStalledMigrations({ ...f.deps, clock: () => later });

    assert.deepEqual(report.ended, [stalledUser.id]);
    assert.equal(report.inProgress, 2);
    const stalled = await f.repos.status.get(stalledUser.id);
    assert.equal(stalled?.state, 'Pending', 'a new attempt is due');
    assert.equal(stalled.retryCount, 1);
    assert.equal(stalled.lastMessageCode, 'takenOver');
    assert.match(stalled.lastMessage, /the stalled-run sweep took it over/);
    assert.equal(stalled.notBefore, later.toISOString(), 'due at once');
    const retry = f.queue.sent.slice(sentBefore);
    assert.equal(retry.length, 1, 'one message');
    assert.equal(retry[0]?.message.sessionId, stalledUser.id);
    assert.equal(retry[0]?.message.messageId, `${stalled.correlationId}:retry1`);
    assert.equal((await f.repos.status.get(liveUser.id))?.state, 'InProgress', 'the live run is untouched');
  });
});

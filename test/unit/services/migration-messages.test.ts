/**
 * The migrateUser message of one run (shared/services/migration-messages.ts): valid for the queue's schema,
 * session = user, one messageId per run (distinct per retry, equal for the same run so duplicate detection drops
 * a re-send), and the run read back from a received message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateOutgoing } from '../../../shared/queue/messages';
import { QUEUES } from '../../../shared/queue/port';
import {
  migrationMessage,
  migrationMessageId,
  runKeyOfMessage,
} from '../../../shared/services/migration-messages';

const status = {
  userId: '56da5590-e89a-41d2-b4a4-8e112a086c41',
  trigger: 'manualStart' as const,
  sourceMeetingType: 'All' as const,
  targetMeetingType: 'Current' as const,
};
const CORRELATION = '6c809518-0b0e-4bfb-a83c-6e92da642c71';
const now = new Date('2026-11-21T20:00:00Z');

describe('migration messages', () => {
  it('build a message the meeting-migrations schema accepts, in the user’s session', () => {
    const later = new Date(now.getTime() + 300_000);
    const m = migrationMessage(status, { correlationId: CORRELATION, retryCount: 2 }, later, now);
    const checked = validateOutgoing(QUEUES.meetingMigrations, m);
    assert.equal(checked.sessionId, status.userId);
    assert.equal(checked.correlationId, CORRELATION);
    assert.deepEqual(checked.scheduledEnqueueTime, later);
    assert.equal(
      migrationMessage(status, { correlationId: CORRELATION, retryCount: 0 }, now, now).scheduledEnqueueTime,
      undefined,
      'due now: not scheduled',
    );
  });

  it('give each run its own messageId and the same run the same one', () => {
    const ids = [0, 1, 2].map((retryCount) => migrationMessageId({ correlationId: CORRELATION, retryCount }));
    assert.deepEqual(ids, [CORRELATION, `${CORRELATION}:retry1`, `${CORRELATION}:retry2`]);
    assert.equal(migrationMessageId({ correlationId: CORRELATION, retryCount: 1 }), ids[1]);
  });

  it('read the run back from what the queue delivers', () => {
    for (const retryCount of [0, 1, 9]) {
      const m = migrationMessage(status, { correlationId: CORRELATION, retryCount }, now, now);
      const wire = validateOutgoing(QUEUES.meetingMigrations, m);
      assert.deepEqual(runKeyOfMessage(wire), { correlationId: CORRELATION, retryCount });
    }
    assert.deepEqual(runKeyOfMessage({ messageId: 'anything', body: { correlationId: CORRELATION } }), {
      correlationId: CORRELATION,
      retryCount: 0,
    });
    assert.equal(runKeyOfMessage({ messageId: 'x', body: {} }), null);
    assert.equal(runKeyOfMessage({ messageId: 'x', body: 'text' }), null);
  });
});

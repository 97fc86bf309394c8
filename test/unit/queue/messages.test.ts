import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  bodyOf,
  isSessionQueue,
  MessageValidationError,
  validateOutgoing,
  validateReceived,
} from '../../../shared/queue/messages';
import { QUEUES, type OutgoingMessage, type QueueName } from '../../../shared/queue/port';
import { deltaSweep, migrateUser } from './behaviour';

function fieldOf(queue: QueueName, message: OutgoingMessage): string {
  try {
    validateOutgoing(queue, message);
  } catch (e) {
    assert.ok(e instanceof MessageValidationError, String(e));
    return e.field;
  }
  assert.fail('expected a MessageValidationError');
}

const notification = () => ({
  messageId: randomUUID(),
  body: {
    kind: 'userNotification',
    subscriptionId: randomUUID(),
    changeType: 'updated',
    resource: `Users/${randomUUID()}`,
    userId: randomUUID(),
    tenantId: randomUUID(),
    receivedAt: '2026-11-21T10:00:00.000Z',
  },
});

describe('queue messages', () => {
  it('accepts every message kind of both queues', () => {
    assert.doesNotThrow(() => validateOutgoing(QUEUES.meetingMigrations, migrateUser()));
    assert.doesNotThrow(() => validateOutgoing(QUEUES.directoryChanges, deltaSweep()));
    assert.doesNotThrow(() => validateOutgoing(QUEUES.directoryChanges, notification()));
    assert.equal(isSessionQueue(QUEUES.meetingMigrations), true);
    assert.equal(isSessionQueue(QUEUES.directoryChanges), false);
  });

  it('names the bad field of an invalid message', () => {
    const m = migrateUser();
    (m.body as Record<string, unknown>)['sourceMeetingType'] = 'Lync';
    assert.equal(fieldOf(QUEUES.meetingMigrations, m), 'body.sourceMeetingType');
    const t = migrateUser();
    (t.body as Record<string, unknown>)['targetMeetingType'] = 'SfB';
    assert.equal(fieldOf(QUEUES.meetingMigrations, t), 'body.targetMeetingType');
    const c = migrateUser();
    (c.body as Record<string, unknown>)['correlationId'] = 'abc';
    assert.equal(fieldOf(QUEUES.meetingMigrations, c), 'body.correlationId');
    const n = notification();
    n.body.changeType = 'created';
    assert.equal(fieldOf(QUEUES.directoryChanges, n), 'body.changeType');
    assert.equal(fieldOf(QUEUES.directoryChanges, deltaSweep('r', { messageId: '' })), 'messageId');
    assert.equal(
      fieldOf(QUEUES.directoryChanges, deltaSweep('r', { messageId: 'x'.repeat(129) })),
      'messageId',
    );
    assert.equal(
      fieldOf(QUEUES.directoryChanges, deltaSweep('r', { scheduledEnqueueTime: new Date('nope') })),
      'scheduledEnqueueTime',
    );
    assert.equal(fieldOf(QUEUES.directoryChanges, { messageId: 'm', body: 'text' }), 'body');
  });

  it('requires sessionId = body.userId on meeting-migrations', () => {
    const m = migrateUser();
    assert.equal(fieldOf(QUEUES.meetingMigrations, { ...m, sessionId: randomUUID() }), 'sessionId');
    const { sessionId: _omit, ...noSession } = m;
    assert.equal(fieldOf(QUEUES.meetingMigrations, noSession), 'sessionId');
  });

  it('strips unknown body fields and types the body', () => {
    const m = migrateUser();
    (m.body as Record<string, unknown>)['extra'] = 1;
    const valid = validateOutgoing(QUEUES.meetingMigrations, m);
    assert.equal((valid.body as Record<string, unknown>)['extra'], undefined);
    const received = { ...valid, deliveryCount: 1, enqueuedTime: new Date() };
    const body = bodyOf(QUEUES.meetingMigrations, received);
    assert.equal(body.kind, 'migrateUser');
    assert.equal(body.userId, m.sessionId);
  });

  it('answers the dead-letter reason for an invalid received message', () => {
    const r = validateReceived(QUEUES.directoryChanges, {
      messageId: 'm',
      body: { kind: 'deltaSweep', reason: 'x', requestedAt: 'soon' },
      deliveryCount: 1,
      enqueuedTime: new Date(),
    });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.deadLetterReason, 'InvalidMessage: body.requestedAt');
      assert.match(r.deadLetterErrorDescription, /directory-changes.*"body\.requestedAt"/);
    }
  });
});

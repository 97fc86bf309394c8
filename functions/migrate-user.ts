import { app, type InvocationContext } from '@azure/functions';
import { bodyOf, validateReceived } from '../shared/queue/messages';
import type { ReceivedMessage } from '../shared/queue/port';
import { batchPorts, releaseBatch } from '../shared/services/batch';
import { runKeyOfMessage } from '../shared/services/migration-messages';
import { functionLogger } from './log';
import { QUEUES, SERVICE_BUS_CONNECTION } from '../shared/queue/port';
import {
  handleMigrationMessage,
  MIGRATION_QUEUE_MAX_DELIVERY,
  migrateUserDeps,
} from '../shared/services/migrate-user';

/**
 * meeting-migrations (Service Bus, one session per user): migrates one user's meetings (one run of their
 * migration), or releases the next step of a bulk start (session `batch:<id>`). Completes the message unless it
 * should be redelivered (the service throws then).
 */
export async function migrateUser(message: unknown, context: InvocationContext): Promise<void> {
  const meta = context.triggerMetadata ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const received: ReceivedMessage = {
    messageId: text(meta.messageId) ?? '',
    body: message,
    deliveryCount: typeof meta.deliveryCount === 'number' ? meta.deliveryCount : 1,
    enqueuedTime: new Date(text(meta.enqueuedTimeUtc) ?? Date.now()),
  };
  const sessionId = text(meta.sessionId);
  if (sessionId !== undefined) received.sessionId = sessionId;
  const correlationId = text(meta.correlationId);
  if (correlationId !== undefined) received.correlationId = correlationId;

  // Every line of the run carries the user, the migration and the attempt.
  const body = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
  const run = runKeyOfMessage({ messageId: received.messageId, body: message });
  const log = functionLogger(context).with({
    ...(typeof body.userId === 'string' ? { userId: body.userId } : {}),
    ...(typeof body.batchId === 'string' ? { batchId: body.batchId } : {}),
    ...(run !== null ? { correlationId: run.correlationId, retryCount: run.retryCount } : {}),
    messageId: received.messageId,
    deliveryCount: received.deliveryCount,
  }).fn;
  if (isReleaseBatch(received)) {
    // A step of a bulk start (same queue, its own session). Throws to have the step redelivered.
    const checked = validateReceived(QUEUES.meetingMigrations, received);
    if (!checked.ok) throw new Error(`Invalid meeting-migrations message: ${checked.error.message}`);
    const step = bodyOf(QUEUES.meetingMigrations, checked.message);
    if (step.kind === 'releaseBatch') await releaseBatch({ ...batchPorts(), log }, step);
    return;
  }
  const outcome = await handleMigrationMessage(migrateUserDeps(log), received, {
    maxDeliveryCount: MIGRATION_QUEUE_MAX_DELIVERY,
  });
  if (outcome.kind === 'invalid') {
    // Not ours to drop: throwing abandons it, and after maxDeliveryCount deliveries Service Bus dead-letters it,
    // where an admin can read it (the embedded queue dead-letters it at once on receive).
    throw new Error(`Invalid meeting-migrations message: ${outcome.reason}`);
  }
}

function isReleaseBatch(message: ReceivedMessage): boolean {
  const body = message.body;
  return typeof body === 'object' && body !== null && 'kind' in body && body.kind === 'releaseBatch';
}

app.serviceBusQueue('migrateUser', {
  queueName: QUEUES.meetingMigrations,
  connection: SERVICE_BUS_CONNECTION,
  isSessionsEnabled: true,
  handler: migrateUser,
});

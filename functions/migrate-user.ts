import { app, type InvocationContext } from '@azure/functions';
import type { ReceivedMessage } from '../shared/queue/port';
import { QUEUES, SERVICE_BUS_CONNECTION } from '../shared/queue/port';
import {
  handleMigrationMessage,
  MIGRATION_QUEUE_MAX_DELIVERY,
  migrateUserDeps,
} from '../shared/services/migrate-user';

/**
 * meeting-migrations (Service Bus, one session per user): migrates one user's meetings (one run of their
 * migration). Completes the message unless it should be redelivered (the service throws then).
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

  const outcome = await handleMigrationMessage(
    migrateUserDeps((msg, data) => context.log(msg, data ?? {})),
    received,
    { maxDeliveryCount: MIGRATION_QUEUE_MAX_DELIVERY },
  );
  if (outcome.kind === 'invalid') {
    // Not ours to drop: throwing abandons it, and after maxDeliveryCount deliveries Service Bus dead-letters it,
    // where an admin can read it (the embedded queue dead-letters it at once on receive).
    throw new Error(`Invalid meeting-migrations message: ${outcome.reason}`);
  }
}

app.serviceBusQueue('migrateUser', {
  queueName: QUEUES.meetingMigrations,
  connection: SERVICE_BUS_CONNECTION,
  isSessionsEnabled: true,
  handler: migrateUser,
});

/**
 * The `migrateUser` message of the meeting-migrations queue for one run of a migration, and the run a received
 * message stands for. Every producer (the admin API's requestMigration, the triggers, the migration's own
 * retries and follow-ups) should build messages here, so that ids are the same everywhere:
 *
 *   await queue.send(QUEUES.meetingMigrations, migrationMessage(status, run, notBefore, now));
 *
 * - `sessionId` = the user's object id (one migration per user at a time).
 * - `messageId` = the run: `<correlationId>` for the first attempt, `<correlationId>:retry<n>` for retry n. The
 *   same run always gets the same id, so Service Bus duplicate detection drops a second send of it (a worker
 *   that died after enqueueing its retry and is redelivered sends the same message again), and each retry's id
 *   is distinct.
 * - A message sent again for a run whose own message may already have been consumed (its record is Pending long
 *   after its time: the first send was lost, or its deliveries ended without starting it) gets
 *   `<run id>:resend-<hour>`: distinct from the original, the same for every resend within one hour (so
 *   concurrent sweeps and requests send it once), and it carries `retryCount` in its body.
 * - The run's retry count travels in the body (`retryCount`, absent for attempt 0) and in the messageId suffix;
 *   `runKeyOfMessage` reads the body first.
 */
import type { MigrationStatus, RunKey } from '../domain/status';
import type { MigrateUserBody } from '../queue/messages';
import type { OutgoingMessage } from '../queue/port';

const RETRY_SUFFIX = /:retry(\d{1,4})(?::resend-\d+)?$/;

/** Resends of one run within this long share one messageId. */
export const RESEND_BUCKET_MS = 60 * 60_000;

export function migrationMessageId(run: RunKey): string {
  return run.retryCount === 0 ? run.correlationId : `${run.correlationId}:retry${run.retryCount}`;
}

/** The message that starts `run` of the user's migration, delivered at `notBefore`. */
export function migrationMessage(
  status: Pick<MigrationStatus, 'userId' | 'trigger' | 'sourceMeetingType' | 'targetMeetingType'>,
  run: RunKey,
  notBefore: Date,
  now: Date,
  options: { resend?: boolean } = {},
): OutgoingMessage {
  const body: MigrateUserBody = {
    kind: 'migrateUser',
    userId: status.userId,
    correlationId: run.correlationId,
    trigger: status.trigger,
    sourceMeetingType: status.sourceMeetingType,
    targetMeetingType: status.targetMeetingType,
    requestedAt: now.toISOString(),
  };
  const resend = options.resend === true;
  return {
    messageId: resend
      ? `${migrationMessageId(run)}:resend-${Math.floor(now.getTime() / RESEND_BUCKET_MS)}`
      : migrationMessageId(run),
    sessionId: status.userId,
    correlationId: run.correlationId,
    body: run.retryCount === 0 && !resend ? body : { ...body, retryCount: run.retryCount },
    ...(notBefore.getTime() > now.getTime() ? { scheduledEnqueueTime: notBefore } : {}),
  };
}

/** The run a received migrateUser message stands for. */
export function runKeyOfMessage(message: { messageId: string; body: unknown }): RunKey | null {
  const body = message.body;
  if (typeof body !== 'object' || body === null || !('correlationId' in body)) return null;
  const correlationId = body.correlationId;
  if (typeof correlationId !== 'string' || correlationId === '') return null;
  if ('retryCount' in body && typeof body.retryCount === 'number' && Number.isInteger(body.retryCount)) {
    return { correlationId, retryCount: Math.max(0, body.retryCount) };
  }
  const m = RETRY_SUFFIX.exec(message.messageId);
  const fromId = m?.[1] !== undefined ? Number(m[1]) : 0;
  return { correlationId, retryCount: fromId };
}

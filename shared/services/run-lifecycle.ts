/**
 * The run lifecycle's timing and its one send rule, shared by request-migration, the worker and the sweep.
 *
 * Every transition of a user's migration is one etag-guarded write of the status record; when the record is
 * then Pending, the message of its run is sent (`sendPendingRun`). The message id is derived from the run, so a
 * second send is dropped by duplicate detection, and anyone who finds a Pending record may send it again:
 * - a later request for the user (merged into it),
 * - a delivery that finds itself stale while the record waits for another run (the worker wrote the next run
 *   and died, or its send failed),
 * - the sweep, for a record whose `notBefore` passed more than OVERDUE_AFTER_MS ago.
 * When the record's time passed that long ago, its first message may have been consumed already (deliveries
 * that could not start it, then dead-lettered), so the resend takes a distinct id (migration-messages.ts).
 *
 * Liveness: the worker renews the record's heartbeat every HEARTBEAT_INTERVAL_MS; a run whose heartbeat is
 * older than the queue's message lock plus STALL_MARGIN_MS is stalled (Service Bus would have redelivered the
 * message of a dead worker by then), and any request or the sweep takes it over at once.
 */
import type { MigrationStatus } from '../domain/status';
import { runKeyOf } from '../domain/status';
import { MESSAGE_LOCK_DURATION_MS, QUEUES, type QueuePublisher } from '../queue/port';
import { migrationMessage } from './migration-messages';

/** How often a running worker renews its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 60_000;
/** Slack over the lock duration: clock skew, a slow storage write, a heartbeat that just missed. */
export const STALL_MARGIN_MS = 2 * 60_000;
/** A run whose heartbeat is older than this has no worker. */
export const STALLED_AFTER_MS = MESSAGE_LOCK_DURATION_MS[QUEUES.meetingMigrations] + STALL_MARGIN_MS;
/** A Pending record this long past its time is presumed to have lost its message: the sweep sends it again. */
export const OVERDUE_AFTER_MS = STALLED_AFTER_MS;
/** The sweep runs every 5 minutes (functions/sweep-stalled-migrations.ts). */
export const SWEEP_INTERVAL_MS = 5 * 60_000;

/** Whether a Pending record's time passed so long ago that its message may be gone. */
export function isOverdue(status: Pick<MigrationStatus, 'state' | 'notBefore'>, now: Date): boolean {
  return (
    status.state === 'Pending' &&
    status.notBefore !== null &&
    now.getTime() - new Date(status.notBefore).getTime() > OVERDUE_AFTER_MS
  );
}

/**
 * Sends the message of the run a Pending record waits for (nothing for any other state). Idempotent: the id
 * is the run's (or its resend id, see the file comment).
 */
export async function sendPendingRun(
  publisher: QueuePublisher,
  status: MigrationStatus,
  now: Date,
): Promise<boolean> {
  if (status.state !== 'Pending' || status.notBefore === null) return false;
  await publisher.send(
    QUEUES.meetingMigrations,
    migrationMessage(status, runKeyOf(status), new Date(status.notBefore), now, {
      resend: isOverdue(status, now),
    }),
  );
  return true;
}

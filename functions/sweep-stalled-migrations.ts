/**
 * sweepStalledMigrations (timer, every 5 minutes): no user stays InProgress without a worker or Pending without
 * a message. A run whose heartbeat is older than the queue's lock plus a margin is taken over (a new attempt of
 * the same migration, due now); a Pending record well past its time gets its run's message again (idempotent).
 * See shared/services/migrate-user.ts and shared/services/run-lifecycle.ts.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { migrateUserDeps, sweepStalledMigrations as sweep } from '../shared/services/migrate-user';
import { functionLogger } from './log';

/** Six-field NCRONTAB: every 5 minutes (SWEEP_INTERVAL_MS), at second 0. */
export const SWEEP_SCHEDULE = '0 */5 * * * *';

export async function sweepStalledMigrations(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await sweep(migrateUserDeps(functionLogger(context).fn));
  functionLogger(context).info(
    `sweepStalledMigrations: ${report.inProgress} in progress, ` +
      (report.ended.length ? `took over stalled runs of ${report.ended.join(', ')}` : 'none stalled') +
      (report.resent.length ? `; sent the overdue messages of ${report.resent.join(', ')} again` : ''),
  );
}

app.timer('sweepStalledMigrations', { schedule: SWEEP_SCHEDULE, handler: sweepStalledMigrations });

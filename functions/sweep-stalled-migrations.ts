/**
 * sweepStalledMigrations (timer, every 30 minutes): ends migrations whose worker died without recording an
 * outcome (a crash on the last delivery, a message dead-lettered mid-run), so no user stays InProgress forever;
 * each is finished with `unexpectedError` and retried with backoff. See shared/services/migrate-user.ts.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { migrateUserDeps, sweepStalledMigrations as sweep } from '../shared/services/migrate-user';
import { functionLogger } from './log';

/** Six-field NCRONTAB: second 0, minutes 15 and 45 of every hour (UTC), between the subscription ticks. */
export const SWEEP_SCHEDULE = '0 15,45 * * * *';

export async function sweepStalledMigrations(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await sweep(migrateUserDeps(functionLogger(context).fn));
  functionLogger(context).info(
    `sweepStalledMigrations: ${report.inProgress} in progress, ` +
      (report.ended.length ? `ended stalled runs of ${report.ended.join(', ')}` : 'none stalled'),
  );
}

app.timer('sweepStalledMigrations', { schedule: SWEEP_SCHEDULE, handler: sweepStalledMigrations });

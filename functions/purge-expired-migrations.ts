/**
 * purgeExpiredMigrations (timer, once a day): deletes the status records of migrations that ended (Succeeded or
 * Failed) more than 150 days ago, with their per-meeting ledger rows, as MMS does. See shared/services/retention.ts.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getInfrastructure } from '../shared/services/infrastructure';
import { purgeExpiredMigrations as purge } from '../shared/services/retention';
import { functionLogger } from './log';

/** Six-field NCRONTAB: 03:30:00 UTC every day, a quiet hour away from the half-hourly timers. */
export const PURGE_SCHEDULE = '0 30 3 * * *';

export async function purgeExpiredMigrations(_timer: Timer, context: InvocationContext): Promise<void> {
  const infra = getInfrastructure();
  const report = await purge(
    { repositories: infra.repositories, log: functionLogger(context).fn },
    { now: infra.clock() },
  );
  functionLogger(context).info(
    `purgeExpiredMigrations: cutoff ${report.cutoff}, ${report.examined} examined, ${report.purged} purged ` +
      `(${report.ledgerRowsDeleted} ledger rows), ${report.kept} kept, ${report.failed} failed`,
  );
  if (report.failed > 0) {
    // Marks the invocation failed where operators look; the next day's run tries these users again.
    throw new Error(
      `purgeExpiredMigrations: ${report.failed} user(s) not purged: ` +
        report.failures
          .slice(0, 10)
          .map((f) => `${f.userId} (${f.error})`)
          .join('; '),
    );
  }
}

app.timer('purgeExpiredMigrations', { schedule: PURGE_SCHEDULE, handler: purgeExpiredMigrations });

/**
 * renewSubscriptions (timer, every 30 minutes; not runOnStartup, which would fire on every scale-out instance —
 * a fresh deployment subscribes at the first tick, or at once with POST /admin/functions/renewSubscriptions):
 * keeps the Graph subscription on users alive (create, renew ahead of expiry, recreate when lost, delete
 * duplicates) and queues a delta sweep as the safety net for lost notifications. See
 * shared/services/subscriptions.ts.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { ensureSubscriptions, subscriptionDeps } from '../shared/services/subscriptions';
import { functionLogger } from './log';

/** Six-field NCRONTAB: second 0, minutes 0 and 30 of every hour (UTC). One list call and a few table reads. */
export const RENEW_SCHEDULE = '0 */30 * * * *';

export async function renewSubscriptions(timer: Timer, context: InvocationContext): Promise<void> {
  const report = await ensureSubscriptions(
    subscriptionDeps(context),
    timer.isPastDue ? 'timer (past due)' : 'timer',
  );
  const did = [
    report.created ? `created ${report.created}` : null,
    report.renewed ? `renewed ${report.renewed}` : null,
    report.kept ? `kept ${report.kept}` : null,
    report.deleted.length ? `deleted ${report.deleted.join(', ')}` : null,
    report.sweepQueued ? 'delta sweep queued' : null,
  ].filter((x) => x !== null);
  functionLogger(context).info(`renewSubscriptions: ${did.join('; ') || 'nothing to do'}`);
}

app.timer('renewSubscriptions', {
  schedule: RENEW_SCHEDULE,
  handler: renewSubscriptions,
});

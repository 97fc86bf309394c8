/**
 * processDirectoryChanges (Service Bus queue `directory-changes`, no sessions): a user notification or a delta
 * sweep → one round of /users/delta compared with the stored snapshots, and the migrations the trigger rules
 * ask for; a lifecycle event → reauthorize/renew/re-create the subscription (shared/services/subscriptions.ts).
 * Throwing abandons the message (redelivered). See shared/services/directory-changes.ts.
 */
import { app, type InvocationContext } from '@azure/functions';
import { directoryChangeBody } from '../shared/queue/messages';
import { QUEUES, SERVICE_BUS_CONNECTION } from '../shared/queue/port';
import { directoryChangeDeps, processDirectoryChange } from '../shared/services/directory-changes';
import { processLifecycleEvent, subscriptionDeps } from '../shared/services/subscriptions';

export async function processDirectoryChanges(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = directoryChangeBody.safeParse(message);
  if (!parsed.success) {
    // The queue adapters validate on receive; a message that still gets here is not ours to retry forever.
    const issue = parsed.error.issues[0];
    throw new Error(
      `Invalid directory-changes message: field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`,
    );
  }
  if (parsed.data.kind === 'lifecycleEvent') {
    await processLifecycleEvent(subscriptionDeps(context), parsed.data);
    return;
  }
  const report = await processDirectoryChange(directoryChangeDeps(context), parsed.data);
  if (report.ran) {
    context.info(
      `Directory delta (${parsed.data.kind}): ${report.rounds} round(s), ${report.usersSeen} user(s) seen, ` +
        `${report.baselines} first seen, ${report.changed.length} changed` +
        (report.restarted ? ', restarted from a full sync' : ''),
    );
  }
}

app.serviceBusQueue('processDirectoryChanges', {
  connection: SERVICE_BUS_CONNECTION,
  queueName: QUEUES.directoryChanges,
  isSessionsEnabled: false,
  handler: processDirectoryChanges,
});

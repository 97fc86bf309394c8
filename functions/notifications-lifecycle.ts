/**
 * `POST /api/notifications/lifecycle` (anonymous, clientState checked): Graph's lifecycle notifications for our
 * users subscription, checked and queued on `directory-changes` (processDirectoryChanges acts on them), then 202
 * at once: Graph gives a delivery 3 seconds. The validation handshake is answered first. 400 for a malformed
 * body; 503 when storage or the queue failed (Graph sends the event again). See shared/services/subscriptions.ts.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { validationResponse } from '../shared/services/notifications';
import { webhookResponse } from './http';
import { handleLifecycleNotifications, subscriptionDeps } from '../shared/services/subscriptions';

export async function notificationsLifecycle(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const handshake = validationResponse(request.query);
  if (handshake) return handshake;
  return webhookResponse(await handleLifecycleNotifications(subscriptionDeps(context), await request.text()));
}

app.http('notificationsLifecycle', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'notifications/lifecycle',
  handler: notificationsLifecycle,
});

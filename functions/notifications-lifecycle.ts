/**
 * `POST /api/notifications/lifecycle` (anonymous, clientState checked): Graph's lifecycle notifications for our
 * users subscription, checked and queued on `directory-changes` (processDirectoryChanges acts on them), then 202
 * at once: Graph gives a delivery 3 seconds. The validation handshake is answered first. 400 for a malformed
 * body; 503 when storage or the queue failed (Graph sends the event again). See shared/services/subscriptions.ts.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { lifecycleCollectionSchema } from '../shared/graph/notification-schemas';
import { validationResponse } from '../shared/services/notifications';
import { webhookResponse } from './http';
import { httpRoute, webhookQuery, webhookResponses } from './http-routes';
import { handleLifecycleNotifications, subscriptionDeps } from '../shared/services/subscriptions';

export async function notificationsLifecycle(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const handshake = validationResponse(request.query);
  if (handshake) return handshake;
  return webhookResponse(await handleLifecycleNotifications(subscriptionDeps(context), await request.text()));
}

httpRoute('notificationsLifecycle', {
  route: 'notifications/lifecycle',
  authLevel: 'anonymous',
  handler: notificationsLifecycle,
  operations: {
    POST: {
      summary:
        "Microsoft Graph's lifecycle notifications for the users subscription (anonymous, clientState checked)",
      description:
        '`reauthorizationRequired` → the subscription is reauthorized (or renewed), `subscriptionRemoved` → ' +
        'recreated, `missed` → a delta sweep is queued.',
      tags: ['Webhooks'],
      query: webhookQuery,
      body: {
        schema: { name: 'LifecycleNotificationCollection', schema: lifecycleCollectionSchema },
        required: false,
        description: 'The lifecycle notifications (absent on the validation handshake).',
      },
      ...webhookResponses('handled.'),
    },
  },
});

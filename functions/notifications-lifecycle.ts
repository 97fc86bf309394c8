/**
 * `POST /api/notifications/lifecycle` (anonymous, clientState checked): Graph's lifecycle notifications for our
 * users subscription: `reauthorizationRequired` → reauthorize (or renew), `subscriptionRemoved` → recreate,
 * `missed` → a delta sweep. The validation handshake is answered first. 202 when handled; 400 for a malformed
 * body; 503 when Graph, storage or the queue failed (Graph sends the event again). See
 * shared/services/subscriptions.ts.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { validationResponse } from '../shared/services/notifications';
import { handleLifecycleNotifications, subscriptionDeps } from '../shared/services/subscriptions';

export async function notificationsLifecycle(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const handshake = validationResponse(request.query);
  if (handshake) return handshake;
  const outcome = await handleLifecycleNotifications(subscriptionDeps(context), await request.text());
  switch (outcome.kind) {
    case 'badRequest':
      return { status: 400, jsonBody: { error: { code: outcome.code, message: outcome.message } } };
    case 'unavailable':
      return {
        status: 503,
        headers: { 'retry-after': '5' },
        jsonBody: { error: { code: 'dependencyUnavailable', message: outcome.message } },
      };
    case 'accepted':
      return { status: 202 };
  }
}

app.http('notificationsLifecycle', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'notifications/lifecycle',
  handler: notificationsLifecycle,
});

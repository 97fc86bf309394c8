/**
 * `POST /api/notifications` (anonymous: Graph cannot send a function key; the subscription id and clientState
 * are checked instead): Graph's change-notification webhook for users. The validation handshake is answered
 * first, from the query alone; otherwise the notifications are checked and queued on `directory-changes` and
 * the answer is 202 (400 for a malformed body, 503 when storage or the queue fails so that Graph redelivers).
 * See shared/services/notifications.ts.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import {
  handleChangeNotifications,
  notificationDeps,
  validationResponse,
} from '../shared/services/notifications';

export async function notifications(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const handshake = validationResponse(request.query);
  if (handshake) return handshake;
  const outcome = await handleChangeNotifications(notificationDeps(context), await request.text());
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
      if (outcome.accepted > 0 || outcome.dropped > 0) {
        context.info(`Change notifications: ${outcome.accepted} queued, ${outcome.dropped} dropped`);
      }
      return { status: 202 };
  }
}

app.http('notifications', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'notifications',
  handler: notifications,
});

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
import { webhookResponse } from './http';
import { functionLogger } from './log';

export async function notifications(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const handshake = validationResponse(request.query);
  if (handshake) return handshake;
  const outcome = await handleChangeNotifications(notificationDeps(context), await request.text());
  if (outcome.kind === 'accepted' && (outcome.accepted > 0 || outcome.dropped > 0)) {
    functionLogger(context).info(
      `Change notifications: ${outcome.accepted} queued, ${outcome.dropped} dropped`,
    );
  }
  return webhookResponse(outcome);
}

app.http('notifications', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'notifications',
  handler: notifications,
});

/**
 * `POST /api/notifications` (anonymous: Graph cannot send a function key; the subscription id and clientState
 * are checked instead): Graph's change-notification webhook for users. The validation handshake is answered
 * first, from the query alone; otherwise the notifications are checked and queued on `directory-changes` and
 * the answer is 202 (400 for a malformed body, 503 when storage or the queue fails so that Graph redelivers).
 * See shared/services/notifications.ts.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { changeNotificationCollectionSchema } from '../shared/graph/notification-schemas';
import {
  handleChangeNotifications,
  notificationDeps,
  validationResponse,
} from '../shared/services/notifications';
import { webhookResponse } from './http';
import { httpRoute, webhookQuery, webhookResponses } from './http-routes';
import { functionLogger } from './log';

export async function notifications(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const handshake = validationResponse(request.query);
  if (handshake) return handshake;
  const outcome = await handleChangeNotifications(notificationDeps(context), await request.text());
  // A delivery that is all ours leaves the host's own "Executed" line and its queued messages; one with a dropped
  // notification (each already logged) is summed up too. Nothing more per notification: Graph sends them by
  // the thousand.
  if (outcome.kind === 'accepted' && outcome.dropped > 0) {
    functionLogger(context).info(
      `Change notifications: ${outcome.accepted} queued, ${outcome.dropped} dropped`,
    );
  }
  return webhookResponse(outcome);
}

httpRoute('notifications', {
  route: 'notifications',
  authLevel: 'anonymous',
  handler: notifications,
  operations: {
    POST: {
      summary:
        "Microsoft Graph's change notifications for users (the webhook; anonymous, clientState checked)",
      description:
        'Graph cannot send a function key: each notification must name a subscription the service holds and ' +
        'carry its clientState (compared in constant time); others are dropped silently. Accepted ' +
        'notifications are queued; 503 makes Graph deliver again.',
      tags: ['Webhooks'],
      query: webhookQuery,
      body: {
        schema: { name: 'ChangeNotificationCollection', schema: changeNotificationCollectionSchema },
        required: false,
        description: "Graph's changeNotificationCollection (absent on the validation handshake).",
      },
      ...webhookResponses('the notifications are queued (or dropped when not ours).'),
    },
  },
});

/**
 * `GET /api/migrations/{identity}/meetings?pageSize=&continuationToken=&correlationId=` — the per-meeting
 * results of the user's current migration (or of an earlier one, `correlationId`): `{ userId,
 * userPrincipalName, correlationId, state, meetings: [...], continuationToken? }`, each meeting as the ledger
 * keeps it (eventId, seriesMasterId, eventType, subject, start, blockKind, outcome, reason, errorCode,
 * errorMessage, fingerprint, correlationId, retryCount, at). `pageSize` 1–1000, default 100. Function-key auth.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import {
  listMeetingResults,
  meetingResultsPageSchema,
  meetingResultsQuerySchema,
  migrationQueryPorts,
} from '../shared/services/migration-queries';
import { httpHandler, readQuery, routeParam } from './http';
import { httpRoute, IDENTITY_PARAM } from './http-routes';

export const migrationMeetings = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const query = readQuery(request, meetingResultsQuerySchema);
  const page = await listMeetingResults(migrationQueryPorts(), routeParam(request, 'identity'), query);
  return { status: 200, jsonBody: page };
});

httpRoute('migrationMeetings', {
  route: 'migrations/{identity}/meetings',
  authLevel: 'function',
  handler: migrationMeetings,
  params: { identity: IDENTITY_PARAM },
  operations: {
    GET: {
      summary: "Per-meeting results of the user's migration, a page at a time",
      description:
        'Each meeting with its outcome (`updated`, `skipped`, `failed`, or `pending` while a run is under ' +
        'way) and the reason code of a skip or the error of a failure (docs/status-codes.md).',
      tags: ['Migrations'],
      query: meetingResultsQuerySchema,
      responses: {
        200: {
          description: 'One page of results.',
          schema: { name: 'MeetingResultsPage', schema: meetingResultsPageSchema },
        },
      },
      errors: { 404: ['userNotFound', 'migrationNotFound'], 503: ['dependencyUnavailable'] },
    },
  },
});

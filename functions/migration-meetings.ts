/**
 * `GET /api/migrations/{identity}/meetings?pageSize=&continuationToken=&correlationId=` — the per-meeting
 * results of the user's current migration (or of an earlier one, `correlationId`): `{ userId,
 * userPrincipalName, correlationId, state, meetings: [...], continuationToken? }`, each meeting as the ledger
 * keeps it (eventId, seriesMasterId, eventType, subject, start, blockKind, outcome, reason, errorCode,
 * errorMessage, fingerprint, correlationId, retryCount, at). `pageSize` 1–1000, default 100. Function-key auth.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import {
  listMeetingResults,
  meetingResultsQuerySchema,
  migrationQueryPorts,
} from '../shared/services/migration-queries';
import { httpHandler, readQuery, routeParam } from './http';

export const migrationMeetings = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const query = readQuery(request, meetingResultsQuerySchema);
  const page = await listMeetingResults(migrationQueryPorts(), routeParam(request, 'identity'), query);
  return { status: 200, jsonBody: page };
});

app.http('migrationMeetings', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'migrations/{identity}/meetings',
  handler: migrationMeetings,
});

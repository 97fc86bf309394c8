/**
 * `POST /api/migrations/preview` — dry run of one user's migration: body `{ identity, sourceMeetingType?,
 *   targetMeetingType?, pageSize?, continuationToken? }` → 200 `{ userId, userPrincipalName, migrationType,
 *   counts, meetings: [{ eventId, seriesMasterId, eventType, subject, start, nextOccurrence, decision, reason?,
 *   blockBefore?, blockAfter? }], continuationToken? }`. Reads what a migration reads and decides with the same
 *   code; sends no update, writes no ledger row, changes no status record. See shared/services/preview.ts.
 * Function-key auth. Errors: `{ error: { code, message } }` with 400 / 404 / 422 / 503.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { previewBodySchema, previewMigration, previewPorts } from '../shared/services/preview';
import { httpHandler, readJsonBody } from './http';

export const migrationPreview = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const body = await readJsonBody(request, previewBodySchema);
  return { status: 200, jsonBody: await previewMigration(previewPorts(), body) };
});

app.http('migrationPreview', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'migrations/preview',
  handler: migrationPreview,
});

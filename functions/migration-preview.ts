/**
 * `POST /api/migrations/preview` — dry run of one user's migration: body `{ identity, sourceMeetingType?,
 *   targetMeetingType?, pageSize?, continuationToken? }` → 200 `{ userId, userPrincipalName, migrationType,
 *   counts, meetings: [{ eventId, seriesMasterId, eventType, subject, start, nextOccurrence, decision, reason?,
 *   blockBefore?, blockAfter? }], continuationToken? }`. Reads what a migration reads and decides with the same
 *   code; sends no update, writes no ledger row, changes no status record. See shared/services/preview.ts.
 * Function-key auth. Errors: `{ error: { code, message } }` with 400 / 404 / 422 / 503.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import {
  PREVIEW_MAX_PAGE_SIZE,
  previewBodySchema,
  previewMigration,
  previewPorts,
  previewResponseSchema,
} from '../shared/services/preview';
import { httpHandler, readJsonBody } from './http';
import { httpRoute } from './http-routes';

export const migrationPreview = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const body = await readJsonBody(request, previewBodySchema);
  return { status: 200, jsonBody: await previewMigration(previewPorts(), body) };
});

httpRoute('migrationPreview', {
  route: 'migrations/preview',
  authLevel: 'function',
  handler: migrationPreview,
  operations: {
    POST: {
      operationId: 'previewMigration',
      summary: "Dry run of a user's migration: each future meeting's decision; nothing is sent or written",
      description:
        'Reads what a migration reads (the user, the mailbox, the calendar) and decides with the same code, but ' +
        'sends no update, writes no per-meeting result and changes no status record. `decision` is `update` ' +
        '(the block is rewritten and attendees get an update, `blockBefore`/`blockAfter` show it), `skip` (with ' +
        'the skip `reason`) or `fail` (`renderError`: the new block cannot be built). `counts` cover every ' +
        `meeting; \`meetings\` is one page of \`pageSize\` (default 50, at most ${PREVIEW_MAX_PAGE_SIZE}): send ` +
        '`continuationToken` back with the same identity for the next page (judged at the same `asOf`).',
      tags: ['Migrations'],
      body: { schema: { name: 'PreviewRequest', schema: previewBodySchema } },
      responses: {
        200: { description: 'The decisions.', schema: { name: 'Preview', schema: previewResponseSchema } },
      },
      errors: {
        404: ['userNotFound'],
        422: ['mailboxOnPremises', 'mailboxNotFound', 'teamsNotLicensed'],
        503: ['dependencyUnavailable'],
      },
    },
  },
});

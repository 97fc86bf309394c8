/**
 * `POST /api/migrations` — Start-CsExMeetingMigration: body `{ identity, sourceMeetingType?: All|SfB|Teams,
 *   targetMeetingType?: Current|Teams }` → 202 with the user's status record (header `x-mms-request-outcome`:
 *   `queued`, `merged` into the pending migration, or `followUpRecorded` while one runs; `location`: the status
 *   URL). Runs at once (no coalescing delay). `targetMeetingType: "Teams"` converts Skype meetings to Teams.
 * `GET /api/migrations?summaryOnly=&userId=&state=&migrationType=&startTime=&endTime=&pageSize=&continuationToken=`
 *   — Get-CsMeetingMigrationStatus: the status records as a plain array (or `[{ state, userCount }]`); with
 *   `pageSize` (1–1000) or `continuationToken`, one page `{ value: [...records], continuationToken? }` (follow
 *   the token until it is absent; summaryOnly cannot be paged → 400). See shared/services/migration-queries.ts.
 * Function-key auth. Errors: `{ error: { code, message } }` with 400 / 404 / 422 / 503.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { SOURCE_MEETING_TYPES, TARGET_MEETING_TYPES } from '../shared/domain/migration-type';
import {
  caseInsensitiveEnum,
  listMigrations,
  migrationListQuerySchema,
  migrationQueryPorts,
} from '../shared/services/migration-queries';
import {
  identitySchema,
  requestMigrationPorts,
  requestUserMigration,
} from '../shared/services/request-migration';
import { httpHandler, readJsonBody, readQuery } from './http';

export const startMigrationBodySchema = z.strictObject({
  identity: identitySchema,
  sourceMeetingType: caseInsensitiveEnum(SOURCE_MEETING_TYPES).optional(),
  targetMeetingType: caseInsensitiveEnum(TARGET_MEETING_TYPES).optional(),
});

async function startMigration(request: HttpRequest): Promise<HttpResponseInit> {
  const body = await readJsonBody(request, startMigrationBodySchema);
  const result = await requestUserMigration(requestMigrationPorts(), {
    identity: body.identity,
    ...(body.sourceMeetingType !== undefined ? { sourceMeetingType: body.sourceMeetingType } : {}),
    ...(body.targetMeetingType !== undefined ? { targetMeetingType: body.targetMeetingType } : {}),
    trigger: 'manualStart',
    timing: 'immediate',
  });
  return {
    status: 202,
    jsonBody: result.status,
    headers: {
      'x-mms-request-outcome': result.outcome,
      location: `/api/migrations/${encodeURIComponent(result.status.userId)}`,
    },
  };
}

async function getMigrations(request: HttpRequest): Promise<HttpResponseInit> {
  const query = readQuery(request, migrationListQuerySchema);
  return { status: 200, jsonBody: await listMigrations(migrationQueryPorts(), query) };
}

export const migrations = httpHandler(
  (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> =>
    request.method.toUpperCase() === 'POST' ? startMigration(request) : getMigrations(request),
);

app.http('migrations', {
  methods: ['GET', 'POST'],
  authLevel: 'function',
  route: 'migrations',
  handler: migrations,
});

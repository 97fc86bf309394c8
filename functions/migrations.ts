/**
 * `POST /api/migrations` — Start-CsExMeetingMigration: body `{ identity, sourceMeetingType?: All|SfB|Teams,
 *   targetMeetingType?: Current|Teams }` → 202 with the user's status record (header `x-mms-request-outcome`:
 *   `queued`, `merged` into the pending migration, `takenOver` (the running attempt had stalled: a new attempt
 *   runs now), or `followUpRecorded` while one runs; `location`: the status
 *   URL). Runs at once (no coalescing delay). `targetMeetingType: "Teams"` converts Skype meetings to Teams.
 * `GET /api/migrations?summaryOnly=&userId=&state=&migrationType=&startTime=&endTime=&pageSize=&continuationToken=`
 *   — Get-CsMeetingMigrationStatus: the status records as a plain array (or `[{ state, userCount }]`); with
 *   `pageSize` (1–1000) or `continuationToken`, one page `{ value: [...records], continuationToken? }` (follow
 *   the token until it is absent; summaryOnly cannot be paged → 400). See shared/services/migration-queries.ts.
 * Function-key auth. Errors: `{ error: { code, message } }` with 400 / 404 / 503.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { SOURCE_MEETING_TYPES, TARGET_MEETING_TYPES } from '../shared/domain/migration-type';
import {
  caseInsensitiveEnum,
  listMigrations,
  migrationListQuerySchema,
  migrationListSchema,
  migrationQueryPorts,
} from '../shared/services/migration-queries';
import {
  identitySchema,
  requestMigrationPorts,
  requestUserMigration,
} from '../shared/services/request-migration';
import { httpHandler, readJsonBody, readQuery } from './http';
import { httpRoute, MIGRATION_STATUS } from './http-routes';

export const startMigrationBodySchema = z.strictObject({
  identity: identitySchema.meta({ description: 'The user: a UPN or a directory object id.' }),
  sourceMeetingType: caseInsensitiveEnum(SOURCE_MEETING_TYPES)
    .optional()
    .meta({
      description: `Which meetings to migrate: ${SOURCE_MEETING_TYPES.join(', ')} (default All; case-insensitive).`,
    }),
  targetMeetingType: caseInsensitiveEnum(TARGET_MEETING_TYPES).optional().meta({
    description: `Current keeps each meeting's type; Teams converts to Teams (default Current; case-insensitive).`,
  }),
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

httpRoute('migrations', {
  route: 'migrations',
  authLevel: 'function',
  handler: migrations,
  operations: {
    GET: {
      operationId: 'listMigrations',
      summary: 'Status records or the summary by state (Get-CsMeetingMigrationStatus)',
      description:
        'Without `pageSize` or `continuationToken`: every matching record as a plain array, by ' +
        'userPrincipalName (or, with `summaryOnly`, `[{ state, userCount }]`). With either: one page ' +
        '`{ value, continuationToken? }` in storage order; follow the token until it is absent. A page may hold ' +
        'fewer records than `pageSize` while a token is present. Unknown or repeated parameters answer 400.',
      tags: ['Migrations'],
      query: migrationListQuerySchema,
      responses: {
        200: {
          description: 'The records, the summary or a page.',
          schema: { name: 'MigrationList', schema: migrationListSchema },
        },
      },
      errors: { 404: ['userNotFound'], 503: ['dependencyUnavailable'] },
    },
    POST: {
      operationId: 'startMigration',
      summary: "Start a user's migration now (Start-CsExMeetingMigration)",
      description:
        'Runs at once (no coalescing delay). A user already Pending is not queued twice (`merged`: its ' +
        "message is sent again under the run's id, so a lost one goes out); while a migration runs, a " +
        "follow-up is recorded (`followUpRecorded`, the record's `followUp`); a run whose worker stopped (no " +
        'heartbeat for longer than the queue lock plus 2 minutes) is taken over at once (`takenOver`). 503 ' +
        'when the queue cannot be reached: the record stays Pending and its message goes out with the next ' +
        'request or sweep.',
      tags: ['Migrations'],
      body: { schema: { name: 'StartMigrationRequest', schema: startMigrationBodySchema } },
      responses: {
        202: {
          description: "Accepted: the user's status record after the request.",
          schema: MIGRATION_STATUS,
          headers: {
            'x-mms-request-outcome':
              '`queued`, `merged` (into the pending migration), `takenOver` (a stalled run, restarted now) or ' +
              '`followUpRecorded`.',
            location: 'The status record: /api/migrations/{userId}.',
          },
        },
      },
      errors: {
        404: ['userNotFound'],
        503: ['dependencyUnavailable'],
      },
    },
  },
});

/**
 * `GET /api/migrations/{identity}` — one user's status record (Get-CsMeetingMigrationStatus -Identity).
 * `identity`: a UPN or a directory object id. 404 `userNotFound` (no such user) or `migrationNotFound` (the user
 * was never migrated, or the record is older than 150 days). Function-key auth.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { getMigrationStatus, migrationQueryPorts } from '../shared/services/migration-queries';
import { httpHandler, readQuery, routeParam } from './http';
import { IDENTITY_PARAM, httpRoute, MIGRATION_STATUS } from './http-routes';

const noQuery = z.strictObject({});

export const migrationStatus = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  readQuery(request, noQuery);
  const status = await getMigrationStatus(migrationQueryPorts(), routeParam(request, 'identity'));
  return { status: 200, jsonBody: status };
});

httpRoute('migrationStatus', {
  route: 'migrations/{identity}',
  authLevel: 'function',
  handler: migrationStatus,
  params: { identity: IDENTITY_PARAM },
  operations: {
    GET: {
      summary: "One user's status record (Get-CsMeetingMigrationStatus -Identity)",
      tags: ['Migrations'],
      query: noQuery,
      responses: { 200: { description: 'The status record.', schema: MIGRATION_STATUS } },
      errors: { 404: ['userNotFound', 'migrationNotFound'], 503: ['dependencyUnavailable'] },
    },
  },
});

/**
 * `GET /api/migrations/{identity}` — one user's status record (Get-CsMeetingMigrationStatus -Identity).
 * `identity`: a UPN or a directory object id. 404 `userNotFound` (no such user) or `migrationNotFound` (the user
 * was never migrated, or the record is older than 150 days). Function-key auth.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { getMigrationStatus, migrationQueryPorts } from '../shared/services/migration-queries';
import { httpHandler, readQuery, routeParam } from './http';

export const migrationStatus = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  readQuery(request, z.strictObject({}));
  const status = await getMigrationStatus(migrationQueryPorts(), routeParam(request, 'identity'));
  return { status: 200, jsonBody: status };
});

app.http('migrationStatus', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'migrations/{identity}',
  handler: migrationStatus,
});

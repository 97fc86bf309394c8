/**
 * `GET`/`PATCH /api/settings/migration` `{ meetingMigrationEnabled }` — Get/Set-CsTenantMigrationConfiguration.
 * Never set → true (MMS's default). PATCH answers the settings afterwards; an unknown field or a non-boolean
 * value is a 400 naming it. Function-key auth. Service: shared/services/tenant-settings.ts.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import { getInfrastructure } from '../shared/services/infrastructure';
import { getMigrationSettings, patchMigrationSettings } from '../shared/services/tenant-settings';
import { httpHandler, readJsonBody } from './http';

export const settingsMigration = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const deps = { settings: getInfrastructure().repositories.settings };
  if (request.method.toUpperCase() === 'PATCH') {
    const body = await readJsonBody(request, objectBody);
    return { status: 200, jsonBody: await patchMigrationSettings(deps, body) };
  }
  return { status: 200, jsonBody: await getMigrationSettings(deps) };
});

app.http('settingsMigration', {
  methods: ['GET', 'PATCH'],
  authLevel: 'function',
  route: 'settings/migration',
  handler: settingsMigration,
});

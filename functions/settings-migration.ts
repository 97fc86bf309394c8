/**
 * `GET`/`PATCH /api/settings/migration` `{ meetingMigrationEnabled }` — Get/Set-CsTenantMigrationConfiguration.
 * Never set → true (MMS's default). PATCH answers the settings afterwards; an unknown field or a non-boolean
 * value is a 400 naming it. Function-key auth. Service: shared/services/tenant-settings.ts.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import { getInfrastructure } from '../shared/services/infrastructure';
import {
  getMigrationSettings,
  migrationSettingsPatchSchema,
  migrationSettingsViewSchema,
  patchMigrationSettings,
} from '../shared/services/tenant-settings';
import { httpHandler, readJsonBody } from './http';
import { httpRoute, type NamedSchema } from './http-routes';

const view: NamedSchema = { name: 'MigrationSettings', schema: migrationSettingsViewSchema };

export const settingsMigration = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const deps = { settings: getInfrastructure().repositories.settings };
  if (request.method.toUpperCase() === 'PATCH') {
    const body = await readJsonBody(request, objectBody);
    return { status: 200, jsonBody: await patchMigrationSettings(deps, body) };
  }
  return { status: 200, jsonBody: await getMigrationSettings(deps) };
});

httpRoute('settingsMigration', {
  route: 'settings/migration',
  authLevel: 'function',
  handler: settingsMigration,
  operations: {
    GET: {
      summary: "The tenant's migration setting (Get-CsTenantMigrationConfiguration)",
      tags: ['Settings'],
      responses: { 200: { description: 'The setting (never set: true).', schema: view } },
      errors: { 503: ['dependencyUnavailable'] },
    },
    PATCH: {
      summary: 'Turn meeting migration on or off (Set-CsTenantMigrationConfiguration)',
      tags: ['Settings'],
      body: { schema: { name: 'MigrationSettingsPatch', schema: migrationSettingsPatchSchema } },
      responses: { 200: { description: 'The setting afterwards.', schema: view } },
      errors: { 503: ['dependencyUnavailable'] },
    },
  },
});

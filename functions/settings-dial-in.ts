/**
 * `GET`/`PATCH /api/settings/dial-in` `{ automaticallyMigrateUserMeetings, automaticallyReplaceAcpProvider }` —
 * Get/Set-CsOnlineDialInConferencingTenantSettings. Never set → true and false (MMS's defaults). PATCH takes
 * either or both and answers the settings afterwards; an unknown field or a non-boolean value is a 400 naming
 * it. Function-key auth. Service: shared/services/tenant-settings.ts.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import { getInfrastructure } from '../shared/services/infrastructure';
import {
  dialInSettingsPatchSchema,
  dialInSettingsViewSchema,
  getDialInSettings,
  patchDialInSettings,
} from '../shared/services/tenant-settings';
import { httpHandler, readJsonBody } from './http';
import { httpRoute, type NamedSchema } from './http-routes';

const view: NamedSchema = { name: 'DialInTenantSettings', schema: dialInSettingsViewSchema };

export const settingsDialIn = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const deps = { settings: getInfrastructure().repositories.settings };
  if (request.method.toUpperCase() === 'PATCH') {
    const body = await readJsonBody(request, objectBody);
    return { status: 200, jsonBody: await patchDialInSettings(deps, body) };
  }
  return { status: 200, jsonBody: await getDialInSettings(deps) };
});

httpRoute('settingsDialIn', {
  route: 'settings/dial-in',
  authLevel: 'function',
  handler: settingsDialIn,
  operations: {
    GET: {
      summary: "The tenant's dial-in migration settings (Get-CsOnlineDialInConferencingTenantSettings)",
      tags: ['Settings'],
      responses: { 200: { description: 'The settings (never set: true and false).', schema: view } },
      errors: { 503: ['dependencyUnavailable'] },
    },
    PATCH: {
      summary: 'Change the dial-in migration settings (Set-CsOnlineDialInConferencingTenantSettings)',
      tags: ['Settings'],
      body: { schema: { name: 'DialInTenantSettingsPatch', schema: dialInSettingsPatchSchema } },
      responses: { 200: { description: 'The settings afterwards.', schema: view } },
      errors: { 503: ['dependencyUnavailable'] },
    },
  },
});

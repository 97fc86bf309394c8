/**
 * `GET`/`PATCH /api/settings/dial-in` `{ automaticallyMigrateUserMeetings, automaticallyReplaceAcpProvider }` —
 * Get/Set-CsOnlineDialInConferencingTenantSettings. Never set → true and false (MMS's defaults). PATCH takes
 * either or both and answers the settings afterwards; an unknown field or a non-boolean value is a 400 naming
 * it. Function-key auth. Service: shared/services/tenant-settings.ts.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import { getInfrastructure } from '../shared/services/infrastructure';
import { getDialInSettings, patchDialInSettings } from '../shared/services/tenant-settings';
import { httpHandler, readJsonBody } from './http';

export const settingsDialIn = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const deps = { settings: getInfrastructure().repositories.settings };
  if (request.method.toUpperCase() === 'PATCH') {
    const body = await readJsonBody(request, objectBody);
    return { status: 200, jsonBody: await patchDialInSettings(deps, body) };
  }
  return { status: 200, jsonBody: await getDialInSettings(deps) };
});

app.http('settingsDialIn', {
  methods: ['GET', 'PATCH'],
  authLevel: 'function',
  route: 'settings/dial-in',
  handler: settingsDialIn,
});

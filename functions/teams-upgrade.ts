/**
 * `PUT /api/users/{identity}/teams-upgrade` `{ mode }` — Grant-CsTeamsUpgradePolicy for one user. TeamsOnly and
 * SfBWithTeamsCollabAndMeetings request a migration of Skype meetings to Teams (SfbToTeams); other modes are
 * stored and trigger nothing; TeamsOnly for a user homed on premises → 409 `teamsOnlyRequiresOnlineHoming`.
 * Answers 200 `{ userId, userPrincipalName, mode, previousMode, migration, note? }`. Function-key auth.
 * Service: shared/services/teams-upgrade.ts.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import { grantTeamsUpgrade } from '../shared/services/teams-upgrade';
import { httpHandler, readJsonBody, routeParam } from './http';

export const teamsUpgrade = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const identity = routeParam(request, 'identity');
  const body = await readJsonBody(request, objectBody);
  return { status: 200, jsonBody: await grantTeamsUpgrade(identity, body) };
});

app.http('teamsUpgrade', {
  methods: ['PUT'],
  authLevel: 'function',
  route: 'users/{identity}/teams-upgrade',
  handler: teamsUpgrade,
});

/**
 * `PUT /api/users/{identity}/teams-upgrade` `{ mode }` — Grant-CsTeamsUpgradePolicy for one user. TeamsOnly and
 * SfBWithTeamsCollabAndMeetings request a migration of Skype meetings to Teams (SfbToTeams); other modes are
 * stored and trigger nothing; TeamsOnly for a user homed on premises → 409 `teamsOnlyRequiresOnlineHoming`.
 * Answers 200 `{ userId, userPrincipalName, mode, previousMode, migration }`. Function-key auth.
 * Service: shared/services/teams-upgrade.ts.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import {
  grantTeamsUpgrade,
  teamsUpgradeBodySchema,
  teamsUpgradeResponseSchema,
} from '../shared/services/teams-upgrade';
import { httpHandler, readJsonBody, routeParam } from './http';
import { httpRoute, IDENTITY_PARAM } from './http-routes';

export const teamsUpgrade = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const identity = routeParam(request, 'identity');
  const body = await readJsonBody(request, objectBody);
  return { status: 200, jsonBody: await grantTeamsUpgrade(identity, body) };
});

httpRoute('teamsUpgrade', {
  route: 'users/{identity}/teams-upgrade',
  authLevel: 'function',
  handler: teamsUpgrade,
  params: { identity: IDENTITY_PARAM },
  operations: {
    PUT: {
      summary: 'Grant a Teams upgrade mode to one user (Grant-CsTeamsUpgradePolicy)',
      description:
        'TeamsOnly and SfBWithTeamsCollabAndMeetings request a migration of Skype meetings to Teams ' +
        '(SfbToTeams); other modes are stored and trigger nothing.',
      tags: ['Users'],
      body: { schema: { name: 'TeamsUpgradeRequest', schema: teamsUpgradeBodySchema } },
      responses: {
        200: {
          description: 'The mode granted and what was done about the meetings.',
          schema: { name: 'TeamsUpgradeResult', schema: teamsUpgradeResponseSchema },
        },
      },
      errors: {
        404: ['userNotFound'],
        409: ['teamsOnlyRequiresOnlineHoming'],
        503: ['dependencyUnavailable'],
      },
    },
  },
});

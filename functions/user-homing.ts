/**
 * `PUT /api/users/{identity}/homing` `{ location: "online" | "onPremises" }` — reports a Move-CsUser (Graph v1.0
 * does not show Skype for Business homing). A move from on premises to online triggers `homedOnline` (Skype
 * meetings converted to Teams, gated by meetingMigrationEnabled); the other direction is recorded and triggers
 * nothing. Answers 200 `{ userId, userPrincipalName, location, previousLocation, migration }`. Function-key auth.
 * Service: shared/services/homing.ts.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { homingBodySchema, homingResponseSchema, reportHoming } from '../shared/services/homing';
import { objectBody } from '../shared/services/input';
import { httpHandler, readJsonBody, routeParam } from './http';
import { httpRoute, IDENTITY_PARAM } from './http-routes';

export const userHoming = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const identity = routeParam(request, 'identity');
  const body = await readJsonBody(request, objectBody);
  return { status: 200, jsonBody: await reportHoming(identity, body) };
});

httpRoute('userHoming', {
  route: 'users/{identity}/homing',
  authLevel: 'function',
  handler: userHoming,
  params: { identity: IDENTITY_PARAM },
  operations: {
    PUT: {
      summary: 'Report where a user is homed for Skype for Business (Move-CsUser)',
      description:
        'Graph v1.0 does not show Skype for Business homing, so the admin (or the move script) reports it. ' +
        'A move from on premises to online triggers homedOnline: the Skype meetings are converted to Teams ' +
        '(SfbToTeams, gated by meetingMigrationEnabled). The other direction is recorded and triggers nothing.',
      tags: ['Users'],
      body: { schema: { name: 'HomingRequest', schema: homingBodySchema } },
      responses: {
        200: {
          description: 'The location recorded and what was done about the meetings.',
          schema: { name: 'HomingResult', schema: homingResponseSchema },
        },
      },
      errors: {
        404: ['userNotFound'],
        503: ['dependencyUnavailable'],
      },
    },
  },
});

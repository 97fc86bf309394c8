/**
 * `GET`/`PATCH /api/users/{identity}/dial-in` — Get/Set-CsOnlineDialInConferencingUser. `identity`: a UPN or an
 * object id. PATCH `{ enabled?, provider?: Microsoft|ThirdParty, bridgeId?, tollNumber?, tollFreeNumber?,
 * conferenceId? | resetConferenceId? }` answers 200 `{ dialIn, changes, migration }`: the new dial-in, the
 * invitation-altering changes, and what was done about the user's meetings (`queued`, `merged`,
 * `followUpRecorded` or `none` with why). Function-key auth. Service: shared/services/dial-in.ts.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import {
  dialInPatchResponseSchema,
  dialInPatchSchema,
  dialInViewSchema,
  getUserDialIn,
  patchUserDialIn,
} from '../shared/services/dial-in';
import { httpHandler, readJsonBody, routeParam } from './http';
import { httpRoute, IDENTITY_PARAM } from './http-routes';

export const userDialIn = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const identity = routeParam(request, 'identity');
  if (request.method.toUpperCase() === 'PATCH') {
    const body = await readJsonBody(request, objectBody);
    return { status: 200, jsonBody: await patchUserDialIn(identity, body) };
  }
  return { status: 200, jsonBody: await getUserDialIn(identity) };
});

httpRoute('userDialIn', {
  route: 'users/{identity}/dial-in',
  authLevel: 'function',
  handler: userDialIn,
  params: { identity: IDENTITY_PARAM },
  operations: {
    GET: {
      summary: "A user's dial-in conferencing (Get-CsOnlineDialInConferencingUser)",
      tags: ['Dial-in'],
      responses: {
        200: { description: 'The dial-in.', schema: { name: 'UserDialIn', schema: dialInViewSchema } },
      },
      errors: { 404: ['userNotFound'], 503: ['dependencyUnavailable'] },
    },
    PATCH: {
      summary: "Change a user's dial-in conferencing (Set-CsOnlineDialInConferencingUser)",
      description:
        'Changes that alter what invitations show request a migration of the user (subject to the tenant ' +
        'settings and the trigger rules, docs/trigger-rules.md); `migration` says what was done.',
      tags: ['Dial-in'],
      body: { schema: { name: 'UserDialInPatch', schema: dialInPatchSchema } },
      responses: {
        200: {
          description: 'The new dial-in, the changes and what was done about the meetings.',
          schema: { name: 'UserDialInPatchResult', schema: dialInPatchResponseSchema },
        },
      },
      errors: {
        404: ['userNotFound', 'bridgeNotFound'],
        409: ['conflict', 'conferenceIdInUse', 'thirdPartyProvider'],
        503: ['dependencyUnavailable'],
      },
    },
  },
});

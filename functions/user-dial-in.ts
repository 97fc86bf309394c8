/**
 * `GET`/`PATCH /api/users/{identity}/dial-in` — Get/Set-CsOnlineDialInConferencingUser. `identity`: a UPN or an
 * object id. PATCH `{ enabled?, provider?: Microsoft|ThirdParty, bridgeId?, tollNumber?, tollFreeNumber?,
 * conferenceId? | resetConferenceId? }` answers 200 `{ dialIn, changes, migration }`: the new dial-in, the
 * invitation-altering changes, and what was done about the user's meetings (`queued`, `merged`,
 * `followUpRecorded` or `none` with why). Function-key auth. Service: shared/services/dial-in.ts.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import { getUserDialIn, patchUserDialIn } from '../shared/services/dial-in';
import { httpHandler, readJsonBody, routeParam } from './http';

export const userDialIn = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const identity = routeParam(request, 'identity');
  if (request.method.toUpperCase() === 'PATCH') {
    const body = await readJsonBody(request, objectBody);
    return { status: 200, jsonBody: await patchUserDialIn(identity, body) };
  }
  return { status: 200, jsonBody: await getUserDialIn(identity) };
});

app.http('userDialIn', {
  methods: ['GET', 'PATCH'],
  authLevel: 'function',
  route: 'users/{identity}/dial-in',
  handler: userDialIn,
});

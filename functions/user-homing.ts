/**
 * `PUT /api/users/{identity}/homing` `{ location: "online" | "onPremises" }` — reports a Move-CsUser (Graph v1.0
 * does not show Skype for Business homing). A move from on premises to online triggers `homedOnline` (Skype
 * meetings converted to Teams, gated by meetingMigrationEnabled); the other direction is recorded and triggers
 * nothing. Answers 200 `{ userId, userPrincipalName, location, previousLocation, migration }`. Function-key auth.
 * Service: shared/services/homing.ts.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { reportHoming } from '../shared/services/homing';
import { objectBody } from '../shared/services/input';
import { httpHandler, readJsonBody, routeParam } from './http';

export const userHoming = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const identity = routeParam(request, 'identity');
  const body = await readJsonBody(request, objectBody);
  return { status: 200, jsonBody: await reportHoming(identity, body) };
});

app.http('userHoming', {
  methods: ['PUT'],
  authLevel: 'function',
  route: 'users/{identity}/homing',
  handler: userHoming,
});

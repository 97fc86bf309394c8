/**
 * Audio-conferencing bridges — Get-CsOnlineDialInConferencingBridge and
 * Register-/Unregister-CsOnlineDialInConferencingServiceNumber:
 * - `GET /api/bridges` → every bridge with its numbers (default bridge first).
 * - `POST /api/bridges/{bridgeId}/numbers/{number}` `{ type: toll|tollFree, city, country, languages? }` → 201
 *   with the bridge; a number already registered → 409.
 * - `DELETE /api/bridges/{bridgeId}/numbers/{number}` → 200 `{ bridge, removedNumber, users, summary }`: users
 *   whose default the number was are re-pointed to the bridge default and their migrations requested (T7); the
 *   bridge's default number → 409 `defaultNumber`.
 * `{number}`: +E.164, E.164 or tel:+E.164. Function-key auth. Service: shared/services/bridges.ts.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { objectBody } from '../shared/services/input';
import { listBridges, registerNumber, unregisterNumber } from '../shared/services/bridges';
import { httpHandler, readJsonBody } from './http';

export const bridges = httpHandler(async (): Promise<HttpResponseInit> => ({
  status: 200,
  jsonBody: await listBridges(),
}));

export const bridgeNumbers = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const { bridgeId, number } = request.params;
  if (request.method.toUpperCase() === 'POST') {
    const body = await readJsonBody(request, objectBody);
    return { status: 201, jsonBody: await registerNumber(bridgeId, number, body) };
  }
  return { status: 200, jsonBody: await unregisterNumber(bridgeId, number) };
});

app.http('bridges', { methods: ['GET'], authLevel: 'function', route: 'bridges', handler: bridges });

app.http('bridgeNumbers', {
  methods: ['POST', 'DELETE'],
  authLevel: 'function',
  route: 'bridges/{bridgeId}/numbers/{number}',
  handler: bridgeNumbers,
});

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
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { objectBody } from '../shared/services/input';
import {
  bridgeViewSchema,
  listBridges,
  registerNumber,
  registerNumberBodySchema,
  unregisterNumber,
  unregisterResultSchema,
} from '../shared/services/bridges';
import { httpHandler, readJsonBody } from './http';
import { httpRoute, type NamedSchema } from './http-routes';

const bridge: NamedSchema = { name: 'Bridge', schema: bridgeViewSchema };

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

httpRoute('bridges', {
  route: 'bridges',
  authLevel: 'function',
  handler: bridges,
  operations: {
    GET: {
      summary: 'Audio-conferencing bridges with their numbers (Get-CsOnlineDialInConferencingBridge)',
      tags: ['Dial-in'],
      responses: {
        200: { description: 'Every bridge, the default first.', schema: z.array(bridgeViewSchema) },
      },
      errors: { 503: ['dependencyUnavailable'] },
    },
  },
});

httpRoute('bridgeNumbers', {
  route: 'bridges/{bridgeId}/numbers/{number}',
  authLevel: 'function',
  handler: bridgeNumbers,
  params: {
    bridgeId: { description: 'The bridge id (a GUID).', schema: z.guid() },
    number: 'The service number: +E.164, E.164 or tel:+E.164 (URL-encode the +).',
  },
  operations: {
    POST: {
      operationId: 'registerNumber',
      summary: 'Register a service number on a bridge (Register-CsOnlineDialInConferencingServiceNumber)',
      tags: ['Dial-in'],
      body: { schema: { name: 'RegisterNumberRequest', schema: registerNumberBodySchema } },
      responses: { 201: { description: 'The bridge with the number.', schema: bridge } },
      errors: {
        404: ['bridgeNotFound'],
        409: ['conflict', 'numberAlreadyRegistered'],
        503: ['dependencyUnavailable'],
      },
    },
    DELETE: {
      operationId: 'unregisterNumber',
      summary: 'Remove a service number from a bridge (Unregister-CsOnlineDialInConferencingServiceNumber)',
      description:
        'Users whose default the number was are re-pointed to the bridge default and their migrations ' +
        'requested (T7). The bridge default number cannot be removed (409 `defaultNumber`).',
      tags: ['Dial-in'],
      responses: {
        200: {
          description: 'The bridge afterwards and the users re-pointed.',
          schema: { name: 'UnregisterNumberResult', schema: unregisterResultSchema },
        },
      },
      errors: {
        400: ['invalidParameter'],
        404: ['bridgeNotFound', 'numberNotFound'],
        409: ['defaultNumber'],
        503: ['dependencyUnavailable'],
      },
    },
  },
});

/**
 * `GET /api/openapi.json` (anonymous: it describes the open-source API and holds no tenant data): the OpenAPI 3.1
 * document of every HTTP route the app registers, generated from the route registry and the zod schemas the
 * routes validate with (functions/openapi-document.ts). Built once per process, on the first request, when every
 * route has registered.
 */
import type { HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { httpRoute } from './http-routes';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi-document';

let cached: OpenApiDocument | undefined;

export function openApi(): Promise<HttpResponseInit> {
  cached ??= buildOpenApiDocument();
  return Promise.resolve({
    status: 200,
    jsonBody: cached,
    headers: { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
  });
}

httpRoute('openApi', {
  route: 'openapi.json',
  authLevel: 'anonymous',
  handler: openApi,
  operations: {
    GET: {
      summary: 'This document: the OpenAPI 3.1 description of every route',
      tags: ['Service'],
      responses: {
        200: {
          description: 'The OpenAPI 3.1 document.',
          schema: {
            name: 'OpenApiDocument',
            schema: z.looseObject({
              openapi: z.literal('3.1.0'),
              info: z.looseObject({}),
              paths: z.looseObject({}),
            }),
          },
        },
      },
    },
  },
});

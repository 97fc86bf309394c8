import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { VERSION } from '../shared/version';
import { httpRoute } from './http-routes';

export const healthSchema = z.strictObject({ status: z.literal('ok'), version: z.string() });

/** GET /api/health (anonymous): liveness for smoke tests and monitors. */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  return Promise.resolve({ status: 200, jsonBody: { status: 'ok', version: VERSION } });
}

httpRoute('health', {
  route: 'health',
  authLevel: 'anonymous',
  handler: health,
  operations: {
    GET: {
      summary: 'Liveness: the app is up (for smoke tests and monitors)',
      tags: ['Service'],
      responses: {
        200: { description: 'Up, with the version.', schema: { name: 'Health', schema: healthSchema } },
      },
    },
  },
});

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { VERSION } from '../shared/version';

/** GET /api/health (anonymous): liveness for smoke tests and monitors. */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  return Promise.resolve({ status: 200, jsonBody: { status: 'ok', version: VERSION } });
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });

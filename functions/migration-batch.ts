/**
 * `POST /api/migrations/batch` — bulk start: body `{ identities?: string[] (≤ 10,000), groupId?, servicePlanId?,
 *   sourceMeetingType?, targetMeetingType? }` → 202 `{ batchId, accepted, rejected: [{ identity, code, message }] }`
 *   (header `location`: the batch's progress URL). The users are requested a step at a time by the
 *   meeting-migrations queue (see shared/services/batch.ts), never within this request.
 * `GET /api/migrations/batches/{batchId}` — the batch's progress by state.
 * Function-key auth. Errors: `{ error: { code, message } }` with 400 / 404 / 422 / 503.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { batchBodySchema, batchPorts, getBatch, startBatch } from '../shared/services/batch';
import { httpHandler, readJsonBody, routeParam } from './http';

export const migrationBatch = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const body = await readJsonBody(request, batchBodySchema);
  const started = await startBatch(batchPorts(), body);
  return {
    status: 202,
    jsonBody: started,
    headers: { location: `/api/migrations/batches/${started.batchId}` },
  };
});

export const migrationBatchStatus = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => ({
  status: 200,
  jsonBody: await getBatch(batchPorts(), routeParam(request, 'batchId')),
}));

app.http('migrationBatch', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'migrations/batch',
  handler: migrationBatch,
});

app.http('migrationBatchStatus', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'migrations/batches/{batchId}',
  handler: migrationBatchStatus,
});

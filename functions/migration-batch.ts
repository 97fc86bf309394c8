/**
 * `POST /api/migrations/batch` — bulk start: body `{ identities?: string[] (≤ 10,000), groupId?, servicePlanId?,
 *   sourceMeetingType?, targetMeetingType? }` → 202 `{ batchId, accepted, rejected: [{ identity, code, message }] }`
 *   (header `location`: the batch's progress URL). The users are requested a step at a time by the
 *   meeting-migrations queue (see shared/services/batch.ts), never within this request.
 * `GET /api/migrations/batches/{batchId}` — the batch's progress by state.
 * Function-key auth. Errors: `{ error: { code, message } }` with 400 / 404 / 503.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import {
  batchBodySchema,
  batchPorts,
  batchProgressSchema,
  batchStartedSchema,
  getBatch,
  MAX_BATCH_MEMBERS,
  startBatch,
} from '../shared/services/batch';
import { httpHandler, readJsonBody, readQuery, routeParam } from './http';
import { httpRoute } from './http-routes';

const noQuery = z.strictObject({});

export const migrationBatch = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const body = await readJsonBody(request, batchBodySchema);
  const started = await startBatch(batchPorts(), body);
  return {
    status: 202,
    jsonBody: started,
    headers: { location: `/api/migrations/batches/${started.batchId}` },
  };
});

export const migrationBatchStatus = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  readQuery(request, noQuery);
  return { status: 200, jsonBody: await getBatch(batchPorts(), routeParam(request, 'batchId')) };
});

httpRoute('migrationBatch', {
  route: 'migrations/batch',
  authLevel: 'function',
  handler: migrationBatch,
  operations: {
    POST: {
      operationId: 'startBatch',
      summary: 'Bulk start: the migration of many users (a list, a group, the holders of a service plan)',
      description:
        `Any of \`identities\` (at most ${MAX_BATCH_MEMBERS} UPNs or object ids), \`groupId\` (its members, nested ` +
        'groups included, from Graph: GroupMember.Read.All) and `servicePlanId` (users holding the plan, from the ' +
        'directory snapshot the service keeps); each user once. Answers at once: the users are requested a step ' +
        'at a time (BATCH_RELEASE_SIZE every BATCH_RELEASE_INTERVAL_SECONDS), each as an admin start. Malformed ' +
        'and repeated identities are `rejected` here; unknown users show as rejected in the progress.',
      tags: ['Migrations'],
      body: { schema: { name: 'BatchRequest', schema: batchBodySchema } },
      responses: {
        202: {
          description: 'Accepted: the batch id, how many users it starts, the identities refused.',
          schema: { name: 'BatchStarted', schema: batchStartedSchema },
          headers: { location: 'The progress: /api/migrations/batches/{batchId}.' },
        },
      },
      errors: {
        404: ['groupNotFound'],
        503: ['dependencyUnavailable'],
      },
    },
  },
});

httpRoute('migrationBatchStatus', {
  route: 'migrations/batches/{batchId}',
  authLevel: 'function',
  handler: migrationBatchStatus,
  params: { batchId: 'The batchId POST /api/migrations/batch answered.' },
  operations: {
    GET: {
      operationId: 'getBatch',
      summary: "A bulk start's progress by state",
      description:
        'Members by where they are: `waiting` (not yet released), `rejected`, and the state of their status ' +
        'record. `complete` once every member is released and none is Pending or InProgress.',
      tags: ['Migrations'],
      query: noQuery,
      responses: {
        200: { description: 'The progress.', schema: { name: 'BatchProgress', schema: batchProgressSchema } },
      },
      errors: { 404: ['batchNotFound'] },
    },
  },
});

/**
 * `GET /api/preflight?user=<upn or id>` (function key): the read-only readiness checks against the configured
 * Graph — permissions in the app's token, the user's mailbox (Exchange Online, in the app's scope), calendar and
 * Teams access policy, the /users subscription and the notification handshake — each failure with its fix. 200
 * with the report whether or not everything passed (`ok`). See shared/services/preflight.ts.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { preflightReportSchema } from '../shared/domain/preflight';
import { preflightDeps, runPreflight } from '../shared/services/preflight';
import { httpHandler, readQuery } from './http';
import { httpRoute } from './http-routes';

const preflightQuery = z.strictObject({
  user: z.string().min(1).max(256).optional().meta({
    description: 'The user whose mailbox to check (a UPN or an object id); default: a sample user.',
  }),
});

export const preflight = httpHandler(async (request: HttpRequest): Promise<HttpResponseInit> => {
  const q = readQuery(request, preflightQuery);
  const report = await runPreflight(preflightDeps(), q.user !== undefined ? { user: q.user } : {});
  return { status: 200, jsonBody: report };
});

httpRoute('preflight', {
  route: 'preflight',
  authLevel: 'function',
  handler: preflight,
  operations: {
    GET: {
      summary: 'Readiness checks before the first migration, each failure with its fix (read-only)',
      description:
        "Checks against the configured Microsoft Graph: each permission of the one list in the app's token; for " +
        "the named user (or a sample) the user, their mailbox (in Exchange Online and in the app's Exchange RBAC " +
        'scope), their calendar and the Teams application access policy; the /users subscription and its expiry; ' +
        "Graph's validation handshake on the notification URLs. Nothing is written. `ok` is false when any check " +
        'failed; every failed check has `fix`, the PowerShell or az line that fixes it.',
      tags: ['Service'],
      query: preflightQuery,
      responses: {
        200: {
          description: 'The report.',
          schema: { name: 'PreflightReport', schema: preflightReportSchema },
        },
      },
      errors: { 503: ['dependencyUnavailable'] },
    },
  },
});

/**
 * JSON batching (`POST /v1.0/$batch`): up to 20 requests, `dependsOn` ordering with 424 for a failed dependency,
 * per-request status codes and headers (an inner 429 carries its own Retry-After), responses matched by id. Like
 * Outlook, at most 4 independent requests run at once.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import {
  describeIssues,
  errorResponse,
  GraphError,
  newRequestId,
  ok,
  parseJsonBody,
  type SandboxRequest,
  type SandboxResponse,
} from './http';

export const MAX_BATCH_REQUESTS = 20;

const batchBody = z.object({
  requests: z
    .array(
      z.object({
        id: z.string().min(1),
        method: z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'get', 'post', 'patch', 'put', 'delete']),
        url: z.string().min(1),
        headers: z.record(z.string(), z.string()).optional(),
        body: z.unknown().optional(),
        dependsOn: z.array(z.string()).optional(),
      }),
    )
    .min(1),
});

type Dispatch = (req: SandboxRequest) => Promise<SandboxResponse>;

/** Splits a batch item's relative URL into a SandboxRequest path and query. */
function toRequest(url: string): { segments: string[]; query: URLSearchParams } {
  const rel = url.replace(/^https?:\/\/[^/]+/i, '').replace(/^\/?(v1\.0|beta)(?=\/)/i, '');
  const u = new URL(rel.startsWith('/') ? rel : `/${rel}`, 'https://batch.invalid');
  const segments = u.pathname
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, query: u.searchParams };
}

export async function handleBatch(outer: SandboxRequest, dispatch: Dispatch): Promise<SandboxResponse> {
  const parsed = batchBody.safeParse(parseJsonBody(outer));
  if (!parsed.success)
    throw new GraphError(400, 'BadRequest', `Invalid batch payload: ${describeIssues(parsed.error.issues)}`);
  const items = parsed.data.requests;
  if (items.length > MAX_BATCH_REQUESTS) {
    throw new GraphError(
      400,
      'BadRequest',
      `Number of batch request steps exceeds the maximum of ${MAX_BATCH_REQUESTS}.`,
    );
  }
  const ids = new Set<string>();
  for (const it of items) {
    if (ids.has(it.id))
      throw new GraphError(400, 'BadRequest', `Batch request id '${it.id}' is used more than once.`);
    ids.add(it.id);
  }
  for (const it of items) {
    for (const d of it.dependsOn ?? []) {
      if (!ids.has(d))
        throw new GraphError(400, 'BadRequest', `Request '${it.id}' depends on unknown request '${d}'.`);
    }
  }

  const results = new Map<string, SandboxResponse>();
  const order: string[] = [];
  const limit = pLimit(4);
  const runOne = async (it: (typeof items)[number]): Promise<SandboxResponse> => {
    const failedDep = (it.dependsOn ?? []).find((d) => {
      const r = results.get(d);
      return !r || r.status < 200 || r.status >= 300;
    });
    const rid = newRequestId();
    if (failedDep !== undefined) {
      return errorResponse(
        new GraphError(424, 'FailedDependency', `Dependent request '${failedDep}' failed.`),
        rid,
        rid,
      );
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(it.headers ?? {})) headers[k.toLowerCase()] = v;
    if (outer.headers.authorization) headers.authorization = outer.headers.authorization;
    let body: string | undefined;
    if (it.body !== undefined) {
      if (!headers['content-type']) {
        return errorResponse(
          new GraphError(
            400,
            'BadRequest',
            'A Content-Type header is required for a batch request with a body.',
          ),
          rid,
          rid,
        );
      }
      body = typeof it.body === 'string' ? it.body : JSON.stringify(it.body);
    }
    const { segments, query } = toRequest(it.url);
    if (segments[0] === '$batch') {
      return errorResponse(
        new GraphError(400, 'BadRequest', 'Nested $batch requests are not allowed.'),
        rid,
        rid,
      );
    }
    return dispatch({
      method: it.method.toUpperCase(),
      path: '/' + segments.join('/'),
      segments,
      query,
      headers,
      body,
      batchId: outer.batchId ?? it.id,
    });
  };

  const pending = new Set(items.map((i) => i.id));
  while (pending.size) {
    const ready = items.filter((i) => pending.has(i.id) && (i.dependsOn ?? []).every((d) => results.has(d)));
    if (!ready.length) throw new GraphError(400, 'BadRequest', 'The dependsOn graph has a cycle.');
    await Promise.all(
      ready.map((it) =>
        limit(async () => {
          const res = await runOne(it);
          results.set(it.id, res);
          order.push(it.id);
        }),
      ),
    );
    for (const it of ready) pending.delete(it.id);
  }

  return ok({
    responses: order.map((id) => {
      const r = results.get(id)!;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers)) {
        if (!['request-id', 'client-request-id'].includes(k.toLowerCase())) headers[k] = v;
      }
      const out: Record<string, unknown> = { id, status: r.status, headers };
      if (r.json !== undefined) {
        headers['Content-Type'] ??=
          'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8';
        out.body = r.json;
      } else if (r.text !== undefined) {
        out.body = r.text;
      }
      return out;
    }),
  });
}

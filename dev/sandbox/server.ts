/**
 * The sandbox's HTTPS front: `/v1.0/...` goes through the Graph pipeline (bearer token, per-mailbox
 * concurrency and request budget, latency, fault injection, route, Graph error shape, request log);
 * `/_sandbox/...` is the control API (no token: a loopback dev tool).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenIssuer } from './auth';
import { authorise } from './auth';
import { handleBatch } from './batch';
import { calendarRoutes } from './calendar';
import { controlRouter } from './control';
import {
  errorResponse,
  GraphError,
  JSON_CONTENT_TYPE,
  newRequestId,
  type SandboxRequest,
  type SandboxResponse,
} from './http';
import { groupRoutes } from './groups';
import { onlineMeetingRoutes } from './online-meetings';
import { Router, type GraphRoute, type RouteContext } from './router';
import { requestViolations, responseViolations } from './schema-check';
import { subscriptionRoutes } from './subscriptions';
import type { SandboxTenant } from './tenant';
import { userRoutes } from './users';

/** Every Graph route of the sandbox, with the permissions that admit it. */
export const SANDBOX_GRAPH_ROUTES: readonly GraphRoute[] = [
  ...userRoutes,
  ...groupRoutes,
  ...calendarRoutes,
  ...subscriptionRoutes,
  ...onlineMeetingRoutes,
];

const graphRouter = new Router<GraphRoute>().add(...SANDBOX_GRAPH_ROUTES);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SandboxServer {
  baseUrl = '';

  constructor(
    readonly tenant: SandboxTenant,
    readonly tokens: TokenIssuer,
  ) {}

  /** One Graph request through the whole pipeline (also used for each request of a $batch). */
  async graph(req: SandboxRequest): Promise<SandboxResponse> {
    const arrived = performance.now();
    /** Path and query, as the request log and the fault choice name the request. */
    const url = req.path + (req.query.size ? `?${req.query.toString()}` : '');
    const requestId = newRequestId();
    const clientRequestId = req.headers['client-request-id'] ?? requestId;
    let mailbox: string | null = null;
    let concurrency = 0;
    let routePattern: string | undefined;
    let checkedRoute: GraphRoute | undefined;
    let permission: string | undefined;
    let res: SandboxResponse;
    try {
      const roles = this.tokens.verify(req.headers.authorization);
      if (req.segments.length === 1 && req.segments[0] === '$batch') {
        if (req.method !== 'POST') throw new GraphError(405, 'BadRequest', 'Only POST is allowed on $batch.');
        if (req.batchId) throw new GraphError(400, 'BadRequest', 'Nested $batch requests are not allowed.');
        res = await handleBatch(req, (inner) => this.graph(inner));
      } else {
        const match = graphRouter.match(req.method, req.segments);
        if (!match) {
          throw new GraphError(
            400,
            'BadRequest',
            `Resource not found for the segment '${req.segments[req.segments.length - 1] ?? ''}'.`,
          );
        }
        if ('methodNotAllowed' in match) {
          throw new GraphError(
            405,
            'BadRequest',
            `The HTTP method '${req.method}' is not allowed for this resource.`,
          );
        }
        const { route, params } = match;
        routePattern = route.pattern;
        checkedRoute = route;
        permission = authorise(roles, route.permissions);
        if (this.tenant.shapes.enabled) this.checkRequest(req, route);
        const ctx: RouteContext = { req, params, tenant: this.tenant, baseUrl: this.baseUrl, requestId };
        if (route.mailboxParam) mailbox = this.tenant.findUser(params[route.mailboxParam] ?? '')?.id ?? null;
        const throttle = this.tenant.throttle;
        concurrency = mailbox ? throttle.concurrency(mailbox) + 1 : 0;
        const release = mailbox ? throttle.acquire(mailbox) : () => undefined;
        try {
          // The latency is the time Graph takes to answer, its own work included: the answer (or the error)
          // leaves latencyMs after the request came in, or when the work is done if that takes longer. The
          // mailbox's slot is held all that time.
          const answerAt = arrived + throttle.config.latencyMs;
          let answer: { res: SandboxResponse } | { e: unknown };
          try {
            const eventId = route.eventParam ? params[route.eventParam] : undefined;
            const eventIds = eventId ? [eventId, eventId.replace(/_\d{8}T\d{6}Z$/, '')] : [];
            throttle.injectFault(req.method, url, eventIds);
            answer = { res: await route.handler(ctx) };
          } catch (e) {
            answer = { e };
          }
          const wait = answerAt - performance.now();
          if (wait > 0) await sleep(wait);
          if ('e' in answer) throw answer.e;
          res = answer.res;
        } finally {
          release();
        }
      }
    } catch (err) {
      if (err instanceof GraphError) {
        res = errorResponse(err, requestId, clientRequestId);
      } else {
        console.error('[sandbox] internal error', err);
        res = errorResponse(
          new GraphError(
            500,
            'generalException',
            `Sandbox internal error: ${err instanceof Error ? err.message : String(err)}`,
          ),
          requestId,
          clientRequestId,
        );
      }
    }
    if (this.tenant.shapes.enabled && checkedRoute && res.json !== undefined) {
      res = this.checkResponse(req, checkedRoute, res, requestId, clientRequestId);
    }
    res.headers['request-id'] = requestId;
    res.headers['client-request-id'] = clientRequestId;
    this.tenant.logRequest({
      time: new Date().toISOString(),
      method: req.method,
      path: url,
      mailbox,
      status: res.status,
      concurrency,
      ...(routePattern !== undefined ? { route: routePattern } : {}),
      ...(permission !== undefined ? { permission } : {}),
      ...(req.batchId ? { batchId: req.batchId } : {}),
    });
    return res;
  }

  /**
   * A request body against the route's declared Graph type: a property the v1.0 schema does not declare, or a
   * value of the wrong kind, answers 400 naming it (stricter than Graph, which may ignore what it does not know)
   * and is recorded, so the test that sent it fails.
   */
  private checkRequest(req: SandboxRequest, route: GraphRoute): void {
    const raw = req.body?.trim() ?? '';
    // No body: the handler answers Graph's "Empty Payload" where one is needed.
    if (raw === '') return;
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      return; // the handler answers Graph's "Unable to read JSON request payload"
    }
    const violations = requestViolations(route.shapes, body);
    if (violations.length === 0) return;
    this.tenant.shapes.record({
      direction: 'request',
      method: req.method,
      path: req.path,
      route: route.pattern,
      violations,
    });
    throw new GraphError(
      400,
      'BadRequest',
      `The request body does not conform to the Graph v1.0 schema (${route.shapes.request ?? 'no body'}): ${violations.join('; ')}`,
    );
  }

  /**
   * An answer against the route's declared Graph type (errors against Graph's error shape): one that does not
   * conform is the sandbox's own bug, recorded and answered 500 naming the property so the calling test fails.
   */
  private checkResponse(
    req: SandboxRequest,
    route: GraphRoute,
    res: SandboxResponse,
    requestId: string,
    clientRequestId: string,
  ): SandboxResponse {
    const violations = responseViolations(route.shapes, res.status, res.json);
    if (violations.length === 0) return res;
    this.tenant.shapes.record({
      direction: 'response',
      method: req.method,
      path: req.path,
      route: route.pattern,
      violations,
    });
    return errorResponse(
      new GraphError(
        500,
        'generalException',
        `Sandbox answer to ${req.method} ${route.pattern} does not conform to the Graph v1.0 schema (${route.shapes.response ?? 'no body'}): ${violations.join('; ')}`,
      ),
      requestId,
      clientRequestId,
    );
  }

  /** The node:https request listener. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
      this.route(req, body).then(
        (out) => write(res, out),
        (err: unknown) => {
          console.error('[sandbox] unexpected', err);
          write(res, {
            status: 500,
            headers: {},
            json: { error: { code: 'generalException', message: String(err) } },
          });
        },
      );
    });
    req.on('error', () => res.destroy());
  };

  private async route(req: IncomingMessage, body: string | undefined): Promise<SandboxResponse> {
    const url = new URL(req.url ?? '/', 'https://sandbox.invalid');
    let segments: string[];
    try {
      segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return { status: 400, headers: {}, json: { error: { code: 'BadRequest', message: 'Malformed URL.' } } };
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const [first, ...rest] = segments;
    if (first === 'v1.0') {
      return this.graph({
        method,
        path: '/' + rest.join('/'),
        segments: rest,
        query: url.searchParams,
        headers,
        body,
      });
    }
    if (first === '_sandbox') {
      return controlRouter(this.tenant, {
        method,
        path: '/' + rest.join('/'),
        segments: rest,
        query: url.searchParams,
        headers,
        body,
      });
    }
    const rid = newRequestId();
    if (first === 'beta') {
      return errorResponse(
        new GraphError(400, 'BadRequest', 'This sandbox implements Microsoft Graph v1.0 only.'),
        rid,
        rid,
      );
    }
    return errorResponse(new GraphError(400, 'BadRequest', 'Invalid version: use /v1.0/.'), rid, rid);
  }
}

function write(res: ServerResponse, out: SandboxResponse): void {
  const headers: Record<string, string> = { ...out.headers };
  let payload: string | undefined;
  if (out.json !== undefined) {
    payload = JSON.stringify(out.json);
    headers['Content-Type'] ??= JSON_CONTENT_TYPE;
  } else if (out.text !== undefined) {
    payload = out.text;
    headers['Content-Type'] ??= 'text/plain; charset=utf-8';
  }
  res.writeHead(out.status, headers);
  res.end(out.status === 204 ? undefined : payload);
}

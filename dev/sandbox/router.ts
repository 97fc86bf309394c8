/**
 * A small router: routes are method + path pattern (`/users/:user/events/:event`); literal segments match
 * case-insensitively, as Graph's do.
 */
import type { RoutePermissions } from './auth';
import type { RouteShapes } from './schema-check';
import type { SandboxRequest, SandboxResponse } from './http';
import type { SandboxTenant } from './tenant';

export interface RouteContext {
  req: SandboxRequest;
  params: Record<string, string>;
  tenant: SandboxTenant;
  /** e.g. https://127.0.0.1:4443 (no version segment). */
  baseUrl: string;
  requestId: string;
}

export type Handler = (ctx: RouteContext) => SandboxResponse | Promise<SandboxResponse>;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
  /**
   * The application permissions that admit the route (Graph routes only; the control API has none). A token
   * holding none of them gets Graph's 403.
   */
  permissions?: RoutePermissions;
  /** Name of the path parameter that identifies the mailbox (per-mailbox throttling and on-prem errors). */
  mailboxParam?: string;
  /** Name of the path parameter that identifies an event (targeted faults). */
  eventParam?: string;
}

/**
 * A Graph route: it must say which application permissions admit it, and the Graph v1.0 types of the body it
 * accepts and the answer it sends (checked against the official schema when shape checks are on).
 */
export interface GraphRoute extends Route {
  permissions: RoutePermissions;
  shapes: RouteShapes;
}

export interface RouteMatch<R extends Route = Route> {
  route: R;
  params: Record<string, string>;
}

export type MatchResult<R extends Route = Route> = RouteMatch<R> | { methodNotAllowed: true } | undefined;

export class Router<R extends Route = Route> {
  private readonly routes: { route: R; parts: string[] }[] = [];

  add(...routes: R[]): this {
    for (const route of routes) this.routes.push({ route, parts: route.pattern.split('/').filter(Boolean) });
    return this;
  }

  match(method: string, segments: readonly string[]): MatchResult<R> {
    let pathMatched = false;
    for (const { route, parts } of this.routes) {
      if (parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let okay = true;
      parts.forEach((p, i) => {
        const seg = segments[i] ?? '';
        if (p.startsWith(':')) params[p.slice(1)] = seg;
        else if (p.toLowerCase() !== seg.toLowerCase()) okay = false;
      });
      if (!okay) continue;
      pathMatched = true;
      if (route.method === method.toUpperCase()) return { route, params };
    }
    return pathMatched ? { methodNotAllowed: true } : undefined;
  }
}

/**
 * Every HTTP function registers through `httpRoute` (not `app.http`): one call declares the route, its auth
 * level, its handler and, for each method it serves, the operation as the OpenAPI document shows it
 * (GET /api/openapi.json, built by functions/openapi-document.ts from this registry). The methods the host
 * indexes are the keys of `operations`, so a method cannot be served without being described; the zod schemas
 * given here are the ones the handler validates with, so the document cannot drift from the checks.
 * test/unit/openapi/openapi.test.ts fails when a registered HTTP function is missing from the registry.
 *
 *   httpRoute('migrationStatus', {
 *     route: 'migrations/{identity}',
 *     authLevel: 'function',
 *     handler: migrationStatus,
 *     params: { identity: 'A UPN or a directory object id.' },
 *     operations: {
 *       GET: {
 *         summary: "One user's status record (Get-CsMeetingMigrationStatus -Identity)",
 *         tags: ['Migrations'],
 *         query: z.strictObject({}),
 *         responses: { 200: { description: 'The status record.', schema: migrationStatusSchema } },
 *         errors: { 404: ['userNotFound', 'migrationNotFound'] },
 *       },
 *     },
 *   });
 *
 * Error answers are `{ error: { code, message } }`; `errors` lists the codes each status can carry. 400
 * `invalidParameter` is added for operations with a query or a body (and `invalidJson` for a body); 401 for
 * routes that need the function key (the host answers it before the handler runs).
 */
import { app, type HttpHandler, type HttpMethod } from '@azure/functions';
import { z } from 'zod';
import { migrationStatusSchema } from '../shared/domain/status';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

/** A named schema: shown under components.schemas with this name. */
export interface NamedSchema {
  name: string;
  schema: z.ZodType;
}

export type SchemaRef = z.ZodType | NamedSchema;

export interface ResponseDoc {
  description: string;
  /** The JSON body (answered with `jsonBody`); absent: no body. */
  schema?: SchemaRef;
  /** A body that is not JSON (a page, a script): its media type. */
  mediaType?: string;
  /** Response headers the caller may rely on. */
  headers?: Record<string, string>;
}

export type ErrorStatus = 400 | 404 | 409 | 413 | 422 | 429 | 503;

export interface OperationDoc {
  /** One line. */
  summary: string;
  /** More: behaviour a caller relies on (Markdown). */
  description?: string;
  /** The group in the document (Migrations, Settings, Dial-in, Webhooks, Dashboard, Service ...). */
  tags: string[];
  /** Default: the function name, or `<method><Name>` when the function serves several methods. */
  operationId?: string;
  /** The query-string schema `readQuery` validates with (a zod object; describe each field with .meta). */
  query?: z.ZodObject<Record<string, z.ZodType>>;
  /** The body schema the handler (or the service it calls) validates with. */
  body?: { schema: SchemaRef; description?: string; required?: boolean };
  /** The answers that are not errors, by HTTP status. */
  responses: Partial<Record<number, ResponseDoc>>;
  /** Error codes by HTTP status (400 invalidParameter/invalidJson are added when there is a query or a body). */
  errors?: Partial<Record<ErrorStatus, string[]>>;
}

export interface RouteDoc {
  /** The function name the host indexes. */
  name: string;
  /** The route template, without the `api/` prefix. */
  route: string;
  authLevel: AuthLevel;
  /** Each `{param}` of the route: its description (and schema, default string). */
  params: Record<string, string | { description: string; schema: z.ZodType }>;
  operations: Partial<Record<HttpMethod, OperationDoc>>;
}

/** Used by several routes. */
export const IDENTITY_PARAM = 'The user: a UPN (adele@contoso.com) or a directory object id.';
export const MIGRATION_STATUS: NamedSchema = { name: 'MigrationStatus', schema: migrationStatusSchema };

/**
 * Graph's validation handshake on a webhook: the token arrives in the query and is echoed as text/plain. Read
 * by `validationResponse` (shared/services/notifications.ts) before anything else.
 */
export const webhookQuery = z.object({
  validationToken: z
    .string()
    .optional()
    .meta({ description: "Graph's validation handshake: echoed as text/plain, the body is not read." }),
});

/** The answers every Graph webhook gives (webhookResponse in functions/http.ts). */
export function webhookResponses(what: string): Pick<OperationDoc, 'responses' | 'errors'> {
  return {
    responses: {
      200: { description: 'The validation handshake: the validationToken, echoed.', mediaType: 'text/plain' },
      202: { description: `Accepted: ${what}` },
    },
    errors: { 400: ['invalidJson', 'invalidParameter'], 503: ['dependencyUnavailable'] },
  };
}

const registry = new Map<string, RouteDoc>();

/** Every described HTTP route, in registration order. */
export function describedRoutes(): RouteDoc[] {
  return [...registry.values()];
}

/** The `{name}` parameters of a route template (constraints such as `{id:int}` and `{*rest}` stripped). */
export function routeParams(route: string): string[] {
  return [...route.matchAll(/\{\*?([A-Za-z0-9_]+)[^}]*\}/g)].map((m) => m[1] ?? '');
}

export interface HttpRouteOptions {
  route: string;
  authLevel: AuthLevel;
  handler: HttpHandler;
  params?: RouteDoc['params'];
  operations: Partial<Record<HttpMethod, OperationDoc>>;
}

/** Registers an HTTP function with the host (app.http) and its description with the OpenAPI registry. */
export function httpRoute(name: string, options: HttpRouteOptions): void {
  const methods = Object.keys(options.operations) as HttpMethod[];
  if (methods.length === 0) throw new Error(`httpRoute ${name}: no operation`);
  if (registry.has(name)) throw new Error(`httpRoute ${name}: registered twice`);
  const params = options.params ?? {};
  const inRoute = routeParams(options.route);
  for (const p of inRoute) {
    if (!(p in params)) throw new Error(`httpRoute ${name}: route parameter {${p}} is not described`);
  }
  for (const p of Object.keys(params)) {
    if (!inRoute.includes(p)) throw new Error(`httpRoute ${name}: parameter ${p} is not in the route`);
  }
  registry.set(name, {
    name,
    route: options.route,
    authLevel: options.authLevel,
    params,
    operations: options.operations,
  });
  app.http(name, {
    methods,
    authLevel: options.authLevel,
    route: options.route,
    handler: options.handler,
  });
}

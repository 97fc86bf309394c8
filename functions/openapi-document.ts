/**
 * The OpenAPI 3.1 document of the HTTP API, built from the route registry (functions/http-routes.ts): every
 * described route and method with its path and query parameters, body, answers and errors. Schemas come from
 * the zod schemas the routes validate with, converted by zod's own `z.toJSONSchema` (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1): request schemas as their input side (what a caller sends), answers as their output
 * side. Named schemas go under `components.schemas` and are referenced wherever they are used.
 */
import { z } from 'zod';
import { VERSION } from '../shared/version';
import {
  describedRoutes,
  type ErrorStatus,
  type OperationDoc,
  type RouteDoc,
  type SchemaRef,
} from './http-routes';

/** host.json's route prefix (the default: host.json does not set one). */
export const ROUTE_PREFIX = 'api';

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: Json;
  tags: { name: string }[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: 'The request is malformed: `error.code` names the problem, `error.message` the parameter.',
  404: 'Not found.',
  409: 'The current state does not allow the request.',
  413: 'The request is too large.',
  422: 'Understood, but not something the service can do.',
  429: 'Too many requests: try again after `retry-after` seconds.',
  503: 'A dependency (Microsoft Graph, storage, the queue) did not answer: try again (`retry-after` when known).',
};

/** The error answer with the codes a status can carry. */
function errorSchema(codes: string[]): z.ZodType {
  const [first, ...rest] = codes;
  return z.strictObject({
    error: z.strictObject({
      code: first === undefined ? z.string() : z.enum([first, ...rest]),
      message: z.string().meta({ description: 'What is wrong, for a person; names the parameter.' }),
    }),
  });
}

function clean(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function toJson(schema: z.ZodType, io: 'input' | 'output'): Json {
  return clean(z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }));
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Collects named schemas per direction; `ref` answers the $ref to use. */
class Components {
  private readonly registries = { input: z.registry<{ id: string }>(), output: z.registry<{ id: string }>() };
  private readonly names = new Map<string, { schema: z.ZodType; io: 'input' | 'output' }>();

  ref(s: SchemaRef, io: 'input' | 'output', fallbackName: string): Json {
    const { schema, name } = 'schema' in s && 'name' in s ? s : { schema: s, name: fallbackName };
    const registry = this.registries[io];
    const existing = registry.get(schema)?.id;
    if (existing !== undefined) return { $ref: `#/components/schemas/${existing}` };
    let id = name;
    const taken = this.names.get(id);
    if (taken !== undefined) {
      if (taken.schema !== schema) {
        if (io === 'input' && taken.io === 'output' && !this.names.has(`${name}Input`)) id = `${name}Input`;
        else throw new Error(`OpenAPI: two different schemas are both named ${name}`);
      }
    }
    this.names.set(id, { schema, io });
    registry.add(schema, { id });
    return { $ref: `#/components/schemas/${id}` };
  }

  schemas(): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const io of ['input', 'output'] as const) {
      const converted = z.toJSONSchema(this.registries[io], {
        io,
        unrepresentable: 'any',
        target: 'draft-2020-12',
        uri: (id) => `#/components/schemas/${id}`,
      }) as { schemas: Record<string, Json> };
      for (const [id, schema] of Object.entries(converted.schemas)) out[id] = clean(schema);
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }
}

function operationIdOf(route: RouteDoc, method: string, op: OperationDoc): string {
  if (op.operationId !== undefined) return op.operationId;
  return Object.keys(route.operations).length === 1
    ? route.name
    : `${method.toLowerCase()}${capitalise(route.name)}`;
}

function isOptional(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

function buildOperation(route: RouteDoc, method: string, op: OperationDoc, components: Components): Json {
  const operationId = operationIdOf(route, method, op);
  const parameters: Json[] = [];
  for (const [name, p] of Object.entries(route.params)) {
    const { description, schema } = typeof p === 'string' ? { description: p, schema: undefined } : p;
    parameters.push({
      name,
      in: 'path',
      required: true,
      description,
      schema: schema === undefined ? { type: 'string' } : toJson(schema, 'input'),
    });
  }
  if (op.query !== undefined) {
    for (const [name, field] of Object.entries(op.query.shape)) {
      const { description, ...schema } = toJson(field, 'input');
      parameters.push({
        name,
        in: 'query',
        required: !isOptional(field),
        ...(typeof description === 'string' ? { description } : {}),
        schema,
      });
    }
  }

  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    if (r === undefined) continue;
    const content: Json | undefined =
      r.schema !== undefined
        ? {
            'application/json': {
              schema: components.ref(r.schema, 'output', `${capitalise(operationId)}Response`),
            },
          }
        : r.mediaType !== undefined
          ? { [r.mediaType]: { schema: { type: 'string' } } }
          : undefined;
    responses[status] = {
      description: r.description,
      ...(r.headers !== undefined
        ? {
            headers: Object.fromEntries(
              Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]),
            ),
          }
        : {}),
      ...(content !== undefined ? { content } : {}),
    };
  }
  const errors = new Map<number, Set<string>>();
  const addError = (status: number, codes: string[]) => {
    const set = errors.get(status) ?? new Set<string>();
    for (const c of codes) set.add(c);
    errors.set(status, set);
  };
  if (op.query !== undefined || op.body !== undefined) addError(400, ['invalidParameter']);
  if (op.body !== undefined) addError(400, ['invalidJson']);
  for (const [status, codes] of Object.entries(op.errors ?? {})) addError(Number(status), codes ?? []);
  for (const [status, codes] of [...errors].sort(([a], [b]) => a - b)) {
    const list = [...codes];
    responses[String(status)] = {
      description: `${ERROR_TEXT[status as ErrorStatus] ?? 'Error.'} Codes: ${list.map((c) => `\`${c}\``).join(', ')}.`,
      ...(status === 503 || status === 429
        ? { headers: { 'retry-after': { description: 'Seconds to wait.', schema: { type: 'string' } } } }
        : {}),
      content: { 'application/json': { schema: toJson(errorSchema(list), 'output') } },
    };
  }
  if (route.authLevel !== 'anonymous') {
    responses['401'] = {
      description:
        'The function key is missing or wrong: send it as the `x-functions-key` header (or `?code=`). ' +
        'The Functions host answers this before the function runs, with an empty body.',
    };
  }

  return {
    operationId,
    summary: op.summary,
    ...(op.description !== undefined ? { description: op.description } : {}),
    tags: op.tags,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body !== undefined
      ? {
          requestBody: {
            required: op.body.required ?? true,
            ...(op.body.description !== undefined ? { description: op.body.description } : {}),
            content: {
              'application/json': {
                schema: components.ref(op.body.schema, 'input', `${capitalise(operationId)}Request`),
              },
            },
          },
        }
      : {}),
    responses,
    security: route.authLevel === 'anonymous' ? [] : [{ functionKey: [] }, { functionKeyQuery: [] }],
  };
}

/** The document for `routes` (default: every route registered so far). */
export function buildOpenApiDocument(routes: RouteDoc[] = describedRoutes()): OpenApiDocument {
  const components = new Components();
  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  for (const route of routes) {
    const path = `/${ROUTE_PREFIX}/${route.route.replace(/\{\*?([A-Za-z0-9_]+)[^}]*\}/g, '{$1}')}`;
    const item = (paths[path] ??= {});
    for (const [method, op] of Object.entries(route.operations)) {
      if (op === undefined) continue;
      const key = method.toLowerCase();
      if (item[key] !== undefined) throw new Error(`OpenAPI: ${method} ${path} is described twice`);
      for (const t of op.tags) tags.add(t);
      item[key] = buildOperation(route, method, op, components);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Meeting Migration Service API',
      version: VERSION,
      summary: 'Rewrites the online-meeting block of users’ future meetings when their conferencing changes.',
      description:
        'The admin API of the open-source Meeting Migration Service (an alternative to Microsoft’s MMS), ' +
        'with the Graph webhook endpoints it serves. Admin routes need the function key. Errors answer ' +
        '`{ "error": { "code", "message" } }` with a 4xx or 503 status.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [...tags].sort().map((name) => ({ name })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: components.schemas(),
      securitySchemes: {
        functionKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-functions-key',
          description: 'The function key (Azure portal → Function App → App keys; locally `local-dev-key`).',
        },
        functionKeyQuery: {
          type: 'apiKey',
          in: 'query',
          name: 'code',
          description: 'The function key as a query parameter (prefer the header: URLs end up in logs).',
        },
      },
    },
  };
}

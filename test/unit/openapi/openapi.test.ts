/**
 * GET /api/openapi.json: the document is valid OpenAPI 3.1 (checked with @seriousme/openapi-schema-validator,
 * which validates against the official OpenAPI 3.1 schema, offline) and lists exactly the HTTP functions the
 * app registers (as the Functions host indexes them: dist/functions/index.js through the @azure/functions-core
 * stand-in), each method with its parameters, body and answers. A function registered with `app.http` instead
 * of `httpRoute` (functions/http-routes.ts) is undescribed and fails here.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020';
import {
  loadFunctionAppRegistrations,
  toInventoryEntry,
  type RegisteredFunction,
} from '../../../dev/host/stubs/@azure/functions-core';
import { describedRoutes, routeParams, type RouteDoc } from '../../../functions/http-routes';
import {
  buildOpenApiDocument,
  ROUTE_PREFIX,
  type OpenApiDocument,
} from '../../../functions/openapi-document';
import { migrationStatusSchema } from '../../../shared/domain/status';

const ROOT = join(__dirname, '..', '..', '..', '..');

type Json = Record<string, unknown>;

let registrations: RegisteredFunction[];
let doc: OpenApiDocument;

before(() => {
  registrations = loadFunctionAppRegistrations(join(ROOT, 'dist', 'functions', 'index.js'));
  doc = buildOpenApiDocument();
});

/** `METHOD /api/route` of every HTTP function in `regs`. */
function registeredOperations(regs: RegisteredFunction[]): string[] {
  return regs
    .map((r) => toInventoryEntry(r.metadata))
    .filter((e) => e.triggerType === 'httpTrigger')
    .flatMap((e) => (e.methods ?? []).map((m) => `${m} /${ROUTE_PREFIX}/${e.route ?? e.name}`))
    .sort();
}

function documentedOperations(d: OpenApiDocument): string[] {
  return Object.entries(d.paths)
    .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

/** What is wrong with the registry against the registrations: undescribed functions and mismatches. */
function coverageViolations(regs: RegisteredFunction[], routes: RouteDoc[]): string[] {
  const out: string[] = [];
  for (const r of regs) {
    const e = toInventoryEntry(r.metadata);
    if (e.triggerType !== 'httpTrigger') continue;
    const d = routes.find((x) => x.name === e.name);
    if (d === undefined) {
      out.push(
        `HTTP function ${e.name} is not described: register it with httpRoute (functions/http-routes.ts)`,
      );
      continue;
    }
    if (d.route !== e.route) out.push(`${e.name}: described route ${d.route}, registered ${e.route ?? ''}`);
    if (d.authLevel !== e.authLevel)
      out.push(`${e.name}: described auth ${d.authLevel}, registered ${e.authLevel ?? ''}`);
    const described = Object.keys(d.operations).sort().join(',');
    const methods = [...(e.methods ?? [])].sort().join(',');
    if (described !== methods) out.push(`${e.name}: described methods ${described}, registered ${methods}`);
  }
  return out;
}

function operations(d: OpenApiDocument): [string, Json][] {
  return Object.entries(d.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([m, op]): [string, Json] => [`${m.toUpperCase()} ${path}`, op]),
  );
}

describe('OpenAPI document (GET /api/openapi.json)', () => {
  it('is a valid OpenAPI 3.1 document (official schema, @seriousme/openapi-schema-validator)', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.deepEqual(result, { valid: true });
    assert.equal(validator.version, '3.1');
  });

  it('the validator is not a rubber stamp: a broken document fails', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    // A parameter in a place OpenAPI 3.1 does not have (Swagger 2's `in: body`).
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, Json>> };
    const op = broken.paths['/api/migrations/{identity}']?.get as { parameters: Json[] };
    (op.parameters[0] as Json).in = 'body';
    const result = await new Validator().validate(broken);
    assert.equal(result.valid, false);
  });

  it('lists exactly the HTTP functions the app registers, every method of each', () => {
    const registered = registeredOperations(registrations);
    assert.ok(registered.length >= 17, `only ${registered.length} HTTP operations registered?`);
    assert.deepEqual(documentedOperations(doc), registered);
    assert.deepEqual(coverageViolations(registrations, describedRoutes()), []);
  });

  it('catches a function registered with app.http instead of httpRoute', () => {
    const fixture = loadFunctionAppRegistrations(join(__dirname, 'fixtures', 'undescribed-app.js'));
    assert.deepEqual(coverageViolations(fixture, describedRoutes()), [
      'HTTP function fixtureUndescribed is not described: register it with httpRoute (functions/http-routes.ts)',
    ]);
    const fixtureDoc = buildOpenApiDocument(describedRoutes().filter((r) => r.name.startsWith('fixture')));
    assert.notDeepEqual(documentedOperations(fixtureDoc), registeredOperations(fixture));
  });

  it('describes every operation: summary, tags, every path and query parameter, answers, errors, auth', () => {
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const [where, op] of operations(doc)) {
      const id = op.operationId as string;
      if (ids.has(id)) problems.push(`${where}: operationId ${id} used twice`);
      ids.add(id);
      if (typeof op.summary !== 'string' || op.summary.length < 10) problems.push(`${where}: no summary`);
      if (!Array.isArray(op.tags) || op.tags.length === 0) problems.push(`${where}: no tag`);
      const params = (op.parameters ?? []) as Json[];
      for (const p of params) {
        if (typeof p.description !== 'string' || p.description === '') {
          problems.push(`${where}: parameter ${String(p.name)} has no description`);
        }
      }
      const path = where.split(' ')[1] ?? '';
      for (const name of routeParams(path)) {
        if (!params.some((p) => p.in === 'path' && p.name === name))
          problems.push(`${where}: {${name}} missing`);
      }
      const responses = op.responses as Record<string, Json>;
      if (!Object.keys(responses).some((s) => /^2/.test(s))) problems.push(`${where}: no success answer`);
      for (const [status, r] of Object.entries(responses)) {
        if (/^[45]/.test(status) && status !== '401') {
          const schema = (r.content as Record<string, { schema: Json }> | undefined)?.['application/json']
            ?.schema;
          if (schema === undefined) problems.push(`${where}: ${status} has no error schema`);
        }
      }
      const anonymous = Array.isArray(op.security) && op.security.length === 0;
      if (!anonymous && responses['401'] === undefined) problems.push(`${where}: keyed but no 401`);
      if (('requestBody' in op || params.some((p) => p.in === 'query')) && responses['400'] === undefined) {
        problems.push(`${where}: takes input but documents no 400`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('admin routes need the function key; only health, the webhooks, this document and the dashboard are anonymous', () => {
    const anonymous = operations(doc)
      .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
      .map(([where]) => where.split(' ')[1] ?? '');
    for (const path of anonymous) {
      assert.match(path, /^\/api\/(health|notifications(\/lifecycle)?|openapi\.json|dashboard(\/.*)?)$/);
    }
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['functionKey', 'functionKeyQuery']);
  });

  it('schemas come from the zod schemas the routes validate with: the query, the body and the answer', () => {
    const list = doc.paths['/api/migrations']?.get as Json;
    const names = (list.parameters as Json[]).map((p) => p.name);
    assert.deepEqual(names, [
      'summaryOnly',
      'userId',
      'state',
      'migrationType',
      'startTime',
      'endTime',
      'pageSize',
      'continuationToken',
    ]);
    const start = doc.paths['/api/migrations']?.post as Json;
    assert.deepEqual(start.requestBody, {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/StartMigrationRequest' } } },
    });
    const body = doc.components.schemas.StartMigrationRequest as Json;
    assert.deepEqual(body.required, ['identity']);
    assert.equal(body.additionalProperties, false, 'the body schema is strict, as the route is');

    // The documented MigrationStatus accepts a real record and refuses one with a field missing or added.
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ components: doc.components }, 'doc');
    const validate = ajv.compile({ $ref: 'doc#/components/schemas/MigrationStatus' });
    const now = new Date().toISOString();
    const record = migrationStatusSchema.parse({
      userId: 'u1',
      userPrincipalName: 'adele@contoso.com',
      state: 'Pending',
      migrationType: 'ToSameType',
      retryCount: 0,
      lastMessage: '',
      totalMeeting: 0,
      succeededMeeting: 0,
      failedMeeting: 0,
      invitesUpdate: 0,
      correlationId: 'c1',
      createDate: now,
      modifiedDate: now,
      trigger: 'manualStart',
      triggers: ['manualStart'],
      sourceMeetingType: 'All',
      targetMeetingType: 'Current',
      notBefore: now,
      startDate: null,
      endDate: null,
      skippedMeeting: 0,
      skipReasons: {},
      failureCodes: {},
      progress: null,
      lastMessageCode: 'queued',
      followUp: null,
    });
    assert.equal(validate(record), true, JSON.stringify(validate.errors));
    const { lastMessage: _dropped, ...missing } = record;
    assert.equal(validate(missing), false);
    assert.equal(validate({ ...record, extra: 1 }), false);
  });

  it('errors are documented with their codes as `{ error: { code, message } }`', () => {
    const status = doc.paths['/api/migrations/{identity}']?.get as { responses: Record<string, Json> };
    const notFound = status.responses['404'] as { content: Record<string, { schema: Json }> };
    const schema = notFound.content['application/json']?.schema as {
      properties: { error: { properties: { code: Json } } };
    };
    assert.deepEqual(schema.properties.error.properties.code, {
      type: 'string',
      enum: ['userNotFound', 'migrationNotFound'],
    });
  });
});

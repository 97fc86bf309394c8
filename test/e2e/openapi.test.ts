/**
 * GET /api/openapi.json on the local host (`npm start` as a black box): served anonymously, valid OpenAPI 3.1,
 * and true: real answers of the running service (successes and errors) validate against the schemas the
 * document gives for their route, method and status (JSON Schema 2020-12 with ajv; objects are closed, so a
 * field the document does not name fails too).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import { seedUser } from '../../dev/sandbox/seed';
import { hasMailbox } from '../../dev/sandbox/tenant';
import { startLocalHost, type LocalHost } from '../support/local-host';

type Json = Record<string, unknown>;
interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, Json> }>>;
  components: Json;
}

let local: LocalHost;
let doc: Doc;
let ajv: Ajv2020;
const checked = new Set<string>();

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

before(async () => {
  local = await startLocalHost(['--users', '6', '--meetings', '3', '--seed', '11'], {
    env: { MIGRATION_DELAY_SECONDS: '0' },
    readyTimeoutMs: 120_000,
    tmpPrefix: 'mms-e2e-openapi-',
  });
  const res = await fetch(`${local.apiUrl}/api/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  doc = (await res.json()) as Doc;
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ components: doc.components }, 'doc');
});

after(async () => {
  await local?.stop();
});

/** The schema the document gives for this answer (route template, method, status), compiled. */
function schemaFor(method: string, template: string, status: number): ValidateFunction {
  const op = doc.paths[`/api/${template}`]?.[method.toLowerCase()];
  assert.ok(op, `${method} /api/${template} is documented`);
  const response = op.responses[String(status)] as { content?: Record<string, { schema: Json }> } | undefined;
  assert.ok(response, `${method} /api/${template} documents status ${status}`);
  const schema = response.content?.['application/json']?.schema;
  assert.ok(schema, `${method} /api/${template} ${status} has a JSON schema`);
  const rewritten = JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'),
  ) as Json;
  return ajv.compile(rewritten);
}

/** Calls the API and checks the answer against the document; answers the body. */
async function call(
  method: string,
  template: string,
  path: string,
  expected: number,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${local.apiUrl}/api/${path}`, {
    method,
    headers: { 'x-functions-key': local.functionKey, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.equal(res.status, expected, `${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
  const json: unknown = JSON.parse(text);
  const validate = schemaFor(method, template, expected);
  assert.ok(
    validate(json),
    `${method} ${path} ${expected} does not match the document: ${JSON.stringify(validate.errors, null, 1)}\n${text.slice(0, 1000)}`,
  );
  checked.add(`${method} ${template} ${expected}`);
  return json;
}

describe('OpenAPI document on the local host', () => {
  it('is served anonymously and is valid OpenAPI 3.1', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    assert.deepEqual(await new Validator().validate(structuredClone(doc) as unknown as Json), {
      valid: true,
    });
  });

  it('real answers match the documented schemas: records, pages, summary, results, settings, bridges, dial-in, errors', async () => {
    const listed = (await (await fetch(`${local.graphUrl}/_sandbox/users`)).json()) as { value: unknown[] };
    const users = seedUser.array().parse(listed.value);
    const user = users.find(hasMailbox) ?? users[0];
    assert.ok(user);
    const started = (await call('POST', 'migrations', 'migrations', 202, {
      identity: user.userPrincipalName,
    })) as { userId: string };
    const id = encodeURIComponent(started.userId);
    let state = '';
    for (let i = 0; i < 120 && state !== 'Succeeded' && state !== 'Failed'; i++) {
      await sleep(500);
      state = ((await call('GET', 'migrations/{identity}', `migrations/${id}`, 200)) as { state: string })
        .state;
    }
    assert.match(state, /^(Succeeded|Failed)$/);

    await call('GET', 'health', 'health', 200);
    await call('GET', 'migrations', 'migrations', 200);
    await call('GET', 'migrations', 'migrations?summaryOnly', 200);
    await call('GET', 'migrations', 'migrations?pageSize=1', 200);
    await call('GET', 'migrations/{identity}/meetings', `migrations/${id}/meetings?pageSize=2`, 200);
    await call('GET', 'settings/migration', 'settings/migration', 200);
    await call('PATCH', 'settings/migration', 'settings/migration', 200, { meetingMigrationEnabled: true });
    await call('GET', 'settings/dial-in', 'settings/dial-in', 200);
    await call('GET', 'bridges', 'bridges', 200);
    await call('GET', 'users/{identity}/dial-in', `users/${id}/dial-in`, 200);

    await call('GET', 'migrations/{identity}', 'migrations/nobody%40contoso.example', 404);
    await call('GET', 'migrations', 'migrations?colour=blue', 400);
    await call('POST', 'migrations', 'migrations', 400, { identity: user.userPrincipalName, extra: 1 });
    await call('PUT', 'users/{identity}/homing', `users/${id}/homing`, 200, { location: 'online' });
    await call('PUT', 'users/{identity}/homing', `users/${id}/homing`, 400, { location: 'cloud' });
    await call('PATCH', 'settings/dial-in', 'settings/dial-in', 400, {
      automaticallyMigrateUserMeetings: 'yes',
    });
    assert.ok(checked.size >= 15, [...checked].join('\n'));
  });

  it('the documented 401 is what a call without the key gets; the webhook handshake answers text/plain', async () => {
    const op = doc.paths['/api/migrations']?.get;
    assert.ok(op?.responses['401']);
    const res = await fetch(`${local.apiUrl}/api/migrations`);
    assert.equal(res.status, 401);

    const hook = doc.paths['/api/notifications']?.post;
    assert.ok(hook?.responses['200']?.content && 'text/plain' in (hook.responses['200'].content as Json));
    const handshake = await fetch(`${local.apiUrl}/api/notifications?validationToken=abc%20123`, {
      method: 'POST',
    });
    assert.equal(handshake.status, 200);
    assert.match(handshake.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await handshake.text(), 'abc 123');
  });
});

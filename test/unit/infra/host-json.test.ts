/**
 * host.json validates against the SchemaStore host.json schema (vendored: infra/schemas/host.schema.json, with its
 * provenance in infra/schemas/README.md), and local.settings.sample.json has the shape the Functions tools read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv-draft-04';
import { SETTINGS } from '../../../shared/config';
import { ROOT } from './iac';

const schemaFile = join(ROOT, 'infra', 'schemas', 'host.schema.json');

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

function compile(): ValidateFunction {
  // The vendored copy is draft-04 (its "$schema"); ajv-draft-04 is ajv 8 for that dialect.
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(readJson(schemaFile) as object);
}

function hostJson(): Record<string, unknown> {
  return readJson(join(ROOT, 'host.json')) as Record<string, unknown>;
}

describe('host.json', () => {
  it('the vendored schema records where it came from', () => {
    const schema = readJson(schemaFile) as { $schema?: string; id?: string; title?: string };
    assert.equal(schema.$schema, 'http://json-schema.org/draft-04/schema#');
    assert.equal(schema.id, 'https://json.schemastore.org/host.json');
    const provenance = readFileSync(join(ROOT, 'infra', 'schemas', 'README.md'), 'utf8');
    assert.match(provenance, /SchemaStore\/schemastore/);
    assert.match(provenance, /src\/schemas\/json\/host\.json/);
    assert.match(provenance, /[0-9a-f]{40}/, 'commit id');
    assert.match(provenance, /\d{4}-\d{2}-\d{2}/, 'date');
  });

  it('validates against the SchemaStore schema', () => {
    const validate = compile();
    const ok = validate(hostJson());
    assert.ok(ok, `host.json: ${JSON.stringify(validate.errors?.slice(0, 10), null, 2)}`);
  });

  it('the schema check has teeth: a typo, a bad duration and an unknown Service Bus option all fail', () => {
    const validate = compile();
    const cases: [string, (h: Record<string, unknown>) => void][] = [
      ['typo at the top level', (h) => (h.functionTimout = '00:10:00')],
      ['duration "5m"', (h) => (h.functionTimeout = '5m')],
      [
        'unknown serviceBus option',
        (h) => {
          const ext = h.extensions as { serviceBus: Record<string, unknown> };
          ext.serviceBus.maxConcurrentSesions = 8;
        },
      ],
      ['version 3.0', (h) => (h.version = '3.0')],
    ];
    for (const [what, mutate] of cases) {
      const h = hostJson();
      mutate(h);
      assert.equal(validate(h), false, what);
    }
  });

  it('fits the service: v2, extension bundle 4.x, Service Bus 5.x settings, lock renewal covers the timeout', () => {
    const h = hostJson() as {
      version: string;
      functionTimeout?: string;
      extensionBundle?: { id: string; version: string };
      extensions?: { serviceBus?: Record<string, unknown> };
    };
    assert.equal(h.version, '2.0');
    assert.equal(h.extensionBundle?.id, 'Microsoft.Azure.Functions.ExtensionBundle');
    assert.match(h.extensionBundle?.version ?? '', /^\[4\.\*, 5\.0\.0\)$/);
    // Flex Consumption allows long executions, but a migration must stop within its lock renewal window.
    const sb = h.extensions?.serviceBus ?? {};
    assert.equal(sb.maxAutoLockRenewalDuration, h.functionTimeout);
    assert.equal(sb.autoCompleteMessages, true);
    assert.equal(typeof sb.maxConcurrentSessions, 'number');
  });
});

describe('local.settings.sample.json', () => {
  const sample = readJson(join(ROOT, 'local.settings.sample.json')) as {
    IsEncrypted?: unknown;
    Values?: Record<string, unknown>;
  };

  it('has the shape the Functions tools read: IsEncrypted false, Values of strings', () => {
    assert.equal(sample.IsEncrypted, false);
    assert.ok(sample.Values && typeof sample.Values === 'object');
    for (const [k, v] of Object.entries(sample.Values)) assert.equal(typeof v, 'string', k);
    assert.equal(sample.Values.FUNCTIONS_WORKER_RUNTIME, 'node');
  });

  it('lists every setting of shared/config.ts SETTINGS', () => {
    const missing = SETTINGS.map((s) => s.name).filter((n) => !(n in (sample.Values ?? {})));
    assert.deepEqual(missing, []);
  });
});

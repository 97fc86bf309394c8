import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, SETTINGS } from '../../shared/config';

const base = { TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', QUEUE_TRANSPORT: 'embedded' };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected loadConfig to throw');
}

describe('config', () => {
  it('applies defaults for a minimal local configuration', () => {
    const c = loadConfig(base);
    assert.deepEqual(c.tables, { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
    assert.equal(c.tablesPrefix, 'mms');
    assert.deepEqual(c.queue, { kind: 'embedded' });
    assert.equal(c.graph.baseUrl, 'https://graph.microsoft.com');
    assert.deepEqual(c.graph.credential, { kind: 'managedIdentity' });
    assert.equal(c.mailboxConcurrency, 4);
    assert.equal(c.migrationMaxRetries, 9);
    assert.deepEqual(c.audioConferencingPlanIds, ['3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40']);
  });

  it('prefers the identity-based table endpoint and Service Bus namespace when present', () => {
    const c = loadConfig({
      TABLES_ENDPOINT: 'https://acct.table.core.windows.net/',
      ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
      AZURE_CLIENT_ID: 'abc',
    });
    assert.deepEqual(c.tables, { kind: 'endpoint', endpoint: 'https://acct.table.core.windows.net' });
    assert.deepEqual(c.queue, { kind: 'serviceBus', fullyQualifiedNamespace: 'ns.servicebus.windows.net' });
    assert.deepEqual(c.graph.credential, { kind: 'managedIdentity', clientId: 'abc' });
  });

  it('names the missing setting', () => {
    assert.equal(errorOf({ QUEUE_TRANSPORT: 'embedded' }).setting, 'TABLES_ENDPOINT');
    assert.equal(
      errorOf({ TABLES_CONNECTION_STRING: 'x' }).setting,
      'ServiceBusConnection__fullyQualifiedNamespace',
    );
    const e = errorOf({ ...base, GRAPH_CREDENTIAL: 'clientSecret', GRAPH_TENANT_ID: 't' });
    assert.equal(e.setting, 'GRAPH_CLIENT_ID');
    assert.match(e.message, /GRAPH_CLIENT_ID/);
  });

  it('names the malformed setting and what it should be', () => {
    assert.equal(errorOf({ ...base, MAILBOX_CONCURRENCY: '5' }).setting, 'MAILBOX_CONCURRENCY');
    assert.match(errorOf({ ...base, MIGRATION_DELAY_SECONDS: 'soon' }).message, /whole number/);
    assert.equal(errorOf({ ...base, GRAPH_BASE_URL: 'http://graph.example' }).setting, 'GRAPH_BASE_URL');
    assert.equal(errorOf({ ...base, QUEUE_TRANSPORT: 'rabbit' }).setting, 'QUEUE_TRANSPORT');
    assert.equal(errorOf({ ...base, TABLES_PREFIX: '1bad' }).setting, 'TABLES_PREFIX');
    assert.equal(errorOf({ ...base, GRAPH_CLIENT_STATE: 'x'.repeat(129) }).setting, 'GRAPH_CLIENT_STATE');
    assert.equal(
      errorOf({ ...base, AUDIO_CONFERENCING_PLAN_IDS: 'not-a-guid' }).setting,
      'AUDIO_CONFERENCING_PLAN_IDS',
    );
    assert.equal(errorOf({ ...base, GRAPH_CREDENTIAL: 'password' }).setting, 'GRAPH_CREDENTIAL');
  });

  it('local.settings.sample.json lists every setting the app reads, and its values load', () => {
    const root = join(__dirname, '..', '..', '..');
    const sample = JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    for (const s of SETTINGS)
      assert.ok(s.name in sample.Values, `${s.name} missing from local.settings.sample.json`);
    const c = loadConfig(sample.Values);
    assert.equal(c.graph.credential.kind, 'sandbox');
  });
});

/**
 * A Key Vault reference App Service could not resolve reaches the app as its literal text. The configuration
 * refuses it, naming the setting, instead of starting with "@Microsoft.KeyVault(...)" as, say, the clientState.
 */
const REFERENCE = '@Microsoft.KeyVault(VaultName=kv-mms-abc;SecretName=graph-client-state)';

describe('config: unresolved Key Vault references', () => {
  it('rejects GRAPH_CLIENT_STATE that still reads @Microsoft.KeyVault(, naming the setting and the cause', () => {
    const e = errorOf({ ...base, GRAPH_CLIENT_STATE: REFERENCE });
    assert.equal(e.setting, 'GRAPH_CLIENT_STATE');
    assert.match(e.message, /unresolved Key Vault reference/);
    assert.match(e.message, /keyVaultReferenceIdentity/);
    assert.ok(!e.message.includes('kv-mms-abc'), 'the message does not echo the reference');
  });

  it('rejects it in any setting, whatever the case and surrounding spaces', () => {
    assert.equal(
      errorOf({ ...base, GRAPH_CLIENT_SECRET: `  ${REFERENCE.toLowerCase()} ` }).setting,
      'GRAPH_CLIENT_SECRET',
    );
    assert.equal(
      errorOf({ ...base, NOTIFICATION_URL: '@MICROSOFT.KEYVAULT(SecretUri=x)' }).setting,
      'NOTIFICATION_URL',
    );
  });

  it('accepts a resolved secret, even one that mentions Key Vault later in its text', () => {
    const config = loadConfig({ ...base, GRAPH_CLIENT_STATE: 'resolved-secret @Microsoft.KeyVault(' });
    assert.equal(config.clientState, 'resolved-secret @Microsoft.KeyVault(');
  });
});

describe('README', () => {
  const root = join(__dirname, '..', '..', '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it('documents every setting in its Settings table', () => {
    for (const s of SETTINGS)
      assert.ok(readme.includes(`| \`${s.name}\` | ${s.need} |`), `${s.name} missing from README`);
  });

  it('gives the two commands: run locally, run the tests', () => {
    assert.match(readme, /npm ci && npm start/);
    assert.match(readme, /npm ci && npm test/);
  });
});

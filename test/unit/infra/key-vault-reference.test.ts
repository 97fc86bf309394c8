/**
 * A Key Vault reference App Service could not resolve reaches the app as its literal text. The configuration
 * refuses it, naming the setting, instead of starting with "@Microsoft.KeyVault(...)" as, say, the clientState.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../shared/config';

const base = { TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', QUEUE_TRANSPORT: 'embedded' };
const REFERENCE = '@Microsoft.KeyVault(VaultName=kv-mms-abc;SecretName=graph-client-state)';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected loadConfig to throw');
}

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

/**
 * getInfrastructure (shared/services/infrastructure.ts): built lazily, once per process; parts replaceable in
 * tests; the queue publisher obtained at first use, so the local host's shared embedded queue — shared after the
 * bundle may already exist — is the one the services publish to.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../shared/config';
import { EmbeddedQueue } from '../../../shared/queue/embedded';
import { shareEmbeddedQueue } from '../../../shared/queue/factory';
import {
  getInfrastructure,
  resetInfrastructureForTests,
  setInfrastructureForTests,
} from '../../../shared/services/infrastructure';

const config = loadConfig({
  TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  QUEUE_TRANSPORT: 'embedded',
  GRAPH_CREDENTIAL: 'sandbox',
  GRAPH_BASE_URL: 'https://127.0.0.1:9',
});

describe('infrastructure', () => {
  after(() => {
    shareEmbeddedQueue(undefined);
    resetInfrastructureForTests();
  });

  it('is built once and shared', () => {
    setInfrastructureForTests({ config });
    const a = getInfrastructure();
    assert.equal(getInfrastructure(), a);
    assert.ok(a.repositories.status && a.repositories.ledger && a.repositories.profiles);
    assert.ok(a.graph.calendar && a.graph.directory);
    assert.match(a.newId(), /^[0-9a-f-]{36}$/);
    assert.ok(a.clock() instanceof Date);
  });

  it('takes the queue at first use: a queue shared after the bundle was built is the one used', async () => {
    setInfrastructureForTests({ config });
    const infra = getInfrastructure();
    const shared = new EmbeddedQueue();
    shareEmbeddedQueue(shared);
    try {
      assert.equal(infra.queue(), shared);
      assert.equal(infra.queue(), shared, 'then kept');
    } finally {
      shareEmbeddedQueue(undefined);
      await shared.close();
    }
  });

  it('uses the parts a test supplies', () => {
    const fixed = new Date('2026-01-01T00:00:00Z');
    setInfrastructureForTests({ config, clock: () => fixed, newId: () => 'id-1' });
    assert.equal(getInfrastructure().clock(), fixed);
    assert.equal(getInfrastructure().newId(), 'id-1');
  });
});

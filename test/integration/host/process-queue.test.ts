/**
 * The function host and the app share one embedded queue per process: what the service publishes through
 * createQueue(...) reaches the queue triggers the host dispatches.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createProcessQueue, restoreCreateQueue } from '../../../dev/host/process-queue';
import { createQueue } from '../../../shared/queue/factory';

describe('createProcessQueue', () => {
  it('hands the host’s embedded queue to every later createQueue caller, and the host keeps ownership', async () => {
    const hostQueue = createProcessQueue({ queue: { kind: 'embedded' } });
    try {
      const appQueue = createQueue({ queue: { kind: 'embedded' } });
      assert.equal(appQueue.publisher, hostQueue.publisher);
      assert.equal(appQueue.embedded, hostQueue.embedded);

      const received: unknown[] = [];
      const sub = hostQueue.consumer.subscribe('directory-changes', { sessions: false }, (m) => {
        received.push(m.body);
        return Promise.resolve();
      });
      const body = { kind: 'deltaSweep', reason: 'test', requestedAt: new Date().toISOString() };
      await appQueue.publisher.send('directory-changes', { messageId: randomUUID(), body });
      await appQueue.close(); // the app closing its handle must not close the host's queue
      await hostQueue.embedded?.waitForIdle(5_000);
      assert.deepEqual(received, [body]);
      await sub.close();
    } finally {
      restoreCreateQueue();
      await hostQueue.close();
    }
    const fresh = createQueue({ queue: { kind: 'embedded' } });
    assert.notEqual(fresh.publisher, hostQueue.publisher, 'restored: a new queue again');
    await fresh.close();
  });
});

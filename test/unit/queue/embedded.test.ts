import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EmbeddedQueue } from '../../../shared/queue/embedded';
import { createQueue, shareEmbeddedQueue } from '../../../shared/queue/factory';
import { QUEUES } from '../../../shared/queue/port';
import { ServiceBusQueue } from '../../../shared/queue/service-bus';
import type { QueueStore } from '../../../shared/queue/table-store';
import { deltaSweep, migrateUser, queueBehaviourSuite, until } from './behaviour';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);

const MAX_DELIVERY = 4;

queueBehaviourSuite(
  'embedded',
  (options) => {
    const q = new EmbeddedQueue({
      maxDeliveryCount: MAX_DELIVERY,
      redeliveryDelayMs: 1,
      ...(options.deliverTwice ? { deliverTwice: true } : {}),
    });
    return Promise.resolve({
      publisher: q,
      consumer: q,
      sendUnvalidated: (queue, message) => {
        q.sendUnvalidated(queue, message);
        return Promise.resolve();
      },
      deadLetters: (queue) => Promise.resolve(q.deadLetters(queue)),
      maxDeliveryCount: MAX_DELIVERY,
      close: () => q.close(),
    });
  },
  { deliverTwice: true, clockToleranceMs: 0, timeoutMs: 5_000 },
);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('embedded queue specifics', () => {
  after(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('defaults to maxDeliveryCount 10 and honours a per-queue override', async () => {
    const q = new EmbeddedQueue({
      redeliveryDelayMs: 0,
      queues: { 'meeting-migrations': { maxDeliveryCount: 2 } },
    });
    try {
      const counts = { plain: 0, session: 0 };
      q.subscribe(QUEUES.directoryChanges, { sessions: false }, () => {
        counts.plain += 1;
        return Promise.reject(new Error('always'));
      });
      q.subscribe(QUEUES.meetingMigrations, { sessions: true }, () => {
        counts.session += 1;
        throw new Error('sync throw is an abandon too');
      });
      await q.send(QUEUES.directoryChanges, deltaSweep());
      await q.send(QUEUES.meetingMigrations, migrateUser());
      await q.waitForIdle(5_000);
      assert.deepEqual(counts, { plain: 10, session: 2 });
      assert.equal(q.deadLetters(QUEUES.directoryChanges)[0]?.deliveryCount, 10);
      assert.match(
        q.deadLetters(QUEUES.meetingMigrations)[0]?.deadLetterErrorDescription ?? '',
        /sync throw/,
      );
      assert.equal(q.activeCount(QUEUES.directoryChanges), 0);
    } finally {
      await q.close();
    }
  });

  it('counts scheduled messages, and waitForIdle ignores those beyond its horizon', async () => {
    const q = new EmbeddedQueue({ idleHorizonMs: 200 });
    try {
      const got: string[] = [];
      q.subscribe(QUEUES.directoryChanges, { sessions: false }, (m) => {
        got.push(m.messageId);
        return Promise.resolve();
      });
      const far = deltaSweep('far', { scheduledEnqueueTime: new Date(Date.now() + 3_600_000) });
      await q.send(QUEUES.directoryChanges, far);
      assert.equal(q.scheduledCount(QUEUES.directoryChanges), 1);
      assert.equal(q.activeCount(QUEUES.directoryChanges), 0);
      const near = deltaSweep('near', { scheduledEnqueueTime: new Date(Date.now() + 100) });
      await q.send(QUEUES.directoryChanges, near);
      await q.waitForIdle(5_000);
      // The near one was inside the horizon, so idle meant it had been delivered; the far one waits.
      assert.deepEqual(got, [near.messageId]);
      assert.equal(q.scheduledCount(QUEUES.directoryChanges), 1);
      assert.equal(q.activeCount(QUEUES.directoryChanges), 0);
    } finally {
      await q.close();
    }
  });

  it('waitForIdle rejects after its timeout, naming what is pending', async () => {
    const q = new EmbeddedQueue();
    try {
      await q.send(QUEUES.directoryChanges, deltaSweep());
      assert.equal(q.activeCount(QUEUES.directoryChanges), 1);
      await assert.rejects(q.waitForIdle(50), /directory-changes: 1 waiting \(no subscriber\)/);
    } finally {
      await q.close();
    }
  });

  it('forgets a messageId once the duplicate-detection window has passed', async () => {
    const q = new EmbeddedQueue({ duplicateDetectionWindowMs: 100 });
    try {
      let n = 0;
      q.subscribe(QUEUES.directoryChanges, { sessions: false }, () => {
        n += 1;
        return Promise.resolve();
      });
      const m = deltaSweep();
      await q.send(QUEUES.directoryChanges, m);
      await q.send(QUEUES.directoryChanges, m);
      await q.waitForIdle(5_000);
      assert.equal(n, 1);
      await sleep(150);
      await q.send(QUEUES.directoryChanges, m);
      await q.waitForIdle(5_000);
      assert.equal(n, 2);
    } finally {
      await q.close();
    }
  });

  it('keeps an abandoned session message at the head of its session (FIFO survives a retry)', async () => {
    const q = new EmbeddedQueue({ redeliveryDelayMs: 20 });
    try {
      const user = randomUUID();
      const seen: string[] = [];
      let failedOnce = false;
      q.subscribe(QUEUES.meetingMigrations, { sessions: true }, (m) => {
        const seq = m.correlationId ?? '';
        seen.push(`${seq}#${m.deliveryCount}`);
        if (seq === 'first' && !failedOnce) {
          failedOnce = true;
          return Promise.reject(new Error('retry me'));
        }
        return Promise.resolve();
      });
      await q.send(QUEUES.meetingMigrations, migrateUser(user, { correlationId: 'first' }));
      await q.send(QUEUES.meetingMigrations, migrateUser(user, { correlationId: 'second' }));
      await q.waitForIdle(5_000);
      assert.deepEqual(seen, ['first#1', 'first#2', 'second#1']);
    } finally {
      await q.close();
    }
  });

  it('close() waits for handlers in flight, then refuses new work', async () => {
    const q = new EmbeddedQueue();
    let finished = false;
    q.subscribe(QUEUES.directoryChanges, { sessions: false }, async () => {
      await sleep(30);
      finished = true;
    });
    await q.send(QUEUES.directoryChanges, deltaSweep());
    await until(() => q.pending().some((p) => p.includes('in flight')), 'the delivery', 5_000);
    await q.close();
    assert.equal(finished, true);
    await assert.rejects(q.send(QUEUES.directoryChanges, deltaSweep()), /closed/);
    assert.throws(
      () => q.subscribe(QUEUES.directoryChanges, { sessions: false }, () => Promise.resolve()),
      /closed/,
    );
  });

  it('hands the body to the handler as a JSON copy, validated', async () => {
    const q = new EmbeddedQueue();
    try {
      const msg = migrateUser();
      let got: unknown;
      q.subscribe(QUEUES.meetingMigrations, { sessions: true }, (m) => {
        got = m.body;
        return Promise.resolve();
      });
      await q.send(QUEUES.meetingMigrations, msg);
      await q.waitForIdle(5_000);
      assert.deepEqual(got, msg.body);
      assert.notEqual(got, msg.body);
    } finally {
      await q.close();
    }
  });

  it('createQueue picks the adapter from the configuration', async () => {
    const embedded = createQueue({ queue: { kind: 'embedded' } });
    assert.ok(embedded.embedded instanceof EmbeddedQueue);
    assert.equal(embedded.publisher, embedded.consumer);
    await embedded.close();
    const sb = createQueue({
      queue: {
        kind: 'serviceBusConnectionString',
        connectionString:
          'Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=ZmFrZQ==',
      },
    });
    assert.ok(sb.publisher instanceof ServiceBusQueue);
    assert.equal(sb.embedded, undefined);
    await sb.close();
  });

  it('shares one embedded queue with every later createQueue caller when asked', async () => {
    const owner = new EmbeddedQueue();
    shareEmbeddedQueue(owner);
    try {
      const app = createQueue({ queue: { kind: 'embedded' } });
      assert.equal(app.embedded, owner);
      let got = 0;
      owner.subscribe(QUEUES.directoryChanges, { sessions: false }, () => {
        got += 1;
        return Promise.resolve();
      });
      await app.publisher.send(QUEUES.directoryChanges, deltaSweep());
      await app.close(); // the owner's queue stays open
      await owner.waitForIdle(5_000);
      assert.equal(got, 1);
      await owner.send(QUEUES.directoryChanges, deltaSweep());
    } finally {
      shareEmbeddedQueue(undefined);
      await owner.close();
    }
    const fresh = createQueue({ queue: { kind: 'embedded' } });
    assert.notEqual(fresh.embedded, owner);
    await fresh.close();
  });

  it('acknowledges a duplicate no earlier than the message it repeats is stored, and with its outcome', async () => {
    // A store whose writes wait until released, and fail while `failing`.
    let failing = true;
    const held: (() => void)[] = [];
    const stored: string[] = [];
    const store: QueueStore = {
      loadMessages: () => Promise.resolve([]),
      loadDeadLetters: () => Promise.resolve([]),
      loadSeen: () => Promise.resolve(new Map()),
      put: (m) =>
        new Promise<void>((resolve, reject) =>
          held.push(() => {
            if (failing) reject(new Error('storage is down'));
            else {
              stored.push(m.messageId);
              resolve();
            }
          }),
        ),
      remove: () => Promise.resolve(),
      deadLetter: () => Promise.resolve(),
      markSeen: () => Promise.resolve(),
    };
    const q = await EmbeddedQueue.open({ store });
    try {
      const msg = deltaSweep();
      const outcomes: string[] = [];
      const first = q.send(QUEUES.directoryChanges, msg).then(
        () => outcomes.push('first ok'),
        () => outcomes.push('first failed'),
      );
      const second = q.send(QUEUES.directoryChanges, { ...msg }).then(
        () => outcomes.push('duplicate ok'),
        () => outcomes.push('duplicate failed'),
      );
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(outcomes, [], 'neither is acknowledged while the message is not stored');
      for (const release of held.splice(0)) release();
      await Promise.all([first, second]);
      assert.deepEqual(outcomes.sort(), ['duplicate failed', 'first failed']);

      // The sender tries again once storage is back: the message is taken (not dropped as a duplicate).
      failing = false;
      const retry = q.send(QUEUES.directoryChanges, { ...msg });
      const again = q.send(QUEUES.directoryChanges, { ...msg });
      await until(() => held.length === 1, 'the retry to reach the store', 2_000);
      for (const release of held.splice(0)) release();
      await Promise.all([retry, again]);
      assert.deepEqual(stored, [msg.messageId], 'stored once');
      assert.equal(q.activeCount(QUEUES.directoryChanges), 1);
    } finally {
      q.crash();
    }
  });

  it('produced no unhandled rejections', () => {
    assert.deepEqual(unhandled, []);
  });
});

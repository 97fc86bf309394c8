/**
 * The embedded queue on Table Storage (Azurite): the shared behaviour suite every adapter passes, and what only a
 * durable queue can show: a process killed with messages waiting, scheduled, in flight or dead-lettered leaves
 * them in the store, and a queue opened again on it delivers the waiting and scheduled ones, redelivers the one
 * in flight once its lock has expired (deliveryCount + 1, never before), keeps the dead letters, and still drops
 * a duplicate of a message sent before the restart. A burst of sends is group-committed into entity group
 * transactions without losing or doubling anything.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Config } from '../../../shared/config';
import { EmbeddedQueue } from '../../../shared/queue/embedded';
import { QUEUES, type ReceivedMessage } from '../../../shared/queue/port';
import { TableQueueStore } from '../../../shared/queue/table-store';
import { testTables } from '../../support/tables';
import { deltaSweep, migrateUser, queueBehaviourSuite, until } from '../../unit/queue/behaviour';

const MAX_DELIVERY = 4;

queueBehaviourSuite(
  'embedded on Table Storage',
  async (options) => {
    const q = await EmbeddedQueue.open({
      store: new TableQueueStore(testTables('eq')),
      maxDeliveryCount: MAX_DELIVERY,
      redeliveryDelayMs: 1,
      ...(options.deliverTwice ? { deliverTwice: true } : {}),
    });
    return {
      publisher: q,
      consumer: q,
      sendUnvalidated: (queue, message) => q.sendUnvalidatedDurably(queue, message),
      deadLetters: (queue) => Promise.resolve(q.deadLetters(queue)),
      maxDeliveryCount: MAX_DELIVERY,
      close: () => q.close(),
    };
  },
  { deliverTwice: true, clockToleranceMs: 0, timeoutMs: 15_000 },
);

describe('embedded queue on Table Storage: restarts', () => {
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  function open(tables: Pick<Config, 'tables' | 'tablesPrefix'>, lockDurationMs = 800) {
    return EmbeddedQueue.open({
      store: new TableQueueStore(tables),
      maxDeliveryCount: 3,
      redeliveryDelayMs: 1,
      lockDurationMs,
    });
  }

  it('a process killed mid-handler: the restarted queue redelivers the message after its lock expires, not before', async () => {
    const tables = testTables('eqr');
    const first = await open(tables);
    const user = randomUUID();
    const msg = migrateUser(user);
    let started = false;
    first.subscribe(QUEUES.meetingMigrations, { sessions: true }, () => {
      started = true;
      return new Promise<void>(() => undefined); // the worker hangs until the process dies
    });
    await first.send(QUEUES.meetingMigrations, msg);
    await until(() => started, 'the first delivery', 5_000);
    const killedAt = Date.now();
    first.crash();

    const second = await open(tables);
    const got: { m: ReceivedMessage; at: number }[] = [];
    second.subscribe(QUEUES.meetingMigrations, { sessions: true }, (m) => {
      got.push({ m, at: Date.now() });
      return Promise.resolve();
    });
    try {
      await until(() => got.length > 0, 'the redelivery', 10_000);
      assert.equal(got[0]?.m.messageId, msg.messageId);
      assert.equal(got[0]?.m.deliveryCount, 2, 'the lost delivery counts');
      assert.ok((got[0]?.at ?? 0) - killedAt >= 500, 'not before the lock expired');
      await second.waitForIdle(5_000);
    } finally {
      await second.close();
    }
    // Completed: a third process finds nothing.
    const third = await open(tables);
    try {
      assert.equal(third.activeCount(QUEUES.meetingMigrations), 0);
    } finally {
      await third.close();
    }
  });

  it('waiting and scheduled messages, dead letters and duplicate detection survive a restart', async () => {
    const tables = testTables('eqs');
    const first = await open(tables);
    const waiting = deltaSweep();
    const scheduled = deltaSweep(`later ${randomUUID()}`, {
      scheduledEnqueueTime: new Date(Date.now() + 1_500),
    });
    const poison = deltaSweep(`poison ${randomUUID()}`);
    await first.send(QUEUES.directoryChanges, poison);
    first.subscribe(QUEUES.directoryChanges, { sessions: false }, () => Promise.reject(new Error('always')));
    await until(() => first.deadLetters(QUEUES.directoryChanges).length === 1, 'the dead letter', 5_000);
    await first.close();

    const second = await open(tables);
    await second.send(QUEUES.directoryChanges, waiting);
    await second.send(QUEUES.directoryChanges, scheduled);
    second.crash();

    const third = await open(tables);
    const seen: ReceivedMessage[] = [];
    third.subscribe(QUEUES.directoryChanges, { sessions: false }, (m) => {
      seen.push(m);
      return Promise.resolve();
    });
    try {
      assert.equal(third.deadLetters(QUEUES.directoryChanges)[0]?.messageId, poison.messageId);
      assert.match(
        third.deadLetters(QUEUES.directoryChanges)[0]?.deadLetterReason ?? '',
        /MaxDeliveryCountExceeded/,
      );
      await third.send(QUEUES.directoryChanges, waiting); // a duplicate of a message sent before the restart
      await third.send(QUEUES.directoryChanges, poison); // and of one dead-lettered before it
      await until(() => seen.length >= 2, 'both messages', 10_000);
      await sleep(300);
      assert.deepEqual(seen.map((m) => m.messageId).sort(), [waiting.messageId, scheduled.messageId].sort());
      const late = seen.find((m) => m.messageId === scheduled.messageId);
      assert.ok(late && late.enqueuedTime.getTime() >= (scheduled.scheduledEnqueueTime?.getTime() ?? 0));
    } finally {
      await third.close();
    }
  });

  it('a burst of sends is group-committed: each send resolves once stored, none lost, duplicates collapsed', async () => {
    const tables = testTables('eqb');
    const store = new TableQueueStore(tables);
    const first = await EmbeddedQueue.open({ store, redeliveryDelayMs: 1 });
    const distinct = Array.from({ length: 300 }, () => deltaSweep());
    // A quarter of the burst repeats a message of it (Graph's redeliveries), sent at the same moment.
    const burst = [...distinct, ...distinct.slice(0, 100).map((m) => ({ ...m }))];
    let resolved = 0;
    await Promise.all(burst.map((m) => first.send(QUEUES.directoryChanges, m).then(() => (resolved += 1))));
    assert.equal(resolved, burst.length);
    const stats = store.writeStats();
    assert.equal(
      stats.writes,
      distinct.length,
      'one row each: the message is its own duplicate-detection record',
    );
    assert.ok(
      stats.requests <= stats.writes / 5,
      `${stats.writes} row writes took ${stats.requests} requests: they were not batched`,
    );
    // Killed before anything was delivered: every acknowledged send must be in the store.
    first.crash();

    const second = await open(tables);
    const got: string[] = [];
    second.subscribe(QUEUES.directoryChanges, { sessions: false, maxConcurrent: 16 }, (m) => {
      got.push(m.messageId);
      return Promise.resolve();
    });
    try {
      await until(() => got.length >= distinct.length, 'every message', 20_000);
      // Sent again after the restart: still duplicates.
      await Promise.all(distinct.slice(0, 50).map((m) => second.send(QUEUES.directoryChanges, m)));
      await second.waitForIdle(10_000);
      assert.deepEqual([...got].sort(), distinct.map((m) => m.messageId).sort());
    } finally {
      await second.close();
    }
    // Completed messages are deleted from the store (in batches too), and their ids are still seen.
    const third = await open(tables);
    const after: string[] = [];
    third.subscribe(QUEUES.directoryChanges, { sessions: false }, (m) => {
      after.push(m.messageId);
      return Promise.resolve();
    });
    try {
      assert.equal(third.activeCount(QUEUES.directoryChanges), 0);
      await Promise.all(distinct.slice(50, 80).map((m) => third.send(QUEUES.directoryChanges, m)));
      await third.waitForIdle(10_000);
      assert.deepEqual(after, [], 'a completed message sent again after a restart is still a duplicate');
    } finally {
      await third.close();
    }
  });
});

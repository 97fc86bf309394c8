/**
 * The queue port's behaviour, as one suite that any adapter must pass: `queueBehaviourSuite(name, factory)`.
 * Run against the embedded queue (test/unit/queue/embedded.test.ts) and, when SERVICE_BUS_TEST_CONNECTION_STRING
 * is set, against a real Service Bus namespace (test/integration/queue/service-bus.test.ts).
 *
 * Every test works only with messages it created (fresh ids), so leftovers on a shared namespace do not
 * disturb it; handlers complete foreign messages without recording them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MessageValidationError } from '../../../shared/queue/messages';
import {
  QUEUES,
  type OutgoingMessage,
  type QueueConsumer,
  type QueueName,
  type QueuePublisher,
  type ReceivedMessage,
} from '../../../shared/queue/port';

export interface DeadLetterView {
  messageId: string;
  deadLetterReason?: string;
  /** Description plus, where the adapter keeps it elsewhere, the last handler error. */
  deadLetterErrorDescription?: string;
}

export interface QueueHarness {
  publisher: QueuePublisher;
  consumer: QueueConsumer;
  /** Enqueue skipping send-side validation (a foreign or older sender). */
  sendUnvalidated(queue: QueueName, message: OutgoingMessage): Promise<void>;
  deadLetters(queue: QueueName): Promise<DeadLetterView[]>;
  /** The maxDeliveryCount the harness's queues have. */
  maxDeliveryCount: number;
  close(): Promise<void>;
}

export interface HarnessOptions {
  deliverTwice?: boolean;
}

export interface SuiteOptions {
  /** The adapter can deliver every message twice (fault mode). */
  deliverTwice: boolean;
  /** Tolerated clock difference between the broker and this machine, for the scheduled-delivery check. */
  clockToleranceMs: number;
  /** How long to wait for an expected outcome. */
  timeoutMs: number;
}

export function migrateUser(userId = randomUUID(), extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    messageId: randomUUID(),
    sessionId: userId,
    correlationId: randomUUID(),
    body: {
      kind: 'migrateUser',
      userId,
      correlationId: randomUUID(),
      trigger: 'test',
      sourceMeetingType: 'All',
      targetMeetingType: 'Teams',
      requestedAt: new Date().toISOString(),
    },
    ...extra,
  };
}

export function deltaSweep(
  reason = `test ${randomUUID()}`,
  extra: Partial<OutgoingMessage> = {},
): OutgoingMessage {
  return {
    messageId: randomUUID(),
    body: { kind: 'deltaSweep', reason, requestedAt: new Date().toISOString() },
    ...extra,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `condition` holds; fails the test with `what` after timeoutMs. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function reasonOf(m: ReceivedMessage): string | undefined {
  const body = m.body as { reason?: unknown };
  return typeof body.reason === 'string' ? body.reason : undefined;
}

export function queueBehaviourSuite(
  name: string,
  factory: (options: HarnessOptions) => Promise<QueueHarness>,
  suite: SuiteOptions,
): void {
  const T = suite.timeoutMs;

  async function withHarness(options: HarnessOptions, fn: (h: QueueHarness) => Promise<void>): Promise<void> {
    const h = await factory(options);
    try {
      await fn(h);
    } finally {
      await h.close();
    }
  }

  describe(`queue behaviour: ${name}`, () => {
    it('validates on send: a bad message is refused with the field named and never delivered', async () => {
      await withHarness({}, async (h) => {
        const bad = migrateUser();
        (bad.body as { userId: string }).userId = 'not-a-guid';
        await assert.rejects(h.publisher.send(QUEUES.meetingMigrations, bad), (e: unknown) => {
          assert.ok(e instanceof MessageValidationError);
          assert.equal(e.field, 'body.userId');
          return true;
        });
        const noSession = migrateUser();
        delete noSession.sessionId;
        await assert.rejects(h.publisher.send(QUEUES.meetingMigrations, noSession), /sessionId/);
        const wrongSession = migrateUser(randomUUID(), { sessionId: randomUUID() });
        await assert.rejects(h.publisher.send(QUEUES.meetingMigrations, wrongSession), /sessionId/);
        await assert.rejects(
          h.publisher.send(QUEUES.directoryChanges, deltaSweep('', {})),
          (e: unknown) => e instanceof MessageValidationError && e.field === 'body.reason',
        );
      });
    });

    it('redelivers a message whose handler throws, with deliveryCount + 1 each time', async () => {
      await withHarness({}, async (h) => {
        const msg = deltaSweep();
        const counts: number[] = [];
        let done = false;
        const sub = h.consumer.subscribe(QUEUES.directoryChanges, { sessions: false }, (m) => {
          if (m.messageId !== msg.messageId) return Promise.resolve();
          counts.push(m.deliveryCount);
          if (counts.length < 3) return Promise.reject(new Error(`transient ${counts.length}`));
          done = true;
          return Promise.resolve();
        });
        await h.publisher.send(QUEUES.directoryChanges, msg);
        await until(() => done, 'the third delivery', T);
        await sub.close();
        assert.deepEqual(counts, [1, 2, 3]);
        assert.equal(
          (await h.deadLetters(QUEUES.directoryChanges)).filter((d) => d.messageId === msg.messageId).length,
          0,
        );
      });
    });

    it('dead-letters after maxDeliveryCount failed deliveries, with the reason and the last error', async () => {
      await withHarness({}, async (h) => {
        const msg = deltaSweep();
        const counts: number[] = [];
        const sub = h.consumer.subscribe(QUEUES.directoryChanges, { sessions: false }, (m) => {
          if (m.messageId !== msg.messageId) return Promise.resolve();
          counts.push(m.deliveryCount);
          return Promise.reject(new Error(`boom ${m.deliveryCount}`));
        });
        await h.publisher.send(QUEUES.directoryChanges, msg);
        let dead: DeadLetterView | undefined;
        await until(
          async () => {
            dead = (await h.deadLetters(QUEUES.directoryChanges)).find((d) => d.messageId === msg.messageId);
            return dead !== undefined;
          },
          'the dead letter',
          T,
        );
        await sub.close();
        assert.deepEqual(
          counts,
          Array.from({ length: h.maxDeliveryCount }, (_, i) => i + 1),
        );
        assert.equal(dead?.deadLetterReason, 'MaxDeliveryCountExceeded');
        assert.match(dead?.deadLetterErrorDescription ?? '', new RegExp(`boom ${h.maxDeliveryCount}`));
      });
    });

    it('delivers a scheduled message not before its time, after messages sent later without a schedule', async () => {
      await withHarness({}, async (h) => {
        const tag = randomUUID();
        const at = new Date(Date.now() + 1_000);
        const scheduled = deltaSweep(`${tag} scheduled`, { scheduledEnqueueTime: at });
        const immediate = deltaSweep(`${tag} immediate`);
        const seen: { reason: string; at: number }[] = [];
        const sub = h.consumer.subscribe(
          QUEUES.directoryChanges,
          { sessions: false, maxConcurrent: 1 },
          (m) => {
            const reason = reasonOf(m);
            if (reason?.startsWith(tag)) seen.push({ reason, at: Date.now() });
            return Promise.resolve();
          },
        );
        await h.publisher.send(QUEUES.directoryChanges, scheduled);
        await h.publisher.send(QUEUES.directoryChanges, immediate);
        await until(() => seen.length === 2, 'both messages', T);
        await sub.close();
        assert.deepEqual(
          seen.map((s) => s.reason),
          [`${tag} immediate`, `${tag} scheduled`],
        );
        assert.ok(
          (seen[1]?.at ?? 0) >= at.getTime() - suite.clockToleranceMs,
          'the scheduled message was delivered before its scheduled time',
        );
      });
    });

    it('serialises each session in order while running different sessions in parallel', async () => {
      await withHarness({}, async (h) => {
        const users = [randomUUID(), randomUUID(), randomUUID()];
        const perSession = 3;
        const inFlight = new Map<string, number>();
        const order = new Map<string, number[]>();
        let total = 0;
        let peak = 0;
        let current = 0;
        let overlapSeen = false;
        const violations: string[] = [];
        const mine = new Set<string>(users);
        const sub = h.consumer.subscribe(
          QUEUES.meetingMigrations,
          { sessions: true, maxConcurrent: 2 },
          async (m) => {
            const s = m.sessionId ?? '';
            if (!mine.has(s)) return;
            const n = (inFlight.get(s) ?? 0) + 1;
            inFlight.set(s, n);
            if (n !== 1) violations.push(`two messages of session ${s} in flight at once`);
            current += 1;
            peak = Math.max(peak, current);
            // Hold the first messages until another session runs too: proves sessions run in parallel (a
            // queue that serialised everything would time out here).
            const deadline = Date.now() + T;
            while (!overlapSeen && current < 2 && Date.now() < deadline) await sleep(5);
            if (current >= 2) overlapSeen = true;
            const seq = Number(m.correlationId?.split(':')[1]);
            order.set(s, [...(order.get(s) ?? []), seq]);
            await sleep(5);
            current -= 1;
            inFlight.set(s, (inFlight.get(s) ?? 1) - 1);
            total += 1;
          },
        );
        // Each session's messages back to back, so that a queue ignoring sessions would run them together.
        for (const u of users) {
          for (let i = 0; i < perSession; i++) {
            await h.publisher.send(QUEUES.meetingMigrations, migrateUser(u, { correlationId: `seq:${i}` }));
          }
        }
        await until(() => total === users.length * perSession, 'every session message', T * 2);
        await sub.close();
        assert.deepEqual(violations, []);
        assert.ok(overlapSeen, 'different sessions never ran at the same time');
        assert.ok(peak <= 2, `more than maxConcurrent (2) sessions ran at once: ${peak}`);
        for (const u of users) assert.deepEqual(order.get(u), [0, 1, 2], `FIFO within session ${u}`);
      });
    });

    it('drops a second send with the same messageId (duplicate detection)', async () => {
      await withHarness({}, async (h) => {
        const tag = randomUUID();
        const first = deltaSweep(`${tag} first`);
        const dup = deltaSweep(`${tag} duplicate`, { messageId: first.messageId });
        const sentinel = deltaSweep(`${tag} sentinel`);
        const seen: string[] = [];
        const sub = h.consumer.subscribe(
          QUEUES.directoryChanges,
          { sessions: false, maxConcurrent: 1 },
          (m) => {
            const reason = reasonOf(m);
            if (reason?.startsWith(tag)) seen.push(reason);
            return Promise.resolve();
          },
        );
        await h.publisher.send(QUEUES.directoryChanges, first);
        await until(() => seen.length === 1, 'the first message', T);
        // After completion too: the window counts from the first send, not from its settlement.
        await h.publisher.send(QUEUES.directoryChanges, dup);
        await h.publisher.send(QUEUES.directoryChanges, sentinel);
        await until(() => seen.includes(`${tag} sentinel`), 'the sentinel', T);
        await sub.close();
        assert.deepEqual(seen, [`${tag} first`, `${tag} sentinel`]);
      });
    });

    it('dead-letters a message that fails validation on receive at once, naming the field', async () => {
      await withHarness({}, async (h) => {
        const badUser = migrateUser();
        (badUser.body as { userId: string }).userId = 'not-a-guid';
        badUser.sessionId = 'not-a-guid';
        const badKind = deltaSweep();
        (badKind.body as { kind: string }).kind = 'somethingElse';
        const calls: string[] = [];
        const subs = [
          h.consumer.subscribe(QUEUES.meetingMigrations, { sessions: true }, (m) => {
            calls.push(m.messageId);
            return Promise.resolve();
          }),
          h.consumer.subscribe(QUEUES.directoryChanges, { sessions: false }, (m) => {
            calls.push(m.messageId);
            return Promise.resolve();
          }),
        ];
        await h.sendUnvalidated(QUEUES.meetingMigrations, badUser);
        await h.sendUnvalidated(QUEUES.directoryChanges, badKind);
        let deadUser: DeadLetterView | undefined;
        let deadKind: DeadLetterView | undefined;
        await until(
          async () => {
            deadUser = (await h.deadLetters(QUEUES.meetingMigrations)).find(
              (d) => d.messageId === badUser.messageId,
            );
            deadKind = (await h.deadLetters(QUEUES.directoryChanges)).find(
              (d) => d.messageId === badKind.messageId,
            );
            return deadUser !== undefined && deadKind !== undefined;
          },
          'both dead letters',
          T,
        );
        await Promise.all(subs.map((s) => s.close()));
        assert.ok(
          !calls.includes(badUser.messageId) && !calls.includes(badKind.messageId),
          'handler was called',
        );
        assert.match(deadUser?.deadLetterReason ?? '', /body\.userId/);
        assert.match(deadUser?.deadLetterErrorDescription ?? '', /body\.userId/);
        assert.match(deadKind?.deadLetterReason ?? '', /body\.kind/);
      });
    });

    if (suite.deliverTwice) {
      it('deliverTwice delivers every completed message a second time (idempotency probe)', async () => {
        await withHarness({ deliverTwice: true }, async (h) => {
          const tag = randomUUID();
          const msgs = [deltaSweep(`${tag} a`), deltaSweep(`${tag} b`)];
          const deliveries = new Map<string, number[]>();
          const applied = new Set<string>();
          let effects = 0;
          const sub = h.consumer.subscribe(QUEUES.directoryChanges, { sessions: false }, (m) => {
            if (!reasonOf(m)?.startsWith(tag)) return Promise.resolve();
            deliveries.set(m.messageId, [...(deliveries.get(m.messageId) ?? []), m.deliveryCount]);
            // An idempotent consumer: the effect happens once per messageId.
            if (!applied.has(m.messageId)) {
              applied.add(m.messageId);
              effects += 1;
            }
            return Promise.resolve();
          });
          for (const m of msgs) await h.publisher.send(QUEUES.directoryChanges, m);
          await until(
            () => msgs.every((m) => (deliveries.get(m.messageId)?.length ?? 0) >= 2),
            'two deliveries of each message',
            T,
          );
          await sub.close();
          for (const m of msgs) assert.deepEqual(deliveries.get(m.messageId), [1, 2]);
          assert.equal(effects, msgs.length);
        });
      });
    }
  });
}

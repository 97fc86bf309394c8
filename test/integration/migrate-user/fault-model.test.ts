/**
 * Model-based fault test of the service layer (request-migration, the worker, the sweep) against Azurite and the
 * sandbox: random schedules of triggers, admin starts, deliveries, duplicate deliveries, redeliveries and worker
 * crashes, while the status table, the ledger and the queue fail at random (a write or a send that throws), and a
 * crashed worker's message is sometimes lost with it (an in-memory queue) and sometimes redelivered.
 *
 * After each schedule the system is left alone: the clock moves past the stall limit, the sweep runs, and the
 * queue delivers what it holds, round after round. Invariants:
 * - after one such round nobody is Pending without a message in the queue, and nobody InProgress;
 * - every request that was answered 2xx is covered by a run that ends (its user ends Succeeded);
 * - no meeting is PATCHed twice, so no attendee gets a second update for the same change.
 * The state-machine property test (test/unit/domain/status-machine.test.ts) assumes write + send are atomic;
 * this one does not.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { validateOutgoing } from '../../../shared/queue/messages';
import type { OutgoingMessage, QueueName, QueuePublisher } from '../../../shared/queue/port';
import {
  handleMigrationMessage,
  MIGRATION_QUEUE_MAX_DELIVERY,
  sweepStalledMigrations,
  type MigrateUserDeps,
} from '../../../shared/services/migrate-user';
import { runKeyOfMessage } from '../../../shared/services/migration-messages';
import { requestUserMigration } from '../../../shared/services/request-migration';
import { OVERDUE_AFTER_MS, STALLED_AFTER_MS } from '../../../shared/services/run-lifecycle';
import type { StatusRepository } from '../../../shared/storage/repositories/status-repository';
import type { MeetingLedgerRepository } from '../../../shared/storage/repositories/ledger-repository';
import { mulberry32 } from '../../../dev/sandbox/prng';
import { organizerEvents, received, startFixture, type Fixture, hasMailbox } from './fixture';

/** Faults injected over every schedule (so the test can tell it did inject some). */
let injected = 0;

class Faults {
  rate = 0;
  constructor(private readonly random: () => number) {}
  /** The error to fail with this time, or null. */
  roll(what: string): Error | null {
    if (!(this.rate > 0 && this.random() < this.rate)) return null;
    injected++;
    return new Error(`${what} failed (fault)`);
  }
}

/** The queue as Service Bus keeps it: duplicate detection by id, delivery counts, dead letters. */
class ModelQueue implements QueuePublisher {
  messages: { message: OutgoingMessage; deliveries: number }[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly faults: Faults) {}
  send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    const fault = this.faults.roll('send');
    if (fault) return Promise.reject(fault);
    const valid = validateOutgoing(queue, message);
    if (!this.seen.has(valid.messageId)) {
      this.seen.add(valid.messageId);
      this.messages.push({ message: valid, deliveries: 0 });
    }
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  forUser(userId: string) {
    return this.messages.filter((m) => m.message.sessionId === userId);
  }
}

type Op =
  | { op: 'trigger' | 'adminStart'; user: number }
  | { op: 'deliver'; pick: number; duplicate: boolean }
  | { op: 'crash'; pick: number; afterPatches: number; lose: boolean }
  | { op: 'sweep'; minutes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('trigger' as const, 'adminStart' as const), user: fc.nat(1) }),
  fc.record({ op: fc.constant('deliver' as const), pick: fc.nat(20), duplicate: fc.boolean() }),
  fc.record({
    op: fc.constant('crash' as const),
    pick: fc.nat(20),
    afterPatches: fc.integer({ min: 0, max: 4 }),
    lose: fc.boolean(),
  }),
  fc.record({ op: fc.constant('sweep' as const), minutes: fc.integer({ min: 1, max: 15 }) }),
);

describe('service layer under faults (model-based)', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ users: 50, meetings: 6, seed: 91, maxRetries: 9 });
  });
  after(() => f.stop());

  it('nobody stuck, every accepted request covered, no second update, whatever fails', async () => {
    const users = f.seed.users.filter(
      (u) =>
        hasMailbox(u) &&
        organizerEvents(f).some((x) => x.ev.organizerUserId === u.id && x.expect.kind === 'update'),
    );
    assert.ok(users.length >= 24, `enough users with meetings to update (${users.length})`);
    let next = 0;
    let schedules = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: 18 }), fc.integer(), async (ops, seed) => {
        const pair = users.slice(next, next + 2);
        next += 2;
        if (pair.length < 2) return; // out of fresh users: the runs so far stand
        schedules++;
        const faults = new Faults(mulberry32(seed));
        const queue = new ModelQueue(faults);
        let now = Date.now();
        const clock = () => new Date(now);
        const status = f.repos.status;
        const flakyStatus = Object.create(status) as StatusRepository;
        flakyStatus.mutate = (userId, fn, options) => {
          const fault = faults.roll('status write');
          if (fault) return Promise.reject(fault);
          return status.mutate(userId, fn, options);
        };
        const ledger = f.repos.ledger;
        const flakyLedger = Object.create(ledger) as MeetingLedgerRepository;
        flakyLedger.upsert = (entry) => {
          const fault = faults.roll('ledger write');
          if (fault) return Promise.reject(fault);
          return ledger.upsert(entry);
        };
        flakyLedger.upsertMany = (userId, entries) => {
          const fault = faults.roll('ledger write');
          if (fault) return Promise.reject(fault);
          return ledger.upsertMany(userId, entries);
        };
        const deps: MigrateUserDeps = {
          ...f.deps,
          repositories: { ...f.repos, status: flakyStatus, ledger: flakyLedger },
          queue: () => queue,
          clock,
        };
        const requestPorts = {
          profiles: f.repos.profiles,
          directory: f.graph.directory,
          statuses: flakyStatus,
          publisher: queue,
          now: clock,
          newId: () => randomUUID(),
          config: { migrationDelaySeconds: 0 },
        };
        const accepted = new Set<string>();

        const deliverOne = async (pick: number, crash?: { afterPatches: number; lose: boolean }) => {
          if (queue.messages.length === 0) return;
          const i = pick % queue.messages.length;
          const entry = queue.messages[i];
          if (entry === undefined) return;
          entry.deliveries++;
          const patches = [...f.calendar.patched.values()].reduce((a, b) => a + b, 0);
          if (crash) {
            f.calendar.crashMode = 'after';
            f.calendar.crashAfter = patches + crash.afterPatches;
          }
          try {
            await handleMigrationMessage(deps, received(entry.message, entry.deliveries));
            queue.messages.splice(queue.messages.indexOf(entry), 1);
          } catch {
            const lost = crash?.lose === true;
            if (lost || entry.deliveries >= MIGRATION_QUEUE_MAX_DELIVERY) {
              queue.messages.splice(queue.messages.indexOf(entry), 1); // lost with the host, or dead-lettered
            }
          } finally {
            f.calendar.crashAfter = undefined;
            f.calendar.crashMode = 'before';
          }
        };

        // Chaos.
        faults.rate = 0.2;
        for (const o of ops) {
          now += 1_000;
          if (o.op === 'trigger' || o.op === 'adminStart') {
            const u = pair[o.user % pair.length];
            if (u === undefined) continue;
            try {
              await requestUserMigration(requestPorts, {
                identity: { userId: u.id, userPrincipalName: u.userPrincipalName },
                trigger: o.op === 'adminStart' ? 'manualStart' : 'bridgeChanged',
                timing: o.op === 'adminStart' ? 'immediate' : 'coalesce',
              });
              accepted.add(u.id);
            } catch {
              // 503: not accepted (the record may still be Pending: the invariants below cover it).
            }
          } else if (o.op === 'deliver') {
            await deliverOne(o.pick);
            if (o.duplicate) await deliverOne(o.pick);
          } else if (o.op === 'crash') {
            await deliverOne(o.pick, { afterPatches: o.afterPatches, lose: o.lose });
          } else if (o.op === 'sweep') {
            now += o.minutes * 60_000;
            await sweepStalledMigrations(deps).catch(() => undefined);
          }
        }

        // Left alone: no faults, time passes, the sweep runs, the queue delivers what it holds.
        faults.rate = 0;
        for (let round = 0; round < 12; round++) {
          now += STALLED_AFTER_MS + 60_000;
          if (round === 0) {
            // A retry whose message was lost with its last delivery waits for the sweep until it is overdue
            // (OVERDUE_AFTER_MS past its notBefore, which backoff puts in the future): the first round starts when
            // every Pending run of the pair is overdue, so the sweep owes each its message.
            const records = await Promise.all(pair.map((u) => f.repos.status.get(u.id)));
            for (const s of records)
              if (s?.state === 'Pending' && s.notBefore !== null)
                now = Math.max(now, Date.parse(s.notBefore) + OVERDUE_AFTER_MS + 1_000);
          }
          await sweepStalledMigrations(deps);
          if (round === 0) {
            for (const u of pair) {
              const s = await f.repos.status.get(u.id);
              if (s === null) continue;
              assert.notEqual(s.state, 'InProgress', `${u.id} InProgress after the stall limit and a sweep`);
              if (s.state === 'Pending') {
                const run = { correlationId: s.correlationId, retryCount: s.retryCount };
                const has = queue.forUser(u.id).some((m) => {
                  const k = runKeyOfMessage({ messageId: m.message.messageId, body: m.message.body });
                  return k?.correlationId === run.correlationId && k.retryCount === run.retryCount;
                });
                assert.ok(has, `${u.id} Pending without its message after a sweep`);
              }
            }
          }
          while (queue.messages.length > 0) {
            // Scheduled retries are due: the clock passes them.
            const due = queue.messages.map((m) => m.message.scheduledEnqueueTime?.getTime() ?? 0);
            now = Math.max(now, ...due) + 1;
            await deliverOne(0);
          }
          const states = await Promise.all(pair.map((u) => f.repos.status.get(u.id)));
          if (states.every((s) => s === null || s.state === 'Succeeded' || s.state === 'Failed')) break;
        }
        for (const u of pair) {
          const s = await f.repos.status.get(u.id);
          if (accepted.has(u.id))
            assert.equal(s?.state, 'Succeeded', `${u.id}: ${s?.lastMessage ?? 'no record'}`);
          else if (s !== null) assert.ok(s.state === 'Succeeded' || s.state === 'Failed', `${u.id} ended`);
        }
        for (const [eventId, n] of f.calendar.patched) assert.ok(n <= 1, `${eventId} PATCHed ${n} times`);
      }),
      { numRuns: 12, seed: 20261206, endOnFailure: true },
    );
    assert.equal(schedules, 12, 'every schedule ran on users of its own');
    assert.ok(injected > 0, 'faults were injected');
    assert.ok(f.calendar.patched.size > 0, 'meetings were updated');
  });
});

/**
 * The run lifecycle never leaves a user stuck: a follow-up whose message failed to go out after the finish
 * write is sent again by the redelivered message; a run whose worker died (host killed, message lost) is taken
 * over by an admin start (at once, and the answer says so) or by the sweep, however many triggers touched the
 * record meanwhile; and the migration's final record counts the meetings the dead attempt updated, once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { requestMigration, takeOverStalled, type MigrationStatus } from '../../../shared/domain/status';
import type { CalendarGateway } from '../../../shared/graph/ports';
import { validateOutgoing } from '../../../shared/queue/messages';
import type { OutgoingMessage, QueueName, QueuePublisher } from '../../../shared/queue/port';
import { sweepStalledMigrations } from '../../../shared/services/migrate-user';
import { requestUserMigration, type RequestMigrationPorts } from '../../../shared/services/request-migration';
import { STALLED_AFTER_MS } from '../../../shared/services/run-lifecycle';
import type { StatusRepository } from '../../../shared/storage/repositories/status-repository';
import {
  deliver,
  organizerEvents,
  received,
  requestRun,
  startFixture,
  type Fixture,
  hasMailbox,
} from './fixture';

/** A publisher whose next `failures` sends fail (the namespace is down), recording the rest. */
class FlakyPublisher implements QueuePublisher {
  readonly sent: { queue: QueueName; message: OutgoingMessage }[] = [];
  failures = 0;
  send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('queue unreachable (test)'));
    }
    this.sent.push({ queue, message: validateOutgoing(queue, message) });
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function eligibleOf(f: Fixture, userId: string): string[] {
  return organizerEvents(f)
    .filter((x) => x.ev.organizerUserId === userId && x.expect.kind === 'update')
    .map((x) => x.ev.id);
}

function totalPatches(f: Fixture): number {
  return [...f.calendar.patched.values()].reduce((a, b) => a + b, 0);
}

function followUpRequest(userId: string, upn: string, trigger: 'conferenceIdChanged' | 'bridgeChanged') {
  return {
    userId,
    userPrincipalName: upn,
    trigger,
    correlationId: randomUUID(),
    delayMs: 0,
    sourceMeetingType: 'All' as const,
    targetMeetingType: 'Current' as const,
  };
}

describe('run lifecycle: never stuck', () => {
  let f: Fixture;
  let publisher: FlakyPublisher;
  before(async () => {
    f = await startFixture({ users: 16, meetings: 10, seed: 41 });
    publisher = new FlakyPublisher();
  });
  after(() => f.stop());

  const candidates = () => f.seed.users.filter((u) => hasMailbox(u) && eligibleOf(f, u.id).length >= 4);

  function requestPorts(now: () => Date): RequestMigrationPorts {
    return {
      profiles: f.repos.profiles,
      directory: f.graph.directory,
      statuses: f.repos.status,
      publisher,
      now,
      newId: randomUUID,
      config: { migrationDelaySeconds: 0 },
    };
  }

  it('a follow-up recorded during finish whose message fails to go out is sent by the redelivered message', async () => {
    const u = candidates()[0];
    assert.ok(u);
    const deps = { ...f.deps, queue: () => publisher };
    const m = await requestRun(f, u.id);
    // A trigger lands while the worker finishes (between whatever it reads and its write), and the queue is
    // down for the send that follows the write.
    let injected = false;
    const status = f.repos.status;
    const racing: StatusRepository = Object.create(status) as StatusRepository;
    racing.mutate = async (userId, fn, options) => {
      const cur = await status.get(userId);
      const next = cur === null ? undefined : fn(structuredClone(cur));
      if (!injected && cur?.state === 'InProgress' && next !== undefined && next.state !== 'InProgress') {
        injected = true;
        await status.mutate(
          userId,
          (c) =>
            requestMigration(c, followUpRequest(u.id, u.userPrincipalName, 'conferenceIdChanged'), new Date())
              .status,
        );
        publisher.failures = 1;
      }
      return status.mutate(userId, fn, options);
    };
    const racingDeps = { ...deps, repositories: { ...f.repos, status: racing } };
    await assert.rejects(deliver({ ...f, deps: racingDeps }, m), /queue unreachable/);
    assert.ok(injected, 'the follow-up arrived during finish');
    const between = await f.repos.status.get(u.id);
    assert.equal(between?.state, 'Pending', 'the follow-up is recorded as the next run');
    const followUpCorrelation = between.correlationId;
    assert.notEqual(followUpCorrelation, m.correlationId);

    // The queue redelivers the original message (the handler threw): stale, but the follow-up gets its message.
    const again = await deliver({ ...f, deps }, { ...m, deliveryCount: 2 });
    assert.equal(again.kind, 'stale');
    const sent = publisher.sent.filter((s) => s.message.correlationId === followUpCorrelation);
    assert.equal(sent.length, 1, 'the follow-up has its message');
    const done = await deliver({ ...f, deps }, received(sent[0]!.message));
    assert.equal(done.kind, 'finished');
    assert.equal((await f.repos.status.get(u.id))?.state, 'Succeeded');
  });

  it('a host killed mid-run: an admin start after the stall limit takes the run over at once and says so; counts cover the whole migration', async () => {
    const u = candidates()[1];
    assert.ok(u);
    const eligible = eligibleOf(f, u.id);
    const m = await requestRun(f, u.id);
    f.calendar.crashMode = 'after';
    f.calendar.crashAfter = totalPatches(f) + 2;
    await assert.rejects(deliver(f, m), /worker died/);
    f.calendar.crashAfter = undefined;
    f.calendar.crashMode = 'before';
    const dead = await f.repos.status.get(u.id);
    assert.equal(dead?.state, 'InProgress');
    // The message is gone (the local queue lost it). Right away, the worker may still be alive: a follow-up.
    const soon = await requestUserMigration(
      requestPorts(() => new Date()),
      {
        identity: u.id,
        trigger: 'manualStart',
        timing: 'immediate',
      },
    );
    assert.equal(soon.outcome, 'followUpRecorded');
    // Past the stall limit (the heartbeat stopped when the worker died), the same admin start takes it over.
    const later = new Date(Date.now() + STALLED_AFTER_MS + 60_000);
    const sentBefore = publisher.sent.length;
    const start = await requestUserMigration(
      requestPorts(() => later),
      {
        identity: u.id,
        trigger: 'manualStart',
        timing: 'immediate',
      },
    );
    assert.equal(start.outcome, 'takenOver');
    assert.equal(start.status.state, 'Pending');
    assert.equal(start.status.correlationId, dead.correlationId, 'the same migration');
    assert.match(start.status.lastMessage, /stopped answering.*this admin start took it over/);
    const message = publisher.sent[sentBefore]?.message;
    assert.ok(message, 'its message is sent at once');
    assert.equal(message.scheduledEnqueueTime, undefined, 'not scheduled: runs now');

    const out = await deliver(f, received(message));
    assert.ok(out.kind === 'finished' && out.result.kind === 'completed');
    // The taken-over migration's result: every eligible meeting, the dead attempt's included, counted once.
    assert.equal(out.result.counts.succeededMeeting, eligible.length);
    assert.equal(out.result.counts.invitesUpdate, eligible.length);
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Pending', 'the recorded follow-up runs next');
    for (const id of eligible) assert.equal(f.calendar.patched.get(id), 1, `event ${id} updated once`);
    const rows = [];
    for (const id of eligible) rows.push(await f.repos.ledger.get(u.id, id));
    assert.ok(rows.every((r) => r?.outcome === 'updated' && r.correlationId === dead.correlationId));
  });

  it('the sweep takes over a dead run however many triggers touched it, and the migration counts every update once', async () => {
    const u = candidates()[2];
    assert.ok(u);
    const eligible = eligibleOf(f, u.id);
    const m = await requestRun(f, u.id);
    f.calendar.crashMode = 'after';
    f.calendar.crashAfter = totalPatches(f) + 3;
    await assert.rejects(deliver(f, m), /worker died/);
    f.calendar.crashAfter = undefined;
    f.calendar.crashMode = 'before';
    const t0 = Date.now();
    // Triggers keep arriving, each moving modifiedDate: they must not postpone recovery.
    for (let i = 1; i <= 3; i++) {
      await f.repos.status.mutate(
        u.id,
        (c) =>
          requestMigration(
            c,
            followUpRequest(u.id, u.userPrincipalName, 'bridgeChanged'),
            new Date(t0 + i * (STALLED_AFTER_MS / 2)),
          ).status,
      );
    }
    const at = new Date(t0 + STALLED_AFTER_MS + 60_000);
    const deps = { ...f.deps, queue: () => publisher, clock: () => at };
    const sentBefore = publisher.sent.length;
    const report = await sweepStalledMigrations(deps);
    assert.ok(report.ended.includes(u.id), 'taken over by the sweep');
    const taken = (await f.repos.status.get(u.id)) as MigrationStatus;
    assert.equal(taken.state, 'Pending');
    assert.equal(taken.lastMessageCode, 'takenOver');
    const message = publisher.sent.slice(sentBefore).find((s) => s.message.sessionId === u.id)?.message;
    assert.ok(message);
    const out = await deliver(f, received(message));
    assert.equal(out.kind, 'finished');
    assert.ok(out.kind === 'finished');
    const run = out.result;
    assert.equal(run.kind, 'completed');
    assert.ok(run.kind === 'completed');
    assert.equal(run.counts.succeededMeeting, eligible.length, 'the resumed part and the dead part');
    assert.equal(run.counts.invitesUpdate, eligible.length, 'updates sent before the crash count once');
    for (const id of eligible) assert.equal(f.calendar.patched.get(id), 1, `event ${id} updated once`);
  });

  it('the sweep sends the message of a Pending record long past its time, again and safely', async () => {
    const u = candidates()[3];
    assert.ok(u);
    // The write of a request landed; the process died before its send.
    await f.repos.status.mutate(
      u.id,
      (c) =>
        requestMigration(c, followUpRequest(u.id, u.userPrincipalName, 'bridgeChanged'), new Date()).status,
    );
    const fresh = await sweepStalledMigrations({ ...f.deps, queue: () => publisher });
    assert.ok(!fresh.resent.includes(u.id), 'not yet overdue: its message may simply be waiting');
    const at = new Date(Date.now() + STALLED_AFTER_MS + 60_000);
    const report = await sweepStalledMigrations({ ...f.deps, queue: () => publisher, clock: () => at });
    assert.ok(report.resent.includes(u.id));
    const message = publisher.sent.filter((s) => s.message.sessionId === u.id).at(-1)?.message;
    assert.ok(message);
    assert.match(message.messageId, /:resend-\d+$/);
    const out = await deliver(f, received(message));
    assert.equal(out.kind, 'finished');
    assert.equal((await f.repos.status.get(u.id))?.state, 'Succeeded');
  });

  it('a running worker renews its heartbeat, and stops when its run is taken over (the dead are fenced)', async () => {
    const u = candidates()[4];
    assert.ok(u);
    const eligible = eligibleOf(f, u.id);
    const m = await requestRun(f, u.id);
    const inner = f.graph.calendar;
    let patches = 0;
    let calls = 0;
    let takenOver = false;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const slow: CalendarGateway = {
      listOrganizedFutureMeetings: (...a) => inner.listOrganizedFutureMeetings(...a),
      getEvent: (...a) => inner.getEvent(...a),
      updateEventBody: async (...a) => {
        calls++;
        if (calls === 1) {
          // The first update is under way: the worker keeps a heartbeat...
          for (let i = 0; i < 200 && !(await f.repos.status.get(u.id))?.heartbeatDate; i++) await sleep(10);
          assert.ok((await f.repos.status.get(u.id))?.heartbeatDate, 'the worker keeps a heartbeat');
          // ...and somebody judged the run dead (say a long pause) and took it over.
          await f.repos.status.mutate(u.id, (c) => {
            const o = takeOverStalled(c, new Date(Date.now() + STALLED_AFTER_MS + 1000), {
              maxRetries: 5,
              stalledAfterMs: STALLED_AFTER_MS,
            });
            return o?.status;
          });
          takenOver = true;
          // This update is held until a heartbeat has been written (or refused) since the takeover, so the
          // worker has had its chance to notice, however slow storage is.
          for (let i = 0; i < 1000 && beatsAfterTakeover === 0; i++) await sleep(10);
          assert.ok(beatsAfterTakeover > 0, 'a heartbeat ran after the takeover');
        } else {
          // The meetings in preparation beside the first wait for the takeover too, so the run still has
          // meetings left when it is taken over, however fast the others would go.
          for (let i = 0; i < 1000 && beatsAfterTakeover === 0; i++) await sleep(10);
        }
        const r = await inner.updateEventBody(...a);
        patches++;
        return r;
      },
    };
    // The heartbeat writes through the status repository: count its writes that end after the takeover.
    let beatsAfterTakeover = 0;
    const status = new Proxy(f.repos.status, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        if (prop !== 'mutate') return (v as (...a: unknown[]) => unknown).bind(target);
        const mutate = v as StatusRepository['mutate'];
        return async (...args: Parameters<StatusRepository['mutate']>) => {
          const after = takenOver;
          try {
            return await mutate.apply(target, args);
          } finally {
            if (after) beatsAfterTakeover++;
          }
        };
      },
    });
    const deps = {
      ...f.deps,
      repositories: { ...f.deps.repositories, status },
      graph: { ...f.graph, calendar: slow },
      heartbeatIntervalMs: 10,
      config: { ...f.deps.config, mailboxConcurrency: 1 },
    };
    const out = await deliver({ ...f, deps }, m);
    assert.ok(takenOver);
    assert.equal(out.kind, 'stale', 'the fenced worker stops and records nothing');
    assert.ok(patches < eligible.length, `stopped early (${patches} of ${eligible.length})`);
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Pending');
    assert.equal(s.retryCount, 1, 'the new attempt stands');
  });
});

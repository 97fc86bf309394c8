/**
 * The worker's pipeline keeps the exactly-once rule: with meetings prepared ahead of the Graph slots and ledger
 * rows written in entity group transactions, every PATCH still leaves only after its `pending` row is durable; a
 * storage failure fails the run (redelivered) instead of losing rows; the mailbox never has more than 4 requests
 * in flight. The first listing page is asked for beside the user checks, and dropped (nothing left running) when
 * the checks stop the run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LedgerEntry } from '../../../shared/storage/repositories/ledger-repository';
import type { MeetingLedgerRepository } from '../../../shared/storage/repositories/ledger-repository';
import { deliver, organizerEvents, requestRun, startFixture, type Fixture, hasMailbox } from './fixture';

/** Exchange Online users with at least `n` meetings to update. */
function usersWithUpdates(f: Fixture, n: number) {
  return f.seed.users.filter(
    (u) =>
      hasMailbox(u) &&
      organizerEvents(f).filter((x) => x.ev.organizerUserId === u.id && x.expect.kind === 'update').length >=
        n,
  );
}

/** The ledger, with its transactions counted and a switch that makes them fail. */
class ObservedLedger {
  transactions: number[] = [];
  failFrom: number | undefined;
  constructor(readonly inner: MeetingLedgerRepository) {}
  get = (userId: string, eventId: string) => this.inner.get(userId, eventId);
  upsert = (entry: LedgerEntry) => this.inner.upsert(entry);
  recordRun = (userId: string, correlationId: string, at: Date) =>
    this.inner.recordRun(userId, correlationId, at);
  upsertMany = async (userId: string, entries: LedgerEntry[]) => {
    this.transactions.push(entries.length);
    if (this.failFrom !== undefined && this.transactions.length > this.failFrom) {
      throw new Error('table storage unavailable (test)');
    }
    await this.inner.upsertMany(userId, entries);
  };
}

describe('migrateUser pipeline', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ users: 12, meetings: 40, seed: 31 });
  });
  after(() => f.stop());

  function withLedger(ledger: ObservedLedger) {
    const repositories = { ...f.repos, ledger: ledger as unknown as MeetingLedgerRepository };
    return { ...f, deps: { ...f.deps, repositories } };
  }

  it('sends every PATCH only after its pending row is durable, and batches the rows', async () => {
    const [user] = usersWithUpdates(f, 15);
    assert.ok(user, 'a user with meetings to update');
    const ledger = new ObservedLedger(f.repos.ledger);
    const violations: string[] = [];
    const update = f.calendar.updateEventBody.bind(f.calendar);
    const checked = { count: 0 };
    f.calendar.updateEventBody = async (userId, eventId, change) => {
      // What a worker dying right now would leave: the stored row must already announce this very update.
      const row = await f.repos.ledger.get(userId, eventId);
      if (row?.outcome !== 'pending' || row.fingerprint !== change.marker) {
        violations.push(`${eventId}: ${row?.outcome ?? 'no row'} (${row?.fingerprint ?? '-'})`);
      }
      checked.count++;
      return update(userId, eventId, change);
    };
    try {
      const m = await requestRun(f, user.id);
      const out = await deliver(withLedger(ledger), m);
      assert.equal(out.kind, 'finished');
    } finally {
      f.calendar.updateEventBody = update;
    }
    assert.ok(checked.count >= 15, `${checked.count} PATCHes`);
    assert.deepEqual(violations, []);
    const status = await f.repos.status.get(user.id);
    assert.equal(status?.state, 'Succeeded', status?.lastMessage);
    const rows = ledger.transactions.reduce((a, b) => a + b, 0);
    assert.ok(rows >= status.totalMeeting, 'every meeting has its rows');
    assert.ok(Math.max(...ledger.transactions) <= 100, 'a transaction holds at most 100 rows');
    assert.ok(
      ledger.transactions.length < rows,
      `rows share transactions (${ledger.transactions.join(',')})`,
    );
    // The rows written behind were flushed before the run ended: the ledger holds the final outcome of each.
    for (const x of organizerEvents(f).filter(
      (y) => y.ev.organizerUserId === user.id && y.expect.kind === 'update',
    )) {
      assert.equal((await f.repos.ledger.get(user.id, x.ev.id))?.outcome, 'updated', x.ev.id);
    }
  });

  it('a storage failure fails the run (the queue redelivers it) and no PATCH leaves without its pending row', async () => {
    const [, user] = usersWithUpdates(f, 15);
    assert.ok(user, 'a second user with meetings to update');
    const ledger = new ObservedLedger(f.repos.ledger);
    ledger.failFrom = 3;
    const before = new Map(f.calendar.patched);
    const m = await requestRun(f, user.id);
    await assert.rejects(deliver(withLedger(ledger), m), /table storage unavailable/);
    for (const [eventId, n] of f.calendar.patched) {
      if ((before.get(eventId) ?? 0) === n) continue;
      const row = await f.repos.ledger.get(user.id, eventId);
      assert.ok(row && (row.outcome === 'pending' || row.outcome === 'updated'), `${eventId} has its row`);
    }
    // Redelivered with storage back: the run completes and every meeting is updated once.
    const again = await deliver(f, { ...m, deliveryCount: 2 });
    assert.equal(again.kind, 'finished');
    const status = await f.repos.status.get(user.id);
    assert.equal(status?.state, 'Succeeded', status?.lastMessage);
    for (const x of organizerEvents(f).filter(
      (y) => y.ev.organizerUserId === user.id && y.expect.kind === 'update',
    )) {
      assert.equal(f.calendar.patched.get(x.ev.id), 1, `${x.ev.id} updated once`);
    }
  });

  it('keeps the mailbox within 4 requests in flight while meetings are prepared ahead', async () => {
    const [, , user] = usersWithUpdates(f, 15);
    assert.ok(user, 'a third user with meetings to update');
    // Long enough that the 4 slots fill while requests are held, even on a loaded machine.
    f.sandbox.tenant.throttle.setConfig({ latencyMs: 100 });
    f.sandbox.tenant.clearRequestLog();
    try {
      const out = await deliver(f, await requestRun(f, user.id));
      assert.equal(out.kind, 'finished');
    } finally {
      f.sandbox.tenant.throttle.setConfig({ latencyMs: 0 });
    }
    const log = f.sandbox.tenant.requestLog().filter((r) => r.mailbox === user.id);
    assert.ok(log.length > 15);
    assert.equal(log.filter((r) => r.status === 429).length, 0, 'never over the limit');
    assert.ok(Math.max(...log.map((r) => r.concurrency)) <= 4);
    assert.equal(Math.max(...log.map((r) => r.concurrency)), 4, 'the 4 slots are used');
  });

  it('asks for the first listing page beside the user checks, and leaves none of it running when they stop the run', async () => {
    const online = usersWithUpdates(f, 1)[3];
    const onPrem = f.seed.users.find((u) => u.sandboxMailboxLocation === 'onPremises');
    assert.ok(online && onPrem, 'an online user with meetings and an on-premises one');
    const list = f.calendar.listOrganizedFutureMeetings.bind(f.calendar);
    const getUser = f.graph.directory.getUser.bind(f.graph.directory);
    const listings: { userId: string; started: boolean; closed: boolean }[] = [];
    const startedWhenUserAnswered = new Map<string, boolean>();
    f.calendar.listOrganizedFutureMeetings = (userId, options) => {
      const record = { userId, started: false, closed: false };
      listings.push(record);
      return (async function* () {
        record.started = true;
        try {
          yield* list(userId, options);
        } finally {
          record.closed = true;
        }
      })();
    };
    const directory = {
      ...f.graph.directory,
      getUser: async (id: string) => {
        const user = await getUser(id);
        startedWhenUserAnswered.set(id, listings.find((l) => l.userId === id)?.started ?? false);
        return user;
      },
      checkMailbox: (id: string) => f.graph.directory.checkMailbox(id),
      isDeletedUser: (id: string) => f.graph.directory.isDeletedUser(id),
    };
    const fx = { ...f, deps: { ...f.deps, graph: { ...f.deps.graph, directory } } };
    try {
      const ok = await deliver(fx, await requestRun(f, online.id));
      assert.equal(ok.kind, 'finished');
      assert.equal(startedWhenUserAnswered.get(online.id), true, 'the listing was under way already');
      assert.equal((await f.repos.status.get(online.id))?.state, 'Succeeded');

      const stopped = await deliver(fx, await requestRun(f, onPrem.id));
      assert.equal(stopped.kind, 'finished');
      assert.equal(stopped.kind === 'finished' && stopped.result.kind, 'userError');
      const status = await f.repos.status.get(onPrem.id);
      assert.match(status?.lastMessage ?? '', /./);
      const dropped = listings.filter((l) => l.userId === onPrem.id);
      assert.equal(dropped.length, 1);
      assert.deepEqual(
        dropped[0],
        { userId: onPrem.id, started: true, closed: true },
        'closed before the run ended',
      );
    } finally {
      f.calendar.listOrganizedFutureMeetings = list;
    }
  });
});

/**
 * The subscription service with an in-memory Graph and table: create when missing, renew ahead of expiry,
 * recreate when Graph lost it, delete duplicates, the safety-net sweep, missing settings, and lifecycle events.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SubscriptionGoneError } from '../../../shared/graph/errors';
import type {
  CreateSubscription,
  GraphSubscription,
  SubscriptionsGateway,
} from '../../../shared/graph/ports';
import { directoryChangeBody } from '../../../shared/queue/messages';
import type { OutgoingMessage, QueueName, QueuePublisher } from '../../../shared/queue/port';
import type { ServiceLog } from '../../../shared/services/notifications';
import {
  ensureSubscriptions,
  handleLifecycleNotifications,
  lifecycleUrlFor,
  processLifecycleEvent,
  type LifecycleDeps,
} from '../../../shared/services/subscriptions';
import {
  sha256Hex,
  type StoredGraphSubscription,
} from '../../../shared/storage/repositories/subscription-repository';

const URL_ = 'https://mms.example/api/notifications';
const SECRET = 'the-client-state';
const NOW = new Date('2026-11-21T10:00:00.000Z');
const DAY = 24 * 3600_000;

class FakeGraph implements SubscriptionsGateway {
  subs = new Map<string, GraphSubscription>();
  calls: string[] = [];
  reauthorizeFails = false;
  create(r: CreateSubscription): Promise<GraphSubscription> {
    this.calls.push('create');
    const s: GraphSubscription = {
      id: randomUUID(),
      resource: r.resource ?? '/users',
      changeType: r.changeType ?? 'updated,deleted',
      notificationUrl: r.notificationUrl,
      lifecycleNotificationUrl: r.lifecycleNotificationUrl ?? null,
      expirationDateTime: new Date(NOW.getTime() + 29 * DAY).toISOString(),
      clientState: r.clientState,
    };
    this.subs.set(s.id, s);
    return Promise.resolve(s);
  }
  renew(id: string): Promise<GraphSubscription> {
    this.calls.push(`renew ${id}`);
    const s = this.subs.get(id);
    if (!s) return Promise.reject(new SubscriptionGoneError(id));
    s.expirationDateTime = new Date(NOW.getTime() + 29 * DAY).toISOString();
    return Promise.resolve({ ...s });
  }
  reauthorize(id: string): Promise<void> {
    this.calls.push(`reauthorize ${id}`);
    if (!this.subs.has(id)) return Promise.reject(new SubscriptionGoneError(id));
    if (this.reauthorizeFails) return Promise.reject(new Error('HTTP 403'));
    return Promise.resolve();
  }
  delete(id: string): Promise<void> {
    this.calls.push(`delete ${id}`);
    this.subs.delete(id);
    return Promise.resolve();
  }
  list(): Promise<GraphSubscription[]> {
    return Promise.resolve([...this.subs.values()]);
  }
}

class Table {
  rows = new Map<string, StoredGraphSubscription>();
  get(id: string) {
    return Promise.resolve(this.rows.get(id) ?? null);
  }
  save(s: StoredGraphSubscription) {
    this.rows.set(s.id, s);
    return Promise.resolve();
  }
  all() {
    return Promise.resolve([...this.rows.values()]);
  }
  remove(id: string) {
    return Promise.resolve(this.rows.delete(id));
  }
}

class Publisher implements QueuePublisher {
  sent: { queue: QueueName; message: OutgoingMessage }[] = [];
  send(queue: QueueName, message: OutgoingMessage) {
    this.sent.push({ queue, message });
    return Promise.resolve();
  }
  close() {
    return Promise.resolve();
  }
  sweeps() {
    return this.sent.filter((s) => directoryChangeBody.parse(s.message.body).kind === 'deltaSweep');
  }
}

function setup(
  config: { notificationUrl?: string; clientState?: string } = { notificationUrl: URL_, clientState: SECRET },
) {
  const graph = new FakeGraph();
  const table = new Table();
  const publisher = new Publisher();
  const lines: string[] = [];
  const log: ServiceLog = {
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
  const invalidated: string[] = [];
  const deps: LifecycleDeps = {
    gateway: graph,
    repository: table,
    lookup: table,
    publisher,
    config,
    now: () => NOW,
    log,
    onChange: (id) => invalidated.push(id),
  };
  return { graph, table, publisher, lines, deps, invalidated };
}

async function seedSubscription(
  graph: FakeGraph,
  table: Table,
  expiresInMs: number,
  options: { atGraph?: boolean; url?: string; secret?: string } = {},
): Promise<StoredGraphSubscription> {
  const g = await graph.create({
    notificationUrl: options.url ?? URL_,
    clientState: options.secret ?? SECRET,
  });
  graph.calls.length = 0;
  g.expirationDateTime = new Date(NOW.getTime() + expiresInMs).toISOString();
  if (options.atGraph === false) graph.subs.delete(g.id);
  const row: StoredGraphSubscription = {
    id: g.id,
    resource: g.resource,
    changeType: g.changeType,
    notificationUrl: g.notificationUrl,
    lifecycleNotificationUrl: g.lifecycleNotificationUrl,
    expirationDateTime: g.expirationDateTime,
    clientStateSha256: sha256Hex(options.secret ?? SECRET),
    createdAt: NOW.toISOString(),
    renewedAt: null,
  };
  await table.save(row);
  return row;
}

describe('ensureSubscriptions', () => {
  it('creates the users subscription when there is none, stores it (client state hashed) and queues a sweep', async () => {
    const { graph, table, publisher, deps } = setup();
    const report = await ensureSubscriptions(deps);
    assert.ok(report.created);
    assert.deepEqual(graph.calls, ['create']);
    const g = graph.subs.get(report.created);
    assert.equal(g?.resource, '/users');
    assert.equal(g?.changeType, 'updated,deleted');
    assert.equal(g?.notificationUrl, URL_);
    assert.equal(g?.lifecycleNotificationUrl, `${URL_}/lifecycle`);
    assert.equal(g?.clientState, SECRET);
    const row = table.rows.get(report.created);
    assert.equal(row?.clientStateSha256, sha256Hex(SECRET));
    assert.ok(!JSON.stringify(row).includes(SECRET), 'the secret itself is not stored');
    assert.equal(publisher.sweeps().length, 1);
    assert.equal(report.sweepQueued, true);
  });

  it('keeps a subscription that lives long enough (no Graph call but the duplicate check)', async () => {
    const { graph, table, deps } = setup();
    const s = await seedSubscription(graph, table, 20 * DAY);
    const report = await ensureSubscriptions(deps);
    assert.equal(report.kept, s.id);
    assert.deepEqual(graph.calls, []);
  });

  it('renews one that expires within the margin and stores the new expiry', async () => {
    const { graph, table, deps, invalidated } = setup();
    const s = await seedSubscription(graph, table, 3600_000);
    const report = await ensureSubscriptions(deps);
    assert.equal(report.renewed, s.id);
    assert.deepEqual(graph.calls, [`renew ${s.id}`]);
    const row = table.rows.get(s.id);
    assert.ok(row && Date.parse(row.expirationDateTime) > NOW.getTime() + 28 * DAY);
    assert.equal(row.renewedAt, NOW.toISOString());
    assert.ok(invalidated.includes(s.id), 'the webhook cache forgets it');
  });

  it('recreates one that Graph no longer lists, and forgets the old row', async () => {
    const { graph, table, deps } = setup();
    const s = await seedSubscription(graph, table, 20 * DAY, { atGraph: false });
    const report = await ensureSubscriptions(deps);
    assert.deepEqual(graph.calls, ['create']);
    assert.ok(report.created && report.created !== s.id);
    assert.equal(table.rows.has(s.id), false);
    assert.equal(table.rows.size, 1);
  });

  it('when Graph cannot list: goes by the table, and renew → gone → create', async () => {
    const { graph, table, deps, lines } = setup();
    const s = await seedSubscription(graph, table, 3600_000, { atGraph: false });
    graph.list = () => Promise.reject(new Error('HTTP 403'));
    const report = await ensureSubscriptions(deps);
    assert.deepEqual(graph.calls, [`renew ${s.id}`, 'create']);
    assert.ok(report.created && report.created !== s.id);
    assert.equal(table.rows.has(s.id), false);
    assert.ok(lines.some((l) => l.includes('Listing Graph subscriptions failed')));
  });

  it("renews when Graph's expiry is sooner than the table says", async () => {
    const { graph, table, deps } = setup();
    const s = await seedSubscription(graph, table, 20 * DAY);
    const g = graph.subs.get(s.id);
    assert.ok(g);
    g.expirationDateTime = new Date(NOW.getTime() + 3600_000).toISOString();
    const report = await ensureSubscriptions(deps);
    assert.equal(report.renewed, s.id);
  });

  it('deletes duplicates (table and Graph-only) and subscriptions made with another URL or secret', async () => {
    const { graph, table, deps } = setup();
    const best = await seedSubscription(graph, table, 20 * DAY);
    const dup = await seedSubscription(graph, table, 10 * DAY);
    const stale = await seedSubscription(graph, table, 20 * DAY, { secret: 'old-secret' });
    const orphan = await graph.create({ notificationUrl: URL_, clientState: SECRET });
    const foreign = await graph.create({ notificationUrl: 'https://other.example/hook', clientState: 'x' });
    graph.calls.length = 0;
    const report = await ensureSubscriptions(deps);
    assert.equal(report.kept, best.id);
    assert.deepEqual(new Set(report.deleted), new Set([dup.id, stale.id, orphan.id]));
    assert.deepEqual([...table.rows.keys()], [best.id]);
    assert.ok(graph.subs.has(foreign.id), "another deployment's subscription is left alone");
    assert.ok(!graph.subs.has(orphan.id));
  });

  it('without NOTIFICATION_URL or GRAPH_CLIENT_STATE: a clear log, no subscription, the sweep still queued', async () => {
    for (const config of [{ clientState: SECRET }, { notificationUrl: URL_ }]) {
      const { graph, publisher, lines, deps } = setup(config);
      const report = await ensureSubscriptions(deps);
      assert.ok(report.skipped);
      assert.deepEqual(graph.calls, []);
      const missing = config.notificationUrl ? 'GRAPH_CLIENT_STATE' : 'NOTIFICATION_URL';
      assert.ok(
        lines.some((l) => l.startsWith('error') && l.includes(missing)),
        lines.join('\n'),
      );
      assert.equal(publisher.sweeps().length, 1);
    }
  });

  it('lifecycleUrlFor keeps a query string (a function key) after the path', () => {
    assert.equal(
      lifecycleUrlFor('https://x.example/api/notifications?code=abc'),
      'https://x.example/api/notifications/lifecycle?code=abc',
    );
    assert.equal(
      lifecycleUrlFor('http://127.0.0.1:7071/api/notifications'),
      'http://127.0.0.1:7071/api/notifications/lifecycle',
    );
  });
});

function lifecycle(subscriptionId: string, lifecycleEvent: string, clientState = SECRET): string {
  return JSON.stringify({
    value: [
      {
        subscriptionId,
        subscriptionExpirationDateTime: '2026-11-22T00:00:00Z',
        tenantId: 'tenant',
        clientState,
        lifecycleEvent,
      },
    ],
  });
}

/** The endpoint (which only queues), then the queued lifecycle events processed as the queue function does. */
async function deliver(deps: LifecycleDeps, publisher: Publisher, body: string) {
  const before = publisher.sent.length;
  const out = await handleLifecycleNotifications(deps, body);
  const queued = publisher.sent
    .slice(before)
    .map((s) => directoryChangeBody.parse(s.message.body))
    .filter((b) => b.kind === 'lifecycleEvent');
  for (const b of queued) await processLifecycleEvent(deps, b);
  return out;
}

describe('lifecycle notifications', () => {
  it('the endpoint only checks and queues (no Graph call: Graph gives a delivery 3 s)', async () => {
    const { graph, table, publisher, deps } = setup();
    const s = await seedSubscription(graph, table, 20 * DAY);
    graph.calls.length = 0;
    const out = await handleLifecycleNotifications(deps, lifecycle(s.id, 'reauthorizationRequired'));
    assert.deepEqual(out, { kind: 'accepted', handled: 1, dropped: 0 });
    assert.deepEqual(graph.calls, []);
    const queued = publisher.sent.map((m) => directoryChangeBody.parse(m.message.body));
    assert.deepEqual(
      queued.map((b) => b.kind),
      ['lifecycleEvent'],
    );
  });

  it('reauthorizationRequired → reauthorize, then a delta sweep', async () => {
    const { graph, table, publisher, deps } = setup();
    const s = await seedSubscription(graph, table, 20 * DAY);
    const out = await deliver(deps, publisher, lifecycle(s.id, 'reauthorizationRequired'));
    assert.deepEqual(out, { kind: 'accepted', handled: 1, dropped: 0 });
    assert.deepEqual(graph.calls, [`reauthorize ${s.id}`]);
    assert.equal(publisher.sweeps().length, 1);
  });

  it('reauthorize refused → renews instead; gone → recreates', async () => {
    const a = setup();
    const s = await seedSubscription(a.graph, a.table, 20 * DAY);
    a.graph.reauthorizeFails = true;
    await deliver(a.deps, a.publisher, lifecycle(s.id, 'reauthorizationRequired'));
    assert.deepEqual(a.graph.calls, [`reauthorize ${s.id}`, `renew ${s.id}`]);

    const b = setup();
    const gone = await seedSubscription(b.graph, b.table, 20 * DAY, { atGraph: false });
    await deliver(b.deps, b.publisher, lifecycle(gone.id, 'reauthorizationRequired'));
    assert.deepEqual(b.graph.calls, [`reauthorize ${gone.id}`, `renew ${gone.id}`, 'create']);
  });

  it('subscriptionRemoved → a new subscription and a sweep; missed → a sweep only', async () => {
    const { graph, table, publisher, deps } = setup();
    const s = await seedSubscription(graph, table, 20 * DAY, { atGraph: false });
    await deliver(deps, publisher, lifecycle(s.id, 'subscriptionRemoved'));
    assert.deepEqual(graph.calls, ['create']);
    assert.equal(table.rows.has(s.id), false);
    assert.equal(table.rows.size, 1);
    const fresh = [...table.rows.values()][0];
    assert.ok(fresh);
    graph.calls.length = 0;
    const out = await deliver(deps, publisher, lifecycle(fresh.id, 'missed'));
    assert.equal(out.kind, 'accepted');
    assert.deepEqual(graph.calls, []);
    assert.equal(publisher.sweeps().length, 2);
  });

  it('a forged clientState or an unknown subscription does nothing', async () => {
    const { graph, table, publisher, deps } = setup();
    const s = await seedSubscription(graph, table, 20 * DAY);
    const a = await deliver(deps, publisher, lifecycle(s.id, 'subscriptionRemoved', 'forged'));
    const b = await deliver(deps, publisher, lifecycle(randomUUID(), 'missed'));
    assert.deepEqual(a, { kind: 'accepted', handled: 0, dropped: 1 });
    assert.deepEqual(b, { kind: 'accepted', handled: 0, dropped: 1 });
    assert.deepEqual(graph.calls, []);
    assert.equal(publisher.sent.length, 0);
  });

  it('malformed JSON → badRequest; the queue failing → unavailable; Graph failing → the queued work throws (redelivered)', async () => {
    const { graph, table, publisher, deps } = setup();
    assert.equal((await handleLifecycleNotifications(deps, 'nope')).kind, 'badRequest');
    const s = await seedSubscription(graph, table, 20 * DAY);
    graph.create = () => Promise.reject(new Error('HTTP 503'));
    graph.subs.delete(s.id);
    await assert.rejects(deliver(deps, publisher, lifecycle(s.id, 'subscriptionRemoved')), /HTTP 503/);
    const failing = setup();
    const t = await seedSubscription(failing.graph, failing.table, 20 * DAY);
    failing.publisher.send = () => Promise.reject(new Error('queue down'));
    const out = await handleLifecycleNotifications(failing.deps, lifecycle(t.id, 'missed'));
    assert.equal(out.kind, 'unavailable');
  });
});

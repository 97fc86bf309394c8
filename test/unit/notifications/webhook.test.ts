/**
 * POST /api/notifications without Azure: the handshake (through the function itself), payload validation,
 * client-state checks, messageIds, and what happens when storage or the queue fails.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { notifications } from '../../../functions/notifications';
import { notificationsLifecycle } from '../../../functions/notifications-lifecycle';
import type { OutgoingMessage, QueueName, QueuePublisher } from '../../../shared/queue/port';
import { directoryChangeBody } from '../../../shared/queue/messages';
import {
  CachedSubscriptionLookup,
  clientStateMatches,
  handleChangeNotifications,
  notificationMessageId,
  userIdOf,
  type NotificationDeps,
  type ServiceLog,
} from '../../../shared/services/notifications';
import {
  sha256Hex,
  type StoredGraphSubscription,
} from '../../../shared/storage/repositories/subscription-repository';
import type { ChangeNotification } from '../../../shared/graph/notification-schemas';

const SECRET = 'client-state-secret-0123456789';
const SUB_ID = '7f105c7d-2dc5-4530-97cd-4e7ae6534c07';
const USER_ID = '317cea5a-6f0c-4f70-a6a9-1d4c3b2a1f00';

function stored(id = SUB_ID, secret = SECRET): StoredGraphSubscription {
  return {
    id,
    resource: '/users',
    changeType: 'updated,deleted',
    notificationUrl: 'https://mms.example/api/notifications',
    lifecycleNotificationUrl: 'https://mms.example/api/notifications/lifecycle',
    expirationDateTime: '2030-01-01T00:00:00.000Z',
    clientStateSha256: sha256Hex(secret),
    createdAt: '2026-01-01T00:00:00.000Z',
    renewedAt: null,
  };
}

class RecordingPublisher implements QueuePublisher {
  sent: { queue: QueueName; message: OutgoingMessage }[] = [];
  fail = false;
  send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    if (this.fail) return Promise.reject(new Error('ServiceBusError: namespace unreachable'));
    this.sent.push({ queue, message });
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class MemoryLog implements ServiceLog {
  lines: string[] = [];
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string) {
    this.lines.push(`error ${m}`);
  }
}

function deps(options: { subs?: StoredGraphSubscription[]; lookupFails?: boolean } = {}) {
  const publisher = new RecordingPublisher();
  const log = new MemoryLog();
  const subs = new Map((options.subs ?? [stored()]).map((s) => [s.id, s]));
  const d: NotificationDeps = {
    subscriptions: {
      get: (id) =>
        options.lookupFails
          ? Promise.reject(new Error('ECONNREFUSED'))
          : Promise.resolve(subs.get(id) ?? null),
    },
    publisher,
    now: () => new Date('2026-11-21T10:00:00.000Z'),
    log,
  };
  return { d, publisher, log };
}

function notification(overrides: Partial<ChangeNotification> = {}): Record<string, unknown> {
  return {
    subscriptionId: SUB_ID,
    subscriptionExpirationDateTime: '2026-12-01T00:00:00.0000000+00:00',
    changeType: 'updated',
    clientState: SECRET,
    tenantId: 'a1b2c3d4-0000-0000-0000-000000000001',
    resource: `Users/${USER_ID}`,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.User',
      '@odata.id': `Users/${USER_ID}`,
      id: USER_ID,
      organizationId: 'a1b2c3d4-0000-0000-0000-000000000001',
      eventTime: '2026-11-21T09:59:58Z',
      sequenceNumber: '42',
    },
    ...overrides,
  };
}

const body = (...items: Record<string, unknown>[]) => JSON.stringify({ value: items });

describe('notifications: validation handshake', () => {
  for (const [name, fn, path] of [
    ['webhook', notifications, 'notifications'],
    ['lifecycle', notificationsLifecycle, 'notifications/lifecycle'],
  ] as const) {
    it(`${name}: echoes the decoded token as text/plain, before reading the body`, async () => {
      const token =
        'Validation: Testing client application reachability for subscription Request-Id: <b>x&y</b>';
      const res = await fn(
        new HttpRequest({
          method: 'POST',
          url: `http://localhost/api/${path}?validationToken=${encodeURIComponent(token)}`,
          // Not JSON: a handshake never parses the body.
          body: { string: 'this is { not json' },
          headers: { 'content-type': 'text/plain' },
        }),
        new InvocationContext(),
      );
      assert.equal(res.status, 200);
      assert.equal(res.body, token, 'the decoded token, exactly');
      const headers = res.headers as Record<string, string>;
      assert.match(headers['Content-Type'] ?? '', /^text\/plain/);
      assert.equal(headers['X-Content-Type-Options'], 'nosniff');
    });
  }
});

describe('notifications: payload', () => {
  it('malformed JSON → 400 invalidJson, nothing enqueued', async () => {
    const { d, publisher } = deps();
    const out = await handleChangeNotifications(d, '{"value": [');
    assert.equal(out.kind, 'badRequest');
    assert.equal(out.kind === 'badRequest' && out.code, 'invalidJson');
    assert.equal(publisher.sent.length, 0);
  });

  it('a payload without value, or with a notification missing subscriptionId → 400 naming the field', async () => {
    const { d } = deps();
    const a = await handleChangeNotifications(d, JSON.stringify({ values: [] }));
    assert.ok(a.kind === 'badRequest' && a.message.includes('"value"'), JSON.stringify(a));
    const { subscriptionId: _s, ...noSub } = notification();
    const b = await handleChangeNotifications(d, body(noSub));
    assert.ok(b.kind === 'badRequest' && b.message.includes('value.0.subscriptionId'), JSON.stringify(b));
  });

  it('accepts a valid notification with extra fields and enqueues one userNotification', async () => {
    const { d, publisher } = deps();
    const out = await handleChangeNotifications(
      d,
      body(notification({ encryptedContent: null, lifecycleEvent: null, someFutureField: { x: 1 } })),
    );
    assert.deepEqual(out, { kind: 'accepted', accepted: 1, dropped: 0 });
    assert.equal(publisher.sent.length, 1);
    const sent = publisher.sent[0];
    assert.equal(sent?.queue, 'directory-changes');
    const parsed = directoryChangeBody.parse(sent?.message.body);
    assert.equal(parsed.kind, 'userNotification');
    assert.ok(
      parsed.kind === 'userNotification' && parsed.userId === USER_ID && parsed.changeType === 'updated',
    );
  });

  it('finds the user whatever the casing of resource, also without resourceData', () => {
    const n = (resource: string) =>
      ({ subscriptionId: SUB_ID, changeType: 'updated', resource }) as ChangeNotification;
    assert.equal(userIdOf(n(`Users/${USER_ID}`)), USER_ID);
    assert.equal(userIdOf(n(`users/${USER_ID}`)), USER_ID);
    assert.equal(userIdOf(n(`/USERS/${USER_ID}`)), USER_ID);
    assert.equal(userIdOf(n(`Users('${USER_ID}')`)), USER_ID);
    assert.equal(userIdOf(n('Groups/abc')), null);
  });
});

describe('notifications: clientState and subscription checks', () => {
  it('compares client states by SHA-256 in constant time: equal, different, different length, missing', () => {
    const h = sha256Hex(SECRET);
    assert.equal(clientStateMatches(SECRET, h), true);
    assert.equal(clientStateMatches(`${SECRET.slice(0, -1)}X`, h), false);
    assert.equal(clientStateMatches(`${SECRET}-longer`, h), false);
    assert.equal(clientStateMatches('', sha256Hex('')), false, 'an empty client state never matches');
    assert.equal(clientStateMatches(undefined, h), false);
    assert.equal(clientStateMatches(null, h), false);
    assert.equal(clientStateMatches(SECRET, 'abcd'), false, 'a malformed stored hash never matches');
  });

  it('a forged clientState is dropped (202, nothing enqueued) and the log holds no secret', async () => {
    const { d, publisher, log } = deps();
    const forged = 'forged-client-state-value';
    const out = await handleChangeNotifications(d, body(notification({ clientState: forged })));
    assert.deepEqual(out, { kind: 'accepted', accepted: 0, dropped: 1 });
    assert.equal(publisher.sent.length, 0);
    const text = log.lines.join('\n');
    assert.match(text, /clientState does not match/);
    assert.ok(!text.includes(forged) && !text.includes(SECRET), 'no client state in the log');
  });

  it('a notification without clientState is dropped', async () => {
    const { d, publisher } = deps();
    const { clientState: _c, ...without } = notification();
    const out = await handleChangeNotifications(d, body(without));
    assert.deepEqual(out, { kind: 'accepted', accepted: 0, dropped: 1 });
    assert.equal(publisher.sent.length, 0);
  });

  it('an unknown subscription is dropped even with the right clientState', async () => {
    const { d, publisher, log } = deps();
    const out = await handleChangeNotifications(
      d,
      body(notification({ subscriptionId: '00000000-1111-2222-3333-444444444444' })),
    );
    assert.deepEqual(out, { kind: 'accepted', accepted: 0, dropped: 1 });
    assert.equal(publisher.sent.length, 0);
    assert.match(log.lines.join('\n'), /unknown subscription/);
  });

  it('one POST mixing a good and a forged notification enqueues only the good one', async () => {
    const other = stored('11111111-2222-3333-4444-555555555555', 'other-secret');
    const { d, publisher } = deps({ subs: [stored(), other] });
    const out = await handleChangeNotifications(
      d,
      body(
        notification(),
        notification({ subscriptionId: other.id, clientState: SECRET }), // right secret, wrong subscription
        notification({ subscriptionId: other.id, clientState: 'other-secret', resource: 'Users/abc' }),
      ),
    );
    assert.deepEqual(out, { kind: 'accepted', accepted: 2, dropped: 1 });
    assert.equal(publisher.sent.length, 2);
  });

  it('non-user change types are not enqueued', async () => {
    const { d, publisher } = deps();
    const out = await handleChangeNotifications(d, body(notification({ changeType: 'created' })));
    assert.deepEqual(out, { kind: 'accepted', accepted: 0, dropped: 1 });
    assert.equal(publisher.sent.length, 0);
  });
});

describe('notifications: messageId', () => {
  const at = (s: string) => new Date(s);
  it('is the same for a redelivery of one change, whenever it is received and whatever the casing', () => {
    const n = notification() as ChangeNotification;
    const lower = { ...n, resource: `users/${USER_ID}` };
    const a = notificationMessageId(n, at('2026-11-21T10:00:00Z'));
    assert.equal(a, notificationMessageId(n, at('2026-11-21T13:59:00Z')));
    assert.equal(a, notificationMessageId(lower, at('2026-11-21T10:00:00Z')));
    assert.ok(a.length <= 128 && /^[0-9a-f]+$/.test(a));
  });

  it('differs for another change, change type or subscription', () => {
    const n = notification() as ChangeNotification;
    const base = notificationMessageId(n, at('2026-11-21T10:00:00Z'));
    const data = n.resourceData ?? {};
    const variants: ChangeNotification[] = [
      { ...n, resourceData: { ...data, sequenceNumber: '43' } },
      { ...n, changeType: 'deleted' },
      { ...n, subscriptionId: '11111111-2222-3333-4444-555555555555' },
      { ...n, resource: 'Users/another-user' },
    ];
    for (const v of variants) assert.notEqual(notificationMessageId(v, at('2026-11-21T10:00:00Z')), base);
  });

  it('falls back to eventTime when there is no sequenceNumber', () => {
    const n = notification() as ChangeNotification;
    const data = { ...(n.resourceData ?? {}), sequenceNumber: undefined };
    const a = notificationMessageId({ ...n, resourceData: data }, at('2026-11-21T10:00:00Z'));
    const b = notificationMessageId(
      { ...n, resourceData: { ...data, eventTime: '2026-11-21T09:59:59Z' } },
      at('2026-11-21T10:00:00Z'),
    );
    assert.notEqual(a, b);
    assert.equal(a, notificationMessageId({ ...n, resourceData: data }, at('2026-11-21T11:00:00Z')));
  });

  it('one POST carrying the same notification twice enqueues it once', async () => {
    const { d, publisher } = deps();
    const out = await handleChangeNotifications(d, body(notification(), notification()));
    assert.equal(out.kind, 'accepted');
    assert.equal(publisher.sent.length, 1);
  });
});

describe('notifications: failures', () => {
  it('queue down → unavailable (503), so that Graph redelivers', async () => {
    const { d, publisher, log } = deps();
    publisher.fail = true;
    const out = await handleChangeNotifications(d, body(notification()));
    assert.equal(out.kind, 'unavailable');
    assert.match(log.lines.join('\n'), /queue did not take them/);
  });

  it('subscription table unreachable → unavailable (503)', async () => {
    const { d, publisher } = deps({ lookupFails: true });
    const out = await handleChangeNotifications(d, body(notification()));
    assert.equal(out.kind, 'unavailable');
    assert.equal(publisher.sent.length, 0);
  });
});

describe('CachedSubscriptionLookup', () => {
  it('reads a known subscription once per TTL and never caches unknown ids', async () => {
    let reads = 0;
    let known = false;
    let clock = 0;
    const lookup = new CachedSubscriptionLookup(
      {
        get: (id) => {
          reads++;
          return Promise.resolve(known && id === SUB_ID ? stored() : null);
        },
      },
      1000,
      () => clock,
    );
    assert.equal(await lookup.get(SUB_ID), null);
    known = true;
    assert.ok(await lookup.get(SUB_ID), 'a subscription saved after a miss is found at once');
    assert.ok(await lookup.get(SUB_ID));
    assert.equal(reads, 2);
    clock = 1001;
    await lookup.get(SUB_ID);
    assert.equal(reads, 3, 'expired entries are read again');
    lookup.invalidate(SUB_ID);
    await lookup.get(SUB_ID);
    assert.equal(reads, 4);
  });

  it('lookups of an id while its read is in flight share that read; invalidate disowns it', async () => {
    let reads = 0;
    const pending: ((v: StoredGraphSubscription | null) => void)[] = [];
    const lookup = new CachedSubscriptionLookup({
      get: () => {
        reads++;
        return new Promise((resolve) => pending.push(resolve));
      },
    });
    const burst = Array.from({ length: 50 }, () => lookup.get(SUB_ID));
    assert.equal(reads, 1, 'a burst meeting a cold cache makes one read');
    pending[0]?.(stored());
    for (const found of await Promise.all(burst)) assert.equal(found?.id, SUB_ID);
    assert.ok(await lookup.get(SUB_ID));
    assert.equal(reads, 1, 'and its answer is cached');

    // A read in flight when the subscription changes does not fill the cache: the next lookup reads again.
    lookup.invalidate();
    const stale = lookup.get(SUB_ID);
    lookup.invalidate(SUB_ID);
    const fresh = lookup.get(SUB_ID);
    assert.equal(reads, 3);
    pending[1]?.(stored(SUB_ID, 'old-secret'));
    pending[2]?.(stored());
    await Promise.all([stale, fresh]);
    const cached = await lookup.get(SUB_ID);
    assert.equal(cached?.clientStateSha256, stored().clientStateSha256);
    assert.equal(reads, 3);

    // A failed read is shared by the lookups waiting on it, and not remembered.
    lookup.invalidate();
    const failing = new CachedSubscriptionLookup({
      get: () => {
        reads++;
        return Promise.reject(new Error('storage down'));
      },
    });
    const both = await Promise.allSettled([failing.get(SUB_ID), failing.get(SUB_ID)]);
    assert.deepEqual(
      both.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(reads, 4);
    await assert.rejects(failing.get(SUB_ID));
    assert.equal(reads, 5);
  });
});

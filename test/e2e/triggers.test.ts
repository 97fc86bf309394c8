/**
 * Triggers end to end, black box: `npm start` (local host, Azurite, a small generated sandbox tenant) with a short
 * MIGRATION_DELAY_SECONDS. The service subscribes at start-up (the sandbox's handshake reaches the host); a licence
 * change in the sandbox → change notification → delta → migration → Succeeded with each meeting updated once; a
 * SIP or UPN change → nothing; meetingMigrationEnabled false → nothing; a burst of five licence changes within the
 * delay → one migration; a forged notification → nothing enqueued; an expiring subscription → renewed by the timer
 * (fired through the admin endpoint). Each scenario works on its own user.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { startLocalHost, type LocalHost } from '../support/local-host';

const KEY = 'e2e-trigger-key';
const AC_PLAN = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';
const SKU_MCOMEETADV = '0c266dff-15dd-4b49-8397-2bb16070ed52';
/** SKUs of the sandbox catalogue that include the Audio Conferencing plan. */
const AC_SKUS = new Set([
  SKU_MCOMEETADV,
  '06ebc4ee-1bb5-47dd-8120-11324bc54e06',
  'c7df2760-2c81-4ef7-b578-5b5392b571df',
]);

const rawUser = z.looseObject({
  id: z.string(),
  userPrincipalName: z.string(),
  sandboxMailboxLocation: z.string(),
  sandboxDialIn: z.looseObject({ provider: z.string() }).nullish(),
  assignedLicenses: z.array(z.object({ skuId: z.string(), disabledPlans: z.array(z.string()).optional() })),
  assignedPlans: z.array(z.object({ servicePlanId: z.string(), capabilityStatus: z.string() })),
});
type RawUser = z.infer<typeof rawUser>;
const rawEvent = z.looseObject({ id: z.string(), sandboxCase: z.string().nullish() });
const requestEntry = z.looseObject({ method: z.string(), path: z.string(), status: z.number() });
const subscriptionView = z.looseObject({
  id: z.string(),
  clientState: z.string().nullable(),
  expirationMs: z.number(),
  notificationUrl: z.string(),
  lifecycleNotificationUrl: z.string().nullable(),
});
const statusView = z.looseObject({
  state: z.string(),
  migrationType: z.string(),
  trigger: z.string().optional(),
  triggers: z.array(z.string()).optional(),
  correlationId: z.string(),
  invitesUpdate: z.number(),
  lastMessage: z.string(),
  retryCount: z.number(),
  followUp: z.unknown().optional(),
});
type StatusView = z.infer<typeof statusView>;

let host: LocalHost | undefined;
let api = '';
let control = '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const log = (host?.output() ?? '')
        .split('\n')
        .filter((l) => !/Executed '/.test(l))
        .join('\n');
      throw new Error(`Timed out waiting for ${what}\n--- host output ---\n${log.slice(-8000)}`);
    }
    await sleep(100);
  }
}

async function controlJson(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${control}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const text = await res.text();
  assert.ok(res.ok, `${init.method ?? 'GET'} /_sandbox${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

async function apiCall(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${api}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', 'x-functions-key': KEY, ...(init.headers ?? {}) },
  });
}

async function status(userId: string): Promise<StatusView | null> {
  const res = await apiCall(`/api/migrations/${userId}`);
  if (res.status === 404) return null;
  assert.equal(res.status, 200, await res.clone().text());
  return statusView.parse(await res.json());
}

async function users(): Promise<RawUser[]> {
  return z.object({ value: z.array(rawUser) }).parse(await controlJson('/users')).value;
}

async function requests() {
  return z.object({ value: z.array(requestEntry) }).parse(await controlJson('/requests')).value;
}

async function deltaReads(): Promise<number> {
  return (await requests()).filter((r) => r.method === 'GET' && r.path.startsWith('/users/delta')).length;
}

/** PATCHes of the user's events, by event id. */
async function patchesOf(userId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const r of await requests()) {
    if (r.method !== 'PATCH' || !r.path.startsWith(`/users/${userId}/events/`)) continue;
    const id = r.path.slice(`/users/${userId}/events/`.length);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function subscriptions() {
  return z.object({ value: z.array(subscriptionView) }).parse(await controlJson('/subscriptions')).value;
}

function hasAudioConferencing(u: RawUser): boolean {
  return u.assignedPlans.some((p) => p.servicePlanId === AC_PLAN && p.capabilityStatus === 'Enabled');
}

/** Flips the user's Audio Conferencing through Graph's assignLicense (removing or adding the SKUs that carry it). */
async function toggleAudioConferencing(userId: string): Promise<void> {
  const u = (await users()).find((x) => x.id === userId);
  assert.ok(u);
  // Taking Audio Conferencing away the way an admin does: the stand-alone SKU removed, the plan disabled in a
  // suite (removing the suite would take the Exchange Online mailbox with it).
  const acLicences = u.assignedLicenses.filter((l) => AC_SKUS.has(l.skuId));
  const body = hasAudioConferencing(u)
    ? {
        addLicenses: acLicences
          .filter((l) => l.skuId !== SKU_MCOMEETADV)
          .map((l) => ({ skuId: l.skuId, disabledPlans: [...(l.disabledPlans ?? []), AC_PLAN] })),
        removeLicenses: acLicences.filter((l) => l.skuId === SKU_MCOMEETADV).map((l) => l.skuId),
      }
    : { addLicenses: [{ skuId: SKU_MCOMEETADV, disabledPlans: [] }], removeLicenses: [] };
  await controlJson(`/users/${userId}/assignLicense`, { method: 'POST', body: JSON.stringify(body) });
}

/** Waits until a delta read happened after `before` reads, then a little more for its processing to finish. */
async function deltaProcessedAfter(before: number): Promise<void> {
  await waitFor('a /users/delta read', async () => ((await deltaReads()) > before ? true : undefined));
  await sleep(1500);
}

/**
 * Users with an Exchange Online mailbox and Microsoft as their dial-in provider (a third-party provider's users are
 * not migrated on licence changes by default, which would make "nothing happened" prove nothing), those organising
 * the most meetings first, and not yet used.
 */
const used = new Set<string>();
async function pickUser(): Promise<RawUser> {
  const candidates: { u: RawUser; organised: number }[] = [];
  for (const u of await users()) {
    if (used.has(u.id) || u.sandboxMailboxLocation !== 'exchangeOnline') continue;
    if (u.sandboxDialIn?.provider === 'ThirdParty') continue;
    const events = z
      .object({ value: z.array(rawEvent) })
      .parse(await controlJson(`/events?mailbox=${u.id}`)).value;
    const organised = events.filter((e) => !(e.sandboxCase ?? '').includes('attendee-copy')).length;
    candidates.push({ u, organised });
  }
  candidates.sort((a, b) => b.organised - a.organised);
  const best = candidates[0];
  assert.ok(best, 'a free user with an Exchange Online mailbox');
  used.add(best.u.id);
  return best.u;
}

async function waitForFinished(userId: string): Promise<StatusView> {
  return waitFor(
    `the migration of ${userId} to finish`,
    async () => {
      const s = await status(userId);
      return s && (s.state === 'Succeeded' || s.state === 'Failed') ? s : undefined;
    },
    60_000,
  );
}

describe('triggers end to end (npm start, black box)', () => {
  before(async () => {
    host = await startLocalHost(['--users', '8', '--meetings', '4', '--seed', '7'], {
      env: { MIGRATION_DELAY_SECONDS: '3', MMS_FUNCTION_KEY: KEY },
      tmpPrefix: 'mms-e2e-triggers-',
    });
    api = host.apiUrl;
    assert.ok(host.sandboxControlUrl, 'the sandbox control URL is printed');
    control = host.sandboxControlUrl;
  });

  after(async () => {
    await host?.stop('SIGINT', 20_000);
  });

  it('subscribes to user changes at start-up: the handshake reached the host', async () => {
    const subs = await waitFor('the subscription', async () => {
      const s = await subscriptions();
      return s.length > 0 ? s : undefined;
    });
    assert.equal(subs.length, 1);
    const sub = subs[0];
    assert.equal(sub?.notificationUrl, `${api}/api/notifications`);
    assert.equal(sub?.lifecycleNotificationUrl, `${api}/api/notifications/lifecycle`);
    assert.ok(sub?.clientState && sub.clientState.length >= 16, 'a generated client state');
    assert.ok((sub?.expirationMs ?? 0) > Date.now() + 28 * 24 * 3600_000);
  });

  it('a licence change → notification → delta → one migration → Succeeded, each meeting updated once', async () => {
    await waitFor('the subscription', async () => ((await subscriptions()).length ? true : undefined));
    const u = await pickUser();
    assert.equal(await status(u.id), null, 'never migrated before');
    await toggleAudioConferencing(u.id);
    const s = await waitForFinished(u.id);
    assert.equal(s.state, 'Succeeded', s.lastMessage);
    assert.equal(s.migrationType, 'ToSameType');
    assert.match(s.trigger ?? '', /^audioConferencingLicence(Assigned|Removed)$/);
    const patches = await patchesOf(u.id);
    assert.ok(patches.size > 0, `some meeting of ${u.userPrincipalName} was updated`);
    for (const [id, n] of patches) assert.equal(n, 1, `event ${id} updated once`);
    assert.ok(s.invitesUpdate > 0);
  });

  it('a SIP address change and a UPN change migrate nothing', async () => {
    const u = await pickUser();
    const before = await deltaReads();
    await controlJson(`/users/${u.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ sandboxSipAddress: `sip:moved.${u.userPrincipalName}` }),
    });
    await controlJson(`/users/${u.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ userPrincipalName: `renamed.${u.userPrincipalName}` }),
    });
    await deltaProcessedAfter(before);
    assert.equal(await status(u.id), null, 'no migration was requested');
    assert.equal((await patchesOf(u.id)).size, 0);
  });

  it('with meetingMigrationEnabled false a licence change migrates nothing', async () => {
    const u = await pickUser();
    const off = await apiCall('/api/settings/migration', {
      method: 'PATCH',
      body: JSON.stringify({ meetingMigrationEnabled: false }),
    });
    assert.equal(off.status, 200, await off.clone().text());
    try {
      const before = await deltaReads();
      await toggleAudioConferencing(u.id);
      await deltaProcessedAfter(before);
      assert.equal(await status(u.id), null, 'no migration was requested');
    } finally {
      const on = await apiCall('/api/settings/migration', {
        method: 'PATCH',
        body: JSON.stringify({ meetingMigrationEnabled: true }),
      });
      assert.equal(on.status, 200);
    }
  });

  it('a burst of five licence changes within the delay → one migration, one update per meeting', async () => {
    const u = await pickUser();
    for (let i = 0; i < 5; i++) await toggleAudioConferencing(u.id);
    const pending = await waitFor('the pending migration', () => status(u.id).then((s) => s ?? undefined));
    const s = await waitForFinished(u.id);
    assert.equal(s.state, 'Succeeded', s.lastMessage);
    assert.equal(s.correlationId, pending.correlationId, 'the run that was pending is the one that ran');
    // Five notifications reached the service (delta may fold several changes into one round: that is fine).
    const deliveries = z
      .object({
        value: z.array(z.looseObject({ kind: z.string(), state: z.string(), payload: z.unknown() })),
      })
      .parse(await controlJson('/notifications'))
      .value.filter((d) => d.kind === 'change' && JSON.stringify(d.payload).includes(u.id));
    assert.equal(deliveries.length, 5);
    assert.ok(deliveries.every((d) => d.state === 'delivered'));
    // Nothing follows it: no second run.
    await sleep(4000);
    const later = await status(u.id);
    assert.equal(later?.correlationId, s.correlationId);
    assert.equal(later?.state, 'Succeeded');
    const patches = await patchesOf(u.id);
    assert.ok(patches.size > 0, `some meeting of ${u.userPrincipalName} was updated`);
    for (const [id, n] of patches) assert.equal(n, 1, `event ${id} updated once`);
  });

  it('a forged notification (wrong clientState) is accepted but nothing is enqueued', async () => {
    const [sub] = await subscriptions();
    assert.ok(sub);
    const u = await pickUser();
    const before = await deltaReads();
    const res = await fetch(`${api}/api/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          {
            subscriptionId: sub.id,
            changeType: 'updated',
            clientState: 'not-the-client-state',
            tenantId: '00000000-0000-0000-0000-000000000000',
            resource: `Users/${u.id}`,
            resourceData: { '@odata.type': '#Microsoft.Graph.User', id: u.id, sequenceNumber: '999999' },
          },
        ],
      }),
    });
    assert.equal(res.status, 202);
    await sleep(2000);
    assert.equal(await deltaReads(), before, 'no directory-changes message was processed');
    assert.equal(await status(u.id), null);
  });

  it('an expiring subscription is renewed by the timer', async () => {
    const [sub] = await subscriptions();
    assert.ok(sub);
    await controlJson(`/subscriptions/${sub.id}/expiry`, {
      method: 'POST',
      body: JSON.stringify({ expirationDateTime: new Date(Date.now() + 3600_000).toISOString() }),
    });
    const fire = await fetch(`${api}/admin/functions/renewSubscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': KEY },
      body: JSON.stringify({ input: '' }),
    });
    assert.equal(fire.status, 202);
    const renewed = await waitFor('the renewal', async () => {
      const s = (await subscriptions()).find((x) => x.id === sub.id);
      return s && s.expirationMs > Date.now() + 28 * 24 * 3600_000 ? s : undefined;
    });
    assert.equal(renewed.id, sub.id, 'renewed, not recreated');
    assert.equal((await subscriptions()).length, 1);
  });
});

/**
 * The Graph gateways against the sandbox tenant (dev/sandbox), started here on a free port with a small seed:
 * users and mailboxes, future organized meetings across pages with series exceptions, the body+marker PATCH,
 * the per-mailbox limit and Retry-After seen from the sandbox's request log, delta, subscriptions.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startSandbox } from '../../../dev/sandbox';
import type { TenantSeedInput } from '../../../dev/sandbox/seed';
import { createGraphClient, type GraphClient } from '../../../shared/graph/client';
import { GraphRequestError, SubscriptionGoneError } from '../../../shared/graph/errors';
import { createGraphGateways } from '../../../shared/graph/index';
import type { DeltaItem, DeltaUser, GraphGateways, MeetingEvent } from '../../../shared/graph/ports';
import { USER_SUBSCRIPTION_MAX_MINUTES } from '../../../shared/graph/subscriptions';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

const TENANT = '8f0c1f4e-5d7a-4b2e-9a61-2c3d4e5f6a7b';
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const CAROL = '33333333-3333-4333-8333-333333333333';
const DOMAIN = 'contoso.test';
const E5 = '06ebc4ee-1bb5-47dd-8120-11324bc54e06';
const AUDIO_PLAN = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Whole hours, so that series occurrences fall on predictable instants. */
const NOW = new Date(Math.floor(Date.now() / HOUR) * HOUR + HOUR / 2);
const at = (ms: number) => new Date(Math.floor((NOW.getTime() + ms) / HOUR) * HOUR);
const dt = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });
const dateOnly = (d: Date) => d.toISOString().slice(0, 10);

const teamsBody = (label: string) =>
  `<html><body><p>${label}</p><div>${'_'.repeat(80)}</div><a href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_${label}%40thread.v2/0">Join</a><div>${'_'.repeat(80)}</div></body></html>`;

function meeting(subject: string, start: Date, extra: Record<string, unknown> = {}) {
  return {
    mailboxUserId: ALICE,
    organizerUserId: ALICE,
    subject,
    body: { contentType: 'html' as const, content: teamsBody(subject) },
    start: dt(start),
    end: dt(new Date(start.getTime() + HOUR)),
    isOnlineMeeting: true,
    onlineMeetingProvider: 'teamsForBusiness' as const,
    onlineMeeting: { joinUrl: `https://teams.microsoft.com/l/meetup-join/${subject}` },
    attendees: [
      { emailAddress: { address: `carol@${DOMAIN}`, name: 'Carol' } },
      { emailAddress: { address: `dave@example.org` } },
    ],
    ...extra,
  };
}

const FUTURE_SINGLES = Array.from({ length: 7 }, (_, i) => `future-${i}`);
/** Weekly series that started 10 weeks ago and never ends. */
const seriesStart = at(-70 * DAY + 2 * HOUR);
const futureExceptionStart = new Date(seriesStart.getTime() + 12 * 7 * DAY);
const pastExceptionStart = new Date(seriesStart.getTime() + 2 * 7 * DAY);

const BRIDGE = '55555555-5555-4555-8555-555555555555';

const seed: TenantSeedInput = {
  tenantId: TENANT,
  domain: DOMAIN,
  bridges: [
    {
      id: BRIDGE,
      name: 'Contoso bridge',
      isDefault: true,
      dialInUrl: 'https://dialin.teams.microsoft.com/contoso',
      defaultTollNumber: '+33170000001',
      defaultTollFreeNumber: '+33800000001',
      numbers: [
        { number: '+33170000001', type: 'toll', city: 'Paris', country: 'France', languages: ['fr-FR'] },
        { number: '+33800000001', type: 'tollFree', city: 'Paris', country: 'France', languages: ['fr-FR'] },
      ],
    },
  ],
  users: [
    {
      id: ALICE,
      userPrincipalName: `alice@${DOMAIN}`,
      displayName: 'Alice Ærøskøbing',
      mail: `alice@${DOMAIN}`,
      preferredLanguage: 'fr-FR',
      mailboxTimeZone: 'W. Europe Standard Time',
      sandboxDialIn: {
        provider: 'Microsoft',
        enabled: true,
        bridgeId: BRIDGE,
        tollNumber: '+33170000001',
        tollFreeNumber: '+33800000001',
        conferenceId: '987654321',
      },
      assignedLicenses: [{ skuId: E5, disabledPlans: [] }],
      assignedPlans: [
        {
          assignedDateTime: '2024-01-01T00:00:00Z',
          capabilityStatus: 'Enabled',
          service: 'MicrosoftCommunicationsOnline',
          servicePlanId: AUDIO_PLAN,
        },
        {
          assignedDateTime: '2024-01-01T00:00:00Z',
          capabilityStatus: 'Enabled',
          service: 'TeamspaceAPI',
          servicePlanId: '57ff2da0-773e-42df-b2af-ffb7a2317929',
        },
      ],
    },
    {
      id: BOB,
      userPrincipalName: `bob@${DOMAIN}`,
      displayName: 'Bob On-Prem',
      sandboxMailboxLocation: 'onPremises',
    },
    { id: CAROL, userPrincipalName: `carol@${DOMAIN}`, displayName: 'Carol' },
  ],
  events: [
    meeting('past-single', at(-2 * DAY)),
    ...FUTURE_SINGLES.map((s, i) => meeting(s, at((i + 1) * DAY))),
    // Alice's copy of a meeting Carol organizes: not Alice's to migrate.
    meeting('not-organizer', at(3 * DAY), { organizerUserId: CAROL }),
    meeting('weekly', seriesStart, {
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: [weekday(seriesStart)] },
        range: { type: 'noEnd', startDate: dateOnly(seriesStart) },
      },
      exceptions: [
        {
          originalStart: futureExceptionStart.toISOString(),
          subject: 'weekly (moved)',
          body: { contentType: 'html', content: teamsBody('weekly-exception-future') },
          start: dt(new Date(futureExceptionStart.getTime() + HOUR)),
          end: dt(new Date(futureExceptionStart.getTime() + 2 * HOUR)),
        },
        {
          originalStart: pastExceptionStart.toISOString(),
          body: { contentType: 'html', content: teamsBody('weekly-exception-past') },
        },
      ],
    }),
    meeting('ended-series', at(-60 * DAY), {
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'endDate', startDate: dateOnly(at(-60 * DAY)), endDate: dateOnly(at(-30 * DAY)) },
      },
    }),
    meeting('numbered-past-series', at(-20 * DAY), {
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'numbered', startDate: dateOnly(at(-20 * DAY)), numberOfOccurrences: 3 },
      },
    }),
  ],
};

function weekday(d: Date) {
  return (['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const)[
    d.getUTCDay()
  ]!;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('Graph gateways against the sandbox tenant', () => {
  let sandbox: Sandbox;
  let graph: GraphClient;
  let gw: GraphGateways;
  let webhook: Server;
  let webhookUrl: string;

  before(async () => {
    sandbox = await startSandbox({ port: 0, seed });
    graph = createGraphClient(
      {
        graph: { baseUrl: sandbox.url, credential: { kind: 'sandbox', token: sandbox.token } },
        mailboxConcurrency: 4,
      },
      { retry: { maxRetries: 4, baseDelayMs: 20, maxDelayMs: 200 } },
    );
    gw = createGraphGateways(graph);
    // A notification endpoint that passes Graph's validation handshake.
    webhook = createServer((req, res) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
      req.resume();
      if (token !== null) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(token);
      } else {
        res.writeHead(202);
        res.end();
      }
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/api/notifications`;
  });
  after(async () => {
    await sandbox?.stop();
    webhook?.closeAllConnections();
    await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
  });

  describe('DirectoryGateway', () => {
    it('gets a user by id and by UPN, with licences and plans', async () => {
      const byId = await gw.directory.getUser(ALICE);
      const byUpn = await gw.directory.getUser(`ALICE@${DOMAIN}`);
      assert.ok(byId && byUpn);
      assert.deepEqual(byUpn, byId);
      assert.equal(byId.id, ALICE);
      assert.equal(byId.userPrincipalName, `alice@${DOMAIN}`);
      assert.equal(byId.displayName, 'Alice Ærøskøbing');
      assert.equal(byId.preferredLanguage, 'fr-FR');
      assert.equal(byId.accountEnabled, true);
      assert.deepEqual(byId.assignedLicenses, [{ skuId: E5, disabledPlans: [] }]);
      assert.ok(
        byId.assignedPlans.some((p) => p.servicePlanId === AUDIO_PLAN && p.capabilityStatus === 'Enabled'),
      );
    });

    it('answers null for an unknown user', async () => {
      assert.equal(await gw.directory.getUser('99999999-9999-4999-8999-999999999999'), null);
      assert.equal(await gw.directory.getUser(`nobody@${DOMAIN}`), null);
    });

    it('tells where a mailbox is', async () => {
      const alice = await gw.directory.checkMailbox(ALICE);
      assert.equal(alice.location, 'exchangeOnline');
      assert.ok(alice.location === 'exchangeOnline' && alice.timeZone === 'W. Europe Standard Time');
      assert.ok(alice.location === 'exchangeOnline' && alice.language?.toLowerCase() === 'fr-fr');
      const bob = await gw.directory.checkMailbox(BOB);
      assert.equal(bob.location, 'onPremises');
      assert.ok(bob.location === 'onPremises' && /MailboxNotEnabledForRESTAPI/i.test(bob.code));
      assert.deepEqual(await gw.directory.checkMailbox('99999999-9999-4999-8999-999999999999'), {
        location: 'notFound',
      });
    });

    it('delta: a full sync ending in a deltaLink, then only the changes', async () => {
      const select = ['id', 'userPrincipalName', 'displayName', 'assignedLicenses', 'assignedPlans'];
      const first = await collect(gw.directory.delta({ select }));
      const pages = first.filter((i): i is Extract<DeltaItem, { kind: 'page' }> => i.kind === 'page');
      const deltaLink = pages.at(-1)?.deltaLink;
      assert.ok(deltaLink, 'the last page carries the deltaLink');
      assert.ok(pages.slice(0, -1).every((p) => p.deltaLink === undefined));
      const ids = pages.flatMap((p) => p.users.map((u) => u.id.toLowerCase()));
      assert.deepEqual(new Set(ids), new Set([ALICE, BOB, CAROL]));

      sandbox.tenant.updateUser(CAROL, { displayName: 'Carol Renamed' });
      const second = await collect(gw.directory.delta({ select, deltaLink }));
      const changed: DeltaUser[] = second.flatMap((i) => (i.kind === 'page' ? i.users : []));
      assert.deepEqual(
        changed.map((u) => u.id.toLowerCase()),
        [CAROL],
      );
      assert.equal(changed[0]?.displayName, 'Carol Renamed');
      const next = second.at(-1);
      assert.ok(next?.kind === 'page' && next.deltaLink !== undefined);

      // A user who arrives and is then deleted for good: seen, then reported as removed.
      const DAVE = '44444444-4444-4444-8444-444444444444';
      sandbox.tenant.createUser({ id: DAVE, userPrincipalName: `dave@${DOMAIN}`, displayName: 'Dave' });
      const third = await collect(gw.directory.delta({ select, deltaLink: next.deltaLink }));
      const arrived = third.flatMap((i) => (i.kind === 'page' ? i.users : []));
      assert.deepEqual(
        arrived.map((u) => [u.id.toLowerCase(), u.removed]),
        [[DAVE, undefined]],
      );
      const last = third.at(-1);
      assert.ok(last?.kind === 'page' && last.deltaLink !== undefined);
      sandbox.tenant.deleteUser(DAVE, 'permanent');
      const fourth = await collect(gw.directory.delta({ select, deltaLink: last.deltaLink }));
      const removed = fourth.flatMap((i) => (i.kind === 'page' ? i.users : []));
      assert.deepEqual(
        removed.map((u) => [u.id.toLowerCase(), u.removed]),
        [[DAVE, { reason: 'deleted' }]],
      );
    });

    it('delta: restarts from scratch when Graph forgot the sync state, and says so', async () => {
      const forged = `${sandbox.url}/v1.0/users/delta?$deltatoken=not-a-token`;
      const items = await collect(gw.directory.delta({ select: ['id'], deltaLink: forged }));
      assert.equal(items[0]?.kind, 'restart');
      const users = items.flatMap((i) => (i.kind === 'page' ? i.users : []));
      // Graph may list deletions (@removed) even in a full sync's first round; the live users all come back.
      assert.equal(users.filter((u) => u.removed === undefined).length, 3, 'a full sync follows');
      const last = items.at(-1);
      assert.ok(last?.kind === 'page' && last.deltaLink);
    });
  });

  describe('CalendarGateway', () => {
    it('pages through future organized meetings: each once, series exceptions included, nothing past', async () => {
      const pages = await collect(gw.calendar.listOrganizedFutureMeetings(ALICE, { now: NOW, pageSize: 3 }));
      assert.ok(pages.length >= 3, `several pages, got ${pages.length}`);
      assert.ok(pages.every((p) => p.length > 0 && p.length <= 3));
      const all: MeetingEvent[] = pages.flat();
      const ids = all.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'no event twice');

      const subjects = all.map((e) => e.subject).sort();
      assert.deepEqual(subjects, [...FUTURE_SINGLES, 'weekly', 'weekly (moved)'].sort());

      const master = all.find((e) => e.subject === 'weekly');
      const exception = all.find((e) => e.subject === 'weekly (moved)');
      assert.equal(master?.type, 'seriesMaster');
      assert.equal(master?.recurrence?.range?.type, 'noEnd');
      assert.equal(exception?.type, 'exception');
      assert.equal(exception?.seriesMasterId, master?.id);
      assert.match(
        exception?.body.content ?? '',
        /weekly-exception-future/,
        'the exception carries its own body',
      );
      assert.ok(master && exception);
      assert.ok(all.indexOf(master) < all.indexOf(exception), 'exceptions come after their master');

      const single = all.find((e) => e.subject === 'future-0')!;
      assert.equal(single.type, 'singleInstance');
      assert.equal(single.isOrganizer, true);
      assert.equal(single.isOnlineMeeting, true);
      assert.equal(single.onlineMeetingProvider, 'teamsForBusiness');
      assert.equal(single.onlineMeeting?.joinUrl, 'https://teams.microsoft.com/l/meetup-join/future-0');
      assert.equal(single.attendeeCount, 2);
      assert.equal(single.body.contentType, 'html');
      assert.equal(single.marker, null);
      assert.ok(single.iCalUId && single.changeKey);
      assert.ok(
        all.every(
          (e) =>
            e.type === 'seriesMaster' || Date.parse(`${e.start.dateTime.slice(0, 19)}Z`) >= NOW.getTime(),
        ),
      );
    });

    it('respects the horizon', async () => {
      const pages = await collect(
        gw.calendar.listOrganizedFutureMeetings(ALICE, {
          now: NOW,
          horizon: at(3 * DAY + HOUR),
          pageSize: 3,
        }),
      );
      const subjects = pages
        .flat()
        .map((e) => e.subject)
        .sort();
      // future-0 (day 1), future-1 (day 2), future-2 (day 3) and the weekly series (an occurrence within 3 days
      // is not guaranteed, so accept it either way); not the exception 2 weeks out.
      assert.deepEqual(
        subjects.filter((s) => s !== 'weekly'),
        ['future-0', 'future-1', 'future-2'],
      );
    });

    it('PATCHes body and marker in one request, exactly, non-ASCII included', async () => {
      const target = (await gw.calendar.getEvent(ALICE, await idOf('future-1')))!;
      const content = `${target.body.content}<p>Réunion · 会议 · اجتماع · 🎉 — “quotes” &amp; <b>bold</b></p>`;
      const marker = 'v1;run-Ω;sha256:9f86d081884c7d65';
      const before = graph.stats().requests;
      const r = await gw.calendar.updateEventBody(ALICE, target.id, {
        body: { contentType: 'html', content },
        marker,
      });
      assert.equal(graph.stats().requests - before, 1, 'one request');
      assert.ok(r.changeKey && r.changeKey !== target.changeKey, 'a new changeKey');
      const counts = sandbox.tenant.updateCounts()[target.id];
      assert.equal(counts?.total, 2, 'each of the two attendees got exactly one update');
      const stored = sandbox.tenant.storedEvents(ALICE).find((e) => e.id === target.id);
      assert.equal(stored?.body.content, content, 'stored exactly');
      assert.deepEqual(
        stored?.extendedProperties.map((p) => p.value),
        [marker],
      );
      const read = await gw.calendar.getEvent(ALICE, target.id);
      assert.equal(read?.body.content, content);
      assert.equal(read?.marker, marker, 'the marker reads back through $expand');

      // Listed, the event carries its marker too: extended properties expand on a GET of one event only
      // (singlevaluelegacyextendedproperty-get.md), so the list asks for none and each event with a block is read.
      const logFrom = sandbox.tenant.requestLog().length;
      const listed = (await collect(gw.calendar.listOrganizedFutureMeetings(ALICE, { now: NOW }))).flat();
      assert.equal(listed.find((e) => e.id === target.id)?.marker, marker);
      const sent = sandbox.tenant.requestLog().slice(logFrom);
      const lists = sent.filter((x) => x.route === '/users/:user/events');
      assert.ok(lists.length > 0);
      assert.ok(
        lists.every((x) => !x.path.includes('expand')),
        'no $expand on a list',
      );
      assert.ok(
        lists.some((x) => decodeURIComponent(x.path).includes('singleValueExtendedProperties/Any(')),
        'the marked events are found by the documented filter',
      );
      const reads = sent.filter((x) => x.route === '/users/:user/events/:event');
      assert.ok(
        reads.length < listed.length,
        `only events whose decision needs a property are read again (${reads.length} of ${listed.length})`,
      );
      assert.ok(
        sent.some(
          (x) => x.route === '/users/:user/events/:event' && x.path.includes('singleValueExtendedProperties'),
        ),
        'one event read with its extended properties',
      );
    });

    it('getEvent answers null for a deleted or unknown event', async () => {
      assert.equal(await gw.calendar.getEvent(ALICE, 'AAMkAGI2TG93AAA='), null);
    });

    it('never has more than 4 requests in flight for one mailbox', async () => {
      sandbox.tenant.throttle.setConfig({ latencyMs: 25 });
      sandbox.tenant.clearRequestLog();
      try {
        const id = await idOf('future-2');
        await Promise.all(Array.from({ length: 24 }, () => gw.calendar.getEvent(ALICE, id)));
        const log = sandbox.tenant.requestLog().filter((e) => e.mailbox?.toLowerCase() === ALICE);
        assert.ok(log.length >= 24);
        assert.ok(
          log.every((e) => e.status !== 429),
          'the sandbox never had to throttle',
        );
        const peak = Math.max(...log.map((e) => e.concurrency));
        assert.ok(peak <= 4, `peak concurrency ${peak}`);
        assert.ok(peak >= 2, 'requests did run concurrently');
      } finally {
        sandbox.tenant.throttle.setConfig({ latencyMs: 0 });
      }
    });

    it('a 429 with Retry-After is waited out and retried, and attendees get one update', async () => {
      const id = await idOf('future-3');
      sandbox.tenant.throttle.setFaults({
        targets: [
          {
            eventId: id,
            method: 'PATCH',
            status: 429,
            code: 'ApplicationThrottled',
            retryAfterSeconds: 0.2,
            times: 2,
          },
        ],
      });
      sandbox.tenant.clearRequestLog();
      const before = graph.stats();
      try {
        const target = (await gw.calendar.getEvent(ALICE, id))!;
        await gw.calendar.updateEventBody(ALICE, id, {
          body: { contentType: 'html', content: `${target.body.content}<p>retry</p>` },
          marker: 'v1;retry',
        });
      } finally {
        sandbox.tenant.throttle.setFaults({});
      }
      const patches = sandbox.tenant.requestLog().filter((e) => e.method === 'PATCH');
      assert.deepEqual(
        patches.map((e) => e.status),
        [429, 429, 200],
      );
      const after = graph.stats();
      assert.equal(after.throttled - before.throttled, 2);
      assert.equal(after.retried - before.retried, 2);
      assert.equal(sandbox.tenant.updateCounts()[id]?.total, 2, 'one update per attendee');
      assert.equal((await gw.calendar.getEvent(ALICE, id))?.marker, 'v1;retry');
    });

    it('after an ambiguous 504 reads back first, and sends the PATCH again only when it did not land', async () => {
      const id = await idOf('future-4');
      sandbox.tenant.throttle.setFaults({
        targets: [{ eventId: id, method: 'PATCH', status: 504, times: 1 }],
      });
      sandbox.tenant.clearRequestLog();
      try {
        await gw.calendar.updateEventBody(ALICE, id, {
          body: { contentType: 'html', content: '<p>x</p>' },
          marker: 'v1;504',
        });
      } finally {
        sandbox.tenant.throttle.setFaults({});
      }
      const log = sandbox.tenant.requestLog();
      assert.deepEqual(
        log.map((e) => e.method),
        ['PATCH', 'GET', 'PATCH'],
        'the PATCH, the read-back (marker absent: not applied), the PATCH again',
      );
      assert.equal(sandbox.tenant.updateCounts()[id]?.total, 2, 'one update per attendee, not two');
      assert.equal((await gw.calendar.getEvent(ALICE, id))?.marker, 'v1;504');
    });

    it('after ambiguous failures that keep coming, hands the error to the caller', async () => {
      const id = await idOf('future-4');
      sandbox.tenant.throttle.setFaults({
        targets: [{ eventId: id, method: 'PATCH', status: 504, times: 10 }],
      });
      try {
        await assert.rejects(
          gw.calendar.updateEventBody(ALICE, id, {
            body: { contentType: 'html', content: '<p>y</p>' },
            marker: 'v1;504-again',
          }),
          { name: 'GraphRequestError', status: 504 },
        );
      } finally {
        sandbox.tenant.throttle.setFaults({});
      }
      assert.equal((await gw.calendar.getEvent(ALICE, id))?.marker, 'v1;504', 'nothing applied');
    });

    async function idOf(subject: string): Promise<string> {
      for await (const page of gw.calendar.listOrganizedFutureMeetings(ALICE, { now: NOW })) {
        const hit = page.find((e) => e.subject === subject);
        if (hit) return hit.id;
      }
      throw new Error(`no event ${subject}`);
    }
  });

  describe('SubscriptionsGateway', () => {
    it('creates (expiry clamped), lists, renews, and reports a vanished subscription as gone', async () => {
      const created = await gw.subscriptions.create({
        notificationUrl: webhookUrl,
        lifecycleNotificationUrl: webhookUrl,
        clientState: 'secret-state',
        expirationDateTime: new Date(Date.now() + 90 * DAY),
      });
      assert.equal(created.changeType, 'updated,deleted');
      assert.equal(created.resource.replace(/^\//, '').toLowerCase(), 'users');
      assert.equal(created.clientState, 'secret-state');
      const expiry = Date.parse(created.expirationDateTime);
      assert.ok(
        expiry <= Date.now() + USER_SUBSCRIPTION_MAX_MINUTES * 60_000,
        'clamped to the users maximum',
      );
      assert.ok(expiry > Date.now() + 28 * DAY);

      assert.ok((await gw.subscriptions.list()).some((s) => s.id === created.id));

      const wanted = new Date(Date.now() + 2 * DAY);
      const renewed = await gw.subscriptions.renew(created.id, wanted);
      assert.equal(renewed.id, created.id);
      assert.ok(Math.abs(Date.parse(renewed.expirationDateTime) - wanted.getTime()) < 60_000);

      await gw.subscriptions.reauthorize(created.id);
      await gw.subscriptions.delete(created.id);
      await gw.subscriptions.delete(created.id); // already gone: not an error
      await assert.rejects(gw.subscriptions.renew(created.id), SubscriptionGoneError);
      await assert.rejects(gw.subscriptions.reauthorize(created.id), SubscriptionGoneError);
      assert.ok(!(await gw.subscriptions.list()).some((s) => s.id === created.id));
    });
  });

  describe('OnlineMeetingsGateway', () => {
    it('creates a Teams meeting with join URL, meeting id, passcode, conference id and dial-in', async () => {
      const m = await gw.onlineMeetings.createTeamsMeeting(ALICE, {
        subject: 'Converted — réunion',
        start: at(5 * DAY),
        end: at(5 * DAY + HOUR),
      });
      assert.ok(m.id);
      assert.match(m.joinWebUrl, /^https:\/\//);
      assert.equal(m.conferenceId, '987654321');
      assert.deepEqual(m.tollNumbers, ['+33170000001']);
      assert.deepEqual(m.tollFreeNumbers, ['+33800000001']);
      assert.equal(m.dialinUrl, 'https://dialin.teams.microsoft.com/contoso');
      assert.ok(m.joinMeetingId && m.passcode, 'meeting id and passcode for the Teams app');
      assert.ok(sandbox.tenant.onlineMeetings().some((s) => s.id === m.id));
    });

    it('createOrGet returns the same meeting for the same externalId, and finds it by its join URL', async () => {
      const request = {
        subject: 'Series — converted',
        start: at(6 * DAY),
        end: at(90 * DAY),
        externalId: 'mms-test-external-id-1',
        language: 'fr-FR',
      };
      const first = await gw.onlineMeetings.createTeamsMeeting(ALICE, request);
      assert.equal(first.created, true);
      const again = await gw.onlineMeetings.createTeamsMeeting(ALICE, { ...request, subject: 'Other' });
      assert.equal(again.created, false, 'Graph answers 200 with the existing meeting');
      assert.equal(again.id, first.id);
      assert.equal(again.joinWebUrl, first.joinWebUrl);
      assert.equal(
        sandbox.tenant.onlineMeetings().filter((x) => x.externalId === request.externalId).length,
        1,
        'one meeting in Teams',
      );
      const found = await gw.onlineMeetings.findTeamsMeetingByJoinUrl(ALICE, first.joinWebUrl);
      assert.equal(found?.id, first.id);
      assert.equal(found?.conferenceId, '987654321');
      assert.equal(
        await gw.onlineMeetings.findTeamsMeetingByJoinUrl(
          ALICE,
          'https://teams.microsoft.com/l/meetup-join/x',
        ),
        null,
      );
      const upn = await gw.onlineMeetings.findTeamsMeetingByJoinUrl(`alice@${DOMAIN}`, first.joinWebUrl).then(
        () => 'ok',
        (e: unknown) => e,
      );
      assert.ok(upn instanceof GraphRequestError && upn.status === 400, 'object ids only');
    });
  });
});

/**
 * The calendar gateway against the sandbox tenant: meetings under way and all-day meetings of today are listed
 * (the rules update them: people may still join), ended ones are not; and a PATCH whose answer is a bare 503
 * (no Retry-After, so not known to be throttling) is read back before it is sent again, because it may have
 * landed — a blind re-send would give every attendee a second update.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sandboxCertificatePaths, startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import type { TenantSeedInput } from '../../../dev/sandbox/seed';
import { createGraphClient } from '../../../shared/graph/client';
import { createGraphGateways } from '../../../shared/graph/index';
import type { GraphGateways, MeetingEvent } from '../../../shared/graph/ports';

const TENANT = '8f0c1f4e-5d7a-4b2e-9a61-2c3d4e5f6a7c';
const ALICE = '11111111-1111-4111-8111-11111111111a';
const DOMAIN = 'contoso.test';
const HOUR = 3_600_000;
const MIN = 60_000;
const NOW = new Date(Math.floor(Date.now() / MIN) * MIN);
const dt = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });

function meeting(subject: string, start: Date, end: Date, extra: Record<string, unknown> = {}) {
  return {
    mailboxUserId: ALICE,
    organizerUserId: ALICE,
    subject,
    body: {
      contentType: 'html' as const,
      content: `<html><body><p>${subject}</p><a href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_${subject}%40thread.v2/0">Join</a></body></html>`,
    },
    start: dt(start),
    end: dt(end),
    isOnlineMeeting: true,
    onlineMeetingProvider: 'teamsForBusiness' as const,
    attendees: [
      { emailAddress: { address: `carol@${DOMAIN}`, name: 'Carol' } },
      { emailAddress: { address: 'dave@example.org' } },
    ],
    ...extra,
  };
}

/** An all-day meeting of the date that is today in a zone `offsetHours` from UTC, as Graph reports it in UTC. */
function allDayToday(subject: string, offsetHours: number) {
  const local = new Date(NOW.getTime() + offsetHours * HOUR);
  const midnightLocal = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const start = new Date(midnightLocal - offsetHours * HOUR);
  return meeting(subject, start, new Date(start.getTime() + 24 * HOUR), { isAllDay: true });
}

const seed: TenantSeedInput = {
  tenantId: TENANT,
  domain: DOMAIN,
  users: [
    {
      id: ALICE,
      userPrincipalName: `alice@${DOMAIN}`,
      displayName: 'Alice',
      mail: `alice@${DOMAIN}`,
      // Exchange Online (a cloud user without an Exchange plan has no mailbox).
      assignedPlans: [
        {
          assignedDateTime: '2024-01-01T00:00:00Z',
          capabilityStatus: 'Enabled',
          service: 'exchange',
          servicePlanId: 'efb87545-963c-4e0d-99df-69c6916d9eb0',
        },
      ],
    },
  ],
  events: [
    meeting('under-way', new Date(NOW.getTime() - 30 * MIN), new Date(NOW.getTime() + 30 * MIN)),
    meeting('ended', new Date(NOW.getTime() - 2 * HOUR), new Date(NOW.getTime() - HOUR)),
    meeting('ended-a-minute-ago', new Date(NOW.getTime() - HOUR), new Date(NOW.getTime() - MIN)),
    meeting('future', new Date(NOW.getTime() + HOUR), new Date(NOW.getTime() + 2 * HOUR)),
    allDayToday('all-day-today-utc', 0),
    allDayToday('all-day-today-kiritimati', 14),
    allDayToday('all-day-today-baker-island', -12),
    meeting(
      'all-day-three-days-ago',
      new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate()) - 3 * 24 * HOUR),
      new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate()) - 2 * 24 * HOUR),
      { isAllDay: true },
    ),
    meeting('to-patch', new Date(NOW.getTime() + 3 * HOUR), new Date(NOW.getTime() + 4 * HOUR)),
  ],
};

async function listed(gw: GraphGateways): Promise<MeetingEvent[]> {
  const out: MeetingEvent[] = [];
  for await (const page of gw.calendar.listOrganizedFutureMeetings(ALICE, { now: NOW, pageSize: 3 })) {
    out.push(...page);
  }
  return out;
}

describe('calendar gateway: current meetings and ambiguous PATCH answers', () => {
  let sandbox: SandboxHandle;
  let proxy: Server;
  /** Straight to the sandbox. */
  let gw: GraphGateways;
  /** Through the lossy gateway. */
  let lossy: GraphGateways;
  /** When set, the next PATCH is forwarded (it lands) and then answered with this bare 5xx. */
  let swallowNextPatch: number | undefined;

  before(async () => {
    sandbox = await startSandbox({ port: 0, seed });
    // A gateway between the service and the sandbox that can lose a PATCH's answer after it landed.
    const paths = sandboxCertificatePaths();
    proxy = createServer({ cert: readFileSync(paths.cert), key: readFileSync(paths.key) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(req.headers)) {
            if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k))
              headers.set(k, v);
          }
          const upstream = await fetch(`${sandbox.url}${req.url ?? '/'}`, {
            method: req.method ?? 'GET',
            headers,
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
          });
          const text = await upstream.text();
          if (req.method === 'PATCH' && swallowNextPatch !== undefined) {
            const status = swallowNextPatch;
            swallowNextPatch = undefined;
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(
              JSON.stringify({ error: { code: 'serviceNotAvailable', message: 'Service unavailable.' } }),
            );
            return;
          }
          const out: Record<string, string> = {};
          upstream.headers.forEach((v, k) => {
            if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
          });
          res.writeHead(upstream.status, out);
          res.end(text);
        })().catch((e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        });
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as AddressInfo).port;
    const base = new URL(sandbox.url);
    base.port = String(port);
    const graph = createGraphClient(
      {
        graph: {
          baseUrl: base.toString().replace(/\/$/, ''),
          credential: { kind: 'sandbox', token: sandbox.token },
        },
        mailboxConcurrency: 4,
      },
      { retry: { maxRetries: 4, baseDelayMs: 10, maxDelayMs: 50 } },
    );
    lossy = createGraphGateways(graph);
    gw = createGraphGateways(
      createGraphClient(
        {
          graph: { baseUrl: sandbox.url, credential: { kind: 'sandbox', token: sandbox.token } },
          mailboxConcurrency: 4,
        },
        { retry: { maxRetries: 4, baseDelayMs: 10, maxDelayMs: 50 } },
      ),
    );
  });
  after(async () => {
    await new Promise<void>((r) => proxy.close(() => r()));
    await sandbox.stop();
  });

  it('lists a meeting under way and the all-day meetings of today in every time zone, not ended ones', async () => {
    const subjects = (await listed(gw)).map((e) => e.subject).sort();
    assert.deepEqual(subjects, [
      'all-day-today-baker-island',
      'all-day-today-kiritimati',
      'all-day-today-utc',
      'future',
      'to-patch',
      'under-way',
    ]);
    const allDay = (await listed(gw)).filter((e) => e.subject.startsWith('all-day'));
    assert.ok(
      allDay.every((e) => e.isAllDay === true),
      'isAllDay is read',
    );
  });

  it('a PATCH answered with a bare 503 after it landed is read back, not sent again: one update per attendee', async () => {
    const id = (await listed(gw)).find((e) => e.subject === 'to-patch')?.id;
    assert.ok(id);
    const before = sandbox.tenant.updateCounts()[id]?.total ?? 0;
    swallowNextPatch = 503;
    await lossy.calendar.updateEventBody(ALICE, id, {
      body: { contentType: 'html', content: '<html><body><p>new</p></body></html>' },
      marker: 'v1;bare-503',
    });
    assert.equal(swallowNextPatch, undefined, 'the PATCH went through the lossy gateway');
    assert.equal(
      (sandbox.tenant.updateCounts()[id]?.total ?? 0) - before,
      2,
      'two attendees, one update each: the PATCH was not sent a second time',
    );
    assert.equal((await gw.calendar.getEvent(ALICE, id))?.marker, 'v1;bare-503');
  });
});

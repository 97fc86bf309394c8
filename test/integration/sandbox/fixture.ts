/**
 * Shared seed and HTTP helpers for the sandbox contract tests. Every test file starts its own sandbox on a free
 * port (startSandbox) and stops it at the end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxHandle, TenantSeedInput } from '../../../dev/sandbox';

export const TENANT_ID = '7f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b';
export const ALICE = 'a11ce000-0000-4000-8000-000000000001';
export const BOB = 'b0b00000-0000-4000-8000-000000000002';
export const CAROL = 'ca201000-0000-4000-8000-000000000003';
export const DAVE = 'da7e0000-0000-4000-8000-000000000004';
export const SPE_E5 = '06ebc4ee-1bb5-47dd-8120-11324bc54e06';
export const ENTERPRISEPREMIUM_NOPSTNCONF = '26d45bd9-adf1-46cd-a9e1-51e9a5524128';
export const MCOMEETADV_SKU = '0c266dff-15dd-4b49-8397-2bb16070ed52';
export const MCOMEETADV_PLAN = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';
export const TEAMS1_PLAN = '57ff2da0-773e-42df-b2af-ffb7a2317929';
/** The Teams service plan as assignedPlans shows it (online meetings need it). */
export const TEAMS1_ASSIGNED = {
  assignedDateTime: '2024-01-01T00:00:00Z',
  capabilityStatus: 'Enabled',
  service: 'TeamspaceAPI',
  servicePlanId: TEAMS1_PLAN,
} as const;
/** Exchange Online as assignedPlans shows it (a licensed user without it has no mailbox). */
export const EXCHANGE_ASSIGNED = {
  assignedDateTime: '2024-01-01T00:00:00Z',
  capabilityStatus: 'Enabled',
  service: 'exchange',
  servicePlanId: 'efb87545-963c-4e0d-99df-69c6916d9eb0',
} as const;
export const SERIES_ID = 'AAMkAGseries0001';
export const SERIES_UID = '040000008200E00074C5B7101A82E00800000000ABCDEF0123456789ABCDEF0123456789';
export const MEETING_ID = 'AAMkAGmeeting0001';
export const BRIDGE_ID = 'b71d9e00-0000-4000-8000-00000000b71d';

/** Body with non-ASCII text, CRLF line ends, emoji (surrogate pairs) and right-to-left text. */
export const TRICKY_HTML =
  '<html><head><style>p{margin:0}</style></head><body>\r\n<p>Réunion d’équipe — 会议 🎉👩🏽‍💻 שלום</p>\r\n' +
  '<p>Line&nbsp;two &amp; more</p>\r\n<div><a href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0">Join Microsoft Teams Meeting</a></div>\r\n</body></html>';

export function baseSeed(): TenantSeedInput {
  const user = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
    id,
    userPrincipalName: `${name.toLowerCase()}@contoso.onmicrosoft.com`,
    displayName: name,
    mail: `${name.toLowerCase()}@contoso.com`,
    givenName: name,
    surname: 'Tester',
    preferredLanguage: 'en-US',
    usageLocation: 'US',
    ...extra,
  });
  return {
    tenantId: TENANT_ID,
    domain: 'contoso.onmicrosoft.com',
    bridges: [
      {
        id: BRIDGE_ID,
        name: 'Conference Bridge',
        isDefault: true,
        dialInUrl: 'https://dialin.teams.microsoft.com/bridge-1',
        defaultTollNumber: '+14255550100',
        defaultTollFreeNumber: '+18005550100',
        numbers: [
          { number: '+14255550100', type: 'toll', city: 'Seattle', country: 'US', languages: ['en-US'] },
        ],
      },
    ],
    users: [
      user(ALICE, 'Alice', {
        preferredLanguage: 'fr-FR',
        mailboxTimeZone: 'W. Europe Standard Time',
        assignedLicenses: [{ skuId: SPE_E5 }],
        assignedPlans: [
          {
            assignedDateTime: '2024-01-01T00:00:00Z',
            capabilityStatus: 'Enabled',
            service: 'MicrosoftCommunicationsOnline',
            servicePlanId: MCOMEETADV_PLAN,
          },
          TEAMS1_ASSIGNED,
        ],
      }),
      user(BOB, 'Bob', { assignedPlans: [TEAMS1_ASSIGNED, EXCHANGE_ASSIGNED] }),
      user(CAROL, 'Carol', { sandboxMailboxLocation: 'onPremises' }),
      user(DAVE, 'Dave', { assignedPlans: [EXCHANGE_ASSIGNED] }),
    ],
    events: [
      {
        id: SERIES_ID,
        iCalUId: SERIES_UID,
        mailboxUserId: ALICE,
        organizerUserId: ALICE,
        subject: 'Weekly sync',
        body: { contentType: 'html', content: '<p>Series body</p>' },
        // 2030-01-07 is a Monday; 09:00 in Berlin is 08:00Z in winter.
        start: { dateTime: '2030-01-07T09:00:00', timeZone: 'W. Europe Standard Time' },
        end: { dateTime: '2030-01-07T09:30:00', timeZone: 'W. Europe Standard Time' },
        isOnlineMeeting: true,
        onlineMeetingProvider: 'teamsForBusiness',
        onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/series' },
        attendees: [
          { emailAddress: { address: 'bob@contoso.com', name: 'Bob' } },
          { emailAddress: { address: 'ext@fabrikam.com' } },
        ],
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' },
          range: { type: 'numbered', startDate: '2030-01-07', numberOfOccurrences: 6 },
        },
        exceptions: [
          {
            originalStart: '2030-01-14T08:00:00Z',
            body: { contentType: 'html', content: '<p>Exception body</p>' },
            start: { dateTime: '2030-01-14T10:00:00', timeZone: 'W. Europe Standard Time' },
            end: { dateTime: '2030-01-14T10:30:00', timeZone: 'W. Europe Standard Time' },
          },
          { originalStart: '2030-01-28T08:00:00Z', isCancelled: true },
        ],
      },
      {
        id: 'AAMkAGseriesCopyBob',
        iCalUId: SERIES_UID,
        mailboxUserId: BOB,
        organizerUserId: ALICE,
        subject: 'Weekly sync',
        body: { contentType: 'html', content: '<p>Series body</p>' },
        start: { dateTime: '2030-01-07T09:00:00', timeZone: 'W. Europe Standard Time' },
        end: { dateTime: '2030-01-07T09:30:00', timeZone: 'W. Europe Standard Time' },
        attendees: [
          { emailAddress: { address: 'bob@contoso.com' } },
          { emailAddress: { address: 'ext@fabrikam.com' } },
        ],
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
          range: { type: 'numbered', startDate: '2030-01-07', numberOfOccurrences: 6 },
        },
      },
      {
        id: MEETING_ID,
        mailboxUserId: ALICE,
        organizerUserId: ALICE,
        subject: 'Planning',
        body: { contentType: 'html', content: TRICKY_HTML },
        start: { dateTime: '2030-02-01T15:00:00', timeZone: 'UTC' },
        end: { dateTime: '2030-02-01T16:00:00', timeZone: 'UTC' },
        isOnlineMeeting: true,
        onlineMeetingProvider: 'teamsForBusiness',
        attendees: [
          { emailAddress: { address: 'bob@contoso.com' } },
          { emailAddress: { address: 'dave@contoso.com' } },
          { emailAddress: { address: 'ext@fabrikam.com' }, type: 'optional' },
        ],
      },
      ...Array.from({ length: 25 }, (_, i) => ({
        id: `AAMkAGdave${String(i).padStart(2, '0')}`,
        mailboxUserId: DAVE,
        organizerUserId: DAVE,
        subject: `Dave ${i}`,
        body: { contentType: 'text' as const, content: `Item ${i}` },
        start: { dateTime: `2030-03-${String(i + 1).padStart(2, '0')}T10:00:00`, timeZone: 'UTC' },
        end: { dateTime: `2030-03-${String(i + 1).padStart(2, '0')}T11:00:00`, timeZone: 'UTC' },
      })),
    ],
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

/** A request to the sandbox: `path` below /v1.0 (or absolute), the sandbox token unless `token` says otherwise. */
export async function graph(
  sb: SandboxHandle,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Reply> {
  const url = path.startsWith('https://')
    ? path
    : `${sb.url}${path.startsWith('/_sandbox') ? '' : '/v1.0'}${path}`;
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? sb.token : init.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The error object of a Graph error answer, checked for Graph's shape. */
export function graphError(r: Reply): { code: string; message: string; innerError: Record<string, unknown> } {
  const e = r.json.error as
    { code: string; message: string; innerError: Record<string, unknown> } | undefined;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || typeof e.innerError !== 'object') {
    throw new Error(`Not a Graph error: ${r.status} ${r.text}`);
  }
  return e;
}

export interface Receiver {
  url: string;
  received: { url: string; contentType: string; body: string }[];
  /** What to answer: the default echoes validation tokens and answers 202 to notifications. */
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void;
  close(): Promise<void>;
}

/** A local webhook receiver (http on loopback, which the sandbox allows). */
export async function startReceiver(): Promise<Receiver> {
  const r: Receiver = {
    url: '',
    received: [],
    handler: (req, _body, res) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
      if (token !== null) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(token);
        return;
      }
      res.writeHead(202);
      res.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      r.received.push({ url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body });
      r.handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/notifications?code=abc`;
  return r;
}

/**
 * The sandbox enforces what Graph documents (docs/graph-fidelity.md cites each rule): application permissions
 * from the token's `roles` claim, the Exchange RBAC scope, the 1,825-day window, query options only where
 * documented, `$top` maxima, immutable online-meeting properties, a body PATCH that loses the Teams blob,
 * add-in Skype meetings, unlicensed cloud users, deleted users, and exceptionOccurrences.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  readTokenClaims,
  startSandbox,
  type SandboxHandle,
  type TenantSeedInput,
} from '../../../dev/sandbox';
import { GRAPH_PERMISSION_NAMES } from '../../../shared/graph/permissions';
import { assertConformsToGraphSchema } from '../../support/graph-schema';
import { ALICE, BOB, DAVE, MEETING_ID, SERIES_ID, baseSeed, graph, graphError } from './fixture';

const SKYPE_LINK_PROP = 'String {00020329-0000-0000-C000-000000000046} Name OnlineMeetingExternalLink';
const ERIN = 'e5100000-0000-4000-8000-000000000005';
const FRANK = 'f5a00000-0000-4000-8000-000000000006';
const TEAMS_LINK =
  'https://teams.microsoft.com/l/meetup-join/19%3ameeting_Blob123%40thread.v2/0?context=%7b%7d';
const SKYPE_LINK = 'https://meet.lync.com/contoso/alice/ADDIN42';

function seed(): TenantSeedInput {
  const s = baseSeed();
  return {
    ...s,
    users: [
      ...s.users,
      {
        // Licensed, but without any Exchange Online plan: no mailbox.
        id: ERIN,
        userPrincipalName: 'erin@contoso.onmicrosoft.com',
        displayName: 'Erin',
        assignedLicenses: [{ skuId: '0c266dff-15dd-4b49-8397-2bb16070ed52' }],
        assignedPlans: [
          {
            assignedDateTime: '2024-01-01T00:00:00Z',
            capabilityStatus: 'Enabled',
            service: 'MicrosoftCommunicationsOnline',
            servicePlanId: '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40',
          },
        ],
      },
      { id: FRANK, userPrincipalName: 'frank@contoso.onmicrosoft.com', displayName: 'Frank' },
    ],
    events: [
      ...s.events,
      {
        id: 'AAMkAGteamsblob',
        mailboxUserId: ALICE,
        organizerUserId: ALICE,
        subject: 'Teams with its blob',
        body: {
          contentType: 'html',
          content: `<p>Agenda</p><div>________________<a href="${TEAMS_LINK.replace(/&/g, '&amp;')}">Join</a></div>`,
        },
        start: { dateTime: '2030-04-01T10:00:00', timeZone: 'UTC' },
        end: { dateTime: '2030-04-01T11:00:00', timeZone: 'UTC' },
        isOnlineMeeting: true,
        onlineMeetingProvider: 'teamsForBusiness',
        onlineMeeting: { joinUrl: TEAMS_LINK },
        attendees: [{ emailAddress: { address: 'bob@contoso.com' } }],
      },
      {
        id: 'AAMkAGskypeaddin',
        mailboxUserId: ALICE,
        organizerUserId: ALICE,
        subject: 'Skype meeting from the Outlook add-in',
        body: { contentType: 'html', content: `<a href="${SKYPE_LINK}">Join Skype Meeting</a>` },
        start: { dateTime: '2030-04-02T10:00:00', timeZone: 'UTC' },
        end: { dateTime: '2030-04-02T11:00:00', timeZone: 'UTC' },
        isOnlineMeeting: false,
        onlineMeetingProvider: 'unknown',
        onlineMeetingUrl: SKYPE_LINK,
        singleValueExtendedProperties: [{ id: SKYPE_LINK_PROP, value: SKYPE_LINK }],
      },
      {
        id: 'AAMkAGskypeprovider',
        mailboxUserId: ALICE,
        organizerUserId: ALICE,
        subject: 'Skype meeting',
        body: { contentType: 'html', content: `<a href="${SKYPE_LINK}">Join Skype Meeting</a>` },
        start: { dateTime: '2030-04-03T10:00:00', timeZone: 'UTC' },
        end: { dateTime: '2030-04-03T11:00:00', timeZone: 'UTC' },
        isOnlineMeeting: true,
        onlineMeetingProvider: 'skypeForBusiness',
        onlineMeeting: { joinUrl: SKYPE_LINK },
      },
    ],
  };
}

describe('sandbox: Graph fidelity', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox({ seed: seed() });
  });
  beforeEach(() => {
    sb.tenant.reset();
    sb.tenant.grantedRoles = [...GRAPH_PERMISSION_NAMES];
  });
  after(async () => {
    await sb.stop();
  });

  describe('application permissions (the token roles claim)', () => {
    it('the default token is a JWT whose roles are exactly the one list', () => {
      const claims = readTokenClaims(sb.token);
      assert.ok(claims);
      assert.deepEqual([...(claims.roles as string[])].sort(), [...GRAPH_PERMISSION_NAMES].sort());
      assert.equal(claims.aud, 'https://graph.microsoft.com');
      assert.equal(claims.idtyp, 'app');
    });

    it('each route needs its permission: 403 with the workload’s code, and the log names what admitted it', async () => {
      const without = (p: string) => sb.issueToken(GRAPH_PERMISSION_NAMES.filter((n) => n !== p));
      const user = await graph(sb, `/users/${ALICE}`, { token: without('User.Read.All') });
      assert.equal(user.status, 403);
      assert.equal(graphError(user).code, 'Authorization_RequestDenied');
      const settings = await graph(sb, `/users/${ALICE}/mailboxSettings`, {
        token: without('MailboxSettings.Read'),
      });
      assert.equal(settings.status, 403);
      assert.equal(graphError(settings).code, 'ErrorAccessDenied');
      const patch = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
        method: 'PATCH',
        body: { subject: 'x' },
        token: without('Calendars.ReadWrite'),
      });
      assert.equal(patch.status, 403);
      assert.equal(graphError(patch).code, 'ErrorAccessDenied');
      const subs = await graph(sb, '/subscriptions', { token: without('User.Read.All') });
      assert.equal(subs.status, 403);
      // A higher-privileged permission admits too.
      const higher = await graph(sb, `/users/${ALICE}`, { token: sb.issueToken(['Directory.Read.All']) });
      assert.equal(higher.status, 200);
      const ok = await graph(sb, `/users/${ALICE}/mailboxSettings`);
      assert.equal(ok.status, 200);
      const log = sb.tenant.requestLog();
      const last = log[log.length - 1];
      assert.equal(last?.route, '/users/:user/mailboxSettings');
      assert.equal(last?.permission, 'MailboxSettings.Read');
      assert.equal(log[log.length - 2]?.permission, 'Directory.Read.All');
    });

    it('a token the sandbox did not sign, or an expired one, is 401; new tokens carry the current grant', async () => {
      const forged = sb.token.replace(/\.[^.]+$/, '.AAAA');
      assert.equal((await graph(sb, `/users/${ALICE}`, { token: forged })).status, 401);
      const expired = sb.issueToken(undefined, 1);
      await new Promise((r) => setTimeout(r, 1100));
      const r = await graph(sb, `/users/${ALICE}`, { token: expired });
      assert.equal(r.status, 401);
      assert.equal(graphError(r).code, 'InvalidAuthenticationToken');
      const put = await graph(sb, '/_sandbox/permissions', {
        method: 'PUT',
        body: { roles: ['User.Read.All'] },
      });
      assert.equal(put.status, 200);
      const issued = await graph(sb, '/_sandbox/tokens', { method: 'POST', body: {} });
      const token = String(issued.json.access_token);
      assert.deepEqual(readTokenClaims(token)?.roles, ['User.Read.All']);
      assert.equal((await graph(sb, `/users/${ALICE}/events`, { token })).status, 403);
      // The token issued before keeps its roles (Graph reads the token, not the live grant).
      assert.equal((await graph(sb, `/users/${ALICE}/events`)).status, 200);
    });
  });

  it('a mailbox outside the app’s Exchange RBAC scope answers 403 ErrorAccessDenied on its calendar', async () => {
    const put = await graph(sb, `/_sandbox/users/${ALICE}/mailbox-scope`, {
      method: 'PUT',
      body: { inScope: false },
    });
    assert.equal(put.status, 200);
    for (const path of [`/users/${ALICE}/events`, `/users/${ALICE}/mailboxSettings`]) {
      const r = await graph(sb, path);
      assert.equal(r.status, 403, path);
      assert.equal(graphError(r).code, 'ErrorAccessDenied');
    }
    assert.equal((await graph(sb, `/users/${ALICE}`)).status, 200, 'the directory is not Exchange');
    await graph(sb, `/_sandbox/users/${ALICE}/mailbox-scope`, { method: 'PUT', body: { inScope: true } });
    assert.equal((await graph(sb, `/users/${ALICE}/events`)).status, 200);
  });

  it('windows over 1,825 days are 400 ErrorInvalidRequest; 1,825 days are fine', async () => {
    const from = Date.parse('2030-01-01T00:00:00Z');
    const at = (days: number) => new Date(from + days * 86_400_000).toISOString();
    for (const path of [`/users/${ALICE}/calendarView`, `/users/${ALICE}/events/${SERIES_ID}/instances`]) {
      const over = await graph(sb, `${path}?startDateTime=${at(0)}&endDateTime=${at(1826)}`);
      assert.equal(over.status, 400, path);
      assert.equal(graphError(over).code, 'ErrorInvalidRequest');
      assert.match(graphError(over).message, /Maximum number of days: 1825/);
      const max = await graph(sb, `${path}?startDateTime=${at(0)}&endDateTime=${at(1825)}`);
      assert.equal(max.status, 200, max.text);
    }
  });

  it('query options only where documented, and $top within its maximum', async () => {
    const win = 'startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-03-01T00:00:00Z';
    const refused = [
      `/users/${ALICE}/events/${SERIES_ID}/instances?${win}&$filter=type eq 'exception'`,
      `/users/${ALICE}/events/${SERIES_ID}/instances?${win}&$expand=singleValueExtendedProperties`,
      `/users/${ALICE}/calendarView?${win}&$filter=type eq 'exception'`,
      `/users/${ALICE}/events?$search=sync`,
      `/users/${ALICE}/events?$top=1001`,
      `/users?$top=1000`,
      `/users/delta?$top=10`,
      `/users/${ALICE}/events?startDateTime=2030-01-01T00:00:00Z`,
      `/users/${ALICE}/events/${MEETING_ID}/instances?${win}`,
    ];
    for (const path of refused) {
      const r = await graph(sb, path);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
    }
    assert.equal((await graph(sb, `/users/${ALICE}/events?$top=1000`)).status, 200);
    assert.equal((await graph(sb, `/users?$top=999`)).status, 200);
  });

  describe('online meetings', () => {
    it('isOnlineMeeting and onlineMeetingProvider cannot change once set (400); the same values are fine', async () => {
      const switchProvider = await graph(sb, `/users/${ALICE}/events/AAMkAGskypeprovider`, {
        method: 'PATCH',
        body: { onlineMeetingProvider: 'teamsForBusiness' },
      });
      assert.equal(switchProvider.status, 400);
      const off = await graph(sb, `/users/${ALICE}/events/AAMkAGteamsblob`, {
        method: 'PATCH',
        body: { isOnlineMeeting: false },
      });
      assert.equal(off.status, 400);
      const same = await graph(sb, `/users/${ALICE}/events/AAMkAGteamsblob`, {
        method: 'PATCH',
        body: { isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' },
      });
      assert.equal(same.status, 200, same.text);
      const raw = await graph(sb, '/_sandbox/events/AAMkAGskypeprovider');
      assert.equal(raw.json.onlineMeetingProvider, 'skypeForBusiness', 'nothing changed');
    });

    it('a body PATCH that removes a Teams event’s blob makes it non-online; one that keeps it does not', async () => {
      const keep = await graph(sb, `/users/${ALICE}/events/AAMkAGteamsblob`, {
        method: 'PATCH',
        body: {
          body: {
            contentType: 'html',
            content: `<p>New agenda</p><a href="${TEAMS_LINK.toUpperCase()}">Join</a>`,
          },
        },
      });
      assert.equal(keep.status, 200);
      assert.equal(keep.json.isOnlineMeeting, true);
      const lose = await graph(sb, `/users/${ALICE}/events/AAMkAGteamsblob`, {
        method: 'PATCH',
        body: { body: { contentType: 'html', content: '<p>Agenda only</p>' } },
      });
      assert.equal(lose.status, 200);
      assert.equal(lose.json.isOnlineMeeting, false);
      assert.equal(lose.json.onlineMeeting, null);
      assertConformsToGraphSchema(lose.json, 'event');
    });

    it('an event marked to lose its online meeting does so on its next body PATCH (reported Graph behaviour)', async () => {
      await graph(sb, '/_sandbox/events/AAMkAGteamsblob/lose-online-meeting', { method: 'POST' });
      const r = await graph(sb, `/users/${ALICE}/events/AAMkAGteamsblob`, {
        method: 'PATCH',
        body: { body: { contentType: 'html', content: `<a href="${TEAMS_LINK}">Join</a>` } },
      });
      assert.equal(r.json.isOnlineMeeting, false);
    });

    it('an add-in Skype meeting: isOnlineMeeting false, provider unknown, onlineMeetingUrl and the PublicStrings property', async () => {
      const r = await graph(
        sb,
        `/users/${ALICE}/events/AAMkAGskypeaddin?$expand=singleValueExtendedProperties($filter=id eq '${SKYPE_LINK_PROP}')`,
      );
      assert.equal(r.status, 200);
      assert.equal(r.json.isOnlineMeeting, false);
      assert.equal(r.json.onlineMeetingProvider, 'unknown');
      assert.equal(r.json.onlineMeetingUrl, SKYPE_LINK);
      assert.deepEqual(r.json.singleValueExtendedProperties, [{ id: SKYPE_LINK_PROP, value: SKYPE_LINK }]);
      assertConformsToGraphSchema(r.json, 'event');
    });
  });

  it('exceptionOccurrences expands on a series master only, without cancelled occurrences', async () => {
    const r = await graph(sb, `/users/${ALICE}/events/${SERIES_ID}?$select=id&$expand=exceptionOccurrences`);
    assert.equal(r.status, 200, r.text);
    const ex = r.json.exceptionOccurrences as { id: string; type: string; body: { content: string } }[];
    assert.deepEqual(
      ex.map((e) => [e.type, e.body.content]),
      [['exception', '<p>Exception body</p>']],
    );
    assertConformsToGraphSchema(r.json, 'event');
    const single = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}?$expand=exceptionOccurrences`);
    assert.equal(single.status, 400);
    const onList = await graph(sb, `/users/${ALICE}/events?$expand=exceptionOccurrences`);
    assert.equal(onList.status, 400);
  });

  it('mailboxes Graph cannot reach: on-premises, licensed-without-Exchange and unlicensed answer MailboxNotEnabledForRESTAPI', async () => {
    // FRANK holds no licence at all: a cloud user without an Exchange plan has no mailbox (msgraph-sdk-javascript#1756).
    for (const id of [ERIN, baseSeed().users[2]!.id, FRANK]) {
      const r = await graph(sb, `/users/${id}/events`);
      assert.equal(r.status, 404, id);
      assert.equal(graphError(r).code, 'MailboxNotEnabledForRESTAPI');
    }
    assert.equal((await graph(sb, `/users/${DAVE}/events`)).status, 200, 'an Exchange plan: a mailbox');
  });

  it('delta may return @removed in its first round', async () => {
    await graph(sb, `/_sandbox/users/${BOB}?mode=soft`, { method: 'DELETE' });
    const r = await graph(sb, '/users/delta?$select=id,accountEnabled');
    assert.equal(r.status, 200);
    const removed = (r.json.value as { id: string; '@removed'?: { reason: string } }[]).filter(
      (u) => u['@removed'],
    );
    assert.deepEqual(removed, [{ id: BOB, '@removed': { reason: 'changed' } }]);
  });

  it('a soft-deleted user is in /directory/deletedItems; a permanently deleted one is not', async () => {
    await graph(sb, `/_sandbox/users/${BOB}?mode=soft`, { method: 'DELETE' });
    const r = await graph(sb, `/directory/deletedItems/${BOB}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json['@odata.type'], '#microsoft.graph.user');
    assert.ok(typeof r.json.deletedDateTime === 'string');
    assert.equal((await graph(sb, `/users/${BOB}`)).status, 404);
    await graph(sb, `/_sandbox/users/${FRANK}`, { method: 'DELETE' });
    assert.equal((await graph(sb, `/directory/deletedItems/${FRANK}`)).status, 404);
  });
});

/**
 * Teams online meetings in the sandbox, held to Graph v1.0's documents: createOrGet keyed by tenant + organizer +
 * externalId (DC api/onlinemeeting-createorget.md), lookup by JoinWebUrl (DC api/onlinemeeting-get.md), object ids
 * only, the Teams application access policy and licence (403), joinInformation encoded and localised as Graph
 * does (DC api/application-post-onlinemeetings.md), and the control API that lists what was created.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { assertConformsToGraphSchema } from '../../support/graph-schema';
import { ALICE, BOB, DAVE, MEETING_ID, TEAMS1_PLAN, baseSeed, graph, graphError } from './fixture';

const SERIES_JOIN = 'https://teams.microsoft.com/l/meetup-join/series';

/** The invitation HTML of a joinInformation, decoded as a client decodes Graph's form encoding. */
function invitation(content: string): string {
  return decodeURIComponent(content.replace(/\+/g, ' ')).replace(/^data:text\/html,/, '');
}

describe('sandbox: Teams online meetings', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => {
    sb.tenant.load(baseSeed());
  });
  after(async () => {
    await sb.stop();
  });

  const createOrGet = (user: string, body: unknown, headers: Record<string, string> = {}) =>
    graph(sb, `/users/${user}/onlineMeetings/createOrGet`, { method: 'POST', body, headers });

  it('createOrGet: 201 for a new externalId, 200 with the same meeting unchanged for a repeat', async () => {
    const body = {
      externalId: 'mms-1',
      subject: 'Weekly sync',
      startDateTime: '2030-01-07T08:00:00Z',
      endDateTime: '2030-03-01T08:30:00Z',
    };
    const first = await createOrGet(ALICE, body);
    assert.equal(first.status, 201, first.text);
    assertConformsToGraphSchema(first.json, 'onlineMeeting');
    assert.equal(first.json.externalId, 'mms-1');
    assert.equal(first.json.startDateTime, '2030-01-07T08:00:00.000Z');
    assert.equal(first.json.endDateTime, '2030-03-01T08:30:00.000Z');

    const repeat = await createOrGet(ALICE, {
      ...body,
      subject: 'Renamed',
      endDateTime: '2031-01-01T00:00:00Z',
    });
    assert.equal(repeat.status, 200, repeat.text);
    assert.equal(repeat.json.id, first.json.id);
    assert.equal(repeat.json.joinWebUrl, first.json.joinWebUrl);
    assert.equal(repeat.json.subject, 'Weekly sync', 'the existing meeting is returned unchanged');
    assert.equal(repeat.json.endDateTime, first.json.endDateTime);
    assert.deepEqual(repeat.json.joinMeetingIdSettings, first.json.joinMeetingIdSettings);

    // The key is tenant + organizer + externalId: the same externalId for another user is another meeting.
    const bob = await createOrGet(BOB, body);
    assert.equal(bob.status, 201);
    assert.notEqual(bob.json.id, first.json.id);

    const listed = (await graph(sb, '/_sandbox/online-meetings')).json.value as {
      id: string;
      externalId: string | null;
      createdVia: string;
      organizer: { id: string; userPrincipalName: string };
    }[];
    const made = listed.filter((m) => m.createdVia === 'createOrGet');
    assert.equal(made.length, 2);
    assert.deepEqual(made.map((m) => [m.organizer.userPrincipalName, m.externalId]).sort(), [
      ['alice@contoso.onmicrosoft.com', 'mms-1'],
      ['bob@contoso.onmicrosoft.com', 'mms-1'],
    ]);
  });

  it('createOrGet: start and end default to now and one hour later; externalId is required', async () => {
    const before = Date.now();
    const r = await createOrGet(ALICE, { externalId: 'defaults' });
    assert.equal(r.status, 201, r.text);
    const start = Date.parse(String(r.json.startDateTime));
    assert.ok(start >= before - 1000 && start <= Date.now() + 1000);
    assert.equal(Date.parse(String(r.json.endDateTime)) - start, 3_600_000);

    const missing = await createOrGet(ALICE, { subject: 'no key' });
    assert.equal(missing.status, 400);
    assert.match(graphError(missing).message, /externalId/);
    const unknown = await createOrGet(ALICE, { externalId: 'x', isOnlineMeeting: true });
    assert.equal(unknown.status, 400, 'properties the request body does not document are refused');
    if (sb.tenant.shapes.enabled) {
      // Both bodies were refused by the schema check and recorded against the test that sent them.
      const seen = sb.tenant.shapes.take().flatMap((v) => v.violations);
      assert.deepEqual(seen, [
        'externalId: required parameter of onlineMeeting.createOrGet missing',
        "isOnlineMeeting: 'isOnlineMeeting' is not a parameter of onlineMeeting.createOrGet",
      ]);
    }
    const backwards = await createOrGet(ALICE, {
      externalId: 'y',
      startDateTime: '2030-01-02T00:00:00Z',
      endDateTime: '2030-01-01T00:00:00Z',
    });
    assert.equal(backwards.status, 400);
  });

  it('takes object ids only, never a user principal name', async () => {
    const upn = await createOrGet('alice@contoso.onmicrosoft.com', { externalId: 'upn' });
    assert.equal(upn.status, 400);
    assert.match(graphError(upn).message, /object id/);
    const find = await graph(
      sb,
      `/users/alice@contoso.onmicrosoft.com/onlineMeetings?$filter=${encodeURIComponent(`JoinWebUrl eq '${SERIES_JOIN}'`)}`,
    );
    assert.equal(find.status, 400);
    assert.equal(sb.tenant.onlineMeetings().filter((m) => m.createdVia !== 'seed').length, 0);
  });

  it('answers 403 without the Teams application access policy, and again once it is granted', async () => {
    const withhold = await graph(sb, `/_sandbox/users/${ALICE}/teams-access-policy`, {
      method: 'PUT',
      body: { granted: false },
    });
    assert.equal(withhold.status, 200, withhold.text);
    const refused = await createOrGet(ALICE, { externalId: 'policy' });
    assert.equal(refused.status, 403);
    assert.match(graphError(refused).message, /Application Access Policy/);
    const find = await graph(
      sb,
      `/users/${ALICE}/onlineMeetings?$filter=${encodeURIComponent(`JoinWebUrl eq '${SERIES_JOIN}'`)}`,
    );
    assert.equal(find.status, 403, 'reading needs the policy too');
    assert.equal((await graph(sb, `/_sandbox/users/${ALICE}/teams-access-policy`)).json.granted, false);
    assert.equal((await createOrGet(BOB, { externalId: 'policy' })).status, 201, 'per user');

    await graph(sb, `/_sandbox/users/${ALICE}/teams-access-policy`, {
      method: 'PUT',
      body: { granted: true },
    });
    assert.equal((await createOrGet(ALICE, { externalId: 'policy' })).status, 201);
  });

  it('answers 403 for a user without the Teams service plan (TEAMS1)', async () => {
    const dave = await createOrGet(DAVE, { externalId: 'unlicensed' });
    assert.equal(dave.status, 403);
    assert.match(graphError(dave).message, /TEAMS1/);
    const teamsOff = await graph(sb, `/_sandbox/users/${BOB}`, {
      method: 'PATCH',
      body: {
        assignedPlans: [
          {
            assignedDateTime: '2024-01-01T00:00:00Z',
            capabilityStatus: 'Deleted',
            service: 'TeamspaceAPI',
            servicePlanId: TEAMS1_PLAN,
          },
        ],
      },
    });
    assert.equal(teamsOff.status, 200, teamsOff.text);
    assert.equal((await createOrGet(BOB, { externalId: 'unlicensed' })).status, 403);
  });

  it('finds a meeting by JoinWebUrl (created ones and those behind seeded Teams events); no other query', async () => {
    const created = await createOrGet(ALICE, { externalId: 'find-me' });
    const url = String(created.json.joinWebUrl);
    const filter = (f: string) => `/users/${ALICE}/onlineMeetings?$filter=${encodeURIComponent(f)}`;
    const found = await graph(sb, filter(`JoinWebUrl eq '${url}'`));
    assert.equal(found.status, 200, found.text);
    const value = found.json.value as Record<string, unknown>[];
    assert.equal(value.length, 1);
    assert.equal(value[0]!.id, created.json.id);
    assertConformsToGraphSchema(value[0], 'onlineMeeting');

    const seeded = await graph(sb, filter(`JoinWebUrl eq '${SERIES_JOIN}'`));
    assert.equal((seeded.json.value as unknown[]).length, 1, 'the Teams meeting behind the seeded series');
    const byId = await graph(
      sb,
      filter(
        `joinMeetingIdSettings/joinMeetingId eq '${(created.json.joinMeetingIdSettings as { joinMeetingId: string }).joinMeetingId}'`,
      ),
    );
    assert.equal((byId.json.value as unknown[]).length, 1);
    assert.deepEqual(
      (await graph(sb, filter(`JoinWebUrl eq 'https://teams.microsoft.com/nope'`))).json.value,
      [],
    );
    // Bob's filter does not see Alice's meeting.
    const other = await graph(
      sb,
      `/users/${BOB}/onlineMeetings?$filter=${encodeURIComponent(`JoinWebUrl eq '${url}'`)}`,
    );
    assert.deepEqual(other.json.value, []);

    assert.equal((await graph(sb, `/users/${ALICE}/onlineMeetings`)).status, 400, 'listing needs the filter');
    assert.equal((await graph(sb, filter(`subject eq 'x'`))).status, 400);
    assert.equal((await graph(sb, `${filter(`JoinWebUrl eq '${url}'`)}&$top=5`)).status, 400);
    const get = await graph(sb, `/users/${ALICE}/onlineMeetings/${String(created.json.id)}`);
    assert.equal(get.status, 200);
    assert.equal(get.json.joinWebUrl, url);
    assert.equal(MEETING_ID.length > 0, true);
  });

  it('encodes joinInformation as Graph does and writes it in the Accept-Language language', async () => {
    const en = await createOrGet(ALICE, { externalId: 'lang' });
    const content = (en.json.joinInformation as { content: string }).content;
    assert.ok(content.startsWith('data%3Atext%2Fhtml%2C'), content.slice(0, 40));
    assert.ok(!content.includes(' ') && !content.includes('%20'), 'spaces are +');
    assert.ok(!/%[0-9a-f][a-f]|%[a-f][0-9a-f]/.test(content), 'upper-case hex');
    const html = invitation(content);
    assert.match(html, /Microsoft Teams meeting/);
    assert.ok(html.includes(String(en.json.joinWebUrl)));

    const de = await createOrGet(ALICE, { externalId: 'lang' }, { 'Accept-Language': 'de-DE' });
    assert.equal(de.status, 200);
    assert.match(
      invitation((de.json.joinInformation as { content: string }).content),
      /Microsoft Teams-Besprechung/,
    );
    const ja = await createOrGet(ALICE, { externalId: 'lang' }, { 'Accept-Language': 'ja' });
    assert.match(
      invitation((ja.json.joinInformation as { content: string }).content),
      /Microsoft Teams 会議/,
    );
    const unknown = await createOrGet(ALICE, { externalId: 'lang' }, { 'Accept-Language': 'xx-YY' });
    assert.match(
      invitation((unknown.json.joinInformation as { content: string }).content),
      /Microsoft Teams meeting/,
    );
  });

  it("derives audioConferencing from the organizer's dial-in and bridge, as it is now", async () => {
    const r = await createOrGet(ALICE, { externalId: 'audio' });
    const audio = r.json.audioConferencing as { conferenceId: string; tollNumber: string; dialinUrl: string };
    assert.equal(audio.tollNumber, '+14255550100');
    assert.equal(audio.dialinUrl, 'https://dialin.teams.microsoft.com/bridge-1');
    const again = await createOrGet(ALICE, { externalId: 'audio' });
    assert.equal(
      (again.json.audioConferencing as { conferenceId: string }).conferenceId,
      audio.conferenceId,
      'a stable conference id',
    );
    // Teams changes the user's dial-in (Set-CsOnlineDialInConferencingUser): the meeting shows the new one.
    await graph(sb, `/_sandbox/users/${ALICE}`, {
      method: 'PATCH',
      body: { sandboxDialIn: { provider: 'Microsoft', enabled: true, conferenceId: '55501234' } },
    });
    const changed = await createOrGet(ALICE, { externalId: 'audio' });
    assert.equal((changed.json.audioConferencing as { conferenceId: string }).conferenceId, '55501234');
    assert.equal((await createOrGet(BOB, { externalId: 'audio' })).json.audioConferencing, null);
  });
});

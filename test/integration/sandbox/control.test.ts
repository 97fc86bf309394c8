/**
 * Sandbox control API (loading and validating a tenant, directory changes, raw event state, reset) and
 * `POST /users/{id}/onlineMeetings` (Graph docs: application-post-onlinemeetings.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { assertConformsToGraphSchema } from '../../support/graph-schema';
import { ALICE, BOB, MEETING_ID, TRICKY_HTML, baseSeed, graph, graphError } from './fixture';

describe('sandbox: control API and online meetings', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    await sb.stop();
  });

  it('validates a seed and answers 400 naming the bad field', async () => {
    const badId = baseSeed();
    (badId.users[0] as { id: string }).id = 'not-a-guid';
    const r1 = await graph(sb, '/_sandbox/tenant', { method: 'POST', body: badId });
    assert.equal(r1.status, 400);
    assert.match(graphError(r1).message, /users\.0\.id/);
    const badZone = baseSeed();
    badZone.events[0]!.start.timeZone = 'Mars/Olympus';
    const r2 = await graph(sb, '/_sandbox/tenant', { method: 'POST', body: badZone });
    assert.equal(r2.status, 400);
    assert.match(graphError(r2).message, /events\.0\.start\.timeZone/);
    const badOrganizer = baseSeed();
    badOrganizer.events[0]!.organizerUserId = '99999999-0000-4000-8000-000000000000';
    const r3 = await graph(sb, '/_sandbox/tenant', { method: 'POST', body: badOrganizer });
    assert.equal(r3.status, 400);
    assert.match(graphError(r3).message, /events\.0\.organizerUserId/);
    const badException = baseSeed();
    badException.events[0]!.exceptions![0]!.originalStart = '2030-01-15T08:00:00Z';
    const r4 = await graph(sb, '/_sandbox/tenant', { method: 'POST', body: badException });
    assert.equal(r4.status, 400);
    assert.match(graphError(r4).message, /events\.0\.exceptions\.0\.originalStart/);
  });

  it('loads a tenant, changes directory attributes, shows raw event state, and resets', async () => {
    const load = await graph(sb, '/_sandbox/tenant', { method: 'POST', body: baseSeed() });
    assert.equal(load.status, 200, load.text);
    assert.equal(load.json.users, 4);
    const users = await graph(sb, '/_sandbox/users');
    assert.equal((users.json.value as unknown[]).length, 4);
    const patch = await graph(sb, `/_sandbox/users/${BOB}`, {
      method: 'PATCH',
      body: { displayName: 'Robert', jobTitle: 'Engineer', sandboxMailboxLocation: 'onPremises' },
    });
    assert.equal(patch.status, 200, patch.text);
    const bob = await graph(sb, `/users/${BOB}`);
    assert.equal(bob.json.displayName, 'Robert');
    assert.equal(bob.json.jobTitle, 'Engineer');
    assert.equal((await graph(sb, `/users/${BOB}/events`)).status, 404, 'mailbox moved on-premises');
    const bad = await graph(sb, `/_sandbox/users/${BOB}`, {
      method: 'PATCH',
      body: { accountEnabled: 'yes' },
    });
    assert.equal(bad.status, 400);
    assert.match(graphError(bad).message, /accountEnabled/);
    const raw = await graph(sb, `/_sandbox/events/${MEETING_ID}`);
    assert.equal(raw.status, 200);
    assert.equal((raw.json.body as { content: string }).content, TRICKY_HTML);
    assert.equal(raw.json.type, 'singleInstance');
    assert.equal(raw.json.mailbox, 'alice@contoso.onmicrosoft.com');
    assert.equal(typeof raw.json.changeKey, 'string');
    assert.equal(typeof raw.json.iCalUId, 'string');
    assert.deepEqual(raw.json.extendedProperties, []);
    const reset = await graph(sb, '/_sandbox/reset', { method: 'POST' });
    assert.equal(reset.status, 200);
    assert.equal((await graph(sb, `/users/${BOB}`)).json.displayName, 'Bob');
    const del = await graph(sb, `/_sandbox/users/${BOB}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal((await graph(sb, `/users/${BOB}`)).status, 404);
  });

  it('creates a Teams online meeting with join details and the organizer bridge dial-in numbers', async () => {
    sb.tenant.load(baseSeed());
    const r = await graph(sb, `/users/${ALICE}/onlineMeetings`, {
      method: 'POST',
      body: { subject: 'Ad hoc', startDateTime: '2030-04-01T10:00:00Z', endDateTime: '2030-04-01T11:00:00Z' },
    });
    assert.equal(r.status, 201, r.text);
    assertConformsToGraphSchema(r.json, 'onlineMeeting');
    assert.match(
      String(r.json.joinWebUrl),
      /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\/19%3ameeting_/i,
    );
    assert.equal(r.json.subject, 'Ad hoc');
    const audio = r.json.audioConferencing as {
      tollNumber: string;
      tollFreeNumbers: string[];
      conferenceId: string;
      dialinUrl: string;
    };
    assert.equal(audio.tollNumber, '+14255550100');
    assert.deepEqual(audio.tollFreeNumbers, ['+18005550100']);
    assert.match(audio.conferenceId, /^\d+$/);
    assert.equal(audio.dialinUrl, 'https://dialin.teams.microsoft.com/bridge-1');
    const ids = r.json.joinMeetingIdSettings as {
      joinMeetingId: string;
      isPasscodeRequired: boolean;
      passcode: string;
    };
    assert.match(ids.joinMeetingId, /^\d{12}$/);
    assert.match(String((r.json.chatInfo as { threadId: string }).threadId), /@thread\.v2$/);
    assert.equal(
      (r.json.participants as { organizer: { upn: string } }).organizer.upn,
      'alice@contoso.onmicrosoft.com',
    );
    const info = r.json.joinInformation as { content: string; contentType: string };
    assert.equal(info.contentType, 'html');
    assert.ok(
      info.content.startsWith('data%3Atext%2Fhtml%2C'),
      'the whole data URL is encoded, as Graph does',
    );
    const html = decodeURIComponent(info.content.replace(/\+/g, ' ')).slice('data:text/html,'.length);
    assert.ok(html.includes(String(r.json.joinWebUrl).replace(/&/g, '&amp;')));
    assert.ok(html.includes(audio.conferenceId.replace(/(\d{3})(?=\d)/g, '$1 ')));
    const bob = await graph(sb, `/users/${BOB}/onlineMeetings`, {
      method: 'POST',
      body: { subject: 'No PSTN' },
    });
    assert.equal(bob.status, 201);
    assert.equal(bob.json.audioConferencing, null, 'no Audio Conferencing plan, no dial-in');
    assert.equal((await graph(sb, '/_sandbox/online-meetings')).json.value instanceof Array, true);
  });
});

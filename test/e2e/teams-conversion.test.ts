/**
 * Converting Skype for Business meetings to Teams, end to end on the local host (`npm start` as a black box,
 * against the generated sandbox tenant):
 * - a per-user TeamsOnly grant for a user homed online → SfbToTeams, Succeeded, no failed meeting; every future
 *   Skype meeting now carries a Teams block from a Teams meeting made with createOrGet (the sandbox lists it with
 *   its organizer and externalId); each attendee got one update per event; nothing outside the blocks changed;
 *   Teams meetings untouched; an admin re-run of the conversion sends nothing;
 * - a preview of the conversion (targetMeetingType Teams) shows each Skype meeting's Teams block with what Teams
 *   assigns at conversion as placeholders, and creates no Teams meeting and sends no update;
 * - a reported move from on premises (PUT /api/users/{identity}/homing online) → homedOnline → the on-premises
 *   Skype meetings converted; an admin re-run with targetMeetingType Teams sends nothing; the move back to
 *   on premises is recorded and triggers nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findOnlineMeetingBlock } from '../../shared/domain/meeting-block';
import { seedUser, type SeedUser } from '../../dev/sandbox/seed';
import { hasMailbox } from '../../dev/sandbox/tenant';
import { localApi, type Json } from '../support/local-api';
import { startLocalHost, type LocalHost } from '../support/local-host';

let local: LocalHost;
const { api, sandbox } = localApi(() => local);

interface SandboxEvent {
  id: string;
  isOrganizer: boolean;
  isCancelled: boolean;
  isOnlineMeeting: boolean;
  onlineMeetingProvider: string;
  type: string;
  end: { dateTime: string };
  body: { contentType: 'html' | 'text'; content: string };
}
interface OnlineMeetingView {
  organizer: { id: string; userPrincipalName: string };
  externalId: string | null;
  createdVia: string;
  joinWebUrl: string;
}
type UpdateCounts = Record<
  string,
  { byAttendee: Record<string, number>; fromSeriesMaster: Record<string, number> }
>;

/** The sandbox's users, validated as seed users (their licences decide whether Graph reaches their mailbox). */
async function sandboxUsers(): Promise<SeedUser[]> {
  return seedUser.array().parse((await sandbox<{ value: unknown[] }>('users')).value);
}

async function organizerEvents(upn: string): Promise<SandboxEvent[]> {
  const { value } = await sandbox<{ value: SandboxEvent[] }>(`events?mailbox=${encodeURIComponent(upn)}`);
  return value.filter((e) => e.isOrganizer && !e.isCancelled);
}

const blockOf = (e: SandboxEvent) => findOnlineMeetingBlock(e.body.content, e.body.contentType);
const future = (e: SandboxEvent) =>
  Date.parse(`${e.end.dateTime.slice(0, 19)}Z`) > Date.now() || e.type === 'seriesMaster';

async function waitForEnd(userId: string, correlationId?: string, timeoutMs = 90_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `migrations/${userId}`);
    const ended = res.json.state === 'Succeeded' || res.json.state === 'Failed';
    if (
      res.status === 200 &&
      ended &&
      (correlationId === undefined || res.json.correlationId === correlationId)
    ) {
      return res.json;
    }
    if (Date.now() > deadline)
      throw new Error(`migration of ${userId} did not end: ${JSON.stringify(res.json)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function updateTotal(): Promise<number> {
  const { value } = await sandbox<{ value: unknown[] }>('updates');
  return value.length;
}

/** Checks the user's converted meetings against their state before; answers how many were converted. */
async function assertConverted(user: SeedUser, before: Map<string, SandboxEvent>): Promise<number> {
  const { value: meetings } = await sandbox<{ value: OnlineMeetingView[] }>('online-meetings');
  const { counts } = await sandbox<{ counts: UpdateCounts }>('updates');
  let converted = 0;
  for (const now of await organizerEvents(user.userPrincipalName)) {
    const was = before.get(now.id);
    if (!was) continue;
    const oldBlock = blockOf(was);
    const newBlock = blockOf(now);
    if (oldBlock?.kind !== 'skype' || newBlock?.kind !== 'teams') continue;
    converted++;
    assert.equal(now.body.content.slice(0, newBlock.start), was.body.content.slice(0, oldBlock.start));
    assert.equal(now.body.content.slice(newBlock.end), was.body.content.slice(oldBlock.end));
    assert.equal(now.onlineMeetingProvider, was.onlineMeetingProvider, 'provider never changed');
    assert.equal(now.isOnlineMeeting, was.isOnlineMeeting);
    const meeting = meetings.find((m) => m.joinWebUrl === newBlock.joinUrl);
    assert.ok(meeting, `a Teams meeting stands behind ${now.id}`);
    assert.equal(meeting.createdVia, 'createOrGet');
    assert.equal(meeting.organizer.id, user.id);
    assert.match(String(meeting.externalId), /^mms-[0-9a-f]{40}$/);
    for (const [attendee, n] of Object.entries(counts[now.id]?.byAttendee ?? {})) {
      const resent = counts[now.id]?.fromSeriesMaster[attendee] ?? 0;
      assert.equal(n - resent, 1, `${attendee} got one update of ${now.id}`);
    }
  }
  return converted;
}

before(async () => {
  local = await startLocalHost(['--users', '12', '--meetings', '6', '--seed', '3'], {
    settings: { MIGRATION_DELAY_SECONDS: '0' },
    unsetEnv: ['MIGRATION_DELAY_SECONDS'],
    tmpPrefix: 'mms-e2e-teams-',
  });
});

after(async () => {
  if (!local) return;
  await local.stop('SIGINT', 15_000);
});

describe('Teams conversion on the local host', () => {
  it('a TeamsOnly grant converts the future Skype meetings; a re-run sends nothing', async () => {
    const value = await sandboxUsers();
    let user: SeedUser | undefined;
    let before = new Map<string, SandboxEvent>();
    for (const u of value) {
      if (u.sandboxSipHoming !== 'online' || !hasMailbox(u)) continue;
      if (u.sandboxDialIn?.provider === 'ThirdParty') continue;
      const events = await organizerEvents(u.userPrincipalName);
      const ownSkype = (e: SandboxEvent) =>
        blockOf(e)?.kind === 'skype' && e.onlineMeetingProvider === 'skypeForBusiness' && future(e);
      if (events.some(ownSkype)) {
        user = u;
        before = new Map(events.map((e) => [e.id, e]));
        break;
      }
    }
    assert.ok(user, 'an online user with a future Skype meeting');
    const teamsBefore = [...before.values()].filter((e) => blockOf(e)?.kind === 'teams');

    // A preview of the conversion shows the Teams block of each Skype meeting, with what Teams assigns at
    // conversion left as a placeholder, and creates nothing: no Teams meeting, no update.
    const meetingsBefore = (await sandbox<{ value: unknown[] }>('online-meetings')).value.length;
    const updatesBefore = await updateTotal();
    const preview = await api('POST', 'migrations/preview', {
      identity: user.userPrincipalName,
      sourceMeetingType: 'SfB',
      targetMeetingType: 'Teams',
      pageSize: 500,
    });
    assert.equal(preview.status, 200, JSON.stringify(preview.json));
    assert.equal(preview.json.migrationType, 'SfbToTeams');
    const planned = (preview.json.meetings as Json[]).filter((m) => m.decision === 'update');
    assert.ok(planned.length >= 1, 'the preview plans conversions');
    for (const m of planned) {
      assert.equal(m.blockKind, 'skype');
      assert.equal(m.teamsDetails, 'assignedByTeamsAtConversion');
      assert.match(String(m.note), /assigned by Teams at conversion/);
      const after = findOnlineMeetingBlock(String(m.blockAfter), m.contentType as 'html' | 'text');
      assert.equal(after?.kind, 'teams', 'the block it would write is a Teams block');
    }
    assert.equal(
      (await sandbox<{ value: unknown[] }>('online-meetings')).value.length,
      meetingsBefore,
      'the preview created no Teams meeting',
    );
    assert.equal(await updateTotal(), updatesBefore, 'the preview sent no update');

    const grant = await api('PUT', `users/${user.userPrincipalName}/teams-upgrade`, { mode: 'TeamsOnly' });
    assert.equal(grant.status, 200, JSON.stringify(grant.json));
    const migration = grant.json.migration as Json;
    assert.equal(migration.outcome, 'queued');
    assert.equal(migration.migrationType, 'SfbToTeams');
    const status = await waitForEnd(user.id, String(migration.correlationId));
    assert.equal(status.state, 'Succeeded', String(status.lastMessage));
    assert.equal(status.migrationType, 'SfbToTeams');
    assert.equal(status.failedMeeting, 0);
    const converted = await assertConverted(user, before);
    assert.ok(converted >= 1);
    assert.equal(status.succeededMeeting, converted);
    const after: SandboxEvent[] = await organizerEvents(user.userPrincipalName);
    for (const e of teamsBefore) {
      const now = after.find((x) => x.id === e.id);
      assert.equal(now?.body.content, e.body.content, 'Teams meetings are left alone by SfbToTeams');
    }
    const results = await api('GET', `migrations/${user.id}/meetings`);
    const rows = (results.json.meetings as Json[]).filter((m) => m.outcome === 'updated');
    assert.ok(rows.every((m) => typeof m.teamsMeetingId === 'string' && typeof m.teamsJoinUrl === 'string'));

    const sent = await updateTotal();
    const rerun = await api('POST', 'migrations', {
      identity: user.userPrincipalName,
      sourceMeetingType: 'SfB',
      targetMeetingType: 'Teams',
    });
    assert.equal(rerun.status, 202, JSON.stringify(rerun.json));
    const again = await waitForEnd(user.id, String(rerun.json.correlationId));
    assert.equal(again.state, 'Succeeded');
    assert.equal(again.invitesUpdate, 0);
    assert.equal(await updateTotal(), sent, 'the re-run sent nothing');

    // Once converted, a preview of the same conversion reads each Teams block from Teams: nothing to update.
    const previewAfter = await api('POST', 'migrations/preview', {
      identity: user.userPrincipalName,
      sourceMeetingType: 'SfB',
      targetMeetingType: 'Teams',
      pageSize: 500,
    });
    assert.equal(previewAfter.status, 200, JSON.stringify(previewAfter.json));
    assert.equal((previewAfter.json.counts as Json).updateMeeting, 0);
    assert.equal(
      (previewAfter.json.meetings as Json[]).filter((m) => m.reason === 'upToDate').length,
      converted,
    );
  });

  it('a reported move from on premises converts the on-premises Skype meetings; the move back triggers nothing', async () => {
    const user = (await sandboxUsers()).find((u) => u.sandboxSipHoming === 'onPremises' && hasMailbox(u));
    assert.ok(user, 'a user homed on premises with an Exchange Online mailbox');
    const before = new Map((await organizerEvents(user.userPrincipalName)).map((e) => [e.id, e]));

    const bad = await api('PUT', `users/${user.id}/homing`, { location: 'cloud' });
    assert.equal(bad.status, 400);
    assert.match(String((bad.json.error as Json).message), /location/);

    const moved = await api('PUT', `users/${user.id}/homing`, { location: 'online' });
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    assert.equal(moved.json.previousLocation, 'onPremises');
    const migration = moved.json.migration as Json;
    assert.equal(migration.outcome, 'queued');
    assert.equal(migration.trigger, 'homedOnline');
    const status = await waitForEnd(user.id, String(migration.correlationId));
    assert.equal(status.state, 'Succeeded', String(status.lastMessage));
    assert.equal(status.migrationType, 'SfbToTeams');
    assert.equal(status.failedMeeting, 0);
    const converted = await assertConverted(user, before);
    assert.ok(converted >= 1, 'on-premises Skype meetings converted');
    assert.equal(status.succeededMeeting, converted);

    const repeat = await api('PUT', `users/${user.id}/homing`, { location: 'online' });
    assert.equal((repeat.json.migration as Json).outcome, 'none', 'a repeated report triggers nothing');

    const sent = await updateTotal();
    const rerun = await api('POST', 'migrations', { identity: user.id, targetMeetingType: 'Teams' });
    assert.equal(rerun.status, 202);
    const again = await waitForEnd(user.id, String(rerun.json.correlationId));
    assert.equal(again.state, 'Succeeded');
    assert.equal(again.migrationType, 'AllToTeams');
    assert.equal(again.invitesUpdate, 0);
    assert.equal(await updateTotal(), sent, 'an admin re-run with targetMeetingType Teams sent nothing');

    const back = await api('PUT', `users/${user.id}/homing`, { location: 'onPremises' });
    assert.equal(back.status, 200);
    assert.equal((back.json.migration as Json).outcome, 'none');
  });
});

/**
 * The admin actions that trigger migrations, end to end on the local host (`npm start` as a black box, against
 * the generated sandbox tenant, whose bridges and dial-in profiles the local host loads into Table Storage):
 * - tenant settings GET/PATCH round trip;
 * - a conference id change made in Teams and reported → the user's meetings migrated (Succeeded), attendees
 *   updated once, the new conference id in the block; a reset through the API alone (Teams unchanged) leaves every
 *   Teams block as Teams has it;
 * - meetingMigrationEnabled false → a dial-in change triggers nothing;
 * - a bridge number removed → its users re-pointed to the bridge default and migrated; the default → 409;
 * - teams-upgrade TeamsOnly → an SfbToTeams migration that converts the Skype meetings (Succeeded); Islands →
 *   nothing (test/e2e/teams-conversion.test.ts checks the conversion itself).
 * MIGRATION_DELAY_SECONDS is 0 (local.settings.json), so migrations run as soon as they are requested.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findOnlineMeetingBlock } from '../../shared/domain/meeting-block';
import { localApi, type Json } from '../support/local-api';
import { startLocalHost, type LocalHost } from '../support/local-host';

let local: LocalHost;
const { api, sandbox } = localApi(() => local);

interface SandboxUser {
  id: string;
  userPrincipalName: string;
  sandboxMailboxLocation: string;
  sandboxSipHoming: string;
  sandboxDialIn?: { provider: string; enabled: boolean; bridgeId?: string; conferenceId?: string };
}
interface SandboxEvent {
  id: string;
  isOrganizer: boolean;
  isCancelled: boolean;
  type: string;
  end: { dateTime: string };
  recurrence: unknown;
  body: { contentType: 'html' | 'text'; content: string };
  attendees: { emailAddress: { address: string } }[];
}
type UpdateCounts = Record<
  string,
  { total: number; byAttendee: Record<string, number>; fromSeriesMaster: Record<string, number> }
>;

async function organizerEvents(upn: string): Promise<SandboxEvent[]> {
  const { value } = await sandbox<{ value: SandboxEvent[] }>(`events?mailbox=${encodeURIComponent(upn)}`);
  return value.filter((e) => e.isOrganizer && !e.isCancelled);
}

function blockOf(e: SandboxEvent) {
  return findOnlineMeetingBlock(e.body.content, e.body.contentType);
}

/** Users on Microsoft dial-in with an Exchange Online mailbox, homed online, ranked by organized Teams meetings. */
async function candidates(): Promise<{ user: SandboxUser; teamsMeetings: number }[]> {
  const { value } = await sandbox<{ value: SandboxUser[] }>('users');
  const out: { user: SandboxUser; teamsMeetings: number }[] = [];
  for (const u of value) {
    const d = u.sandboxDialIn;
    if (!d || d.provider !== 'Microsoft' || !d.enabled || !d.bridgeId || !d.conferenceId) continue;
    if (u.sandboxMailboxLocation !== 'exchangeOnline' || u.sandboxSipHoming !== 'online') continue;
    const events = await organizerEvents(u.userPrincipalName);
    const teams = events.filter((e) => {
      const b = blockOf(e);
      return b?.kind === 'teams' && b.conferenceId === d.conferenceId;
    }).length;
    out.push({ user: u, teamsMeetings: teams });
  }
  return out.sort((a, b) => b.teamsMeetings - a.teamsMeetings);
}

async function waitForEnd(userId: string, timeoutMs = 60_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `migrations/${userId}`);
    if (res.status === 200 && (res.json.state === 'Succeeded' || res.json.state === 'Failed'))
      return res.json;
    if (Date.now() > deadline)
      throw new Error(`migration of ${userId} did not end: ${JSON.stringify(res.json)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The user's meetings that attendees received updates of, with the update counts. */
async function updatedMeetings(upn: string): Promise<{ updated: SandboxEvent[]; counts: UpdateCounts }> {
  const { counts } = await sandbox<{ counts: UpdateCounts }>('updates');
  const events = await organizerEvents(upn);
  return { updated: events.filter((e) => (counts[e.id]?.total ?? 0) > 0), counts };
}

/**
 * Every attendee of every updated meeting got exactly one update from the PATCH of that meeting. An exception of
 * a series also gets Exchange's one resend when its series master is PATCHed (documented Graph behaviour): at
 * most one of those.
 */
function assertUpdatedOnce(updated: SandboxEvent[], counts: UpdateCounts): void {
  for (const e of updated) {
    const c = counts[e.id];
    for (const [attendee, n] of Object.entries(c?.byAttendee ?? {})) {
      const resent = c?.fromSeriesMaster[attendee] ?? 0;
      assert.ok(resent <= 1, `${attendee} got ${resent} series resends of ${e.id}`);
      assert.equal(n - resent, 1, `${attendee} got ${n - resent} direct updates of ${e.id}`);
    }
  }
}

before(async () => {
  local = await startLocalHost(['--users', '14', '--meetings', '4', '--seed', '3'], {
    // MIGRATION_DELAY_SECONDS comes from local.settings.json, not from the inherited environment.
    settings: { MIGRATION_DELAY_SECONDS: '0' },
    unsetEnv: ['MIGRATION_DELAY_SECONDS'],
    tmpPrefix: 'mms-e2e-admin-',
  });
});

after(async () => {
  if (!local) return;
  await local.stop('SIGINT', 15_000);
});

describe('admin actions on the local host', () => {
  it('tenant settings: GET/PATCH round trip', async () => {
    assert.deepEqual((await api('GET', 'settings/dial-in')).json, {
      automaticallyMigrateUserMeetings: true,
      automaticallyReplaceAcpProvider: false,
    });
    const patched = await api('PATCH', 'settings/dial-in', { automaticallyReplaceAcpProvider: true });
    assert.equal(patched.status, 200);
    assert.equal(patched.json.automaticallyReplaceAcpProvider, true);
    assert.equal((await api('GET', 'settings/dial-in')).json.automaticallyReplaceAcpProvider, true);
    const bad = await api('PATCH', 'settings/migration', { meetingMigrationEnabled: 'yes' });
    assert.equal(bad.status, 400);
    assert.match((bad.json.error as { message: string }).message, /meetingMigrationEnabled/);
    const noKey = await fetch(`${local.apiUrl}/api/settings/migration`);
    assert.equal(noKey.status, 401);
    await api('PATCH', 'settings/dial-in', { automaticallyReplaceAcpProvider: false });
  });

  it('a conference id change made in Teams and reported migrates the user: Succeeded, attendees updated once, the new id in the block; a reset the API records alone changes no Teams block', async () => {
    const [best] = await candidates();
    assert.ok(best && best.teamsMeetings > 0, 'the generated tenant has a user with Teams meetings');
    const { user } = best;
    // Teams gives the user a new conference id (what Set-CsOnlineDialInConferencingUser does) ...
    const newId = String(700_000_000 + Math.floor(Math.random() * 99_999_999));
    assert.notEqual(newId, user.sandboxDialIn?.conferenceId);
    const teams = await fetch(`${local.graphUrl}/_sandbox/users/${user.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sandboxDialIn: { ...user.sandboxDialIn, conferenceId: newId } }),
    });
    assert.equal(teams.status, 200, await teams.text());
    // ... and the admin reports it: the service records it and migrates.
    const res = await api('PATCH', `users/${user.userPrincipalName}/dial-in`, { conferenceId: newId });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal((res.json.migration as Json).outcome, 'queued');

    const status = await waitForEnd(user.id);
    assert.equal(status.state, 'Succeeded', JSON.stringify(status));
    assert.equal(status.trigger, 'conferenceIdChanged');
    assert.ok(Number(status.invitesUpdate) >= 1);
    const { updated, counts } = await updatedMeetings(user.userPrincipalName);
    assert.ok(updated.length >= 1);
    for (const e of updated) {
      const block = blockOf(e);
      assert.equal(block?.conferenceId, newId, `event ${e.id} shows the new conference id`);
    }
    assertUpdatedOnce(updated, counts);

    // A reset through the API alone records a new id and triggers, but Teams still has newId: every Teams block
    // keeps what Teams gives, and the per-meeting results say the two differ.
    const teamsBefore = (await organizerEvents(user.userPrincipalName)).filter(
      (e) => blockOf(e)?.kind === 'teams',
    );
    const reset = await api('PATCH', `users/${user.userPrincipalName}/dial-in`, { resetConferenceId: true });
    assert.equal(reset.status, 200, JSON.stringify(reset.json));
    const recorded = String((reset.json.dialIn as Json).conferenceId);
    assert.notEqual(recorded, newId);
    const correlationId = String((reset.json.migration as Json).correlationId);
    const deadline = Date.now() + 60_000;
    let after = (await api('GET', `migrations/${user.id}`)).json;
    while (
      after.correlationId !== correlationId ||
      (after.state !== 'Succeeded' && after.state !== 'Failed')
    ) {
      assert.ok(Date.now() < deadline, JSON.stringify(after));
      await new Promise((r) => setTimeout(r, 200));
      after = (await api('GET', `migrations/${user.id}`)).json;
    }
    assert.equal(after.state, 'Succeeded', JSON.stringify(after));
    const teamsAfter = await organizerEvents(user.userPrincipalName);
    for (const e of teamsBefore) {
      const now = teamsAfter.find((x) => x.id === e.id);
      assert.equal(now?.body.content, e.body.content, `Teams meeting ${e.id} left as Teams has it`);
    }
    const rows = (await api('GET', `migrations/${user.id}/meetings`)).json.meetings as Json[];
    const teamsRows = rows.filter((r) => r.blockKind === 'teams' && r.reason === 'upToDate');
    assert.ok(teamsRows.length >= 1, JSON.stringify(rows));
  });

  it('meetingMigrationEnabled false: a dial-in change triggers nothing', async () => {
    // A user never migrated so far (no status record).
    let pick: SandboxUser | undefined;
    for (const c of (await candidates()).reverse()) {
      if ((await api('GET', `migrations/${c.user.id}`)).status === 404) {
        pick = c.user;
        break;
      }
    }
    assert.ok(pick, 'a user who was never migrated');
    await api('PATCH', 'settings/migration', { meetingMigrationEnabled: false });
    try {
      const before = await sandbox<{ value: unknown[] }>('updates');
      const res = await api('PATCH', `users/${pick.id}/dial-in`, { resetConferenceId: true });
      assert.equal(res.status, 200);
      assert.equal((res.json.migration as Json).outcome, 'none');
      const status = await api('GET', `migrations/${pick.id}`);
      assert.equal(status.status, 404);
      await new Promise((r) => setTimeout(r, 500));
      const afterUpdates = await sandbox<{ value: unknown[] }>('updates');
      assert.equal(afterUpdates.value.length, before.value.length);
    } finally {
      await api('PATCH', 'settings/migration', { meetingMigrationEnabled: true });
    }
  });

  it("removing a bridge number re-points its users to the bridge default and migrates them; the default can't go", async () => {
    const all = await candidates();
    const pick =
      all.find((c) => c.teamsMeetings > 0 && c.user.userPrincipalName !== all[0]?.user.userPrincipalName) ??
      all[0];
    assert.ok(pick);
    const bridgeId = pick.user.sandboxDialIn?.bridgeId ?? '';
    const bridges = (await api('GET', 'bridges')).json as unknown as {
      id: string;
      defaultTollNumber: string;
      numbers: unknown[];
    }[];
    const bridge = bridges.find((b) => b.id === bridgeId);
    assert.ok(bridge, "GET /api/bridges lists the user's bridge");

    const refused = await api(
      'DELETE',
      `bridges/${bridgeId}/numbers/${encodeURIComponent(bridge.defaultTollNumber)}`,
    );
    assert.equal(refused.status, 409);
    assert.equal((refused.json.error as Json).code, 'defaultNumber');

    // A new number, made the user's default (itself a trigger: let that migration finish first).
    const extra = '+15555550142';
    const reg = await api('POST', `bridges/${bridgeId}/numbers/${encodeURIComponent(extra)}`, {
      type: 'toll',
      city: 'Testville',
      country: 'United States',
      languages: ['en-US'],
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    const set = await api('PATCH', `users/${pick.user.id}/dial-in`, { tollNumber: extra });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.equal((await waitForEnd(pick.user.id)).state, 'Succeeded');
    const firstCorrelation = (await api('GET', `migrations/${pick.user.id}`)).json.correlationId;

    const removed = await api('DELETE', `bridges/${bridgeId}/numbers/tel:${encodeURIComponent(extra)}`);
    assert.equal(removed.status, 200, JSON.stringify(removed.json));
    const users = removed.json.users as { userId: string; tollNumber: string; migration: Json }[];
    assert.deepEqual(
      users.map((u) => u.userId),
      [pick.user.id],
    );
    assert.equal(users[0]?.tollNumber, bridge.defaultTollNumber);
    assert.equal(users[0]?.migration.outcome, 'queued');

    const dialIn = (await api('GET', `users/${pick.user.id}/dial-in`)).json;
    assert.equal(dialIn.tollNumber, bridge.defaultTollNumber);
    // Wait for the second migration (a new correlation id) to end.
    const deadline = Date.now() + 60_000;
    let status = (await api('GET', `migrations/${pick.user.id}`)).json;
    while (
      status.correlationId === firstCorrelation ||
      (status.state !== 'Succeeded' && status.state !== 'Failed')
    ) {
      assert.ok(Date.now() < deadline, JSON.stringify(status));
      await new Promise((r) => setTimeout(r, 200));
      status = (await api('GET', `migrations/${pick.user.id}`)).json;
    }
    assert.equal(status.state, 'Succeeded', JSON.stringify(status));
    assert.equal(status.trigger, 'serviceNumberUnassigned');
    if (pick.teamsMeetings > 0) {
      const events = await organizerEvents(pick.user.userPrincipalName);
      const withBlock = events.filter((e) => blockOf(e)?.kind === 'teams');
      const digits = bridge.defaultTollNumber.slice(1);
      assert.ok(
        withBlock.some((e) => {
          const b = blockOf(e);
          return (
            b !== null &&
            e.body.content.slice(b.start, b.end).includes(digits) &&
            !e.body.content.slice(b.start, b.end).includes(extra.slice(1))
          );
        }),
        'a meeting now shows the bridge default number and not the removed one',
      );
    }
  });

  it('teams-upgrade: TeamsOnly → an SfbToTeams migration that converts the Skype meetings; Islands → nothing', async () => {
    const { value } = await sandbox<{ value: SandboxUser[] }>('users');
    const online = value.filter(
      (u) => u.sandboxSipHoming === 'online' && u.sandboxDialIn?.provider === 'Microsoft',
    );
    const islands = online[online.length - 1];
    const teamsOnly = online[online.length - 2];
    assert.ok(islands && teamsOnly);

    const none = await api('PUT', `users/${islands.userPrincipalName}/teams-upgrade`, { mode: 'Islands' });
    assert.equal(none.status, 200, JSON.stringify(none.json));
    assert.equal((none.json.migration as Json).outcome, 'none');

    const onPrem = value.find((u) => u.sandboxSipHoming === 'onPremises');
    if (onPrem) {
      const refused = await api('PUT', `users/${onPrem.id}/teams-upgrade`, { mode: 'TeamsOnly' });
      assert.equal(refused.status, 409);
    }

    const res = await api('PUT', `users/${teamsOnly.id}/teams-upgrade`, { mode: 'TeamsOnly' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal((res.json.migration as Json).outcome, 'queued', JSON.stringify(res.json));
    const status = await waitForEnd(teamsOnly.id);
    assert.equal(status.state, 'Succeeded', String(status.lastMessage));
    assert.equal(status.migrationType, 'SfbToTeams');
    assert.equal(status.failedMeeting, 0);
  });
});

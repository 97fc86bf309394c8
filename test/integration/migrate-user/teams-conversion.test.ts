/**
 * Converting Skype for Business meetings to Teams (SfbToTeams, AllToTeams) through the worker, against the
 * sandbox's online meetings: one Teams meeting per meeting or series (createOrGet, exceptions share their
 * series'), the same event PATCHed once with the Teams block and the converted marker, nothing outside the block
 * changed, provider untouched, one update per attendee; a re-run sends nothing; a crash mid-conversion makes no
 * second Teams meeting and no second update; a missing Teams licence or access policy ends the user Failed with
 * the fix; a meeting Graph refuses fails alone; later dial-in changes come from Teams, never the stored profile
 * (unless the tenant setting allows it where Teams cannot be asked), for converted and native Teams meetings alike.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoredEvent } from '../../../dev/sandbox/tenant';
import { findOnlineMeetingBlock } from '../../../shared/domain/meeting-block';
import { GraphRequestError } from '../../../shared/graph/errors';
import type { OnlineMeetingsGateway } from '../../../shared/graph/ports';
import {
  CONVERTED_FINGERPRINT_PREFIX,
  TEAMS_SERVICE_PLAN_ID,
} from '../../../shared/services/teams-conversion';
import {
  deliver,
  expectedUpdatesPerAttendee,
  hasMailbox,
  organizerEvents,
  requestRun,
  startFixture,
  type Fixture,
} from './fixture';

const TEAMS_TARGET = { sourceMeetingType: 'SfB', targetMeetingType: 'Teams' } as const;

function stored(f: Fixture, id: string): StoredEvent {
  const e = f.sandbox.tenant.storedEvents().find((x) => x.id === id);
  assert.ok(e, `event ${id} exists`);
  return e;
}

/** The user's organizer events the migration converts (eligible, with a Skype block). */
function skypeEligible(f: Fixture, userId: string): StoredEvent[] {
  return organizerEvents(f)
    .filter(
      (x) =>
        x.ev.organizerUserId === userId &&
        x.expect.kind === 'update' &&
        findOnlineMeetingBlock(x.ev.body.content, x.ev.body.contentType)?.kind === 'skype',
    )
    .map((x) => x.ev);
}

function teamsEligible(f: Fixture, userId: string): StoredEvent[] {
  return organizerEvents(f)
    .filter(
      (x) =>
        x.ev.organizerUserId === userId &&
        x.expect.kind === 'update' &&
        findOnlineMeetingBlock(x.ev.body.content, x.ev.body.contentType)?.kind === 'teams',
    )
    .map((x) => x.ev);
}

function markerOf(e: StoredEvent): string | undefined {
  return e.extendedProperties.find((p) => p.id.includes('MmsMigrationFingerprint'))?.value;
}

/** Teams meetings the migration made for a user (createOrGet). */
function createdFor(f: Fixture, userId: string) {
  return f.sandbox.tenant
    .onlineMeetings()
    .filter((m) => m.userId === userId && m.createdVia === 'createOrGet');
}

/** No externalId has two Teams meetings: a retry or re-run got the same meeting back. */
function assertOneMeetingPerExternalId(f: Fixture, userId: string): void {
  const ids = createdFor(f, userId).map((m) => m.externalId);
  assert.equal(new Set(ids).size, ids.length, 'no second Teams meeting for one externalId');
}

/** Asserts an event was converted: Teams block from a Teams meeting, bytes outside the block kept, provider kept. */
function assertConverted(f: Fixture, original: StoredEvent): void {
  const now = stored(f, original.id);
  const oldBlock = findOnlineMeetingBlock(original.body.content, original.body.contentType);
  const newBlock = findOnlineMeetingBlock(now.body.content, now.body.contentType);
  assert.ok(oldBlock && newBlock, original.id);
  assert.equal(newBlock.kind, 'teams', `${original.id} now carries a Teams block`);
  assert.equal(now.body.content.slice(0, newBlock.start), original.body.content.slice(0, oldBlock.start));
  assert.equal(now.body.content.slice(newBlock.end), original.body.content.slice(oldBlock.end));
  assert.equal(now.onlineMeetingProvider, original.onlineMeetingProvider, 'provider never touched');
  assert.equal(now.isOnlineMeeting, original.isOnlineMeeting, 'isOnlineMeeting never touched');
  assert.ok(markerOf(now)?.startsWith(CONVERTED_FINGERPRINT_PREFIX), 'the marker says converted');
  const meeting = f.sandbox.tenant.onlineMeetings().find((m) => m.joinWebUrl === newBlock.joinUrl);
  assert.ok(meeting, 'the block links to a Teams meeting of the organizer');
  assert.equal(meeting.userId, original.organizerUserId);
  assert.equal(meeting.createdVia, 'createOrGet');
}

describe('migrateUser: converting Skype for Business meetings to Teams', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ users: 28, meetings: 12, seed: 41 });
  });
  after(() => f.stop());

  /** Users with Exchange Online mailboxes, Microsoft dial-in and Skype meetings to convert. */
  const withSkype = () =>
    f.seed.users
      .filter(
        (u) =>
          hasMailbox(u) && u.sandboxDialIn?.provider !== 'ThirdParty' && skypeEligible(f, u.id).length >= 2,
      )
      .sort((a, b) => skypeEligible(f, b.id).length - skypeEligible(f, a.id).length);
  const taken = new Set<string>();
  const pick = (filter: (u: Fixture['seed']['users'][number]) => boolean = () => true) => {
    const u = withSkype().find((x) => !taken.has(x.id) && filter(x));
    assert.ok(u, 'a user with Skype meetings');
    taken.add(u.id);
    return u;
  };

  it('converts every eligible Skype meeting, sends one update per attendee, and a re-run sends nothing', async () => {
    const u = pick((x) => x.sandboxSipHoming === 'onPremises' || teamsEligible(f, x.id).length > 0);
    const skype = skypeEligible(f, u.id);
    const teams = teamsEligible(f, u.id);
    const updatesBefore = f.sandbox.tenant.updateLog().length;

    const out = await deliver(f, await requestRun(f, u.id, TEAMS_TARGET));
    assert.equal(out.kind, 'finished');
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Succeeded', s?.lastMessage);
    assert.equal(s.migrationType, 'SfbToTeams');
    assert.equal(s.failedMeeting, 0);
    assert.equal(s.succeededMeeting, skype.length);
    assert.equal(s.invitesUpdate, skype.length);

    for (const ev of skype) {
      assertConverted(f, ev);
      assert.equal(f.calendar.patched.get(ev.id), 1);
      const row = await f.repos.ledger.get(u.id, ev.id);
      assert.equal(row?.outcome, 'updated');
      assert.ok(row.teamsMeetingId && row.teamsJoinUrl, 'the result names the Teams meeting');
      assert.equal(row.dialInSource, 'teams');
    }
    for (const ev of teams) {
      assert.equal(f.calendar.patched.get(ev.id), undefined, 'Teams meetings are not selected by SfB');
    }
    // One Teams meeting per single meeting or series: exceptions use their series' meeting.
    const anchors = new Set(skype.map((e) => e.seriesMasterId ?? e.id));
    assertOneMeetingPerExternalId(f, u.id);
    assert.ok(createdFor(f, u.id).length <= anchors.size);
    for (const ev of skype.filter((e) => e.type === 'exception' && e.seriesMasterId !== null)) {
      const own = findOnlineMeetingBlock(stored(f, ev.id).body.content, stored(f, ev.id).body.contentType);
      const master = stored(f, ev.seriesMasterId ?? '');
      const series = findOnlineMeetingBlock(master.body.content, master.body.contentType);
      if (series?.kind === 'teams') assert.equal(own?.joinUrl, series.joinUrl, 'the series Teams meeting');
    }
    // Attendees: one update per converted event (plus Exchange's resend to a converted series' exceptions).
    const counts = f.sandbox.tenant.updateCounts();
    for (const ev of skype) {
      const expected = expectedUpdatesPerAttendee(f, ev.id);
      for (const a of ev.attendees) {
        assert.equal(
          counts[ev.id]?.byAttendee[a.emailAddress.address],
          expected,
          `${ev.id} → ${a.emailAddress.address}`,
        );
      }
    }
    const sent = f.sandbox.tenant.updateLog().length - updatesBefore;
    assert.ok(sent > 0);

    // Re-runs: the same request, and an admin's targetMeetingType Teams over SfB meetings, send nothing.
    for (const selection of [TEAMS_TARGET, TEAMS_TARGET]) {
      const updates = f.sandbox.tenant.updateLog().length;
      await deliver(f, await requestRun(f, u.id, selection));
      const again = await f.repos.status.get(u.id);
      assert.equal(again?.state, 'Succeeded');
      assert.equal(again.invitesUpdate, 0);
      assert.equal(again.skipReasons.upToDate, skype.length);
      assert.equal(f.sandbox.tenant.updateLog().length, updates, 'no update sent');
    }
    assertOneMeetingPerExternalId(f, u.id);
  });

  it('a worker that dies mid-conversion, then is redelivered, makes no second Teams meeting and no second update', async () => {
    const u = pick();
    const skype = skypeEligible(f, u.id);
    // The first conversion's createOrGet succeeds and the worker dies before its PATCH; the next one's PATCH
    // lands and the worker dies before writing the ledger.
    const inner = f.deps.graph.onlineMeetings;
    let creates = 0;
    const dying: OnlineMeetingsGateway = {
      createTeamsMeeting: async (...args) => {
        const m = await inner.createTeamsMeeting(...args);
        creates += 1;
        if (creates === 1) throw new Error('worker died after createOrGet (test)');
        return m;
      },
      findTeamsMeetingByJoinUrl: (...args) => inner.findTeamsMeetingByJoinUrl(...args),
    };
    const message = await requestRun(f, u.id, TEAMS_TARGET);
    await assert.rejects(
      deliver({ ...f, deps: { ...f.deps, graph: { ...f.deps.graph, onlineMeetings: dying } } }, message),
      /worker died after createOrGet/,
    );
    f.calendar.crashAfter = 0;
    f.calendar.crashMode = 'after';
    try {
      await assert.rejects(
        deliver(f, { ...message, deliveryCount: 2 }),
        /worker died after the update landed/,
      );
    } finally {
      f.calendar.crashAfter = undefined;
      f.calendar.crashMode = 'before';
    }
    const out = await deliver(f, { ...message, deliveryCount: 3 });
    assert.equal(out.kind, 'finished');
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Succeeded', s?.lastMessage);
    assert.equal(s.succeededMeeting, skype.length);
    assert.equal(s.failedMeeting, 0);
    for (const ev of skype) {
      assertConverted(f, ev);
      assert.equal(f.calendar.patched.get(ev.id), 1, `${ev.id} PATCHed once`);
    }
    const anchors = new Set(skype.map((e) => e.seriesMasterId ?? e.id));
    assertOneMeetingPerExternalId(f, u.id);
    assert.ok(createdFor(f, u.id).length <= anchors.size, 'createOrGet gave the same meeting back on retry');
    const counts = f.sandbox.tenant.updateCounts();
    for (const ev of skype) {
      for (const a of ev.attendees) {
        assert.equal(counts[ev.id]?.byAttendee[a.emailAddress.address], expectedUpdatesPerAttendee(f, ev.id));
      }
    }
  });

  it('a user without the Teams licence (TEAMS1) ends Failed saying so, and nothing is touched', async () => {
    const u = pick();
    const user = f.sandbox.tenant.requireUser(u.id);
    f.sandbox.tenant.updateUser(u.id, {
      assignedPlans: user.assignedPlans.map((p) =>
        p.servicePlanId === TEAMS_SERVICE_PLAN_ID ? { ...p, capabilityStatus: 'Deleted' } : p,
      ),
    });
    const requests = f.sandbox.tenant.requestLog().length;
    await deliver(f, await requestRun(f, u.id, TEAMS_TARGET));
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Failed');
    assert.equal(s.lastMessageCode, 'teamsNotLicensed');
    assert.match(s.lastMessage, /TEAMS1/);
    const calls = f.sandbox.tenant.requestLog().slice(requests);
    assert.ok(!calls.some((r) => r.method !== 'GET'), 'no meeting created, no event changed');
    assert.equal(createdFor(f, u.id).length, 0);
  });

  it('without the Teams application access policy the user ends Failed with the PowerShell line', async () => {
    const u = pick();
    f.sandbox.tenant.setTeamsAccessPolicy(u.id, false);
    try {
      await deliver(f, await requestRun(f, u.id, TEAMS_TARGET));
      const s = await f.repos.status.get(u.id);
      assert.equal(s?.state, 'Failed');
      assert.equal(s.lastMessageCode, 'teamsAccessPolicyMissing');
      assert.match(
        s.lastMessage,
        new RegExp(`Grant-CsApplicationAccessPolicy -PolicyName "MMS" -Identity ${u.userPrincipalName}`),
      );
      for (const ev of skypeEligible(f, u.id)) assert.equal(f.calendar.patched.get(ev.id), undefined);
    } finally {
      f.sandbox.tenant.setTeamsAccessPolicy(u.id, true);
    }
  });

  it('a meeting Graph refuses fails with its code and the others are converted', async () => {
    const u = pick((x) => skypeEligible(f, x.id).filter((e) => e.type !== 'exception').length >= 2);
    const skype = skypeEligible(f, u.id);
    const refused = skype.find((e) => e.type !== 'exception');
    assert.ok(refused);
    const inner = f.deps.graph.onlineMeetings;
    const picky: OnlineMeetingsGateway = {
      createTeamsMeeting: (userId, m) =>
        m.subject === refused.subject
          ? Promise.reject(
              new GraphRequestError({
                status: 400,
                code: 'BadRequest',
                message: 'The subject is not allowed.',
                operation: 'createOrGet online meeting',
              }),
            )
          : inner.createTeamsMeeting(userId, m),
      findTeamsMeetingByJoinUrl: (...args) => inner.findTeamsMeetingByJoinUrl(...args),
    };
    const run = await requestRun(f, u.id, TEAMS_TARGET);
    await deliver({ ...f, deps: { ...f.deps, graph: { ...f.deps.graph, onlineMeetings: picky } } }, run);
    const row = await f.repos.ledger.get(u.id, refused.id);
    assert.equal(row?.outcome, 'failed');
    assert.equal(row.errorCode, 'teamsMeetingRejected');
    assert.match(row.errorMessage ?? '', /not allowed/);
    const sameSubject = skype.filter((e) => e.subject === refused.subject).map((e) => e.id);
    for (const ev of skype.filter(
      (e) => !sameSubject.includes(e.id) && !sameSubject.includes(e.seriesMasterId ?? ''),
    )) {
      assertConverted(f, ev);
    }
  });

  it('a later dial-in change is taken from Teams; where Teams cannot be asked the meeting fails, or uses the stored profile when allowed', async () => {
    const u = pick((x) => x.sandboxDialIn?.enabled === true && x.sandboxDialIn.provider === 'Microsoft');
    const skype = skypeEligible(f, u.id);
    await deliver(f, await requestRun(f, u.id, TEAMS_TARGET));
    assert.equal((await f.repos.status.get(u.id))?.state, 'Succeeded');

    // Teams changes the user's conference id (Set-CsOnlineDialInConferencingUser); our profile does not know.
    const dialIn = f.sandbox.tenant.requireUser(u.id).sandboxDialIn;
    assert.ok(dialIn);
    f.sandbox.tenant.updateUser(u.id, { sandboxDialIn: { ...dialIn, conferenceId: '86420135' } });
    await deliver(f, await requestRun(f, u.id));
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Succeeded', s?.lastMessage);
    const single = skype.find((e) => e.type !== 'exception') ?? skype[0]!;
    const body = stored(f, single.id).body.content;
    assert.ok(body.includes('864 201 35') || body.includes('86420135'), 'the new conference id from Teams');
    const row = await f.repos.ledger.get(u.id, single.id);
    assert.equal(row?.dialInSource, 'teams');
    assert.match(row.note ?? '', /Teams and the stored profile differ \(Teams wins\): conference id/);

    // No access policy any more: converted meetings cannot be read from Teams and fail with the fix.
    f.sandbox.tenant.setTeamsAccessPolicy(u.id, false);
    try {
      f.sandbox.tenant.updateUser(u.id, { sandboxDialIn: { ...dialIn, conferenceId: '97531864' } });
      await deliver(f, await requestRun(f, u.id));
      const failed = await f.repos.ledger.get(u.id, single.id);
      assert.equal(failed?.outcome, 'failed');
      assert.equal(failed.errorCode, 'teamsAccessPolicyMissing');

      await f.repos.settings.updateTeamsConversion({ teamsDialInFromStoredProfile: true });
      await deliver(f, await requestRun(f, u.id));
      const fallback = await f.repos.ledger.get(u.id, single.id);
      assert.equal(fallback?.dialInSource, 'storedProfile');
      assert.ok(fallback.outcome === 'updated' || fallback.outcome === 'skipped', fallback.outcome);
      const profileConf = (await f.repos.profiles.get(u.id))?.dialIn.conferenceId;
      if (fallback.outcome === 'updated' && profileConf !== undefined) {
        const text = stored(f, single.id).body.content;
        assert.ok(text.replace(/\D/g, '').includes(profileConf), 'rendered from the stored profile');
      }
    } finally {
      f.sandbox.tenant.setTeamsAccessPolicy(u.id, true);
      await f.repos.settings.updateTeamsConversion({ teamsDialInFromStoredProfile: false });
    }
  });
  it('a Teams meeting scheduled in Outlook is refreshed from its Teams meeting, never from the stored profile', async () => {
    const u = f.seed.users.find(
      (x) =>
        !taken.has(x.id) &&
        hasMailbox(x) &&
        x.sandboxDialIn?.enabled === true &&
        x.sandboxDialIn.provider === 'Microsoft' &&
        teamsEligible(f, x.id).some((e) => e.onlineMeetingProvider === 'teamsForBusiness'),
    );
    assert.ok(u, 'a user with Microsoft dial-in and Teams meetings');
    taken.add(u.id);
    const native = teamsEligible(f, u.id).filter((e) => e.onlineMeetingProvider === 'teamsForBusiness');
    // Teams gives the user a new conference id (Set-CsOnlineDialInConferencingUser); the stored profile, which
    // only holds what an admin reported, still shows the old one.
    const dialIn = f.sandbox.tenant.requireUser(u.id).sandboxDialIn;
    assert.ok(dialIn);
    f.sandbox.tenant.updateUser(u.id, { sandboxDialIn: { ...dialIn, conferenceId: '75319864' } });
    const profileConf = (await f.repos.profiles.get(u.id))?.dialIn.conferenceId;
    assert.notEqual(profileConf, '75319864');

    await deliver(f, await requestRun(f, u.id));
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Succeeded', s?.lastMessage);
    for (const ev of native) {
      const now = stored(f, ev.id);
      const block = findOnlineMeetingBlock(now.body.content, now.body.contentType);
      assert.equal(block?.kind, 'teams');
      assert.equal(
        block.conferenceId?.replace(/\D/g, ''),
        '75319864',
        `${ev.id}: the conference id Teams gives`,
      );
      assert.equal(block.joinUrl, ev.onlineMeeting?.joinUrl, "the Teams meeting's own join link");
      const row = await f.repos.ledger.get(u.id, ev.id);
      assert.ok(row?.outcome === 'updated', `${ev.id}: ${row?.outcome} ${row?.errorCode ?? ''}`);
      assert.equal(row.dialInSource, 'teams');
      assert.ok(row.teamsMeetingId, 'the result names the Teams meeting read');
      if (profileConf !== undefined) assert.match(row.note ?? '', /Teams wins/);
    }

    // Nothing changed in Teams since: a re-run sends nothing.
    const updates = f.sandbox.tenant.updateLog().length;
    await deliver(f, await requestRun(f, u.id));
    assert.equal((await f.repos.status.get(u.id))?.invitesUpdate, 0);
    assert.equal(f.sandbox.tenant.updateLog().length, updates, 'no update sent');
  });
});

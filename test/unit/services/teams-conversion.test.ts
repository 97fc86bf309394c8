/**
 * The pure parts of the conversion to Teams (shared/services/teams-conversion.ts) and the eligibility rule for
 * converted meetings: the externalId is stable per user and meeting; the Teams meeting spans the whole series
 * (Teams dial-in expires 60 days after the end); the block shows what Teams answered; a stored profile that
 * disagrees is reported, never used; a converted meeting is recognised by its marker although Graph still calls
 * it a Skype meeting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyMeeting, type MeetingDescription } from '../../../shared/domain/eligibility';
import { teamsRouteOf } from '../../../shared/services/meeting-plan';
import type { MeetingEvent, TeamsMeeting } from '../../../shared/graph/ports';
import {
  convertedFingerprint,
  dialInDifference,
  hasTeamsLicence,
  isConvertedMarker,
  isConvertedMeeting,
  teamsBlockInfo,
  teamsBlockIsCurrent,
  teamsExternalId,
  teamsMeetingSpan,
  TEAMS_SERVICE_PLAN_ID,
} from '../../../shared/services/teams-conversion';
import type { Bridge } from '../../../shared/storage/repositories/bridge-repository';

const DAY = 86_400_000;
const NOW = new Date('2026-06-15T12:00:00Z');
const TEAMS_URL = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d';
const SKYPE_URL = 'https://meet.lync.com/contoso/ada/ABC123';

const BRIDGE: Bridge = {
  id: 'b1',
  name: 'Americas',
  isDefault: true,
  dialInUrl: 'https://dialin.teams.microsoft.com/bridge',
  defaultTollNumber: '+14255550100',
  numbers: [
    { number: '+14255550100', type: 'toll', city: 'Seattle', country: 'United States', languages: [] },
  ],
};

const MEETING: TeamsMeeting = {
  id: 'm1',
  joinWebUrl: TEAMS_URL,
  conferenceId: '123456789',
  tollNumbers: ['+14255550100'],
  tollFreeNumbers: [],
  dialinUrl: 'https://dialin.teams.microsoft.com/bridge',
  joinMeetingId: '987654321012',
  passcode: 'aB3dE',
  joinInformation: null,
};

function event(over: Partial<MeetingEvent> = {}): MeetingEvent {
  return {
    id: 'e1',
    type: 'singleInstance',
    seriesMasterId: null,
    subject: 'Sync',
    body: { contentType: 'html', content: '' },
    start: { dateTime: '2026-07-01T09:00:00.0000000', timeZone: 'UTC' },
    end: { dateTime: '2026-07-01T09:30:00.0000000', timeZone: 'UTC' },
    originalStart: null,
    originalStartTimeZone: null,
    recurrence: null,
    isOrganizer: true,
    isCancelled: false,
    isOnlineMeeting: true,
    onlineMeetingProvider: 'skypeForBusiness',
    onlineMeeting: { joinUrl: SKYPE_URL, conferenceId: null },
    onlineMeetingUrl: null,
    skypeExternalLink: null,
    attendeeCount: 3,
    iCalUId: 'uid-1',
    changeKey: null,
    marker: null,
    ...over,
  };
}

describe('teams-conversion helpers', () => {
  it('derives a stable externalId per user and meeting', () => {
    const a = teamsExternalId('A1B2C3D4-0000-4000-8000-000000000001', 'uid-1');
    assert.equal(
      a,
      teamsExternalId('a1b2c3d4-0000-4000-8000-000000000001', 'uid-1'),
      'object id case ignored',
    );
    assert.match(a, /^mms-[0-9a-f]{40}$/);
    assert.notEqual(a, teamsExternalId('a1b2c3d4-0000-4000-8000-000000000001', 'uid-2'));
    assert.notEqual(a, teamsExternalId('a1b2c3d4-0000-4000-8000-000000000002', 'uid-1'));
  });

  it("spans a single meeting's own times, and a whole series", () => {
    const single = teamsMeetingSpan(event(), NOW);
    assert.equal(single.start.toISOString(), '2026-07-01T09:00:00.000Z');
    assert.equal(single.end.toISOString(), '2026-07-01T09:30:00.000Z');
    const weekly = teamsMeetingSpan(
      event({
        type: 'seriesMaster',
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: ['wednesday'] },
          range: { type: 'endDate', startDate: '2026-07-01', endDate: '2027-03-31' },
        },
      }),
      NOW,
    );
    assert.equal(weekly.start.toISOString(), '2026-07-01T09:00:00.000Z');
    assert.ok(weekly.end.getTime() >= Date.parse('2027-03-31T23:59:59Z'), 'covers the last occurrence');
    assert.ok(weekly.end.getTime() <= Date.parse('2027-04-03T00:00:00Z'));
    const numbered = teamsMeetingSpan(
      event({
        type: 'seriesMaster',
        recurrence: {
          pattern: { type: 'daily', interval: 2 },
          range: { type: 'numbered', startDate: '2026-07-01', numberOfOccurrences: 10 },
        },
      }),
      NOW,
    );
    assert.ok(
      numbered.end.getTime() >= Date.parse('2026-07-19T09:30:00Z'),
      'the 10th occurrence, 18 days on',
    );
    const noEnd = teamsMeetingSpan(
      event({
        type: 'seriesMaster',
        recurrence: {
          pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 1 },
          range: { type: 'noEnd', startDate: '2026-07-01' },
        },
      }),
      NOW,
    );
    assert.ok(noEnd.end.getTime() >= NOW.getTime() + 1825 * DAY);
  });

  it("shows what Teams answered: join link, meeting ID and passcode, dial-in with the bridge's places", () => {
    const info = teamsBlockInfo(MEETING, BRIDGE);
    assert.equal(info.joinUrl, TEAMS_URL);
    assert.equal(info.meetingId, '987654321012');
    assert.equal(info.passcode, 'aB3dE');
    assert.equal(info.conferenceId, '123456789');
    assert.deepEqual(info.tollNumbers, [{ number: '+14255550100', place: 'United States, Seattle' }]);
    assert.equal(info.dialInUrl, 'https://dialin.teams.microsoft.com/bridge');
    assert.equal(info.resetPinUrl, 'https://dialin.teams.microsoft.com/usp/pstnconferencing');
    const noAudio = teamsBlockInfo({ ...MEETING, conferenceId: null, tollNumbers: [] }, BRIDGE);
    assert.equal(noAudio.conferenceId, undefined);
    assert.deepEqual(noAudio.tollNumbers, []);
    assert.equal(noAudio.dialInUrl, undefined, 'no dial-in section without Audio Conferencing');
  });

  it('reports where the stored profile differs from Teams, and nothing when they agree', () => {
    const profile = {
      audioConferencing: true,
      dialIn: {
        provider: 'Microsoft' as const,
        enabled: true,
        conferenceId: '123456789',
        tollNumber: '+14255550100',
      },
    };
    assert.equal(dialInDifference(profile, BRIDGE, MEETING), null);
    const stale = { ...profile, dialIn: { ...profile.dialIn, conferenceId: '555' } };
    assert.match(
      dialInDifference(stale, BRIDGE, MEETING) ?? '',
      /Teams wins.*conference id: stored 555, Teams 123456789/,
    );
    const none = { audioConferencing: false, dialIn: { provider: 'Microsoft' as const, enabled: false } };
    assert.match(dialInDifference(none, BRIDGE, MEETING) ?? '', /stored profile shows no dial-in/);
  });

  it('checks the Teams licence by service plan, and marks converted fingerprints', () => {
    assert.ok(
      hasTeamsLicence([{ servicePlanId: TEAMS_SERVICE_PLAN_ID.toUpperCase(), capabilityStatus: 'Enabled' }]),
    );
    assert.ok(hasTeamsLicence([{ servicePlanId: TEAMS_SERVICE_PLAN_ID, capabilityStatus: 'Warning' }]));
    assert.ok(!hasTeamsLicence([{ servicePlanId: TEAMS_SERVICE_PLAN_ID, capabilityStatus: 'Suspended' }]));
    assert.ok(!hasTeamsLicence([]));
    const fp = convertedFingerprint('<div>block</div>');
    assert.equal(fp, convertedFingerprint('<div>block</div>'));
    assert.ok(isConvertedMarker(fp));
    assert.ok(!isConvertedMarker('v1:abc'));
    assert.ok(!isConvertedMarker(null));
  });
});

describe('eligibility of a converted meeting', () => {
  const converted = (over: Partial<MeetingDescription> = {}): MeetingDescription => ({
    type: 'singleInstance',
    start: new Date('2026-07-01T09:00:00Z'),
    end: new Date('2026-07-01T10:00:00Z'),
    isOrganizer: true,
    isCancelled: false,
    isOnlineMeeting: true,
    onlineMeetingProvider: 'skypeForBusiness',
    onlineMeetingJoinUrl: SKYPE_URL,
    block: { kind: 'teams', joinUrl: TEAMS_URL },
    attendeeCount: 3,
    convertedToTeams: true,
    storedFingerprint: 'teams1:aaa',
    currentFingerprint: 'teams1:bbb',
    dialInProvider: 'Microsoft',
    sourceMeetingType: 'SfB',
    ...over,
  });

  it('is a Teams meeting of ours although Graph says Skype, selected by every source type', () => {
    for (const source of ['All', 'SfB', 'Teams'] as const) {
      assert.deepEqual(classifyMeeting(converted({ sourceMeetingType: source }), NOW), { action: 'update' });
    }
    assert.deepEqual(classifyMeeting(converted({ currentFingerprint: 'teams1:aaa' }), NOW), {
      action: 'skip',
      reason: 'upToDate',
    });
  });

  it('without the marker a Teams block in a Skype event stays a pasted block', () => {
    assert.deepEqual(classifyMeeting(converted({ convertedToTeams: false }), NOW), {
      action: 'skip',
      reason: 'copiedBlock',
    });
  });
});

describe('where a Teams block comes from', () => {
  const teamsBlock = { kind: 'teams' as const, start: 0, end: 10, joinUrl: TEAMS_URL };
  const skypeBlock = { kind: 'skype' as const, start: 0, end: 10, joinUrl: SKYPE_URL };

  it('every Teams block is read from Teams; a Skype block is converted only by a *ToTeams migration', () => {
    for (const convertsToTeams of [true, false]) {
      assert.equal(teamsRouteOf({ convertsToTeams }, teamsBlock), 'fromTeams');
    }
    assert.equal(teamsRouteOf({ convertsToTeams: true }, skypeBlock), 'convert');
    assert.equal(teamsRouteOf({ convertsToTeams: false }, skypeBlock), null);
    assert.equal(teamsRouteOf({ convertsToTeams: true }, null), null);
  });

  it('a converted meeting is a Teams block under our marker in an event Graph does not call Teams', () => {
    const fp = convertedFingerprint('<div>block</div>');
    assert.ok(isConvertedMeeting(event({ marker: fp }), teamsBlock));
    assert.ok(isConvertedMeeting(event({ marker: fp, onlineMeetingProvider: 'unknown' }), teamsBlock));
    assert.ok(
      !isConvertedMeeting(event({ marker: fp, onlineMeetingProvider: 'teamsForBusiness' }), teamsBlock),
    );
    assert.ok(!isConvertedMeeting(event({ marker: 'v1:abc' }), teamsBlock));
    assert.ok(!isConvertedMeeting(event({ marker: fp }), skypeBlock));
  });

  it('a block Teams gives is current when the marker holds its fingerprint or the body already shows it', () => {
    const block = '<div>Teams</div>';
    const out = { block, fingerprint: convertedFingerprint(block) };
    const body = (content: string) => ({ contentType: 'html' as const, content });
    const at = { start: 5, end: 5 + block.length };
    assert.ok(teamsBlockIsCurrent(event({ marker: out.fingerprint, body: body('x') }), at, out));
    assert.ok(teamsBlockIsCurrent(event({ body: body(`a</p>${block}<p>b</p>`) }), at, out));
    assert.ok(!teamsBlockIsCurrent(event({ body: body('<p>a</p><div>Other</div>') }), at, out));
  });
});

/**
 * Eligibility: every skip reason with a case that yields it and a case just on the other side of the boundary,
 * and the order in which the checks run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_ATTENDEES_INCLUDING_ORGANIZER,
  SKIP_REASONS,
  SKIP_REASON_CODES,
  classifyMeeting,
  normalizeJoinUrl,
  type Classification,
  type MeetingDescription,
} from '../../../shared/domain/eligibility';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const at = (iso: string) => new Date(iso);
const TEAMS_URL =
  'https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ5ZTk3YzMtZWQ1%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d';
const OTHER_TEAMS_URL =
  'https://teams.microsoft.com/l/meetup-join/19%3ameeting_T3RoZXJNZWV0aW5n%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d';
const SKYPE_URL = 'https://meet.lync.com/contoso/adele/ABC123';

/** A future Teams meeting the user organizes, with a matching block and no marker: updated. */
function teamsMeeting(over: Partial<MeetingDescription> = {}): MeetingDescription {
  return {
    type: 'singleInstance',
    start: at('2026-06-20T09:00:00Z'),
    end: at('2026-06-20T10:00:00Z'),
    isOrganizer: true,
    isCancelled: false,
    isOnlineMeeting: true,
    onlineMeetingProvider: 'teamsForBusiness',
    onlineMeetingJoinUrl: TEAMS_URL,
    block: { kind: 'teams', joinUrl: TEAMS_URL },
    attendeeCount: 5,
    storedFingerprint: null,
    currentFingerprint: 'fp-2',
    dialInProvider: 'Microsoft',
    sourceMeetingType: 'All',
    ...over,
  };
}

function skypeMeeting(over: Partial<MeetingDescription> = {}): MeetingDescription {
  return teamsMeeting({
    onlineMeetingProvider: 'skypeForBusiness',
    onlineMeetingJoinUrl: SKYPE_URL,
    block: { kind: 'skype', joinUrl: SKYPE_URL },
    ...over,
  });
}

const UPDATE: Classification = { action: 'update' };
const skip = (reason: (typeof SKIP_REASON_CODES)[number]): Classification => ({ action: 'skip', reason });

describe('classifyMeeting: each reason and its boundary', () => {
  it('updates the base meetings of both kinds', () => {
    assert.deepEqual(classifyMeeting(teamsMeeting(), NOW), UPDATE);
    assert.deepEqual(classifyMeeting(skypeMeeting(), NOW), UPDATE);
  });

  it('cancelled', () => {
    assert.deepEqual(classifyMeeting(teamsMeeting({ isCancelled: true }), NOW), skip('cancelled'));
    assert.deepEqual(
      classifyMeeting(teamsMeeting({ type: 'exception', isCancelled: true }), NOW),
      skip('cancelled'),
    );
    assert.deepEqual(classifyMeeting(teamsMeeting({ type: 'exception', isCancelled: false }), NOW), UPDATE);
  });

  it('past: a meeting that ended exactly now is past; one ending a millisecond later is not', () => {
    const endsNow = teamsMeeting({ start: at('2026-06-15T11:00:00Z'), end: NOW });
    assert.deepEqual(classifyMeeting(endsNow, NOW), skip('past'));
    const endsLater = teamsMeeting({
      start: at('2026-06-15T11:00:00Z'),
      end: at('2026-06-15T12:00:00.001Z'),
    });
    assert.deepEqual(classifyMeeting(endsLater, NOW), UPDATE);
  });

  it('past: a meeting under way is still updated; one that ended yesterday is not', () => {
    const underWay = teamsMeeting({ start: at('2026-06-15T11:30:00Z'), end: at('2026-06-15T12:30:00Z') });
    assert.deepEqual(classifyMeeting(underWay, NOW), UPDATE);
    const yesterday = teamsMeeting({ start: at('2026-06-14T11:00:00Z'), end: at('2026-06-14T12:00:00Z') });
    assert.deepEqual(classifyMeeting(yesterday, NOW), skip('past'));
  });

  it('past: an all-day meeting of today is current until its date has ended in every time zone', () => {
    const H = 3_600_000;
    // Today (2026-06-15) in UTC+14 ran from 06-14T10:00Z to 06-15T10:00Z: over there, but 06-15 still runs
    // in UTC-12 until 06-16T12:00Z.
    const kiritimati = teamsMeeting({
      isAllDay: true,
      start: new Date('2026-06-14T10:00:00Z'),
      end: new Date('2026-06-15T10:00:00Z'),
    });
    assert.equal(classifyMeeting(kiritimati, NOW).action, 'update');
    assert.deepEqual(
      classifyMeeting(kiritimati, new Date(Date.parse('2026-06-15T10:00:00Z') + 26 * H)),
      skip('past'),
    );
    // The same times without the all-day flag: an ordinary meeting that ended two hours ago.
    assert.deepEqual(classifyMeeting({ ...kiritimati, isAllDay: false }, NOW), skip('past'));
  });

  it('past: a series whose last occurrence has ended is past; one with a future occurrence is not', () => {
    const firstOccurrence = { start: at('2026-01-05T09:00:00Z'), end: at('2026-01-05T10:00:00Z') };
    const over = teamsMeeting({ type: 'seriesMaster', ...firstOccurrence, lastOccurrenceEnd: NOW });
    assert.deepEqual(classifyMeeting(over, NOW), skip('past'));
    const running = teamsMeeting({
      type: 'seriesMaster',
      ...firstOccurrence,
      lastOccurrenceEnd: at('2026-06-15T12:00:00.001Z'),
    });
    assert.deepEqual(classifyMeeting(running, NOW), UPDATE);
    const noEnd = teamsMeeting({ type: 'seriesMaster', ...firstOccurrence, lastOccurrenceEnd: null });
    assert.deepEqual(classifyMeeting(noEnd, NOW), UPDATE);
  });

  it('past: an exception of a running series is judged on its own times', () => {
    const pastException = teamsMeeting({
      type: 'exception',
      start: at('2026-06-01T09:00:00Z'),
      end: at('2026-06-01T10:00:00Z'),
      lastOccurrenceEnd: null, // ignored for exceptions
    });
    assert.deepEqual(classifyMeeting(pastException, NOW), skip('past'));
  });

  it('notOrganizer', () => {
    assert.deepEqual(classifyMeeting(teamsMeeting({ isOrganizer: false }), NOW), skip('notOrganizer'));
  });

  it('notOnlineMeeting: no block in the body, whether or not the event is flagged online', () => {
    assert.deepEqual(classifyMeeting(teamsMeeting({ block: null }), NOW), skip('notOnlineMeeting'));
    assert.deepEqual(
      classifyMeeting(
        teamsMeeting({
          block: null,
          isOnlineMeeting: false,
          onlineMeetingProvider: 'unknown',
          onlineMeetingJoinUrl: null,
        }),
        NOW,
      ),
      skip('notOnlineMeeting'),
    );
  });

  it('copiedBlock: a block in an event not created as an online meeting', () => {
    const pasted = teamsMeeting({
      isOnlineMeeting: false,
      onlineMeetingProvider: 'unknown',
      onlineMeetingJoinUrl: null,
    });
    assert.deepEqual(classifyMeeting(pasted, NOW), skip('copiedBlock'));
  });

  it("copiedBlock: a block whose join link is another meeting's", () => {
    const other = teamsMeeting({ block: { kind: 'teams', joinUrl: OTHER_TEAMS_URL } });
    assert.deepEqual(classifyMeeting(other, NOW), skip('copiedBlock'));
    const shortA = 'https://teams.microsoft.com/meet/23456789012?p=AbCdEf';
    const shortB = 'https://teams.microsoft.com/meet/99999999999?p=AbCdEf';
    const otherShort = teamsMeeting({
      onlineMeetingJoinUrl: shortA,
      block: { kind: 'teams', joinUrl: shortB },
    });
    assert.deepEqual(classifyMeeting(otherShort, NOW), skip('copiedBlock'));
    const otherSkype = skypeMeeting({
      block: { kind: 'skype', joinUrl: 'https://meet.lync.com/contoso/bob/XYZ789' },
    });
    assert.deepEqual(classifyMeeting(otherSkype, NOW), skip('copiedBlock'));
  });

  it('copiedBlock: a block of the other kind than the event provider', () => {
    const teamsBlockInSkypeMeeting = skypeMeeting({ block: { kind: 'teams', joinUrl: TEAMS_URL } });
    assert.deepEqual(classifyMeeting(teamsBlockInSkypeMeeting, NOW), skip('copiedBlock'));
    const consumer = teamsMeeting({ onlineMeetingProvider: 'skypeForConsumer' });
    assert.deepEqual(classifyMeeting(consumer, NOW), skip('copiedBlock'));
  });

  it('not copiedBlock: the same link written differently (escape case, &amp;, other query), or not comparable', () => {
    const upper = TEAMS_URL.replace(/%3a/g, '%3A').replace(/%40/g, '%40');
    assert.deepEqual(
      classifyMeeting(teamsMeeting({ block: { kind: 'teams', joinUrl: upper } }), NOW),
      UPDATE,
    );
    const html = `${TEAMS_URL}&amp;lang=fr`;
    assert.deepEqual(classifyMeeting(teamsMeeting({ block: { kind: 'teams', joinUrl: html } }), NOW), UPDATE);
    assert.deepEqual(classifyMeeting(teamsMeeting({ block: { kind: 'teams' } }), NOW), UPDATE);
    assert.deepEqual(classifyMeeting(teamsMeeting({ onlineMeetingJoinUrl: null }), NOW), UPDATE);
    // The short Teams link in the body, the long one in Graph: the same meeting for all we can tell.
    const short = 'https://teams.microsoft.com/meet/23456789012?p=AbCdEf';
    assert.deepEqual(
      classifyMeeting(teamsMeeting({ block: { kind: 'teams', joinUrl: short } }), NOW),
      UPDATE,
    );
    // Outlook's Skype add-in leaves the provider unknown: no evidence of a copy.
    assert.deepEqual(classifyMeeting(skypeMeeting({ onlineMeetingProvider: 'unknown' }), NOW), UPDATE);
  });

  it('typeNotSelected: SfB selects Skype blocks, Teams selects Teams blocks, All both', () => {
    assert.deepEqual(
      classifyMeeting(teamsMeeting({ sourceMeetingType: 'SfB' }), NOW),
      skip('typeNotSelected'),
    );
    assert.deepEqual(
      classifyMeeting(skypeMeeting({ sourceMeetingType: 'Teams' }), NOW),
      skip('typeNotSelected'),
    );
    assert.deepEqual(classifyMeeting(teamsMeeting({ sourceMeetingType: 'Teams' }), NOW), UPDATE);
    assert.deepEqual(classifyMeeting(skypeMeeting({ sourceMeetingType: 'SfB' }), NOW), UPDATE);
    assert.deepEqual(classifyMeeting(skypeMeeting({ sourceMeetingType: 'All' }), NOW), UPDATE);
  });

  it('thirdPartyProvider', () => {
    assert.deepEqual(
      classifyMeeting(teamsMeeting({ dialInProvider: 'ThirdParty' }), NOW),
      skip('thirdPartyProvider'),
    );
  });

  it('tooManyAttendees: 250 including the organizer is updated, 251 is skipped', () => {
    assert.equal(MAX_ATTENDEES_INCLUDING_ORGANIZER, 250);
    assert.deepEqual(classifyMeeting(teamsMeeting({ attendeeCount: 249 }), NOW), UPDATE);
    assert.deepEqual(classifyMeeting(teamsMeeting({ attendeeCount: 250 }), NOW), skip('tooManyAttendees'));
  });

  it('upToDate: the marker holds the fingerprint we would write; another or none means update', () => {
    assert.deepEqual(classifyMeeting(teamsMeeting({ storedFingerprint: 'fp-2' }), NOW), skip('upToDate'));
    assert.deepEqual(classifyMeeting(teamsMeeting({ storedFingerprint: 'fp-1' }), NOW), UPDATE);
    assert.deepEqual(classifyMeeting(teamsMeeting({ storedFingerprint: null }), NOW), UPDATE);
  });
});

describe('classifyMeeting: order of the checks', () => {
  // Each case breaks every rule from a given one on; the first broken rule must win.
  const everythingWrong: Partial<MeetingDescription> = {
    isCancelled: true,
    end: at('2026-06-01T10:00:00Z'),
    start: at('2026-06-01T09:00:00Z'),
    isOrganizer: false,
    block: { kind: 'teams', joinUrl: OTHER_TEAMS_URL },
    sourceMeetingType: 'SfB',
    dialInProvider: 'ThirdParty',
    attendeeCount: 1000,
    storedFingerprint: 'fp-2',
  };
  const fixes: [keyof MeetingDescription, Partial<MeetingDescription>][] = [
    ['isCancelled', { isCancelled: false }],
    ['end', { start: at('2026-06-20T09:00:00Z'), end: at('2026-06-20T10:00:00Z') }],
    ['isOrganizer', { isOrganizer: true }],
    ['block', { block: { kind: 'teams', joinUrl: TEAMS_URL } }],
    ['sourceMeetingType', { sourceMeetingType: 'All' }],
    ['dialInProvider', { dialInProvider: 'Microsoft' }],
    ['attendeeCount', { attendeeCount: 3 }],
    ['storedFingerprint', { storedFingerprint: null }],
  ];
  const expected = [
    'cancelled',
    'past',
    'notOrganizer',
    'copiedBlock',
    'typeNotSelected',
    'thirdPartyProvider',
    'tooManyAttendees',
    'upToDate',
    'update',
  ];

  it('runs cancelled, past, notOrganizer, (block), copiedBlock, typeNotSelected, thirdPartyProvider, tooManyAttendees, upToDate', () => {
    let m = teamsMeeting(everythingWrong);
    const seen: string[] = [];
    const record = () => {
      const c = classifyMeeting(m, NOW);
      seen.push(c.action === 'update' ? 'update' : c.reason);
    };
    record();
    for (const [, fix] of fixes) {
      m = { ...m, ...fix };
      record();
    }
    assert.deepEqual(seen, expected);
  });

  it('puts notOnlineMeeting after notOrganizer and before the rest', () => {
    const noBlock = teamsMeeting({ block: null, dialInProvider: 'ThirdParty', attendeeCount: 1000 });
    assert.deepEqual(classifyMeeting(noBlock, NOW), skip('notOnlineMeeting'));
    assert.deepEqual(classifyMeeting({ ...noBlock, isOrganizer: false }, NOW), skip('notOrganizer'));
  });
});

describe('skip reasons catalogue', () => {
  it('describes every reason, exactly the codes the issue names', () => {
    assert.deepEqual([...SKIP_REASON_CODES].sort(), [
      'cancelled',
      'copiedBlock',
      'notOnlineMeeting',
      'notOrganizer',
      'past',
      'thirdPartyProvider',
      'tooManyAttendees',
      'typeNotSelected',
      'upToDate',
    ]);
    for (const code of SKIP_REASON_CODES) assert.ok(SKIP_REASONS[code].length > 20, code);
  });
});

describe('normalizeJoinUrl', () => {
  it('keeps the meeting identity and drops what differs between copies', () => {
    assert.equal(
      normalizeJoinUrl('https://Teams.Microsoft.com/l/meetup-join/19%3Ameeting_X%40thread.v2/0?context=a'),
      'teams.microsoft.com/l/meetup-join/19:meeting_X@thread.v2/0',
    );
    assert.equal(
      normalizeJoinUrl('https://meet.lync.com/contoso/adele/ABC/'),
      'meet.lync.com/contoso/adele/ABC',
    );
    assert.equal(normalizeJoinUrl('not a url'), null);
    assert.equal(normalizeJoinUrl('tel:+15555550100'), null);
  });
});

/**
 * Eligibility: does the migration update this meeting, or skip it, and why.
 *
 * `classifyMeeting(meeting, now)` looks at a plain description of one calendar event (the worker builds it from
 * the Graph event, the block `findOnlineMeetingBlock` found in its body, the stored marker and the block it would
 * write now) and answers `{ action: 'update' }` or `{ action: 'skip', reason }`. The reason codes and their
 * admin-facing descriptions are `SKIP_REASONS`; the README lists them.
 *
 * Rules (reference/mms-behaviour.md §3, DESIGN.md "Rules the migration follows"), checked in this order, the
 * first that applies wins:
 *
 *  1. cancelled          a cancelled meeting will not take place, and an update would put it back in attendees'
 *                        calendars: nothing else about it matters.
 *  2. past               a meeting (or a series' last occurrence) that has ended is history: never touched, even
 *                        when everything else about it is wrong. "Ended" means end <= now; a meeting under way
 *                        is still updated (people may still join it). A series counts while it has an occurrence
 *                        ending after now; a series with no end date always does. An all-day meeting of today
 *                        is current until its date has ended in every time zone (ALL_DAY_GRACE_MS).
 *  3. notOrganizer       only the organizer's copy is the meeting; attendee copies follow from it.
 *  4. notOnlineMeeting   no online-meeting block in the body: nothing to replace, and guessing where to put one
 *                        would eat user text.
 *  5. copiedBlock        a block whose join link does not belong to this meeting (pasted from another invitation),
 *                        a block in an event not created as an online meeting, or a block of the other kind than
 *                        the event's online-meeting provider (except a Skype meeting this service converted to
 *                        Teams, which its marker names): no meeting of ours stands behind it. Links are
 *                        compared only when both are known and of the same form (see `normalizeJoinUrl`); a
 *                        missing or incomparable link is no evidence of a copy.
 *  6. typeNotSelected    the admin's `sourceMeetingType` does not select this kind of block.
 *  7. thirdPartyProvider the organizer's dial-in comes from a third-party audio-conferencing provider: the
 *                        numbers in the block are theirs, not ours to rewrite.
 *  8. tooManyAttendees   more than 250 attendees, organizer included (MMS's limit).
 *  9. upToDate           the marker says the block we would write now is already there: no update, no mail.
 *
 * Reasons about the event itself (1–5) come before reasons about the request and the user (6–8), and upToDate
 * comes last: it only means something for a meeting we would otherwise update.
 *
 * Series: the worker classifies series masters and exceptions (an exception carries its own body). A plain
 * occurrence shares its master's body; it is accepted here (Graph's calendarView returns them) and classified on
 * its own times, but the worker never PATCHes one (that would turn it into an exception).
 */
import { z } from 'zod';
import type { SourceMeetingType } from './migration-type';

/** Largest meeting we update, organizer included. */
export const MAX_ATTENDEES_INCLUDING_ORGANIZER = 250;

export const SKIP_REASON_CODES = [
  'cancelled',
  'past',
  'notOrganizer',
  'notOnlineMeeting',
  'copiedBlock',
  'typeNotSelected',
  'thirdPartyProvider',
  'tooManyAttendees',
  'upToDate',
] as const;
export type SkipReason = (typeof SKIP_REASON_CODES)[number];
export const skipReasonSchema = z.enum(SKIP_REASON_CODES);

/** One line per reason, for admins (README, API docs, status page), in the order the checks run. */
export const SKIP_REASONS: Readonly<Record<SkipReason, string>> = {
  cancelled: 'The meeting (or this occurrence) is cancelled; updating it would put it back in calendars.',
  past: 'The meeting has ended (for a series: its last occurrence has ended); past meetings are never changed.',
  notOrganizer:
    "The user is not the organizer; only the organizer's meeting is updated, attendees get the update.",
  notOnlineMeeting:
    'The body has no Skype for Business or Teams meeting block, so there is nothing to replace.',
  copiedBlock:
    "The block's join link does not belong to this meeting (pasted from another invitation, or the event was " +
    'not created as an online meeting); no meeting stands behind it.',
  typeNotSelected: 'The block is of a kind the migration did not select (sourceMeetingType SfB or Teams).',
  thirdPartyProvider:
    "The organizer's dial-in comes from a third-party audio-conferencing provider; its numbers are left alone.",
  tooManyAttendees: `The meeting has more than ${MAX_ATTENDEES_INCLUDING_ORGANIZER} attendees, organizer included (the same limit as Microsoft's service).`,
  upToDate: 'The meeting already carries the block this migration would write; no update is sent.',
};

export type EventType = 'singleInstance' | 'seriesMaster' | 'exception' | 'occurrence';
export type OnlineMeetingProvider = 'unknown' | 'teamsForBusiness' | 'skypeForBusiness' | 'skypeForConsumer';
export type BlockKind = 'skype' | 'teams';
export type DialInProvider = 'Microsoft' | 'ThirdParty';

/** What the classifier needs to know about one event. Instants are absolute (time zones already resolved). */
export interface MeetingDescription {
  type: EventType;
  start: Date;
  end: Date;
  /**
   * Series master only: the end of its last occurrence, or null for a series without an end date. Ignored for
   * other types; a series master without it is judged by its own `end` (the first occurrence).
   */
  lastOccurrenceEnd?: Date | null;
  /** An all-day event: it lasts until its date has ended in every time zone (ALL_DAY_GRACE_MS). */
  isAllDay?: boolean;
  isOrganizer: boolean;
  isCancelled: boolean;
  /**
   * The event was created as an online meeting: Graph's `isOnlineMeeting`, or, for Skype meetings scheduled with
   * the Outlook add-in (which can leave it false), the Skype signals of graph-facts.md §4.2 (the
   * `OnlineMeetingExternalLink` property, the legacy `onlineMeetingUrl`). The worker decides; false here means
   * "a block pasted into an ordinary event".
   */
  isOnlineMeeting: boolean;
  onlineMeetingProvider: OnlineMeetingProvider;
  /** `onlineMeeting.joinUrl` of the event, when Graph gives one. */
  onlineMeetingJoinUrl: string | null;
  /** The block `findOnlineMeetingBlock` found in the body, or null. */
  block: { kind: BlockKind; joinUrl?: string } | null;
  /** Entries in the event's `attendees` list. Graph does not list the organizer there; we add one for them. */
  attendeeCount: number;
  /**
   * The service converted this Skype meeting to Teams (its marker says so): the body holds our Teams block while
   * Graph goes on reporting the event's provider as Skype, since the provider cannot be changed. Such a meeting
   * is a Teams meeting to the rules below, and every `sourceMeetingType` selects it (it was the user's Skype
   * meeting and is now their Teams meeting), so a re-run recognises it.
   */
  convertedToTeams?: boolean;
  /** Fingerprint held by the event's marker (extended property), or null when it has none. */
  storedFingerprint: string | null;
  /** Fingerprint of the block this migration would write now. */
  currentFingerprint: string;
  dialInProvider: DialInProvider;
  sourceMeetingType: SourceMeetingType;
}

export type Classification = { action: 'update' } | { action: 'skip'; reason: SkipReason };

/**
 * An all-day meeting belongs to a date, and that date is still "today" somewhere until it has ended in the last
 * time zone (UTC−12). Graph reports the day's end converted to UTC from the event's own zone (as far ahead as
 * UTC+14), so the date has ended everywhere at most 26 hours after the reported end: an all-day meeting of today
 * is current, in every time zone, until then.
 */
export const ALL_DAY_GRACE_MS = 26 * 3600_000;

/**
 * The instant after which the meeting (or series) is over: its end (a meeting under way is current), plus
 * ALL_DAY_GRACE_MS for an all-day meeting. Infinity for a series without an end date.
 */
export function meetingEndsAt(
  m: Pick<MeetingDescription, 'type' | 'end' | 'lastOccurrenceEnd' | 'isAllDay'>,
): number {
  const grace = m.isAllDay === true ? ALL_DAY_GRACE_MS : 0;
  if (m.type === 'seriesMaster' && m.lastOccurrenceEnd !== undefined) {
    return m.lastOccurrenceEnd === null ? Number.POSITIVE_INFINITY : m.lastOccurrenceEnd.getTime() + grace;
  }
  return m.end.getTime() + grace;
}

/**
 * A join link reduced to what identifies the meeting: scheme and host in lower case, the path with its
 * percent-escapes decoded (Outlook writes `19%3ameeting_`, Graph `19%3Ameeting_`), no query or fragment (Teams
 * adds a `context` parameter that differs between copies), no trailing slash. HTML entities of a link copied out
 * of markup (`&amp;`) are undone. Null when it is not an absolute http(s) URL.
 */
export function normalizeJoinUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url.trim().replace(/&amp;/gi, '&'));
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  let path = parsed.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape: compare the raw path.
  }
  return `${parsed.host.toLowerCase()}${path.replace(/\/+$/, '')}`;
}

/**
 * The form of a normalized join link: Teams writes one meeting as a long `/l/meetup-join/…` link and (since 2024)
 * as a short `/meet/<id>?p=…` link, and a body may carry one while Graph's `onlineMeeting.joinUrl` carries the
 * other. Links of different forms (or hosts) cannot be compared, so they are no evidence of a copy.
 */
function joinUrlForm(normalized: string): string {
  const slash = normalized.indexOf('/');
  const host = slash < 0 ? normalized : normalized.slice(0, slash);
  const path = slash < 0 ? '' : normalized.slice(slash);
  if (path.startsWith('/l/meetup-join/')) return `${host} meetup-join`;
  if (path.startsWith('/meet/')) return `${host} meet`;
  return host;
}

/** True when both links are known, comparable, and identify different meetings. */
function joinLinksDiffer(blockUrl: string | undefined, eventUrl: string | null): boolean {
  if (blockUrl === undefined || eventUrl === null) return false;
  const a = normalizeJoinUrl(blockUrl);
  const b = normalizeJoinUrl(eventUrl);
  if (a === null || b === null || joinUrlForm(a) !== joinUrlForm(b)) return false;
  return a !== b;
}

function providerMatches(provider: OnlineMeetingProvider, kind: BlockKind): boolean {
  if (provider === 'unknown') return true; // Outlook's Skype add-in leaves it unset: no evidence either way.
  if (provider === 'teamsForBusiness') return kind === 'teams';
  if (provider === 'skypeForBusiness') return kind === 'skype';
  return false; // skypeForConsumer: never one of our blocks.
}

function kindSelected(source: SourceMeetingType, kind: BlockKind): boolean {
  if (source === 'All') return true;
  return source === 'SfB' ? kind === 'skype' : kind === 'teams';
}

/** Classifies one meeting at instant `now`. Pure: same input, same answer. */
export function classifyMeeting(m: MeetingDescription, now: Date): Classification {
  const skip = (reason: SkipReason): Classification => ({ action: 'skip', reason });
  if (m.isCancelled) return skip('cancelled');
  if (meetingEndsAt(m) <= now.getTime()) return skip('past');
  if (!m.isOrganizer) return skip('notOrganizer');
  if (m.block === null) return skip('notOnlineMeeting');
  const converted = m.convertedToTeams === true && m.block.kind === 'teams';
  if (
    !m.isOnlineMeeting ||
    (!converted && !providerMatches(m.onlineMeetingProvider, m.block.kind)) ||
    joinLinksDiffer(m.block.joinUrl, m.onlineMeetingJoinUrl)
  ) {
    return skip('copiedBlock');
  }
  if (!converted && !kindSelected(m.sourceMeetingType, m.block.kind)) return skip('typeNotSelected');
  if (m.dialInProvider === 'ThirdParty') return skip('thirdPartyProvider');
  if (m.attendeeCount + 1 > MAX_ATTENDEES_INCLUDING_ORGANIZER) return skip('tooManyAttendees');
  if (m.storedFingerprint !== null && m.storedFingerprint === m.currentFingerprint) return skip('upToDate');
  return { action: 'update' };
}

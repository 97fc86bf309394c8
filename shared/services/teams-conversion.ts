/**
 * The Teams side of a migration: converting one Skype for Business meeting to a Teams meeting, and writing the
 * Teams block of a meeting this service converted earlier. The worker (migrate-user.ts) calls it per meeting.
 *
 * Converting (graph-fidelity-audit.md, "Converting a Skype for Business meeting to Teams"):
 * - One Teams meeting per single meeting or series, made with `createOrGet` and a stable `externalId` derived
 *   from the user and the meeting's iCalUId (an exception uses its series' iCalUId, so it gets the series' Teams
 *   meeting). A retry, a redelivered message or a re-run gets the same meeting back (200), never a second one.
 * - Its start and end span the meeting, or the whole series: Teams dial-in expires 60 days after the meeting's
 *   end, so a series made with its first occurrence's times would lose dial-in.
 * - `Accept-Language` is the organizer's language.
 * - The block written shows what Teams answered: join link, meeting ID and passcode, and the dial-in the meeting
 *   carries (toll and toll-free numbers, conference id, "find a local number"), or none when the user has no
 *   Audio Conferencing. Never the stored profile: Graph has no API for a user's dial-in, so the profile only
 *   holds what an admin reported, and numbers Teams does not use must never reach invitations. When the stored
 *   profile disagrees, Teams wins and the difference goes into the per-meeting result.
 * - The event keeps its provider (Graph documents `isOnlineMeeting` / `onlineMeetingProvider` as unchangeable):
 *   the marker written with the block says "converted by this service" (`teams1:` fingerprints), which is how a
 *   later run recognises the meeting while Graph goes on reporting it as Skype.
 *
 * Refreshing a Teams block — a meeting converted earlier, or a native Teams meeting — reads its Teams meeting by
 * join link (`GET onlineMeetings?$filter=JoinWebUrl eq`): every Teams block this service writes shows what Teams
 * has, never the stored profile. Where Teams cannot be asked (no access policy, meeting not found) the meeting
 * fails with a code saying why, unless the tenant setting `teamsDialInFromStoredProfile` allows rendering from the
 * stored profile.
 */
import { createHash } from 'node:crypto';
import { dialInFor, parseMeetingCredentials, renderBlockFor, utcDateTimeToEpoch } from './meeting-refresh';
import type { MeetingBlockInfo, OnlineMeetingBlock } from '../domain/meeting-block';
import { MeetingBlockRenderError } from '../domain/meeting-block';
import { GraphContractError, GraphRequestError } from '../graph/errors';
import type { CalendarGateway, MeetingEvent, OnlineMeetingsGateway, TeamsMeeting } from '../graph/ports';
import type { Bridge } from '../storage/repositories/bridge-repository';
import type { UserProfile } from '../storage/repositories/profile-repository';

/** The Microsoft Teams service plan (TEAMS1): a user without it enabled cannot have Teams meetings. */
export const TEAMS_SERVICE_PLAN_ID = '57ff2da0-773e-42df-b2af-ffb7a2317929';

/** Whether the user's assigned plans include Teams, working (Enabled, or Warning: the grace period). */
export function hasTeamsLicence(
  assignedPlans: readonly { servicePlanId: string; capabilityStatus: string }[],
): boolean {
  return assignedPlans.some(
    (p) =>
      p.servicePlanId.toLowerCase() === TEAMS_SERVICE_PLAN_ID &&
      ['enabled', 'warning'].includes(p.capabilityStatus.toLowerCase()),
  );
}

/**
 * Prefix of the fingerprint (and so of the marker) of a block this service wrote when it converted a Skype
 * meeting to Teams. Part of the fingerprint: changing how converted blocks are built must change it.
 */
export const CONVERTED_FINGERPRINT_PREFIX = 'teams1:';

export function convertedFingerprint(block: string): string {
  return `${CONVERTED_FINGERPRINT_PREFIX}${createHash('sha256').update(block, 'utf8').digest('hex')}`;
}

/** True when the event's marker holds a Teams block this service wrote from Teams (converted or refreshed). */
export function isConvertedMarker(marker: string | null): boolean {
  return marker !== null && marker.startsWith(CONVERTED_FINGERPRINT_PREFIX);
}

/**
 * A Skype meeting this service converted to Teams: a Teams block under our marker in an event whose provider is
 * not Teams (Graph cannot change it, so it goes on reporting Skype, or nothing for an add-in meeting). A native
 * Teams meeting is never "converted", whatever its marker.
 */
export function isConvertedMeeting(
  event: Pick<MeetingEvent, 'marker' | 'onlineMeetingProvider'>,
  block: Pick<OnlineMeetingBlock, 'kind'> | null,
): boolean {
  return (
    block?.kind === 'teams' &&
    isConvertedMarker(event.marker) &&
    event.onlineMeetingProvider !== 'teamsForBusiness'
  );
}

/** createOrGet's key for a meeting: stable for the user and the meeting (a series and its exceptions share it). */
export function teamsExternalId(userId: string, meetingKey: string): string {
  const hash = createHash('sha256').update(`${userId.toLowerCase()}\n${meetingKey}`, 'utf8').digest('hex');
  return `mms-${hash.slice(0, 40)}`;
}

const DAY_MS = 86_400_000;
/** A series without an end: dial-in for as long as Graph's calendar windows reach (1,825 days). */
const NO_END_SPAN_MS = 1825 * DAY_MS;
/** Upper bounds of one recurrence step, for numbered ranges. */
const STEP_MS: Record<string, number> = {
  daily: DAY_MS,
  weekly: 7 * DAY_MS,
  absoluteMonthly: 31 * DAY_MS,
  relativeMonthly: 31 * DAY_MS,
  absoluteYearly: 366 * DAY_MS,
  relativeYearly: 366 * DAY_MS,
};

/**
 * Start and end of the Teams meeting for an event: the meeting's own times, or for a series its first occurrence's
 * start and (at least) its last occurrence's end. Numbered ranges are bounded from above (a dial-in that lasts a
 * little longer than the series harms no one); a series without an end gets 1,825 days from now.
 */
export function teamsMeetingSpan(event: SeriesAnchor, now: Date): { start: Date; end: Date } {
  const startMs = utcDateTimeToEpoch(event.start.dateTime);
  const endMs = utcDateTimeToEpoch(event.end.dateTime);
  const start = Number.isNaN(startMs) ? now.getTime() : startMs;
  const duration = Number.isNaN(endMs) ? 3_600_000 : Math.max(0, endMs - start);
  const single = { start: new Date(start), end: new Date(start + duration) };
  const range = event.type === 'seriesMaster' ? event.recurrence?.range : undefined;
  if (!range) return single;
  const pattern = event.recurrence?.pattern;
  let last: number;
  if (range.type === 'endDate' && range.endDate) {
    // The range's end date is a local date: its last minute in any zone is before the next UTC day ends.
    last = Date.parse(`${range.endDate}T00:00:00Z`) + 2 * DAY_MS;
  } else if (range.type === 'numbered' && range.numberOfOccurrences) {
    const step = (STEP_MS[pattern?.type ?? 'daily'] ?? 366 * DAY_MS) * Math.max(1, pattern?.interval ?? 1);
    last = start + range.numberOfOccurrences * step;
  } else {
    last = Math.max(now.getTime(), start) + NO_END_SPAN_MS;
  }
  if (Number.isNaN(last)) last = Math.max(now.getTime(), start) + NO_END_SPAN_MS;
  return { start: single.start, end: new Date(Math.max(single.end.getTime(), last + duration)) };
}

/** "+14255550100" → where the bridge table says the number is ("US, Seattle"), else nothing. */
function placeOf(bridge: Bridge | null, number: string): string {
  const digits = number.replace(/\D/g, '');
  const n = bridge?.numbers.find((x) => x.number.replace(/\D/g, '') === digits);
  return n ? [n.country, n.city].filter((x) => x !== '').join(', ') : '';
}

/** The reset-PIN page of a dial-in site (same origin, /usp/pstnconferencing). */
function resetPinUrl(dialinUrl: string): string | undefined {
  try {
    const u = new URL(dialinUrl);
    return u.protocol === 'https:' || u.protocol === 'http:' ? `${u.origin}/usp/pstnconferencing` : undefined;
  } catch {
    return undefined;
  }
}

/** What a Teams block shows, from the Teams meeting itself. */
export function teamsBlockInfo(meeting: TeamsMeeting, bridge: Bridge | null): MeetingBlockInfo {
  const info: MeetingBlockInfo = {
    kind: 'teams',
    joinUrl: meeting.joinWebUrl,
    tollNumbers: [],
    tollFreeNumbers: [],
  };
  if (meeting.joinMeetingId !== null && /^[\d ]{4,40}$/.test(meeting.joinMeetingId)) {
    info.meetingId = meeting.joinMeetingId;
    if (meeting.passcode !== null && meeting.passcode !== '') info.passcode = meeting.passcode;
  }
  const phones = meeting.tollNumbers.length + meeting.tollFreeNumbers.length;
  if (meeting.conferenceId !== null && phones > 0) {
    info.conferenceId = meeting.conferenceId;
    info.tollNumbers = meeting.tollNumbers.map((number) => ({ number, place: placeOf(bridge, number) }));
    info.tollFreeNumbers = meeting.tollFreeNumbers.map((number) => ({
      number,
      place: placeOf(bridge, number),
    }));
    if (meeting.dialinUrl !== null && /^https?:\/\//i.test(meeting.dialinUrl)) {
      info.dialInUrl = meeting.dialinUrl;
      const reset = resetPinUrl(meeting.dialinUrl);
      if (reset !== undefined) info.resetPinUrl = reset;
    }
  }
  return info;
}

const digitsOf = (s: string | undefined | null) => (s ?? '').replace(/\D/g, '');

/**
 * How the stored profile's dial-in differs from the one Teams gave the meeting, in words; null when they agree.
 * Teams wins; this only tells the admin their records are behind.
 */
export function dialInDifference(
  profile: Pick<UserProfile, 'dialIn' | 'audioConferencing'> | null,
  bridge: Bridge | null,
  meeting: TeamsMeeting,
): string | null {
  if (profile === null) return null;
  const stored = dialInFor({ user: profile, bridge, previous: {} });
  const teamsHas =
    meeting.conferenceId !== null && meeting.tollNumbers.length + meeting.tollFreeNumbers.length > 0;
  if (stored === null || (stored.toll === undefined && stored.tollFree === undefined)) {
    return teamsHas
      ? `The stored profile shows no dial-in; Teams gives the meeting conference id ${meeting.conferenceId ?? ''}.`
      : null;
  }
  if (!teamsHas)
    return 'The stored profile shows dial-in; Teams gives the meeting none (the block shows none).';
  const diffs: string[] = [];
  if (stored.conferenceId !== undefined && digitsOf(stored.conferenceId) !== digitsOf(meeting.conferenceId)) {
    diffs.push(`conference id: stored ${stored.conferenceId}, Teams ${meeting.conferenceId ?? ''}`);
  }
  if (stored.toll !== undefined && !meeting.tollNumbers.some((n) => digitsOf(n) === digitsOf(stored.toll))) {
    diffs.push(`toll number: stored ${stored.toll}, Teams ${meeting.tollNumbers.join(', ') || 'none'}`);
  }
  if (
    stored.tollFree !== undefined &&
    !meeting.tollFreeNumbers.some((n) => digitsOf(n) === digitsOf(stored.tollFree))
  ) {
    diffs.push(
      `toll-free number: stored ${stored.tollFree}, Teams ${meeting.tollFreeNumbers.join(', ') || 'none'}`,
    );
  }
  return diffs.length === 0 ? null : `Teams and the stored profile differ (Teams wins): ${diffs.join('; ')}.`;
}

// ---------------------------------------------------------------------------------------------------------
// One meeting

/**
 * Whether the Teams block Teams gave is what the event already shows: its marker holds the block's fingerprint,
 * or the body already holds exactly this block (a Teams meeting made in Outlook whose invitation is current:
 * sending attendees an update that changes nothing would only disturb them).
 */
export function teamsBlockIsCurrent(
  event: Pick<MeetingEvent, 'marker' | 'body'>,
  block: Pick<OnlineMeetingBlock, 'start' | 'end'>,
  out: { block: string; fingerprint: string },
): boolean {
  return event.marker === out.fingerprint || event.body.content.slice(block.start, block.end) === out.block;
}

/** Per-meeting failure codes of the Teams side (docs/status-codes.md lists them with the other meeting codes). */
export const TEAMS_MEETING_ERROR_CODES = {
  teamsMeetingRejected:
    'Microsoft Graph refused to create the Teams meeting for this meeting (4xx, see errorMessage); the other meetings go on.',
  teamsAccessPolicyMissing:
    "Teams refused to show this meeting's Teams meeting (403): no Teams application access policy grants the app " +
    'the user. Grant-CsApplicationAccessPolicy -PolicyName "MMS" -Identity <user>, then start the migration again ' +
    '(or allow the stored profile: PATCH /api/settings/migration { "teamsDialInFromStoredProfile": true }).',
  teamsMeetingUnlicensed:
    'The organizer has no Microsoft Teams licence (service plan TEAMS1 not enabled), so Teams cannot show this ' +
    "meeting's Teams meeting and its dial-in cannot be read; the meeting was left as it is. Assign a licence that " +
    'includes Teams, then start the migration again (or allow the stored profile: PATCH /api/settings/migration ' +
    '{ "teamsDialInFromStoredProfile": true }).',
  teamsMeetingNotFound:
    "Teams has no meeting with this block's join link for the organizer (deleted, or made by someone else), so " +
    'its dial-in cannot be read; the meeting was left as it is. Have the organizer reschedule it in Teams (or allow ' +
    'the stored profile: PATCH /api/settings/migration { "teamsDialInFromStoredProfile": true }).',
} as const;
export type TeamsMeetingErrorCode = keyof typeof TEAMS_MEETING_ERROR_CODES;

export interface TeamsBlockContext {
  userId: string;
  /** The organizer's language (BCP-47): the block's and Graph's Accept-Language. */
  locale: string;
  profile: UserProfile | null;
  bridge: Bridge | null;
  now: Date;
  /** Tenant setting: render from the stored profile where Teams cannot be asked. */
  fallbackToStoredProfile: boolean;
  /** The organizer holds the Teams service plan (TEAMS1); without it Teams shows none of their meetings. */
  teamsLicensed: boolean;
  /**
   * Series masters seen in this run (the listing gives a master before its exceptions), as anchors: what an
   * exception's Teams meeting needs of its series, without the master's body, so a run keeps a few fields per
   * series and not every series' body.
   */
  series: Map<string, SeriesAnchor>;
}

/** What an exception's Teams meeting takes from its series master (createOrGet's key, subject and span). */
export type SeriesAnchor = Pick<
  MeetingEvent,
  'id' | 'iCalUId' | 'subject' | 'type' | 'start' | 'end' | 'recurrence'
>;

/** The anchor of a series master (a copy of the few fields it needs: the event itself can then be dropped). */
export function seriesAnchor(master: MeetingEvent): SeriesAnchor {
  const { id, iCalUId, subject, type, start, end, recurrence } = master;
  return { id, iCalUId, subject, type, start, end, recurrence };
}

export interface TeamsBlockDeps {
  onlineMeetings: OnlineMeetingsGateway;
  calendar: Pick<CalendarGateway, 'getEvent'>;
}

/** What the worker writes into the ledger about the Teams side of one meeting. */
export interface TeamsLedgerFields {
  teamsMeetingId?: string;
  teamsJoinUrl?: string;
  teamsMeetingCreated?: boolean;
  dialInSource?: 'teams' | 'storedProfile';
  note?: string;
}

export type TeamsBlockOutcome =
  | { kind: 'rendered'; block: string; fingerprint: string; ledger: TeamsLedgerFields }
  | {
      kind: 'meetingFailed';
      code: TeamsMeetingErrorCode | 'graphThrottled' | 'graphUnavailable';
      message: string;
    }
  /** Teams refuses this user altogether: the run stops with this user error. */
  | { kind: 'userError'; code: 'teamsAccessPolicyMissing'; detail: string };

function graphFailure(e: GraphRequestError, rejected: TeamsMeetingErrorCode): TeamsBlockOutcome {
  if (e.throttled) return { kind: 'meetingFailed', code: 'graphThrottled', message: e.message };
  if (e.status === 0 || e.status >= 500)
    return { kind: 'meetingFailed', code: 'graphUnavailable', message: e.message };
  return { kind: 'meetingFailed', code: rejected, message: e.message };
}

function rendered(
  info: MeetingBlockInfo,
  event: MeetingEvent,
  locale: string,
  ledger: TeamsLedgerFields,
): TeamsBlockOutcome {
  const { block } = renderBlockFor(info, event.body, locale);
  return { kind: 'rendered', block, fingerprint: convertedFingerprint(block), ledger };
}

/** The series master of an exception: from this run's listing, else read from Graph. */
async function masterOf(
  deps: TeamsBlockDeps,
  ctx: TeamsBlockContext,
  event: MeetingEvent,
): Promise<SeriesAnchor | null> {
  if (event.seriesMasterId === null) return null;
  const seen = ctx.series.get(event.seriesMasterId);
  if (seen) return seen;
  const master = await deps.calendar.getEvent(ctx.userId, event.seriesMasterId);
  if (!master) return null;
  const anchor = seriesAnchor(master);
  ctx.series.set(master.id, anchor);
  return anchor;
}

/**
 * Converts one Skype meeting: its Teams meeting (createOrGet), and the Teams block to write in its place.
 * Throws MeetingBlockRenderError when Teams' answer cannot make a block; other Graph failures are outcomes.
 */
export async function convertToTeams(
  deps: TeamsBlockDeps,
  ctx: TeamsBlockContext,
  event: MeetingEvent,
): Promise<TeamsBlockOutcome> {
  const anchor = event.type === 'exception' ? ((await masterOf(deps, ctx, event)) ?? event) : event;
  const key = anchor.iCalUId ?? `event:${anchor.id}`;
  const span = teamsMeetingSpan(anchor, ctx.now);
  let meeting: TeamsMeeting & { created: boolean };
  try {
    meeting = await deps.onlineMeetings.createTeamsMeeting(ctx.userId, {
      subject: anchor.subject,
      start: span.start,
      end: span.end,
      externalId: teamsExternalId(ctx.userId, key),
      language: ctx.locale,
    });
  } catch (e) {
    if (e instanceof GraphRequestError) {
      if (e.status === 403)
        return { kind: 'userError', code: 'teamsAccessPolicyMissing', detail: ` (${e.code})` };
      return graphFailure(e, 'teamsMeetingRejected');
    }
    if (e instanceof GraphContractError) {
      return { kind: 'meetingFailed', code: 'teamsMeetingRejected', message: e.message };
    }
    throw e;
  }
  const note = dialInDifference(ctx.profile, ctx.bridge, meeting);
  return rendered(teamsBlockInfo(meeting, ctx.bridge), event, ctx.locale, {
    teamsMeetingId: meeting.id,
    teamsJoinUrl: meeting.joinWebUrl,
    teamsMeetingCreated: meeting.created,
    dialInSource: 'teams',
    ...(note !== null ? { note } : {}),
  });
}

/** The block from the stored profile, where Teams cannot be asked and the tenant allows it. */
function fromStoredProfile(
  ctx: TeamsBlockContext,
  event: MeetingEvent,
  block: OnlineMeetingBlock & { joinUrl: string },
  why: string,
): TeamsBlockOutcome {
  const previous = parseMeetingCredentials(
    event.body.content.slice(block.start, block.end),
    event.body.contentType,
  );
  const dialIn = dialInFor({ user: ctx.profile, bridge: ctx.bridge, previous: {} });
  const info: MeetingBlockInfo = {
    kind: 'teams',
    joinUrl: block.joinUrl,
    tollNumbers: [],
    tollFreeNumbers: [],
  };
  if (previous.meetingId !== undefined) {
    info.meetingId = previous.meetingId;
    if (previous.passcode !== undefined) info.passcode = previous.passcode;
  }
  if (
    dialIn !== null &&
    dialIn.conferenceId !== undefined &&
    (dialIn.toll ?? dialIn.tollFree) !== undefined
  ) {
    return rendered(
      teamsBlockInfo(
        {
          id: '',
          joinWebUrl: block.joinUrl,
          conferenceId: dialIn.conferenceId,
          tollNumbers: dialIn.toll !== undefined ? [dialIn.toll] : [],
          tollFreeNumbers: dialIn.tollFree !== undefined ? [dialIn.tollFree] : [],
          dialinUrl: ctx.bridge?.dialInUrl ?? null,
          joinMeetingId: info.meetingId ?? null,
          passcode: info.passcode ?? null,
          joinInformation: null,
        },
        ctx.bridge,
      ),
      event,
      ctx.locale,
      {
        dialInSource: 'storedProfile',
        note: `${why} The dial-in was taken from the stored profile (tenant setting).`,
      },
    );
  }
  return rendered(info, event, ctx.locale, {
    dialInSource: 'storedProfile',
    note: `${why} The stored profile shows no dial-in (tenant setting).`,
  });
}

/** The Teams block of a Teams meeting (native, or converted earlier), from its Teams meeting as it is now. */
export async function refreshFromTeams(
  deps: { onlineMeetings: Pick<OnlineMeetingsGateway, 'findTeamsMeetingByJoinUrl'> },
  ctx: TeamsBlockContext,
  event: MeetingEvent,
  block: OnlineMeetingBlock,
): Promise<TeamsBlockOutcome> {
  // A Teams event knows its own meeting's link (Graph's joinWebUrl, the long meetup-join form); the invitation
  // may show the newest template's short /meet/ link instead, which is not the joinWebUrl Graph filters on. A
  // converted meeting's event still shows its Skype link: its block's link is the Teams meeting's.
  const ownLink =
    event.onlineMeetingProvider === 'teamsForBusiness' ? (event.onlineMeeting?.joinUrl ?? null) : null;
  const joinUrl = ownLink ?? block.joinUrl;
  if (joinUrl === undefined || joinUrl === '') {
    return {
      kind: 'meetingFailed',
      code: 'teamsMeetingNotFound',
      message: 'The Teams block has no join link.',
    };
  }
  const withLink = { ...block, joinUrl: block.joinUrl ?? joinUrl };
  let meeting: TeamsMeeting | null;
  try {
    meeting = await deps.onlineMeetings.findTeamsMeetingByJoinUrl(ctx.userId, joinUrl, {
      language: ctx.locale,
    });
  } catch (e) {
    if (e instanceof GraphRequestError && e.status === 403) {
      const why = ctx.teamsLicensed
        ? 'Teams refused to show the meeting (403, no access policy).'
        : 'Teams refused to show the meeting (403, the organizer has no Teams licence).';
      if (ctx.fallbackToStoredProfile) return fromStoredProfile(ctx, event, withLink, why);
      return {
        kind: 'meetingFailed',
        code: ctx.teamsLicensed ? 'teamsAccessPolicyMissing' : 'teamsMeetingUnlicensed',
        message: e.message,
      };
    }
    if (e instanceof GraphRequestError) return graphFailure(e, 'teamsMeetingNotFound');
    throw e;
  }
  if (meeting === null) {
    if (ctx.fallbackToStoredProfile) {
      return fromStoredProfile(ctx, event, withLink, 'Teams has no meeting with this join link.');
    }
    return {
      kind: 'meetingFailed',
      code: 'teamsMeetingNotFound',
      message: `No Teams meeting of the organizer has the join link ${joinUrl}.`,
    };
  }
  const note = dialInDifference(ctx.profile, ctx.bridge, meeting);
  return rendered(teamsBlockInfo(meeting, ctx.bridge), event, ctx.locale, {
    teamsMeetingId: meeting.id,
    teamsJoinUrl: meeting.joinWebUrl,
    dialInSource: 'teams',
    ...(note !== null ? { note } : {}),
  });
}

export { MeetingBlockRenderError };

/**
 * Pure helpers of the migration of one meeting (no I/O; they live in services/ only because the fingerprint
 * hashes with node:crypto, which shared/domain may not import):
 *
 * - `parseMeetingCredentials(blockText, contentType)`: the Teams meeting ID and passcode an old block shows
 *   (kept in the new block: attendees who join by ID keep working).
 * - `buildMeetingBlockInfo(input)`: what the new block shows, from the meeting's own block (join link, meeting
 *   ID and passcode, old conference id), the user's profile (dial-in) and their bridge (numbers and places,
 *   "find a local number" page, reset-PIN link).
 * - `renderBlockFor(info, body)`: the block rendered in the organizer's language and the body's form (text
 *   bodies keep their line-break style), and its `blockFingerprint` (what the event's marker holds).
 * - `describeMeeting(event, block, ...)`: the plain description `classifyMeeting` takes.
 */
import { createHash } from 'node:crypto';
import { decodeHTML } from 'entities';
import type { MeetingDescription } from '../domain/eligibility';
import { MEETING_BLOCK_LOCALES } from '../domain/locales/meeting-block';
import {
  detectNewline,
  renderOnlineMeetingBlock,
  type BodyContentType,
  type DialInNumber,
  type MeetingBlockInfo,
  type OnlineMeetingBlock,
} from '../domain/meeting-block';
import type { SourceMeetingType } from '../domain/migration-type';
import type { MeetingEvent } from '../graph/ports';
import type { Bridge, BridgeNumber } from '../storage/repositories/bridge-repository';
import type { DialInSettings } from '../storage/repositories/profile-repository';

/**
 * Version of the block layout. Part of every fingerprint: changing how blocks are built (a new template, a new
 * field) must change it, so that a later migration rewrites meetings that carry an older layout.
 */
export const BLOCK_FINGERPRINT_VERSION = 'v1';

/** `v1:` + SHA-256 (hex) of the rendered block. Same block text → same fingerprint, on any machine. */
export function blockFingerprint(renderedBlock: string): string {
  return `${BLOCK_FINGERPRINT_VERSION}:${createHash('sha256').update(renderedBlock, 'utf8').digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Meeting ID and passcode of an old Teams block

function stripTags(s: string): string {
  return s.replace(/<[^>]*>/g, ' ');
}

const MEETING_ID_LABELS = [
  ...new Set(
    MEETING_BLOCK_LOCALES.map((l) => l.teams.meetingId.replace(/[:：\s\u00a0]+$/u, '').toLowerCase()),
  ),
];
const PASSCODE_LABELS = [
  ...new Set(
    MEETING_BLOCK_LOCALES.map((l) => l.teams.passcode.replace(/[:：\s\u00a0]+$/u, '').toLowerCase()),
  ),
];

/**
 * The value after the first label (earliest in the text) that starts a word: a label glued to a preceding
 * letter is part of another label ("電話会議 ID", phone conference id, ends with the meeting-id label "会議 ID";
 * "Konferenzkennung" ends with the passcode label "Kennung").
 */
function valueAfter(text: string, labels: readonly string[], value: RegExp): string | undefined {
  const lower = text.toLowerCase();
  let best: { at: number; v: string } | undefined;
  for (const label of labels) {
    let at = lower.indexOf(label);
    while (at >= 0) {
      if (at > 0 && /\p{L}/u.test(lower.charAt(at - 1))) {
        at = lower.indexOf(label, at + label.length);
        continue;
      }
      const rest = text.slice(at + label.length, at + label.length + 80);
      const m = value.exec(rest);
      if (m?.[1] !== undefined && (best === undefined || at < best.at)) {
        best = { at, v: m[1] };
        break;
      }
      at = lower.indexOf(label, at + label.length);
    }
  }
  return best?.v;
}

/**
 * The Teams meeting ID (digits, spaces removed) and passcode shown in a block, when it shows them (Teams blocks
 * since 2022, in any supported language). `blockText` is `body.slice(block.start, block.end)`.
 */
export function parseMeetingCredentials(
  blockText: string,
  contentType: BodyContentType,
): { meetingId?: string; passcode?: string } {
  const text = contentType === 'html' ? decodeHTML(stripTags(blockText)) : blockText;
  const flat = text.replace(/[\s\u00a0]+/g, ' ');
  const out: { meetingId?: string; passcode?: string } = {};
  const id = valueAfter(flat, MEETING_ID_LABELS, /^ ?[:：]? ?(\d[\d ]{3,38}\d)/u);
  if (id !== undefined) out.meetingId = id.replace(/\D/g, '');
  const passcode = valueAfter(flat, PASSCODE_LABELS, /^ ?[:：]? ?(\S{1,40})(?!\S)/u);
  if (passcode !== undefined) out.passcode = passcode;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Block info

/** What of the user's profile the block shows. */
export interface BlockDialInSource {
  /** Holds a working Audio Conferencing plan. */
  audioConferencing: boolean;
  dialIn: DialInSettings;
}

export interface BlockInfoInput {
  kind: 'teams' | 'skype';
  /** The meeting's own join link (from its block, else from Graph's onlineMeeting). */
  joinUrl: string;
  /** What the old block showed. */
  previous: { conferenceId?: string; meetingId?: string; passcode?: string };
  /** The user's dial-in; null when the service holds no profile for the user (see `dialInFor`). */
  user: BlockDialInSource | null;
  /** The user's bridge (their bridgeId, else the default one), or null when the tenant has none. */
  bridge: Bridge | null;
}

/** "+14255550100" → place "United States, Seattle"-like text from the bridge's number list. */
function placeOf(numbers: readonly BridgeNumber[], number: string): string {
  const n = numbers.find((x) => x.number === number);
  if (!n) return '';
  return [n.country, n.city].filter((x) => x !== '').join(', ');
}

function phone(bridge: Bridge | null, number: string): DialInNumber {
  return { number, place: bridge ? placeOf(bridge.numbers, number) : '' };
}

/** The reset-PIN page of a bridge's dial-in site (https://dialin.teams.microsoft.com/usp/pstnconferencing). */
export function resetPinUrlFor(dialInUrl: string): string | undefined {
  try {
    const u = new URL(dialInUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return `${u.origin}/usp/pstnconferencing`;
  } catch {
    return undefined;
  }
}

/**
 * Whether the block gets a dial-in section, and with what: only for a user with Audio Conferencing whose
 * dial-in is enabled and provided by Microsoft. With no stored profile the old block's conference id and the
 * bridge's default numbers are used (never dropping dial-in a meeting already showed because the profile store
 * is behind).
 */
export function dialInFor(
  input: Pick<BlockInfoInput, 'user' | 'bridge' | 'previous'>,
): { conferenceId?: string; toll?: string; tollFree?: string } | null {
  const { user, bridge, previous } = input;
  if (user === null) {
    if (previous.conferenceId === undefined || bridge === null) return null;
    return {
      conferenceId: previous.conferenceId,
      toll: bridge.defaultTollNumber,
      ...(bridge.defaultTollFreeNumber !== undefined ? { tollFree: bridge.defaultTollFreeNumber } : {}),
    };
  }
  if (!user.audioConferencing || !user.dialIn.enabled || user.dialIn.provider !== 'Microsoft') return null;
  const conferenceId = user.dialIn.conferenceId ?? previous.conferenceId;
  const toll = user.dialIn.tollNumber ?? bridge?.defaultTollNumber;
  const tollFree = user.dialIn.tollFreeNumber;
  return {
    ...(conferenceId !== undefined ? { conferenceId } : {}),
    ...(toll !== undefined ? { toll } : {}),
    ...(tollFree !== undefined ? { tollFree } : {}),
  };
}

/** What the new block shows. Deterministic: same input, same info (so the fingerprint is stable). */
export function buildMeetingBlockInfo(input: BlockInfoInput): MeetingBlockInfo {
  const info: MeetingBlockInfo = {
    kind: input.kind,
    joinUrl: input.joinUrl,
    tollNumbers: [],
    tollFreeNumbers: [],
  };
  if (input.kind === 'teams') {
    if (input.previous.meetingId !== undefined) info.meetingId = input.previous.meetingId;
    if (input.previous.meetingId !== undefined && input.previous.passcode !== undefined) {
      info.passcode = input.previous.passcode;
    }
  }
  const dialIn = dialInFor(input);
  if (dialIn !== null && (dialIn.toll !== undefined || dialIn.tollFree !== undefined)) {
    if (dialIn.toll !== undefined) info.tollNumbers = [phone(input.bridge, dialIn.toll)];
    if (dialIn.tollFree !== undefined) info.tollFreeNumbers = [phone(input.bridge, dialIn.tollFree)];
    if (dialIn.conferenceId !== undefined) info.conferenceId = dialIn.conferenceId;
    if (input.bridge !== null) {
      info.dialInUrl = input.bridge.dialInUrl;
      const reset = resetPinUrlFor(input.bridge.dialInUrl);
      if (reset !== undefined) info.resetPinUrl = reset;
    }
  }
  return info;
}

/** The new block for a body, and its fingerprint. Throws MeetingBlockRenderError for unusable info. */
export function renderBlockFor(
  info: MeetingBlockInfo,
  body: { contentType: BodyContentType; content: string },
  locale: string,
): { block: string; fingerprint: string } {
  const block = renderOnlineMeetingBlock(
    info,
    body.contentType,
    locale,
    body.contentType === 'text' ? { newline: detectNewline(body.content) } : {},
  );
  return { block, fingerprint: blockFingerprint(block) };
}

// ---------------------------------------------------------------------------------------------------------
// Classification input

/** Epoch ms of a Graph UTC dateTime ("2026-12-01T09:00:00.0000000", or ISO with Z/offset); NaN if unreadable. */
export function utcDateTimeToEpoch(dateTime: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(dateTime.trim());
  if (!m) return NaN;
  const ms = m[2] ? m[2].slice(0, 4).padEnd(4, '0') : '';
  return Date.parse(`${m[1]}${ms}${m[3] ?? 'Z'}`);
}

/**
 * The description `classifyMeeting` takes. A series master comes from the gateway only when it has an
 * occurrence in the future, so it is not judged past by its first occurrence (`lastOccurrenceEnd` null).
 */
export function describeMeeting(
  event: MeetingEvent,
  block: Pick<OnlineMeetingBlock, 'kind' | 'joinUrl'> | null,
  ctx: {
    currentFingerprint: string;
    dialInProvider: 'Microsoft' | 'ThirdParty';
    sourceMeetingType: SourceMeetingType;
    /** The marker says this service converted the meeting to Teams. */
    convertedToTeams?: boolean;
  },
): MeetingDescription {
  const provider = event.onlineMeetingProvider;
  // Skype meetings scheduled with the Outlook add-in may show isOnlineMeeting false and provider unknown; their
  // join link is in the legacy onlineMeetingUrl or the add-in's OnlineMeetingExternalLink property. Such an event
  // was created as an online meeting, and that link is the one its block must carry (else it is a copy).
  const addInSkypeLink =
    !event.isOnlineMeeting && (provider === null || provider === 'unknown' || provider === 'skypeForBusiness')
      ? (event.skypeExternalLink ?? event.onlineMeetingUrl)
      : null;
  // A Skype add-in meeting this service converted keeps those properties (they cannot be changed) under its Teams
  // block: it is still the online meeting it was created as.
  const isAddInSkype = addInSkypeLink !== null && (block?.kind === 'skype' || ctx.convertedToTeams === true);
  return {
    type: event.type,
    start: new Date(utcDateTimeToEpoch(event.start.dateTime)),
    end: new Date(utcDateTimeToEpoch(event.end.dateTime)),
    ...(event.type === 'seriesMaster' ? { lastOccurrenceEnd: null } : {}),
    ...(event.isAllDay === true ? { isAllDay: true } : {}),
    isOrganizer: event.isOrganizer,
    isCancelled: event.isCancelled,
    isOnlineMeeting: event.isOnlineMeeting || isAddInSkype,
    onlineMeetingProvider:
      provider === 'teamsForBusiness' || provider === 'skypeForBusiness' || provider === 'skypeForConsumer'
        ? provider
        : 'unknown',
    onlineMeetingJoinUrl: isAddInSkype ? addInSkypeLink : (event.onlineMeeting?.joinUrl ?? null),
    block: block === null ? null : { kind: block.kind, joinUrl: block.joinUrl },
    attendeeCount: event.attendeeCount,
    ...(ctx.convertedToTeams === true ? { convertedToTeams: true } : {}),
    storedFingerprint: event.marker,
    currentFingerprint: ctx.currentFingerprint,
    dialInProvider: ctx.dialInProvider,
    sourceMeetingType: ctx.sourceMeetingType,
  };
}

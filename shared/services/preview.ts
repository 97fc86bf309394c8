/**
 * Preview (dry run) of one user's migration: `POST /api/migrations/preview`. MMS's `-WhatIf` is obsolete; this is
 * what an admin wants before starting: every future meeting the user organizes, what the migration would do
 * with it and why, and for a meeting it would update, the block before and after.
 *
 *   const answer = await previewMigration(previewPorts(), { identity, pageSize: 50 });
 *
 * It reads exactly what a run reads (the directory user, the mailbox, the profile and bridge tables, the
 * calendar listing with the same filters and page size) and decides with the same code (meeting-plan.ts). It
 * sends no update, writes no ledger row and touches no status record: nothing here holds a writer.
 *
 * A Teams target (`targetMeetingType: "Teams"`) is previewed without creating anything: a Skype meeting the
 * migration would convert shows the Teams block it would write with the Teams meeting's own details (join link,
 * meeting ID, passcode, dial-in) as placeholders, since Teams assigns them only when the migration creates the
 * meeting (createOrGet is never called here). A Teams block the migration reads from Teams (a meeting it converted
 * earlier) is read from its Teams meeting (a GET), as the run would.
 *
 * Paging: the whole calendar is read on every request (the counts cover every meeting), and one page of
 * `pageSize` meetings (default 50, at most 500) is answered with, for a further page, a `continuationToken`
 * holding the offset and the instant the first page was judged at, so that every page is decided at the same
 * "now". A calendar that changes between two pages can shift meetings between them.
 */
import { z } from 'zod';
import { SKIP_REASON_CODES, type SkipReason } from '../domain/eligibility';
import { LAST_MESSAGES } from '../domain/last-message';
import {
  migrationTypeFor,
  SOURCE_MEETING_TYPES,
  TARGET_MEETING_TYPES,
  type MigrationType,
  type SourceMeetingType,
  type TargetMeetingType,
} from '../domain/migration-type';
import type { CalendarGateway, DirectoryGateway, MeetingEvent, OnlineMeetingsGateway } from '../graph/ports';
import type { Repositories } from '../storage/repositories';
import { badRequest, dependencyUnavailable, notFound, unprocessable, ServiceError } from './errors';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import { renderBlockFor, utcDateTimeToEpoch } from './meeting-refresh';
import { planMeeting, prepareUser, type MeetingPlan, type UserStop } from './meeting-plan';
import { refreshFromTeams, teamsBlockIsCurrent, type TeamsBlockContext } from './teams-conversion';
import { caseInsensitiveEnum } from './migration-queries';
import { graphUnavailable, identitySchema, resolveUser, type Identity } from './request-migration';

export const PREVIEW_DEFAULT_PAGE_SIZE = 50;
export const PREVIEW_MAX_PAGE_SIZE = 500;

const tokenSchema = z.object({ o: z.number().int().nonnegative(), at: z.iso.datetime() });

/** The continuation token: base64url JSON of `{ o: offset, at: instant the preview judges "future" from }`. */
const continuationTokenSchema = z
  .string()
  .max(200, { error: 'is not a token this API handed out' })
  .transform((raw, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const r = tokenSchema.safeParse(parsed);
    if (!r.success) {
      ctx.addIssue({ code: 'custom', message: 'is not a token this API handed out; start without it' });
      return z.NEVER;
    }
    return { offset: r.data.o, at: new Date(r.data.at) };
  });

function encodeToken(offset: number, at: Date): string {
  return Buffer.from(JSON.stringify({ o: offset, at: at.toISOString() }), 'utf8').toString('base64url');
}

/** The body of `POST /api/migrations/preview`. */
export const previewBodySchema = z.strictObject({
  identity: identitySchema,
  sourceMeetingType: caseInsensitiveEnum(SOURCE_MEETING_TYPES).optional(),
  targetMeetingType: caseInsensitiveEnum(TARGET_MEETING_TYPES).optional(),
  pageSize: z
    .number({ error: `must be a whole number from 1 to ${PREVIEW_MAX_PAGE_SIZE}` })
    .int({ error: `must be a whole number from 1 to ${PREVIEW_MAX_PAGE_SIZE}` })
    .min(1, { error: `must be a whole number from 1 to ${PREVIEW_MAX_PAGE_SIZE}` })
    .max(PREVIEW_MAX_PAGE_SIZE, { error: `must be a whole number from 1 to ${PREVIEW_MAX_PAGE_SIZE}` })
    .optional(),
  continuationToken: continuationTokenSchema.optional(),
});
export type PreviewRequest = z.output<typeof previewBodySchema>;

export const PREVIEW_DECISIONS = ['update', 'skip', 'fail'] as const;
export type PreviewDecision = (typeof PREVIEW_DECISIONS)[number];

/** One meeting of the preview. */
export const previewMeetingSchema = z.object({
  eventId: z.string(),
  seriesMasterId: z.string().nullable(),
  eventType: z.enum(['singleInstance', 'seriesMaster', 'exception', 'occurrence']),
  subject: z.string(),
  /** ISO-8601 UTC; for a series master, its first occurrence (see nextOccurrence). */
  start: z.string(),
  /** Series master: the next occurrence from now, when the listing knows it. */
  nextOccurrence: z.string().nullable(),
  /** `update`: the block is rewritten and attendees get an update; `skip`: left alone (`reason`); `fail`: the
   * new block cannot be built (`reason` renderError, `error` says why). */
  decision: z.enum(PREVIEW_DECISIONS),
  reason: z.string().optional(),
  error: z.string().optional(),
  /** `skype`, `teams` or `none`. */
  blockKind: z.enum(['skype', 'teams', 'none']),
  /** The form of the body, and so of the blocks: `html` or `text`. */
  contentType: z.enum(['html', 'text']),
  /** The block as the body holds it now (the body's own form: HTML or text). */
  blockBefore: z.string().optional(),
  /** The block the migration would write. */
  blockAfter: z.string().optional(),
  /**
   * Where a Teams block's details come from: `assignedByTeamsAtConversion` (a Skype meeting the migration would
   * convert: Teams assigns the join link, meeting ID, passcode and dial-in when the migration creates the Teams
   * meeting, so `blockAfter` shows placeholders for them), `teams` (read from the meeting's Teams meeting) or
   * `storedProfile` (Teams could not be asked and the tenant allows the stored profile).
   */
  teamsDetails: z.enum(['assignedByTeamsAtConversion', 'teams', 'storedProfile']).optional(),
  /** What the admin should know about the block (e.g. where the stored profile and Teams differ). */
  note: z.string().optional(),
});
export type PreviewMeeting = z.output<typeof previewMeetingSchema>;

export const previewCountsSchema = z.object({
  totalMeeting: z.number().int(),
  updateMeeting: z.number().int(),
  skippedMeeting: z.number().int(),
  failedMeeting: z.number().int(),
  skipReasons: z.partialRecord(z.enum(SKIP_REASON_CODES), z.number().int()),
  failureCodes: z.record(z.string(), z.number().int()),
});

export const previewResponseSchema = z.object({
  userId: z.string(),
  userPrincipalName: z.string(),
  migrationType: z.string(),
  sourceMeetingType: z.enum(SOURCE_MEETING_TYPES),
  targetMeetingType: z.enum(TARGET_MEETING_TYPES),
  /** The instant meetings were judged against ("future" means after it). */
  asOf: z.string(),
  counts: previewCountsSchema,
  meetings: z.array(previewMeetingSchema),
  /** Present when there are more meetings: send it back (same identity) for the next page. */
  continuationToken: z.string().optional(),
});
export type PreviewResponse = z.output<typeof previewResponseSchema>;

export interface PreviewPorts {
  repositories: Pick<Repositories, 'profiles' | 'bridges' | 'settings'>;
  graph: {
    directory: Pick<DirectoryGateway, 'getUser' | 'checkMailbox' | 'isDeletedUser'>;
    calendar: CalendarGateway;
    /** Reads only (GET by join link); the preview never creates a Teams meeting. */
    onlineMeetings: Pick<OnlineMeetingsGateway, 'findTeamsMeetingByJoinUrl'>;
  };
  clock: () => Date;
  /** Meetings per listing page, as the worker reads them (default: the gateway's). */
  listingPageSize?: number;
}

export function previewPorts(infra: Infrastructure = getInfrastructure()): PreviewPorts {
  return { repositories: infra.repositories, graph: infra.graph, clock: infra.clock };
}

function stopError(stop: UserStop, who: string): ServiceError {
  const entry = LAST_MESSAGES[stop.code];
  const text = `${who}: ${entry.template}${entry.action ? ` ${entry.action}` : ''}`;
  switch (stop.code) {
    case 'userNotFound':
      return notFound('userNotFound', text);
    case 'throttled':
    case 'permissionDenied':
      return dependencyUnavailable(
        text,
        stop.retryAfterMs !== undefined ? Math.ceil(stop.retryAfterMs / 1000) : undefined,
      );
    default:
      return unprocessable(stop.code, 'identity', text);
  }
}

function isoStart(dateTime: string): string {
  const ms = utcDateTimeToEpoch(dateTime);
  return Number.isNaN(ms) ? dateTime : new Date(ms).toISOString();
}

/** The dry run (see the file comment). Throws ServiceError 400 / 404 / 422 / 503. */
export async function previewMigration(
  ports: PreviewPorts,
  request: PreviewRequest,
): Promise<PreviewResponse> {
  const sourceMeetingType: SourceMeetingType = request.sourceMeetingType ?? 'All';
  const targetMeetingType: TargetMeetingType = request.targetMeetingType ?? 'Current';
  const migrationType: MigrationType = migrationTypeFor(sourceMeetingType, targetMeetingType);
  const identity: Identity = request.identity;
  const user = await resolveUser(
    { profiles: ports.repositories.profiles, directory: ports.graph.directory },
    identity,
  );
  const pageSize = request.pageSize ?? PREVIEW_DEFAULT_PAGE_SIZE;
  const offset = request.continuationToken?.offset ?? 0;
  const now = request.continuationToken?.at ?? ports.clock();
  const who = user.userPrincipalName || user.userId;

  let prepared;
  try {
    prepared = await prepareUser(ports, { userId: user.userId, sourceMeetingType, migrationType, now });
  } catch (e) {
    throw graphUnavailable(e, `the checks of ${who}`);
  }
  if (prepared.kind === 'userError') throw stopError(prepared, who);
  const ctx = prepared.context;
  let teamsCtx: TeamsBlockContext | null = null;
  const teamsContext = async (): Promise<TeamsBlockContext> => {
    teamsCtx ??= {
      userId: ctx.userId,
      locale: ctx.locale,
      profile: ctx.profile,
      bridge: ctx.bridge,
      now: ctx.now,
      teamsLicensed: ctx.teamsLicensed,
      fallbackToStoredProfile: (await ports.repositories.settings.getTeamsConversion())
        .teamsDialInFromStoredProfile,
      series: new Map(),
    };
    return teamsCtx;
  };

  const counts = {
    totalMeeting: 0,
    updateMeeting: 0,
    skippedMeeting: 0,
    failedMeeting: 0,
    skipReasons: {} as Partial<Record<SkipReason, number>>,
    failureCodes: {} as Record<string, number>,
  };
  const meetings: PreviewMeeting[] = [];
  let index = 0;
  try {
    for await (const page of ports.graph.calendar.listOrganizedFutureMeetings(user.userId, {
      now,
      ...(ports.listingPageSize !== undefined ? { pageSize: ports.listingPageSize } : {}),
    })) {
      for (const event of page) {
        if (event.type === 'occurrence') continue;
        const position = index++;
        const inPage = position >= offset && position < offset + pageSize;
        const { plan, teams } = await planWithTeams(ports, ctx, event, teamsContext);
        counts.totalMeeting++;
        let decision: PreviewDecision;
        let reason: string | undefined;
        if (teams?.failed !== undefined) {
          decision = 'fail';
          reason = teams.failed;
          counts.failedMeeting++;
          counts.failureCodes[teams.failed] = (counts.failureCodes[teams.failed] ?? 0) + 1;
        } else if (plan.decision.action === 'skip') {
          decision = 'skip';
          reason = plan.decision.reason;
          counts.skippedMeeting++;
          counts.skipReasons[plan.decision.reason] = (counts.skipReasons[plan.decision.reason] ?? 0) + 1;
        } else if (plan.rendered === null || plan.block === null) {
          decision = 'fail';
          reason = 'renderError';
          counts.failedMeeting++;
          counts.failureCodes.renderError = (counts.failureCodes.renderError ?? 0) + 1;
        } else {
          decision = 'update';
          counts.updateMeeting++;
        }
        if (!inPage) continue;
        const body = event.body.content;
        meetings.push({
          eventId: event.id,
          seriesMasterId: event.seriesMasterId,
          eventType: event.type,
          subject: event.subject,
          start: isoStart(event.start.dateTime),
          nextOccurrence: event.nextOccurrence ?? null,
          decision,
          ...(reason !== undefined ? { reason } : {}),
          ...(plan.renderError !== null ? { error: plan.renderError.message } : {}),
          ...(teams?.error !== undefined ? { error: teams.error } : {}),
          blockKind: plan.block?.kind ?? 'none',
          contentType: event.body.contentType,
          ...(plan.block !== null ? { blockBefore: body.slice(plan.block.start, plan.block.end) } : {}),
          ...(plan.rendered !== null && decision !== 'skip' ? { blockAfter: plan.rendered.block } : {}),
          ...(teams?.details !== undefined && decision === 'update' ? { teamsDetails: teams.details } : {}),
          ...(teams?.note !== undefined && decision === 'update' ? { note: teams.note } : {}),
        });
      }
    }
  } catch (e) {
    if (e instanceof ServiceError) throw e;
    throw graphUnavailable(e, `the calendar of ${who}`);
  }
  if (offset > 0 && offset >= counts.totalMeeting && counts.totalMeeting > 0) {
    throw badRequest(
      'continuationToken',
      'points past the last meeting (the calendar changed); start without it',
    );
  }
  return {
    userId: user.userId,
    userPrincipalName: user.userPrincipalName,
    migrationType,
    sourceMeetingType,
    targetMeetingType,
    asOf: now.toISOString(),
    counts,
    meetings,
    ...(offset + pageSize < counts.totalMeeting
      ? { continuationToken: encodeToken(offset + pageSize, now) }
      : {}),
  };
}

/**
 * A Teams join link standing for the one Teams assigns at conversion: the preview's converted block shows it (and
 * no meeting ID, passcode or dial-in), since nothing is created before the migration runs.
 */
export const PREVIEW_TEAMS_JOIN_PLACEHOLDER =
  'https://teams.microsoft.com/l/meetup-join/assigned-by-teams-at-conversion';

interface PreviewTeamsSide {
  details?: PreviewMeeting['teamsDetails'];
  note?: string;
  /** The meeting would fail with this code (Teams could not be asked). */
  failed?: string;
  error?: string;
}

/**
 * The worker's plan, completed where the new block comes from Teams: a conversion is shown with placeholders for
 * what Teams assigns; a block read from Teams is read (a GET by join link, for every such meeting, so that the
 * counts are the run's).
 */
async function planWithTeams(
  ports: PreviewPorts,
  ctx: Parameters<typeof planMeeting>[0],
  event: MeetingEvent,
  teamsContext: () => Promise<TeamsBlockContext>,
): Promise<{ plan: MeetingPlan; teams: PreviewTeamsSide | null }> {
  const plan = planMeeting(ctx, event);
  if (plan.teamsRoute === null || plan.block === null || plan.decision.action !== 'update') {
    return { plan, teams: null };
  }
  if (plan.teamsRoute === 'convert') {
    const rendered = renderBlockFor(
      { kind: 'teams', joinUrl: PREVIEW_TEAMS_JOIN_PLACEHOLDER, tollNumbers: [], tollFreeNumbers: [] },
      event.body,
      ctx.locale,
    );
    return {
      plan: { ...plan, rendered },
      teams: {
        details: 'assignedByTeamsAtConversion',
        note:
          'The join link, meeting ID, passcode and dial-in are assigned by Teams at conversion (the Teams meeting ' +
          'is created when the migration runs); the block shows where they go.',
      },
    };
  }
  const out = await refreshFromTeams(ports.graph, await teamsContext(), event, plan.block);
  if (out.kind === 'rendered') {
    const rendered = { block: out.block, fingerprint: out.fingerprint };
    const upToDate = teamsBlockIsCurrent(event, plan.block, rendered);
    return {
      plan: {
        ...plan,
        rendered,
        decision: upToDate ? { action: 'skip', reason: 'upToDate' } : plan.decision,
      },
      teams: {
        ...(out.ledger.dialInSource !== undefined ? { details: out.ledger.dialInSource } : {}),
        ...(out.ledger.note !== undefined ? { note: out.ledger.note } : {}),
      },
    };
  }
  if (out.kind === 'meetingFailed') return { plan, teams: { failed: out.code, error: out.message } };
  return { plan, teams: { failed: out.code, error: out.detail } };
}

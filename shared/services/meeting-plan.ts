/**
 * What the migration would do with a user and each of their meetings, decided without changing anything. The
 * worker (migrate-user.ts) and the preview (preview.ts) both call these, so a preview shows exactly the decisions
 * a run would take:
 *
 *   const user = await prepareUser(deps, userId);            // directory + mailbox checks, profile, bridge, language
 *   if (user.kind === 'error') ...                            // the run would end with this user error
 *   const plan = planMeeting(user.context, event);            // block found, block rendered, classification
 *   plan.decision                                             // { action: 'update' } | { action: 'skip', reason }
 *
 * Reads only: Graph (user, mailbox) and the profile and bridge tables. No ledger, no status record, no update.
 *
 * A Teams block is never built from the stored profile (Graph has no API for a user's dial-in, so the profile only
 * holds what an admin reported): a meeting whose new block comes from Teams (every Teams block, and a Skype block
 * the migration converts) has `teamsRoute` set, no `rendered` block, and is classified without a fingerprint. The worker then asks Teams (teams-conversion.ts) once the
 * meeting is classified for an update; the preview shows what it can without creating anything.
 */
import { classifyMeeting, type Classification } from '../domain/eligibility';
import type { UserErrorCode } from '../domain/last-message';
import {
  findOnlineMeetingBlock,
  MeetingBlockRenderError,
  type OnlineMeetingBlock,
} from '../domain/meeting-block';
import { migrationEffect, type MigrationType, type SourceMeetingType } from '../domain/migration-type';
import { GraphRequestError } from '../graph/errors';
import type { DirectoryGateway, DirectoryUser, MeetingEvent } from '../graph/ports';
import type { Repositories } from '../storage/repositories';
import type { Bridge } from '../storage/repositories/bridge-repository';
import type { UserProfile } from '../storage/repositories/profile-repository';
import {
  buildMeetingBlockInfo,
  describeMeeting,
  parseMeetingCredentials,
  renderBlockFor,
} from './meeting-refresh';
import { hasTeamsLicence, isConvertedMeeting } from './teams-conversion';

/** What the per-meeting decisions depend on, for one user and one migration. */
export interface UserPlanContext {
  userId: string;
  profile: UserProfile | null;
  bridge: Bridge | null;
  /** The organizer's language (profile, directory, mailbox, else en-US): the new block is written in it. */
  locale: string;
  sourceMeetingType: SourceMeetingType;
  /** Skype meetings become Teams meetings in this migration (a `*ToTeams` migration type). */
  convertsToTeams: boolean;
  /** The user holds the Teams service plan (TEAMS1). */
  teamsLicensed: boolean;
  now: Date;
}

/** A user-level stop: the run ends with this code (or, in a preview, the admin is told why). */
export interface UserStop {
  kind: 'userError';
  code: UserErrorCode;
  detail?: string;
  retryAfterMs?: number;
}

export interface PrepareUserDeps {
  repositories: Pick<Repositories, 'profiles' | 'bridges'>;
  graph: { directory: Pick<DirectoryGateway, 'getUser' | 'checkMailbox' | 'isDeletedUser'> };
}

/**
 * Graph answers MailboxNotEnabledForRESTAPI for a mailbox that is on-premises, inactive or soft-deleted, and for
 * a cloud user without an Exchange Online licence (who has no mailbox). The user's directory record tells them
 * apart: a cloud-only user with no enabled Exchange plan is unlicensed; a synchronised (hybrid) user, or one who
 * holds an Exchange plan, has a mailbox Graph cannot reach — on-premises, or inactive.
 */
export function unreachableMailboxCause(
  user: Pick<DirectoryUser, 'assignedPlans' | 'onPremisesSyncEnabled'>,
): 'mailboxOnPremises' | 'mailboxUnlicensed' {
  const exchange = user.assignedPlans.some(
    (p) => p.service?.toLowerCase() === 'exchange' && p.capabilityStatus === 'Enabled',
  );
  if (exchange || user.onPremisesSyncEnabled === true) return 'mailboxOnPremises';
  return 'mailboxUnlicensed';
}

/** A Graph failure that stops the whole run (rather than one meeting), or null. */
export function userStopOf(e: unknown): UserStop | null {
  if (!(e instanceof GraphRequestError)) return null;
  if (e.forbidden) return { kind: 'userError', code: 'permissionDenied', detail: e.code };
  if (e.throttled) {
    return {
      kind: 'userError',
      code: 'throttled',
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    };
  }
  if (e.mailboxNotAvailable) return { kind: 'userError', code: 'mailboxNotFound' };
  return null;
}

/**
 * The user checks a run starts with (directory user, a Teams licence when Skype meetings are to become Teams
 * meetings, mailbox in Exchange Online) and the context its meetings are planned in. Graph failures that stop a
 * run come back as a UserStop; anything else throws.
 */
export async function prepareUser(
  deps: PrepareUserDeps,
  input: { userId: string; sourceMeetingType: SourceMeetingType; migrationType: MigrationType; now: Date },
): Promise<{ kind: 'ready'; context: UserPlanContext; userPrincipalName: string } | UserStop> {
  const { userId } = input;
  const convertsToTeams = migrationEffect(input.migrationType).skype === 'toTeams';
  let mailboxLanguage: string | null = null;
  let preferredLanguage: string | null = null;
  let userPrincipalName = '';
  let teamsLicensed = false;
  // The directory user, the mailbox and the profile are read at once (each is a round trip of its own); the
  // mailbox answer is used only for a user that exists, and its failure, if any, surfaces only then.
  const mailboxCheck = deps.graph.directory.checkMailbox(userId);
  mailboxCheck.catch(() => undefined);
  const profileRead = deps.repositories.profiles.get(userId);
  profileRead.catch(() => undefined);
  try {
    const user = await deps.graph.directory.getUser(userId);
    if (user === null) {
      await mailboxCheck.catch(() => undefined);
      const deleted = await deps.graph.directory.isDeletedUser(userId);
      return { kind: 'userError', code: deleted ? 'userSoftDeleted' : 'userNotFound' };
    }
    preferredLanguage = user.preferredLanguage;
    userPrincipalName = user.userPrincipalName;
    teamsLicensed = hasTeamsLicence(user.assignedPlans);
    if (convertsToTeams && !teamsLicensed) {
      await Promise.allSettled([mailboxCheck, profileRead]);
      return { kind: 'userError', code: 'teamsNotLicensed' };
    }
    const mailbox = await mailboxCheck;
    if (mailbox.location === 'onPremises') return { kind: 'userError', code: unreachableMailboxCause(user) };
    if (mailbox.location === 'notFound') {
      // A user deleted after the directory read has no mailbox any more: said as the deletion it is, not as a
      // mailbox still being provisioned (which would be retried for a day).
      const deleted = await deps.graph.directory.isDeletedUser(userId);
      return { kind: 'userError', code: deleted ? 'userSoftDeleted' : 'mailboxNotFound' };
    }
    mailboxLanguage = mailbox.language;
  } catch (e) {
    await Promise.allSettled([mailboxCheck, profileRead]);
    const stop = userStopOf(e);
    if (stop) return stop;
    throw e;
  }
  const profile = await profileRead;
  const bridge = await deps.repositories.bridges.resolve(profile?.dialIn.bridgeId);
  return {
    kind: 'ready',
    userPrincipalName,
    context: {
      userId,
      profile,
      bridge,
      locale: profile?.preferredLanguage ?? preferredLanguage ?? mailboxLanguage ?? 'en-US',
      sourceMeetingType: input.sourceMeetingType,
      convertsToTeams,
      teamsLicensed,
      now: input.now,
    },
  };
}

export interface MeetingPlan {
  /** The online-meeting block found in the body, or null. */
  block: OnlineMeetingBlock | null;
  /** The block the migration would write, and its fingerprint; null when there is no block or it cannot be built. */
  rendered: { block: string; fingerprint: string } | null;
  /** Why the new block could not be built (a MeetingBlockRenderError), or null. */
  renderError: MeetingBlockRenderError | null;
  /**
   * Where the new block comes from when Teams gives it: `convert` (a Skype meeting this migration makes a Teams
   * meeting: createOrGet), `fromTeams` (a Teams block, refreshed from its Teams meeting); null: `rendered`.
   */
  teamsRoute: TeamsRoute | null;
  decision: Classification;
}

export type TeamsRoute = 'convert' | 'fromTeams';

/**
 * Whether the meeting's new block comes from Teams, and how (see MeetingPlan.teamsRoute): every Teams block does
 * (a native Teams meeting and one converted earlier alike), and a Skype block does when the migration converts.
 */
export function teamsRouteOf(
  ctx: Pick<UserPlanContext, 'convertsToTeams'>,
  block: OnlineMeetingBlock | null,
): TeamsRoute | null {
  if (block === null) return null;
  if (block.kind === 'skype') return ctx.convertsToTeams ? 'convert' : null;
  return 'fromTeams';
}

/** Finds the block, builds the new one in the organizer's language, and classifies the meeting. Pure. */
export function planMeeting(ctx: UserPlanContext, event: MeetingEvent): MeetingPlan {
  const body = event.body;
  const block = findOnlineMeetingBlock(body.content, body.contentType);
  let rendered: MeetingPlan['rendered'] = null;
  let renderError: MeetingBlockRenderError | null = null;
  const teamsRoute = teamsRouteOf(ctx, block);
  if (block !== null && teamsRoute === null) {
    try {
      const previous = {
        ...(block.conferenceId !== undefined ? { conferenceId: block.conferenceId } : {}),
        ...parseMeetingCredentials(body.content.slice(block.start, block.end), body.contentType),
      };
      const info = buildMeetingBlockInfo({
        kind: block.kind,
        joinUrl: block.joinUrl,
        previous,
        user: ctx.profile,
        bridge: ctx.bridge,
      });
      rendered = renderBlockFor(info, body, ctx.locale);
    } catch (e) {
      if (!(e instanceof MeetingBlockRenderError)) throw e;
      renderError = e;
    }
  }
  const decision = classifyMeeting(
    describeMeeting(event, block, {
      currentFingerprint: rendered?.fingerprint ?? '',
      dialInProvider: ctx.profile?.dialIn.provider ?? 'Microsoft',
      sourceMeetingType: ctx.sourceMeetingType,
      convertedToTeams: isConvertedMeeting(event, block),
    }),
    ctx.now,
  );
  return { block, rendered, renderError, teamsRoute, decision };
}

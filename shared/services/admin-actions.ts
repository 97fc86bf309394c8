/**
 * What the admin actions that trigger migrations (dial-in, bridges, Teams upgrade) share: their dependencies,
 * and `triggerMigration`, which asks the trigger rules (`decideTrigger`, never re-decided here) about the changes
 * one action made to one user and, when any of them migrates, makes ONE request through request-migration (the
 * one path every trigger takes, which coalesces with a pending or running migration).
 *
 *   const deps = adminActionDeps();                       // from getInfrastructure(); tests pass their own
 *   const migration = await triggerMigration(deps, user, changes, settings);
 *   migration.outcome   // 'queued' | 'merged' | 'takenOver' | 'followUpRecorded' | 'none'
 */
import { randomInt } from 'node:crypto';
import { mergeMeetingTypeSelections, type MeetingTypeSelection } from '../domain/migration-type';
import { z } from 'zod';
import { migrationTypeSchema } from '../domain/migration-type';
import { migrationStateSchema } from '../domain/status';
import {
  decideTrigger,
  directoryOrAdminChangeSchema,
  migrationTriggerSchema,
  NO_MIGRATION_REASONS,
  type ChangeKind,
  type DirectoryOrAdminChange,
  type MigrationTrigger,
  type NoMigrationReason,
  type TenantMigrationSettings,
  type TriggerUser,
} from '../domain/trigger-rules';
import type {
  BridgeRepository,
  TenantSettingsRepository,
  UserProfile,
  UserProfileRepository,
} from '../storage/repositories';
import { isServiceError } from './errors';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import {
  requestMigrationPorts,
  requestUserMigration,
  type MigrationRequestInput,
  type MigrationRequestResult,
} from './request-migration';

export interface AdminActionDeps {
  profiles: Pick<UserProfileRepository, 'get' | 'getByIdentity' | 'mutate' | 'all'>;
  bridges: Pick<BridgeRepository, 'get' | 'getDefault' | 'list' | 'mutate'>;
  settings: Pick<TenantSettingsRepository, 'get'>;
  /** request-migration's requestUserMigration, bound to its ports. */
  requestMigration: (input: MigrationRequestInput) => Promise<MigrationRequestResult>;
  now: () => Date;
  /** A random whole number in [min, max] (new conference ids). */
  randomInt: (min: number, max: number) => number;
}

/** The dependencies from the process-wide infrastructure (or the one a test installed). */
export function adminActionDeps(infra: Infrastructure = getInfrastructure()): AdminActionDeps {
  const { repositories } = infra;
  return {
    profiles: repositories.profiles,
    bridges: repositories.bridges,
    settings: repositories.settings,
    requestMigration: (input) => requestUserMigration(requestMigrationPorts(infra), input),
    now: infra.clock,
    randomInt: (min, max) => randomInt(min, max + 1),
  };
}

/** The user as the trigger rules see them. */
export function triggerUserOf(
  profile: Pick<UserProfile, 'dialIn' | 'homing' | 'audioConferencing'>,
): TriggerUser {
  return {
    provider: profile.dialIn.provider,
    homing: profile.homing,
    audioConferencing: profile.audioConferencing,
  };
}

/** One change and what the rules made of it. */
/** Every kind of change the trigger rules judge (docs/trigger-rules.md). */
export const changeKindSchema = z.enum(
  directoryOrAdminChangeSchema.options.map((o) => o.shape.kind.value) as [ChangeKind, ...ChangeKind[]],
);

export const changeDecisionSchema = z.object({
  change: changeKindSchema,
  migrate: z.boolean(),
  /** Why not, when it does not migrate. */
  reason: z
    .enum(Object.keys(NO_MIGRATION_REASONS) as [NoMigrationReason, ...NoMigrationReason[]])
    .optional()
    .meta({ description: 'Why the change migrates nothing (when `migrate` is false).' }),
  message: z.string().optional(),
});
export type ChangeDecision = z.output<typeof changeDecisionSchema>;

/** What an admin action did about migrating the user's meetings. */
export const migrationOutcomeViewSchema = z
  .discriminatedUnion('outcome', [
    z.object({
      outcome: z.enum(['queued', 'merged', 'takenOver', 'followUpRecorded']),
      /** What the request said (the first migrating change). */
      trigger: migrationTriggerSchema,
      /** The user's migration as stored after the request. */
      state: migrationStateSchema,
      migrationType: migrationTypeSchema,
      correlationId: z.string(),
      notBefore: z.string().nullable(),
      lastMessage: z.string(),
      decisions: z.array(changeDecisionSchema),
    }),
    z.object({
      outcome: z.literal('none'),
      /** Why nothing was requested, in words. */
      why: z.string(),
      decisions: z.array(changeDecisionSchema),
      /** Set when request-migration refused the request (e.g. `userNotFound`). */
      refusedCode: z.string().optional(),
    }),
  ])
  .meta({
    description:
      "What the action did about the user's meetings: a migration `queued`, `merged` into a pending one, " +
      'recorded as a follow-up of a running one, or `none` (with `why`).',
  });
export type MigrationOutcomeView = z.output<typeof migrationOutcomeViewSchema>;

/** One change with the user it is judged against (a change can alter the user for the next ones). */
export interface JudgedChange {
  change: DirectoryOrAdminChange;
  user: TriggerUser;
}

/**
 * Decides every change with `decideTrigger`; when some migrate, requests ONE migration (the first migrating
 * change as its trigger, the broadest selection of them all). No change → outcome `none`.
 */
export async function triggerMigration(
  deps: Pick<AdminActionDeps, 'requestMigration'>,
  target: { userId: string; userPrincipalName: string },
  changes: readonly JudgedChange[],
  settings: TenantMigrationSettings,
): Promise<MigrationOutcomeView> {
  const decisions: ChangeDecision[] = [];
  let trigger: MigrationTrigger | undefined;
  let selection: MeetingTypeSelection | undefined;
  for (const { change, user } of changes) {
    const d = decideTrigger(change, settings, user);
    if (d.migrate) {
      decisions.push({ change: change.kind, migrate: true });
      trigger ??= d.trigger;
      const s = { sourceMeetingType: d.sourceMeetingType, targetMeetingType: d.targetMeetingType };
      selection = selection === undefined ? s : mergeMeetingTypeSelections(selection, s);
    } else {
      decisions.push({
        change: change.kind,
        migrate: false,
        reason: d.reason,
        message: NO_MIGRATION_REASONS[d.reason],
      });
    }
  }
  if (trigger === undefined || selection === undefined) {
    const why =
      decisions.length === 0
        ? 'Nothing that meeting invitations show changed.'
        : [...new Set(decisions.map((d) => d.message ?? ''))].join(' ');
    return { outcome: 'none', why, decisions };
  }
  try {
    const result = await deps.requestMigration({
      identity: { userId: target.userId, userPrincipalName: target.userPrincipalName },
      trigger,
      sourceMeetingType: selection.sourceMeetingType,
      targetMeetingType: selection.targetMeetingType,
      timing: 'coalesce',
    });
    return {
      outcome: result.outcome,
      trigger,
      state: result.status.state,
      migrationType: result.status.migrationType,
      correlationId: result.status.correlationId,
      notBefore: result.status.notBefore,
      lastMessage: result.status.lastMessage,
      decisions,
    };
  } catch (e) {
    // A request the one path refuses as not possible yet (422) is reported, not hidden; anything else fails.
    if (isServiceError(e) && e.httpStatus === 422) {
      return { outcome: 'none', why: e.message, decisions, refusedCode: e.code };
    }
    throw e;
  }
}

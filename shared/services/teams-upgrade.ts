/**
 * A per-user grant of a Teams upgrade mode (Grant-CsTeamsUpgradePolicy -Identity; reference/mms-behaviour.md
 * §5.4): `PUT /api/users/{identity}/teams-upgrade { mode }`.
 *
 * - The mode is stored on the user's profile.
 * - `TeamsOnly` for a user homed on premises is refused (409 `teamsOnlyRequiresOnlineHoming`): Teams Only needs
 *   online homing (the UpgradeToTeams policy applies to users homed online only). Nothing is stored.
 * - The trigger rules (`decideTrigger`, change `teamsUpgradeGranted` with scope `user`) decide whether the grant
 *   migrates: TeamsOnly and SfBWithTeamsCollabAndMeetings ask for `SfbToTeams` when meetingMigrationEnabled;
 *   other modes trigger nothing. The request goes through request-migration.
 * - The SfbToTeams migration converts the user's future Skype meetings to Teams meetings (teams-conversion.ts).
 */
import { z } from 'zod';
import {
  decideTrigger,
  NO_MIGRATION_REASONS,
  TEAMS_UPGRADE_MODES,
  teamsUpgradeModeSchema,
  type TeamsUpgradeMode,
} from '../domain/trigger-rules';
import {
  adminActionDeps,
  migrationOutcomeViewSchema,
  triggerMigration,
  triggerUserOf,
  type AdminActionDeps,
} from './admin-actions';
import { issueToError } from './input';
import { badRequest, notFound, ServiceError } from './errors';
import { parseIdentity } from './request-migration';

export const teamsUpgradeBodySchema = z.strictObject({
  mode: z.enum(TEAMS_UPGRADE_MODES, {
    error: (i) =>
      i.input === undefined
        ? 'is required'
        : `must be one of ${TEAMS_UPGRADE_MODES.join(', ')}, got ${JSON.stringify(i.input)}`,
  }),
});

export function parseTeamsUpgradeBody(body: unknown): { mode: TeamsUpgradeMode } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('body', 'must be a JSON object: { "mode": "TeamsOnly" }');
  }
  const r = teamsUpgradeBodySchema.safeParse(body);
  if (!r.success) throw issueToError(r.error.issues, body);
  return r.data;
}

export const teamsUpgradeResponseSchema = z.object({
  userId: z.string(),
  userPrincipalName: z.string(),
  mode: teamsUpgradeModeSchema,
  previousMode: teamsUpgradeModeSchema.nullable(),
  migration: migrationOutcomeViewSchema,
});
export type TeamsUpgradeResponse = z.output<typeof teamsUpgradeResponseSchema>;

export async function grantTeamsUpgrade(
  identityRaw: string,
  body: unknown,
  deps: AdminActionDeps = adminActionDeps(),
): Promise<TeamsUpgradeResponse> {
  const identity = parseIdentity(identityRaw);
  const { mode } = parseTeamsUpgradeBody(body);
  const profile = await deps.profiles.getByIdentity(identity.value);
  if (!profile) {
    throw notFound(
      'userNotFound',
      `No user ${identity.kind === 'objectId' ? `with object id ${identity.value}` : `"${identity.value}"`} is known to the service.`,
    );
  }
  const settings = await deps.settings.get();
  const change = { kind: 'teamsUpgradeGranted', mode, scope: 'user' } as const;

  // A grant the rules refuse outright (whatever the settings) is not stored.
  const decision = decideTrigger(change, settings, triggerUserOf(profile));
  if (!decision.migrate && decision.reason === 'teamsOnlyRequiresOnlineHoming') {
    throw new ServiceError(
      'teamsOnlyRequiresOnlineHoming',
      409,
      `${profile.userPrincipalName} is homed in Skype for Business on premises: ${NO_MIGRATION_REASONS.teamsOnlyRequiresOnlineHoming} ` +
        'Move the user to the cloud first (Move-CsUser), then grant TeamsOnly.',
      'mode',
    );
  }

  let previousMode: TeamsUpgradeMode | null = null;
  const stored = await deps.profiles.mutate(profile.userId, (current) => {
    if (current === null) return undefined;
    previousMode = current.teamsUpgradeMode ?? null;
    return { ...current, teamsUpgradeMode: mode, updatedAt: deps.now().toISOString() };
  });
  if (stored === null) {
    throw notFound('userNotFound', `The user ${profile.userPrincipalName} was removed while being changed.`);
  }

  const migration = await triggerMigration(
    deps,
    stored,
    [{ change, user: triggerUserOf(profile) }],
    settings,
  );
  return {
    userId: stored.userId,
    userPrincipalName: stored.userPrincipalName,
    mode,
    previousMode,
    migration,
  };
}

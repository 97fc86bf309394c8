/**
 * A reported move of a user between Skype for Business on premises and the cloud (Move-CsUser):
 * `PUT /api/users/{identity}/homing` `{ location: "online" | "onPremises" }`.
 *
 * Graph v1.0 does not show where a user is homed for Skype for Business, so the service cannot see the move; the
 * admin (or their move script, right after Move-CsUser) reports it. What happens is what MMS does on the move:
 * - `online` for a user the service knew as homed on premises records the move and is the trigger `homedOnline`:
 *   the user's Skype meetings are converted to Teams (SfbToTeams), gated by meetingMigrationEnabled only.
 * - `online` for a user already known as online changes nothing and triggers nothing (a repeated report).
 * - `onPremises` records the other direction and triggers nothing (MMS does not support it).
 * The location is stored on the profile (and in its directory snapshot, so a later delta does not see a change).
 */
import { z } from 'zod';
import { type DirectoryOrAdminChange, type Homing } from '../domain/trigger-rules';
import {
  adminActionDeps,
  migrationOutcomeViewSchema,
  triggerMigration,
  triggerUserOf,
  type AdminActionDeps,
  type JudgedChange,
} from './admin-actions';
import { badRequest, notFound } from './errors';
import { issueToError } from './input';
import { parseIdentity } from './request-migration';

export const HOMING_LOCATIONS = ['online', 'onPremises'] as const;

export const homingBodySchema = z.strictObject({
  location: z.enum(HOMING_LOCATIONS, {
    error: (i) =>
      i.input === undefined
        ? 'is required'
        : `must be one of ${HOMING_LOCATIONS.join(', ')}, got ${JSON.stringify(i.input)}`,
  }),
});

export function parseHomingBody(body: unknown): { location: Homing } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('body', 'must be a JSON object: { "location": "online" }');
  }
  const r = homingBodySchema.safeParse(body);
  if (!r.success) throw issueToError(r.error.issues, body);
  return r.data;
}

export const homingLocationSchema = z.enum(HOMING_LOCATIONS);

export const homingResponseSchema = z.object({
  userId: z.string(),
  userPrincipalName: z.string(),
  location: homingLocationSchema.meta({ description: 'Where the user is homed now, as reported.' }),
  previousLocation: homingLocationSchema.meta({
    description: 'Where the service knew the user homed before.',
  }),
  migration: migrationOutcomeViewSchema,
});
export type HomingResponse = z.output<typeof homingResponseSchema>;

export async function reportHoming(
  identityRaw: string,
  body: unknown,
  deps: AdminActionDeps = adminActionDeps(),
): Promise<HomingResponse> {
  const identity = parseIdentity(identityRaw);
  const { location } = parseHomingBody(body);
  const profile = await deps.profiles.getByIdentity(identity.value);
  if (!profile) {
    throw notFound(
      'userNotFound',
      `No user ${identity.kind === 'objectId' ? `with object id ${identity.value}` : `"${identity.value}"`} is known to the service.`,
    );
  }
  let previousLocation: Homing = profile.homing;
  const stored = await deps.profiles.mutate(profile.userId, (current) => {
    if (current === null) return undefined;
    previousLocation = current.homing;
    return {
      ...current,
      homing: location,
      ...(current.directorySnapshot
        ? { directorySnapshot: { ...current.directorySnapshot, homing: location } }
        : {}),
      updatedAt: deps.now().toISOString(),
    };
  });
  if (stored === null) {
    throw notFound('userNotFound', `The user ${profile.userPrincipalName} was removed while being changed.`);
  }
  const changes: JudgedChange[] = [];
  const user = { ...triggerUserOf(stored), homing: previousLocation };
  if (previousLocation !== location) {
    const change: DirectoryOrAdminChange =
      location === 'online' ? { kind: 'homedOnline' } : { kind: 'homedOnPremises' };
    changes.push({ change, user });
  }
  const settings = await deps.settings.get();
  const migration = await triggerMigration(deps, stored, changes, settings);
  return {
    userId: stored.userId,
    userPrincipalName: stored.userPrincipalName,
    location,
    previousLocation,
    migration,
  };
}

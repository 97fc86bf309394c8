/**
 * Local data: fills Table Storage with what the service keeps about a sandbox tenant and Graph does not show —
 * the tenant's audio-conferencing bridges (`seed.bridges`) and each user's conferencing profile (dial-in from
 * `users[].sandboxDialIn`, directory facts: UPN, language, plans, Audio Conferencing, Skype homing, SIP address).
 * `npm start` runs it for the generated tenant it serves, and tests use it to load theirs.
 *
 *   await loadLocalData(createRepositories(config), seed, { audioConferencingPlanIds, now });
 *
 * Profiles and bridges are upserted (a restart with the same tenant overwrites them, nothing else is touched).
 * Every Microsoft user's conference id is claimed on their bridge (the ConferenceIds table the dial-in PATCH
 * relies on for uniqueness; the seed is authoritative, so its claims are upserted). Two seed users holding the
 * same id on one bridge is an error in the seed: it is refused before anything is written.
 */
import pLimit from 'p-limit';
import type { Config } from '../shared/config';
import { audioConferencingEnabled, type UserSnapshot } from '../shared/domain/trigger-rules';
import { claimKeyOf } from '../shared/services/dial-in';
import type { Repositories } from '../shared/storage/repositories';
import type { BridgeInput } from '../shared/storage/repositories/bridge-repository';
import { dialInSchema, type UserProfileInput } from '../shared/storage/repositories/profile-repository';
import { tenantSeed, type SeedUser, type TenantSeed, type TenantSeedInput } from './sandbox/seed';

/** Writes in flight at once (Azurite and Table Storage both take this easily). */
const CONCURRENCY = 16;

/** The directory snapshot the trigger rules compare against, for a seed user. */
export function snapshotFromSeedUser(user: SeedUser): UserSnapshot {
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    assignedLicenses: user.assignedLicenses.map((l) => ({ skuId: l.skuId, disabledPlans: l.disabledPlans })),
    assignedPlans: user.assignedPlans.map((p) => ({
      servicePlanId: p.servicePlanId,
      capabilityStatus: p.capabilityStatus,
      service: p.service,
      assignedDateTime: p.assignedDateTime,
    })),
    homing: user.sandboxSipHoming,
    sipAddress: user.sandboxSipAddress ?? null,
    deleted: false,
  };
}

/** A seed user's conferencing profile. Without `sandboxDialIn`, dial-in is Microsoft's and disabled. */
export function profileFromSeedUser(
  user: SeedUser,
  options: { audioConferencingPlanIds: readonly string[]; now: Date },
): UserProfileInput {
  const d = user.sandboxDialIn ?? { provider: 'Microsoft' as const, enabled: false };
  return {
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    ...(user.preferredLanguage ? { preferredLanguage: user.preferredLanguage } : {}),
    audioConferencing: audioConferencingEnabled(user.assignedPlans, options.audioConferencingPlanIds),
    assignedPlanIds: user.assignedPlans.map((p) => p.servicePlanId),
    homing: user.sandboxSipHoming,
    dialIn: {
      provider: d.provider,
      enabled: d.enabled,
      ...(d.bridgeId !== undefined ? { bridgeId: d.bridgeId } : {}),
      ...(d.tollNumber !== undefined ? { tollNumber: d.tollNumber } : {}),
      ...(d.tollFreeNumber !== undefined ? { tollFreeNumber: d.tollFreeNumber } : {}),
      ...(d.conferenceId !== undefined ? { conferenceId: d.conferenceId } : {}),
      ...(d.thirdPartyProviderName !== undefined ? { thirdPartyProviderName: d.thirdPartyProviderName } : {}),
    },
    directorySnapshot: snapshotFromSeedUser(user),
    updatedAt: options.now.toISOString(),
  };
}

export function bridgeFromSeed(bridge: TenantSeed['bridges'][number]): BridgeInput {
  return {
    id: bridge.id,
    name: bridge.name,
    isDefault: bridge.isDefault,
    dialInUrl: bridge.dialInUrl,
    defaultTollNumber: bridge.defaultTollNumber,
    ...(bridge.defaultTollFreeNumber !== undefined
      ? { defaultTollFreeNumber: bridge.defaultTollFreeNumber }
      : {}),
    numbers: bridge.numbers,
  };
}

export interface LocalDataOptions {
  audioConferencingPlanIds: Config['audioConferencingPlanIds'];
  /** updatedAt of the profiles. */
  now: Date;
}

/** The conference-id claims of the seed's profiles; throws when two users hold one id on the same bridge. */
export function conferenceIdClaimsOf(
  profiles: readonly UserProfileInput[],
): { bridgeId: string; conferenceId: string; userId: string }[] {
  const holders = new Map<string, string>();
  const claims: { bridgeId: string; conferenceId: string; userId: string }[] = [];
  for (const p of profiles) {
    const key = claimKeyOf(dialInSchema.parse(p.dialIn));
    if (key === null) continue;
    const k = `${key.bridgeId}/${key.conferenceId}`;
    const other = holders.get(k);
    if (other !== undefined && other !== p.userId) {
      throw new Error(
        `The seed gives conference id ${key.conferenceId} on bridge ${key.bridgeId} to two users: ${other} and ${p.userId}`,
      );
    }
    holders.set(k, p.userId);
    claims.push({ ...key, userId: p.userId });
  }
  return claims;
}

/**
 * Loads the seed's bridges, every user's profile and their conference-id claims. Answers how many of each were
 * written.
 */
export async function loadLocalData(
  repositories: Pick<Repositories, 'profiles' | 'bridges' | 'conferenceIds'>,
  input: TenantSeedInput,
  options: LocalDataOptions,
): Promise<{ bridges: number; profiles: number; conferenceIdClaims: number }> {
  const seed = tenantSeed.parse(input);
  const profiles = seed.users.map((u) => profileFromSeedUser(u, options));
  const claims = conferenceIdClaimsOf(profiles);
  const limit = pLimit(CONCURRENCY);
  await Promise.all(seed.bridges.map((b) => limit(() => repositories.bridges.upsert(bridgeFromSeed(b)))));
  // Claims before profiles, as the dial-in PATCH does: no profile ever holds an unclaimed id.
  await Promise.all(
    claims.map((c) => limit(() => repositories.conferenceIds.upsert(c.bridgeId, c.conferenceId, c.userId))),
  );
  await Promise.all(profiles.map((p) => limit(() => repositories.profiles.upsert(p))));
  return { bridges: seed.bridges.length, profiles: profiles.length, conferenceIdClaims: claims.length };
}

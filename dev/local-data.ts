/**
 * Local data: fills Table Storage with what the service keeps about a sandbox tenant and Graph does not show —
 * the tenant's audio-conferencing bridges (`seed.bridges`) and each user's conferencing profile (dial-in from
 * `users[].sandboxDialIn`, directory facts: UPN, language, plans, Audio Conferencing, Skype homing, SIP address).
 * `npm start` runs it for the generated tenant it serves, and tests use it to load theirs.
 *
 *   await loadLocalData(createRepositories(config), seed, { audioConferencingPlanIds, now });
 *
 * Profiles and bridges are upserted (a restart with the same tenant overwrites them, nothing else is touched).
 */
import pLimit from 'p-limit';
import type { Config } from '../shared/config';
import { audioConferencingEnabled, type UserSnapshot } from '../shared/domain/trigger-rules';
import type { Repositories } from '../shared/storage/repositories';
import type { BridgeInput } from '../shared/storage/repositories/bridge-repository';
import type { UserProfileInput } from '../shared/storage/repositories/profile-repository';
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

/** Loads the seed's bridges and every user's profile. Answers how many of each were written. */
export async function loadLocalData(
  repositories: Pick<Repositories, 'profiles' | 'bridges'>,
  input: TenantSeedInput,
  options: LocalDataOptions,
): Promise<{ bridges: number; profiles: number }> {
  const seed = tenantSeed.parse(input);
  const limit = pLimit(CONCURRENCY);
  await Promise.all(seed.bridges.map((b) => limit(() => repositories.bridges.upsert(bridgeFromSeed(b)))));
  await Promise.all(
    seed.users.map((u) => limit(() => repositories.profiles.upsert(profileFromSeedUser(u, options)))),
  );
  return { bridges: seed.bridges.length, profiles: seed.users.length };
}

/**
 * processDirectoryChanges: what a `directory-changes` message (a user notification, or a delta sweep) leads to.
 *
 * Graph's notifications do not say what changed, so every message runs one round of `/users/delta` from the
 * stored deltaLink (tenant-wide; the first round is a full sync) and compares each user it returns with the
 * snapshot stored in their profile (`directorySnapshot`):
 * - first sight of a user = the baseline: the snapshot is stored, nothing is migrated;
 * - otherwise `diffUserSnapshot` lists the changes and `decideTrigger` (through admin-actions' `triggerMigration`,
 *   so directory and admin triggers decide alike) says which migrate, with the tenant settings and the user's
 *   dial-in provider; a migration is requested through request-migration (the one path, which coalesces);
 *   side effects (a third-party provider replaced by Microsoft) are written to the profile;
 * - the snapshot is written after the request, so a failure in between repeats the request (coalesced), never
 *   loses it.
 *
 * What is selected (`DELTA_SELECT`): id, userPrincipalName, accountEnabled, assignedLicenses, assignedPlans (Audio
 * Conferencing is detected by service plan in assignedPlans) and imAddresses (Graph v1.0's SIP address of the
 * user, without `sip:`). Skype for Business homing is not in Graph v1.0 (only beta's onPremisesSipInfo has it; the
 * sandbox, a v1.0 stand-in, keeps `sandboxSipHoming` off its Graph surface and refuses unknown $select names), so
 * delta cannot see an on-premises → online move: the snapshot keeps the homing it had, and the move reaches the
 * service through the admin API.
 *
 * One processor at a time advances the deltaLink (DeltaStateRepository's lease, etag-guarded): a message that
 * finds the lease taken asks the holder for one more round and returns. Graph forgetting the sync state
 * (syncStateNotFound / resyncRequired) restarts from a full sync; comparing with the snapshots keeps that right.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import type { Config } from '../config';
import {
  audioConferencingEnabled,
  diffUserSnapshot,
  type DirectoryOrAdminChange,
  type TenantMigrationSettings,
  type TriggerUser,
  type UserSnapshot,
} from '../domain/trigger-rules';
import type { DeltaUser, DirectoryGateway } from '../graph/ports';
import type { DirectoryChangeBody } from '../queue/messages';
import type { DeltaState, DeltaStateRepository } from '../storage/repositories/delta-state-repository';
import type {
  TenantSettingsRepository,
  UserProfile,
  UserProfileInput,
  UserProfileRepository,
} from '../storage/repositories';
import { triggerMigration, type JudgedChange, type MigrationOutcomeView } from './admin-actions';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import { errorText, triggerStores, type ServiceLog } from './notifications';
import {
  requestMigrationPorts,
  requestUserMigration,
  type MigrationRequestInput,
  type MigrationRequestResult,
} from './request-migration';

export const DELTA_SELECT = [
  'id',
  'userPrincipalName',
  'accountEnabled',
  'assignedLicenses',
  'assignedPlans',
  'imAddresses',
] as const;
const SELECT_TEXT = DELTA_SELECT.join(',');

export interface DirectoryChangeDeps {
  directory: Pick<DirectoryGateway, 'delta'>;
  deltaState: Pick<DeltaStateRepository, 'acquire' | 'saveLink' | 'release' | 'abandon'>;
  profiles: Pick<UserProfileRepository, 'get' | 'mutate'>;
  settings: Pick<TenantSettingsRepository, 'get'>;
  /** request-migration's requestUserMigration bound to its ports. */
  requestMigration: (input: MigrationRequestInput) => Promise<MigrationRequestResult>;
  config: Pick<Config, 'audioConferencingPlanIds'>;
  now: () => Date;
  newId: () => string;
  log: ServiceLog;
  /** Users of one delta page processed at once (default 8). */
  concurrency?: number;
}

export interface UserChangeReport {
  userId: string;
  changes: DirectoryOrAdminChange['kind'][];
  migration: MigrationOutcomeView['outcome'];
}

export interface DirectoryChangeReport {
  /** False when another processor held the lease (it runs one more round for this message). */
  ran: boolean;
  rounds: number;
  usersSeen: number;
  baselines: number;
  /** Users with at least one change. */
  changed: UserChangeReport[];
  restarted: boolean;
}

const imAddresses = z.array(z.string()).nullish();

/** The snapshot of a user as delta shows them now (properties delta left out keep their previous values). */
export function snapshotFromDelta(
  user: DeltaUser,
  previous: UserSnapshot | null,
  profile: Pick<UserProfile, 'userPrincipalName'> | null,
): UserSnapshot | null {
  if (user.removed) {
    if (previous) return { ...previous, deleted: true };
    if (!profile) return null;
    return {
      id: user.id,
      userPrincipalName: profile.userPrincipalName,
      assignedLicenses: [],
      assignedPlans: [],
      homing: null,
      sipAddress: null,
      deleted: true,
    };
  }
  const upn = user.userPrincipalName ?? previous?.userPrincipalName ?? profile?.userPrincipalName;
  if (!upn) return null;
  const im = imAddresses.safeParse(user.imAddresses);
  const sip = im.success && im.data !== undefined ? (im.data?.[0] ?? null) : (previous?.sipAddress ?? null);
  return {
    id: user.id,
    userPrincipalName: upn,
    assignedLicenses: (user.assignedLicenses ?? previous?.assignedLicenses ?? []).map((l) => ({
      skuId: l.skuId,
      disabledPlans: [...l.disabledPlans],
    })),
    assignedPlans: (user.assignedPlans ?? previous?.assignedPlans ?? []).map((p) => ({
      servicePlanId: p.servicePlanId,
      capabilityStatus: p.capabilityStatus,
      service: p.service ?? null,
      assignedDateTime: p.assignedDateTime ?? null,
    })),
    // Graph v1.0 does not show SfB homing: keep what we knew.
    homing: previous?.homing ?? null,
    sipAddress: sip,
    deleted: false,
  };
}

function triggerUser(profile: UserProfile | null, audioConferencing: boolean): TriggerUser {
  return {
    provider: profile?.dialIn.provider ?? 'Microsoft',
    homing: profile?.homing ?? 'online',
    audioConferencing,
  };
}

/** The profile after this delta: snapshot, licence facts, UPN and any side effect; undefined = unchanged. */
export function nextProfile(
  current: UserProfile | null,
  snapshot: UserSnapshot,
  planIds: readonly string[],
  providerToMicrosoft: boolean,
  now: Date,
): UserProfileInput | undefined {
  if (current === null && snapshot.deleted) return undefined;
  const audioConferencing = audioConferencingEnabled(snapshot.assignedPlans, planIds);
  const assignedPlanIds = [...new Set(snapshot.assignedPlans.map((p) => p.servicePlanId.toLowerCase()))];
  if (current === null) {
    return {
      userId: snapshot.id,
      userPrincipalName: snapshot.userPrincipalName,
      audioConferencing,
      assignedPlanIds,
      homing: snapshot.homing ?? 'online',
      // Microsoft provides dial-in to users with Audio Conferencing unless an admin says otherwise.
      dialIn: { provider: 'Microsoft', enabled: audioConferencing },
      directorySnapshot: snapshot,
      updatedAt: now.toISOString(),
    };
  }
  const next: UserProfile = {
    ...current,
    userPrincipalName: snapshot.deleted ? current.userPrincipalName : snapshot.userPrincipalName,
    audioConferencing: snapshot.deleted ? current.audioConferencing : audioConferencing,
    assignedPlanIds: snapshot.deleted ? current.assignedPlanIds : assignedPlanIds,
    dialIn: providerToMicrosoft ? { ...current.dialIn, provider: 'Microsoft' } : current.dialIn,
    directorySnapshot: snapshot,
  };
  const same = JSON.stringify({ ...next, updatedAt: '' }) === JSON.stringify({ ...current, updatedAt: '' });
  return same ? undefined : { ...next, updatedAt: now.toISOString() };
}

/** One user of a delta page: diff, decide, request, then store. */
async function processUser(
  deps: DirectoryChangeDeps,
  user: DeltaUser,
  settings: TenantMigrationSettings,
  report: DirectoryChangeReport,
): Promise<void> {
  const planIds = deps.config.audioConferencingPlanIds;
  const profile = await deps.profiles.get(user.id);
  const previous = profile?.directorySnapshot ?? null;
  const snapshot = snapshotFromDelta(user, previous, profile);
  if (snapshot === null) return;
  if (previous === null) report.baselines++;
  const changes = diffUserSnapshot(previous, snapshot, planIds);

  // Judge each change against the user as the earlier ones left them (a replaced provider counts for the rest).
  let trigger = triggerUser(profile, audioConferencingEnabled(snapshot.assignedPlans, planIds));
  const judged: JudgedChange[] = [];
  let providerToMicrosoft = false;
  for (const change of changes) {
    judged.push({ change, user: trigger });
    if (
      change.kind === 'audioConferencingLicenceAssigned' &&
      trigger.provider === 'ThirdParty' &&
      settings.automaticallyReplaceAcpProvider
    ) {
      providerToMicrosoft = true;
      trigger = { ...trigger, provider: 'Microsoft' };
    }
  }
  if (judged.length > 0) {
    const outcome = await triggerMigration(
      deps,
      { userId: snapshot.id, userPrincipalName: snapshot.userPrincipalName },
      judged,
      settings,
    );
    report.changed.push({
      userId: snapshot.id,
      changes: changes.map((c) => c.kind),
      migration: outcome.outcome,
    });
    deps.log.info(
      `User ${snapshot.id}: ${changes.map((c) => c.kind).join(', ')} → ` +
        (outcome.outcome === 'none' ? `no migration (${outcome.why})` : `migration ${outcome.outcome}`),
    );
  }
  await deps.profiles.mutate(user.id, (current) =>
    nextProfile(current, snapshot, planIds, providerToMicrosoft, deps.now()),
  );
}

async function runRound(
  deps: DirectoryChangeDeps,
  holder: string,
  state: DeltaState,
  report: DirectoryChangeReport,
): Promise<boolean> {
  const settings = await deps.settings.get();
  const deltaLink = state.select === SELECT_TEXT && state.deltaLink !== null ? state.deltaLink : undefined;
  const limit = pLimit(deps.concurrency ?? 8);
  for await (const item of deps.directory.delta({ deltaLink, select: DELTA_SELECT })) {
    if (item.kind === 'restart') {
      report.restarted = true;
      deps.log.warn(`Graph asked for a full directory resync (${item.reason}); starting over`);
      continue;
    }
    report.usersSeen += item.users.length;
    await Promise.all(item.users.map((u) => limit(() => processUser(deps, u, settings, report))));
    if (item.deltaLink !== undefined) {
      const kept = await deps.deltaState.saveLink(holder, item.deltaLink, SELECT_TEXT, deps.now());
      if (!kept) {
        deps.log.warn('The directory delta lease was lost during a round; its link was not saved');
        return false;
      }
    }
  }
  report.rounds++;
  return true;
}

/** Handles one directory-changes message (see the file comment). Throws on Graph or storage failure (retried). */
export async function processDirectoryChange(
  deps: DirectoryChangeDeps,
  body: DirectoryChangeBody,
): Promise<DirectoryChangeReport> {
  const report: DirectoryChangeReport = {
    ran: false,
    rounds: 0,
    usersSeen: 0,
    baselines: 0,
    changed: [],
    restarted: false,
  };
  const holder = deps.newId();
  const acquired = await deps.deltaState.acquire(holder, deps.now());
  if (!acquired.acquired) {
    deps.log.info(
      `Directory delta is being read by another run; it will read once more for this ${body.kind} message`,
    );
    return report;
  }
  report.ran = true;
  let state = acquired.state;
  try {
    for (;;) {
      const ok = await runRound(deps, holder, state, report);
      if (!ok) return report;
      const released = await deps.deltaState.release(holder, deps.now());
      if (released !== 'rerun') return report;
      const again = await deps.deltaState.acquire(holder, deps.now());
      if (!again.acquired) return report;
      state = again.state;
    }
  } catch (e) {
    deps.log.error(`Directory changes failed (${errorText(e)}); the message will be retried`);
    await deps.deltaState.abandon(holder).catch(() => undefined);
    throw e;
  }
}

/** processDirectoryChanges' dependencies from the process-wide infrastructure. */
export function directoryChangeDeps(
  log: ServiceLog,
  infra: Infrastructure = getInfrastructure(),
): DirectoryChangeDeps {
  const ports = requestMigrationPorts(infra);
  return {
    directory: infra.graph.directory,
    deltaState: triggerStores(infra).deltaState,
    profiles: infra.repositories.profiles,
    settings: infra.repositories.settings,
    requestMigration: (input) => requestUserMigration(ports, input),
    config: infra.config,
    now: infra.clock,
    newId: infra.newId,
    log,
  };
}

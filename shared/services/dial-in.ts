/**
 * A user's dial-in (audio conferencing) settings through the admin API, as Set-CsOnlineDialInConferencingUser
 * changes them (reference/mms-behaviour.md §5.3):
 *
 *   GET   /api/users/{identity}/dial-in   → the user's dial-in, numbers resolved against their bridge
 *   PATCH /api/users/{identity}/dial-in   { enabled?, provider?, bridgeId?, tollNumber?, tollFreeNumber?,
 *                                           conferenceId? | resetConferenceId? }
 *
 * PATCH rules:
 * - `bridgeId` moves the user to another bridge; their default numbers become the new bridge's defaults unless
 *   `tollNumber`/`tollFreeNumber` are given. Their conference id is kept when it is free on the new bridge and
 *   replaced by a new one otherwise.
 * - `tollNumber`/`tollFreeNumber`: a number of the user's (new) bridge of that type, written as E.164, +E.164 or
 *   tel:+E.164 (stored +E.164); `null` means "the bridge's default".
 * - `conferenceId`: digits (5–10, no leading zero, at most 2147483647: the cmdlet's Int32), unique on the
 *   bridge (409 `conferenceIdInUse`). `resetConferenceId: true` picks a new unique one. Not both (400).
 * - `provider: "Microsoft"` for a third-party user puts them on a bridge (`bridgeId` or the default bridge), with
 *   its default numbers and a new conference id unless given. For a user whose dial-in stays with a third-party
 *   provider, bridge, numbers and conference id are the provider's (409).
 * - Enabling a Microsoft user who has no bridge yet puts them on the default bridge with a new conference id.
 *
 * Conference ids are unique per bridge through the claim table (ConferenceIdRepository, PartitionKey = bridge,
 * RowKey = conference id): the new id is claimed before the profile is written (Table Storage's 409 on insert is
 * the atomic "already taken"), the old claim released after; see `patchUserDialIn`. Ids that profiles hold
 * without a claim (data from before claims) are still found by scanning profiles (`conferenceIdsOnBridge`).
 *
 * The profile is changed with an etag-protected read-modify-write. Then every change that alters what an
 * invitation shows is put to the trigger rules (`decideTrigger`), and ONE migration is requested per PATCH
 * (admin-actions.ts `triggerMigration`), whatever the number of fields changed. A change of provider is the one
 * change of its PATCH (the bridge, numbers and conference id it brings are part of it) and is judged against the
 * user as they were: T3 (to Microsoft) needs automaticallyReplaceAcpProvider and the licence; to a third party
 * never migrates.
 */
import { z } from 'zod';
import type { DirectoryOrAdminChange } from '../domain/trigger-rules';
import {
  dialInSchema,
  type Bridge,
  type ClaimResult,
  type ConferenceIdRepository,
  type DialInSettings,
  type StoredConferenceIdClaim,
  type UserProfile,
} from '../storage/repositories';
import {
  adminActionDeps,
  changeKindSchema,
  migrationOutcomeViewSchema,
  triggerMigration,
  triggerUserOf,
  type AdminActionDeps,
  type JudgedChange,
} from './admin-actions';
import { issueToError } from './input';
import { badRequest, conflict, dependencyUnavailable, notFound, ServiceError } from './errors';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import { parseIdentity } from './request-migration';

// ---------------------------------------------------------------------------------------------------------------
// Phone numbers and conference ids

/** E.164: `+`, a country code that does not start with 0, 7 to 15 digits in all. */
export const E164 = /^\+[1-9]\d{6,14}$/;
export const PHONE_NUMBER_FORMS = 'an E.164 number: +14255550123, 14255550123 or tel:+14255550123';

/**
 * The +E.164 form of a number given as +E.164, E.164 (no plus) or tel:+E.164 / tel:E.164, as the dial-in cmdlets
 * take it; null when it is none of them. No spaces, dashes or other separators.
 */
export function normalizePhoneNumber(input: string): string | null {
  let v = input.trim();
  if (/^tel:/i.test(v)) v = v.slice(4);
  if (!v.startsWith('+')) v = `+${v}`;
  return E164.test(v) ? v : null;
}

export const phoneNumberSchema = z.string({ error: `must be ${PHONE_NUMBER_FORMS}` }).transform((v, ctx) => {
  const n = normalizePhoneNumber(v);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: `must be ${PHONE_NUMBER_FORMS}, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

export const CONFERENCE_ID_MIN_DIGITS = 5;
export const CONFERENCE_ID_MAX_DIGITS = 10;
/** The cmdlet's -ConferenceId is an Int32. */
export const CONFERENCE_ID_MAX_VALUE = 2_147_483_647;
/** Length of the ids `resetConferenceId` picks (Teams' current "Phone Conference ID: 987 654 321#"). */
export const NEW_CONFERENCE_ID_DIGITS = 9;

/** Why `id` is not a valid conference id, or null when it is. */
export function conferenceIdProblem(id: string): string | null {
  if (!/^\d+$/.test(id)) return `must be digits only, got ${JSON.stringify(id)}`;
  if (id.length < CONFERENCE_ID_MIN_DIGITS || id.length > CONFERENCE_ID_MAX_DIGITS) {
    return `must be ${CONFERENCE_ID_MIN_DIGITS} to ${CONFERENCE_ID_MAX_DIGITS} digits long, got ${id.length}`;
  }
  if (id.startsWith('0')) return 'must not start with 0';
  if (Number(id) > CONFERENCE_ID_MAX_VALUE) return `must be at most ${CONFERENCE_ID_MAX_VALUE}`;
  return null;
}

/** A conference id as a string of digits or a whole number (the cmdlet's Int32); answered as its digits. */
export const conferenceIdSchema = z
  .union([z.string(), z.number()], { error: 'must be a string of digits or a whole number' })
  .transform((v, ctx) => {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number, got ${v}` });
      return z.NEVER;
    }
    const text = typeof v === 'number' ? String(v) : v.trim();
    const problem = conferenceIdProblem(text);
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return text;
  });

/**
 * A new conference id of NEW_CONFERENCE_ID_DIGITS digits (first digit 1–9) not in `taken`; 503 when 1000 picks
 * all hit taken ids.
 */
export function newConferenceId(
  taken: ReadonlySet<string>,
  randomInt: (min: number, max: number) => number,
): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const low = 10 ** (NEW_CONFERENCE_ID_DIGITS - 1);
    const id = String(randomInt(low, 10 * low - 1));
    if (!taken.has(id)) return id;
  }
  throw dependencyUnavailable('Could not pick a free conference id in 1000 attempts; try again.', 1);
}

// ---------------------------------------------------------------------------------------------------------------
// The PATCH body

const guidField = z.guid({ error: 'must be a bridge id (a GUID)' });

export const dialInPatchSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).optional(),
    provider: z
      .enum(['Microsoft', 'ThirdParty'], { error: 'must be "Microsoft" or "ThirdParty"' })
      .optional(),
    bridgeId: guidField.optional(),
    tollNumber: phoneNumberSchema.nullable().optional(),
    tollFreeNumber: phoneNumberSchema.nullable().optional(),
    conferenceId: conferenceIdSchema.optional(),
    resetConferenceId: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.conferenceId !== undefined && b.resetConferenceId === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['resetConferenceId'],
        message: 'cannot be combined with conferenceId: give a conference id or ask for a new one, not both',
      });
    }
  });
export type DialInPatch = z.output<typeof dialInPatchSchema>;

/** Parses a PATCH body: an object naming at least one field; 400 naming the first bad field otherwise. */
export function parseDialInPatch(body: unknown): DialInPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('body', 'must be a JSON object');
  }
  if (Object.keys(body).length === 0) throw badRequest('body', 'names no dial-in setting to change');
  const r = dialInPatchSchema.safeParse(body);
  if (!r.success) throw issueToError(r.error.issues, body);
  return r.data;
}

// ---------------------------------------------------------------------------------------------------------------
// Applying a PATCH (pure)

export interface DialInPatchContext {
  /** The bridge the user is on after the patch (null for a third-party user). */
  targetBridge: Bridge | null;
  /** Conference ids other users hold on `targetBridge`. */
  takenConferenceIds: ReadonlySet<string>;
  randomInt: (min: number, max: number) => number;
}

export interface DialInPatchResult {
  dialIn: DialInSettings;
  /** The changes that alter what an invitation shows, each with the user it is judged against. */
  changes: JudgedChange[];
}

function effectiveNumbers(
  d: DialInSettings,
  bridge: Pick<Bridge, 'defaultTollNumber' | 'defaultTollFreeNumber'> | null,
): { toll: string | undefined; tollFree: string | undefined } {
  return {
    toll: d.tollNumber ?? bridge?.defaultTollNumber,
    tollFree: d.tollFreeNumber ?? bridge?.defaultTollFreeNumber,
  };
}

function checkNumberOnBridge(field: 'tollNumber' | 'tollFreeNumber', number: string, bridge: Bridge): void {
  const wanted = field === 'tollNumber' ? 'toll' : 'tollFree';
  const found = bridge.numbers.find((n) => n.number === number);
  if (!found) {
    throw badRequest(field, `${number} is not a number of bridge "${bridge.name}" (${bridge.id})`);
  }
  if (found.type !== wanted) {
    throw badRequest(
      field,
      `${number} is a ${found.type === 'toll' ? 'toll' : 'toll-free'} number; ${field} must be a ${wanted === 'toll' ? 'toll' : 'toll-free'} number`,
    );
  }
}

const THIRD_PARTY_FIELDS = [
  'bridgeId',
  'tollNumber',
  'tollFreeNumber',
  'conferenceId',
  'resetConferenceId',
] as const;

/**
 * The user's dial-in after `patch`, and what changed. Throws ServiceError (400 bad number for the bridge, 409
 * conference id in use or fields a third-party provider owns). `randomInt` picks new conference ids.
 */
export function applyDialInPatch(
  profile: Pick<UserProfile, 'dialIn' | 'homing' | 'audioConferencing'>,
  currentBridge: Bridge | null,
  patch: DialInPatch,
  ctx: DialInPatchContext,
): DialInPatchResult {
  const before = profile.dialIn;
  const provider = patch.provider ?? before.provider;

  if (provider === 'ThirdParty') {
    const given = THIRD_PARTY_FIELDS.find((f) => patch[f] !== undefined && patch[f] !== false);
    if (given !== undefined) {
      throw new ServiceError(
        'thirdPartyProvider',
        409,
        `Parameter "${given}": the user's dial-in comes from a third-party provider` +
          `${before.thirdPartyProviderName ? ` (${before.thirdPartyProviderName})` : ''}; its bridge, numbers and ` +
          'conference id are the provider\'s. Set provider to "Microsoft" to use a Microsoft bridge.',
        given,
      );
    }
    const dialIn: DialInSettings = { ...before, provider };
    if (patch.enabled !== undefined) dialIn.enabled = patch.enabled;
    return { dialIn, changes: diffDialIn(profile, dialIn, patch) };
  }

  const bridge = ctx.targetBridge;
  const enabled = patch.enabled ?? before.enabled;
  const dialIn: DialInSettings = { provider, enabled };
  if (bridge === null) {
    // A Microsoft user with no bridge (dial-in never set up) and no bridge in the tenant: keep what there is.
    if (
      patch.bridgeId !== undefined ||
      patch.tollNumber != null ||
      patch.tollFreeNumber != null ||
      patch.conferenceId !== undefined ||
      patch.resetConferenceId === true
    ) {
      throw conflict(
        'The tenant has no audio-conferencing bridge: register one before assigning dial-in numbers.',
      );
    }
    const kept: DialInSettings = { ...before, provider, enabled };
    return { dialIn: kept, changes: diffDialIn(profile, kept, patch) };
  }

  // Onto a bridge the user was not on: a move, a first bridge, or a switch from a third-party provider.
  const moving = before.provider !== 'Microsoft' || before.bridgeId !== bridge.id;
  dialIn.bridgeId = bridge.id;

  // Numbers: given ones must be on the bridge; a move (or a first bridge) takes the bridge's defaults.
  for (const field of ['tollNumber', 'tollFreeNumber'] as const) {
    const given = patch[field];
    if (given === null) continue; // the bridge's default
    if (given !== undefined) {
      checkNumberOnBridge(field, given, bridge);
      dialIn[field] = given;
    } else if (!moving && before[field] !== undefined) {
      dialIn[field] = before[field];
    } else if (moving) {
      const def = field === 'tollNumber' ? bridge.defaultTollNumber : bridge.defaultTollFreeNumber;
      if (def !== undefined) dialIn[field] = def;
    }
  }

  // Conference id.
  if (patch.conferenceId !== undefined) {
    if (ctx.takenConferenceIds.has(patch.conferenceId)) {
      throw conferenceIdInUse(patch.conferenceId, bridge);
    }
    dialIn.conferenceId = patch.conferenceId;
  } else if (
    patch.resetConferenceId === true ||
    before.conferenceId === undefined ||
    before.provider !== 'Microsoft' ||
    (moving && ctx.takenConferenceIds.has(before.conferenceId))
  ) {
    dialIn.conferenceId = newConferenceId(
      new Set([
        ...ctx.takenConferenceIds,
        ...(before.conferenceId !== undefined ? [before.conferenceId] : []),
      ]),
      ctx.randomInt,
    );
  } else {
    dialIn.conferenceId = before.conferenceId;
  }

  // (A third-party provider's name is dropped: the user is on Microsoft now.)
  return { dialIn, changes: diffDialIn(profile, dialIn, patch, currentBridge, bridge) };
}

/**
 * The invitation-altering changes from `before` to `after`, in the order the request names its trigger by.
 * Bridges resolve numbers left to the bridge's default.
 */
export function diffDialIn(
  profile: Pick<UserProfile, 'dialIn' | 'homing' | 'audioConferencing'>,
  after: DialInSettings,
  patch: Pick<DialInPatch, 'resetConferenceId'>,
  beforeBridge: Bridge | null = null,
  afterBridge: Bridge | null = null,
): JudgedChange[] {
  const before = profile.dialIn;
  const userBefore = triggerUserOf(profile);
  const userAfter = { ...userBefore, provider: after.provider };
  const out: JudgedChange[] = [];
  const add = (change: DirectoryOrAdminChange, user = userAfter) => out.push({ change, user });

  if (before.provider !== after.provider) {
    // A switch of provider brings its own bridge, numbers and conference id: it is the one change, judged
    // against the user as they were (so T3's gate cannot be side-stepped by the bridge it assigns).
    add(
      { kind: after.provider === 'Microsoft' ? 'providerChangedToMicrosoft' : 'providerChangedToThirdParty' },
      userBefore,
    );
    return out;
  }
  if (before.enabled !== after.enabled) add({ kind: after.enabled ? 'dialInEnabled' : 'dialInDisabled' });
  const bridgeChanged = (before.bridgeId ?? null) !== (after.bridgeId ?? null);
  if (bridgeChanged) add({ kind: 'bridgeChanged' });
  if (patch.resetConferenceId === true) add({ kind: 'conferenceIdReset' });
  else if ((before.conferenceId ?? null) !== (after.conferenceId ?? null))
    add({ kind: 'conferenceIdChanged' });
  if (!bridgeChanged) {
    const a = effectiveNumbers(before, beforeBridge);
    const b = effectiveNumbers(after, afterBridge);
    if (a.toll !== b.toll || a.tollFree !== b.tollFree) add({ kind: 'defaultNumberChanged' });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Views

export const dialInViewSchema = z.object({
  userId: z.string(),
  userPrincipalName: z.string(),
  provider: z.enum(['Microsoft', 'ThirdParty']),
  enabled: z.boolean(),
  bridgeId: z.string().nullable(),
  bridgeName: z.string().nullable(),
  /** The default toll number invitations show (the bridge's default when the user has none of their own). */
  tollNumber: z
    .string()
    .nullable()
    .meta({ description: 'The toll number invitations show (the bridge default when the user has none).' }),
  tollFreeNumber: z.string().nullable(),
  conferenceId: z.string().nullable(),
  thirdPartyProviderName: z.string().nullable(),
});
export type DialInView = z.output<typeof dialInViewSchema>;

export function dialInView(
  profile: Pick<UserProfile, 'userId' | 'userPrincipalName' | 'dialIn'>,
  bridge: Bridge | null,
): DialInView {
  const d = profile.dialIn;
  const onBridge = d.provider === 'Microsoft' ? bridge : null;
  const numbers = effectiveNumbers(d, onBridge);
  return {
    userId: profile.userId,
    userPrincipalName: profile.userPrincipalName,
    provider: d.provider,
    enabled: d.enabled,
    bridgeId: d.provider === 'Microsoft' ? (d.bridgeId ?? null) : null,
    bridgeName: onBridge?.name ?? null,
    tollNumber: numbers.toll ?? null,
    tollFreeNumber: numbers.tollFree ?? null,
    conferenceId: d.conferenceId ?? null,
    thirdPartyProviderName: d.thirdPartyProviderName ?? null,
  };
}

export const dialInPatchResponseSchema = z.object({
  dialIn: dialInViewSchema,
  /** The invitation-altering changes the PATCH made (empty when it changed nothing that invitations show). */
  changes: z.array(changeKindSchema).meta({
    description: 'The changes that alter what invitations show (empty when the PATCH changed none).',
  }),
  migration: migrationOutcomeViewSchema,
});
export type DialInPatchResponse = z.output<typeof dialInPatchResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Service

async function loadProfile(
  deps: Pick<AdminActionDeps, 'profiles'>,
  identityRaw: string,
): Promise<UserProfile> {
  const identity = parseIdentity(identityRaw);
  const profile = await deps.profiles.getByIdentity(identity.value);
  if (!profile) {
    throw notFound(
      'userNotFound',
      `No user ${identity.kind === 'objectId' ? `with object id ${identity.value}` : `"${identity.value}"`} is known to the service.`,
    );
  }
  return profile;
}

/**
 * Conference ids that users other than `exceptUserId` hold on the bridge, according to their profiles (pages
 * through every profile).
 *
 * Migration path only: the claim table (ConferenceIdRepository) is what makes ids unique, atomically. This scan
 * stays because profiles written before claims existed (or by writers that do not claim: a direct
 * `profiles.upsert`) hold ids no claim row records; the local loader (dev/local-data.ts) and every PATCH write
 * claims. Once every deployment's profiles have claims it can go.
 */
export async function conferenceIdsOnBridge(
  deps: Pick<AdminActionDeps, 'profiles'>,
  bridgeId: string,
  exceptUserId: string,
): Promise<Set<string>> {
  const taken = new Set<string>();
  for await (const p of deps.profiles.all()) {
    if (p.userId === exceptUserId) continue;
    const key = claimKeyOf(p.dialIn);
    if (key !== null && key.bridgeId === bridgeId) taken.add(key.conferenceId);
  }
  return taken;
}

export async function getUserDialIn(
  identity: string,
  deps: Pick<AdminActionDeps, 'profiles' | 'bridges'> = adminActionDeps(),
): Promise<DialInView> {
  const profile = await loadProfile(deps, identity);
  const bridge = profile.dialIn.bridgeId ? await deps.bridges.get(profile.dialIn.bridgeId) : null;
  return dialInView(profile, bridge);
}

// ---------------------------------------------------------------------------------------------------------------
// Conference-id claims

/** What the PATCH needs: the admin-action dependencies and the conference-id claim table. */
export interface DialInDeps extends AdminActionDeps {
  conferenceIds: Pick<ConferenceIdRepository, 'claim' | 'release' | 'deleteIfUnchanged'>;
}

export function dialInDeps(infra: Infrastructure = getInfrastructure()): DialInDeps {
  return { ...adminActionDeps(infra), conferenceIds: infra.repositories.conferenceIds };
}

/** Plans made per PATCH at most (new ids tried after claim conflicts, re-plans after concurrent changes). */
export const MAX_DIAL_IN_PLAN_ATTEMPTS = 10;
/**
 * A claim that no profile matches is taken to be left over by a crash (between claim and profile write, or
 * between profile write and release of the old id) once it is this old, and may be taken over. Younger ones may
 * belong to a PATCH in flight.
 */
export const STALE_CLAIM_MS = 2 * 60_000;

interface ClaimKey {
  bridgeId: string;
  conferenceId: string;
}

/** The claim a dial-in holds: a Microsoft user's conference id on their bridge; null for none. */
export function claimKeyOf(d: DialInSettings): ClaimKey | null {
  if (d.provider !== 'Microsoft' || d.bridgeId === undefined || d.conferenceId === undefined) return null;
  return { bridgeId: d.bridgeId, conferenceId: d.conferenceId };
}

const sameKey = (a: ClaimKey | null, b: ClaimKey | null) =>
  a === null || b === null ? a === b : a.bridgeId === b.bridgeId && a.conferenceId === b.conferenceId;

const DIAL_IN_FIELDS = Object.keys(dialInSchema.shape) as (keyof DialInSettings)[];
const sameDialIn = (a: DialInSettings, b: DialInSettings) => DIAL_IN_FIELDS.every((f) => a[f] === b[f]);

function conferenceIdInUse(conferenceId: string, bridge: Pick<Bridge, 'name'>): ServiceError {
  return new ServiceError(
    'conferenceIdInUse',
    409,
    `Parameter "conferenceId": ${conferenceId} is already used by another user on bridge "${bridge.name}"; choose another or set resetConferenceId.`,
    'conferenceId',
  );
}

/** Another user holds the claim; is it left over by a crash (older than STALE_CLAIM_MS, no profile matches)? */
async function isStaleClaim(
  deps: Pick<DialInDeps, 'profiles'>,
  claim: StoredConferenceIdClaim,
): Promise<boolean> {
  const at = claim.timestamp === undefined ? Number.NaN : Date.parse(claim.timestamp);
  // The row's timestamp is the storage service's clock, so compare with the real time, not the injected clock.
  if (Number.isNaN(at) || Date.now() - at < STALE_CLAIM_MS) return false;
  const holder = await deps.profiles.get(claim.userId);
  return holder === null || !sameKey(claimKeyOf(holder.dialIn), claim);
}

/**
 * Claims `key` for the user. 'claimed' (with the new row) when this call created it, 'alreadyHeld' when the user
 * held it already (a repeated PATCH), 'taken' when another user does. A stale claim is taken over once.
 */
async function acquire(
  deps: Pick<DialInDeps, 'profiles' | 'conferenceIds'>,
  key: ClaimKey,
  userId: string,
): Promise<ClaimResult> {
  let result = await deps.conferenceIds.claim(key.bridgeId, key.conferenceId, userId);
  if (result.outcome === 'taken' && (await isStaleClaim(deps, result.claim))) {
    await deps.conferenceIds.deleteIfUnchanged(key.bridgeId, key.conferenceId, result.claim.etag);
    result = await deps.conferenceIds.claim(key.bridgeId, key.conferenceId, userId);
  }
  return result;
}

/** Best-effort release: a claim left behind only blocks its id until it counts as stale (STALE_CLAIM_MS). */
async function releaseQuietly(
  deps: Pick<DialInDeps, 'conferenceIds'>,
  key: ClaimKey,
  userId: string,
): Promise<void> {
  try {
    await deps.conferenceIds.release(key.bridgeId, key.conferenceId, userId);
  } catch {
    // Left for the stale-claim takeover.
  }
}

/** The profile's dial-in changed between planning and writing: plan again from the new one. */
class DialInChangedMeanwhile extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// PATCH

async function bridgesFor(
  deps: Pick<AdminActionDeps, 'bridges'>,
  profile: UserProfile,
  patch: DialInPatch,
): Promise<{ currentBridge: Bridge | null; targetBridge: Bridge | null }> {
  const currentBridge = profile.dialIn.bridgeId ? await deps.bridges.get(profile.dialIn.bridgeId) : null;
  let targetBridge: Bridge | null = null;
  const provider = patch.provider ?? profile.dialIn.provider;
  if (provider === 'Microsoft') {
    if (patch.bridgeId !== undefined) {
      targetBridge = await deps.bridges.get(patch.bridgeId);
      if (!targetBridge)
        throw badRequest('bridgeId', `no bridge ${patch.bridgeId} (GET /api/bridges lists them)`);
    } else {
      targetBridge = currentBridge ?? (await deps.bridges.getDefault());
    }
  }
  return { currentBridge, targetBridge };
}

/**
 * Applies a PATCH. Conference ids are unique per bridge through claims (ConferenceIdRepository):
 * 1. plan the new dial-in against the profile as read (ids other users' profiles hold count as taken: the
 *    migration-path scan, `conferenceIdsOnBridge`);
 * 2. when the conference id or bridge changes, claim the new id first: a claim another user holds answers 409
 *    `conferenceIdInUse` for an id the PATCH names, and makes a picked id (reset, move, first bridge) be picked
 *    again, at most MAX_DIAL_IN_PLAN_ATTEMPTS times; the user's own claim is fine (a repeated PATCH);
 * 3. write the profile with its etag (re-planning from step 1 if its dial-in changed meanwhile); when the write
 *    fails, the claim this PATCH created is released;
 * 4. release the old id's claim.
 * An unchanged id is claimed too when its claim is missing (filling claims for old data), never refused.
 */
export async function patchUserDialIn(
  identity: string,
  body: unknown,
  deps: DialInDeps = dialInDeps(),
): Promise<DialInPatchResponse> {
  const patch = parseDialInPatch(body);
  let profile = await loadProfile(deps, identity);
  const scanned = new Map<string, Set<string>>();
  const claimedByOthers = new Map<string, Set<string>>();
  const takenOn = async (bridgeId: string): Promise<Set<string>> => {
    let fromProfiles = scanned.get(bridgeId);
    if (fromProfiles === undefined) {
      fromProfiles = await conferenceIdsOnBridge(deps, bridgeId, profile.userId);
      scanned.set(bridgeId, fromProfiles);
    }
    return new Set([...fromProfiles, ...(claimedByOthers.get(bridgeId) ?? [])]);
  };

  for (let attempt = 1; ; attempt++) {
    if (attempt > MAX_DIAL_IN_PLAN_ATTEMPTS) {
      throw dependencyUnavailable(
        `Could not settle the dial-in of ${profile.userPrincipalName} in ${MAX_DIAL_IN_PLAN_ATTEMPTS} attempts ` +
          '(conference ids claimed or the user changed concurrently); try again.',
        1,
      );
    }
    const { currentBridge, targetBridge } = await bridgesFor(deps, profile, patch);
    const plan = applyDialInPatch(profile, currentBridge, patch, {
      targetBridge,
      takenConferenceIds: targetBridge ? await takenOn(targetBridge.id) : new Set<string>(),
      randomInt: deps.randomInt,
    });
    const oldKey = claimKeyOf(profile.dialIn);
    const newKey = claimKeyOf(plan.dialIn);

    // Claim the new id first.
    let created: ClaimKey | null = null;
    if (newKey !== null) {
      const claim = await acquire(deps, newKey, profile.userId);
      if (claim.outcome === 'taken' && !sameKey(oldKey, newKey)) {
        if (patch.conferenceId === newKey.conferenceId) {
          throw conferenceIdInUse(newKey.conferenceId, targetBridge ?? { name: newKey.bridgeId });
        }
        const others = claimedByOthers.get(newKey.bridgeId) ?? new Set<string>();
        others.add(newKey.conferenceId);
        claimedByOthers.set(newKey.bridgeId, others);
        continue; // pick another id
      }
      // (An unchanged id another user's claim records: data from before claims; the user keeps their id.)
      if (claim.outcome === 'claimed' && !sameKey(oldKey, newKey)) created = newKey;
    }

    // Then write the profile with its etag.
    const planned = profile.dialIn;
    let stored: UserProfile | null;
    try {
      stored = await deps.profiles.mutate(profile.userId, (current) => {
        if (current === null) return undefined;
        if (!sameDialIn(current.dialIn, planned)) throw new DialInChangedMeanwhile();
        return { ...current, dialIn: plan.dialIn, updatedAt: deps.now().toISOString() };
      });
    } catch (e) {
      if (created !== null) await releaseQuietly(deps, created, profile.userId);
      if (!(e instanceof DialInChangedMeanwhile)) throw e;
      const fresh = await deps.profiles.get(profile.userId);
      if (fresh === null) stored = null;
      else {
        profile = fresh;
        continue;
      }
    }
    if (stored === null) {
      if (created !== null) await releaseQuietly(deps, created, profile.userId);
      throw notFound(
        'userNotFound',
        `The user ${profile.userPrincipalName} was removed while being changed.`,
      );
    }

    // Finally release the old id.
    if (oldKey !== null && !sameKey(oldKey, newKey)) await releaseQuietly(deps, oldKey, profile.userId);

    const settings = await deps.settings.get();
    const migration = await triggerMigration(deps, stored, plan.changes, settings);
    return {
      dialIn: dialInView(stored, targetBridge ?? currentBridge),
      changes: plan.changes.map((c) => c.change.kind),
      migration,
    };
  }
}

/**
 * Audio-conferencing bridges and their service numbers through the admin API
 * (Get-CsOnlineDialInConferencingBridge, Register-/Unregister-CsOnlineDialInConferencingServiceNumber):
 *
 *   GET    /api/bridges                                  → every bridge with its numbers
 *   POST   /api/bridges/{bridgeId}/numbers/{number}      { type: toll|tollFree, city, country, languages? }
 *   DELETE /api/bridges/{bridgeId}/numbers/{number}
 *
 * `{number}` takes +E.164, E.164 or tel:+E.164 (stored +E.164). A number belongs to one bridge: registering one
 * that a bridge already has is a 409. Unregistering the bridge's default toll or toll-free number is refused
 * (409 `defaultNumber`, as the cmdlet refuses it). Unregistering another number first re-points every user of
 * the bridge whose default it was to the bridge's default of that type (paging through all profiles) and, for
 * each, asks the trigger rules about `serviceNumberUnassigned` (T7) and requests their migration through
 * request-migration; then the number is removed from the bridge. A DELETE that failed half-way can be repeated:
 * the users already re-pointed no longer hold the number.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import type { Bridge, BridgeNumber, UserProfile } from '../storage/repositories';
import { bridgeSchema } from '../storage/repositories/bridge-repository';
import {
  adminActionDeps,
  migrationOutcomeViewSchema,
  triggerMigration,
  triggerUserOf,
  type AdminActionDeps,
} from './admin-actions';
import { issueToError } from './input';
import { badRequest, conflict, notFound, ServiceError } from './errors';
import { PHONE_NUMBER_FORMS, normalizePhoneNumber } from './dial-in';

/** A bridge as the API shows it: as stored. */
export const bridgeViewSchema = bridgeSchema;
export type BridgeView = Bridge;

/** Route parameters: the bridge id (a GUID) and the number. 400 naming the parameter when malformed. */
export function parseBridgeRoute(
  bridgeId: string | undefined,
  number: string | undefined,
): { bridgeId: string; number: string } {
  const id = z.guid().safeParse(bridgeId ?? '');
  if (!id.success)
    throw badRequest('bridgeId', `must be a bridge id (a GUID), got ${JSON.stringify(bridgeId ?? '')}`);
  const n = normalizePhoneNumber(number ?? '');
  if (n === null)
    throw badRequest('number', `must be ${PHONE_NUMBER_FORMS}, got ${JSON.stringify(number ?? '')}`);
  return { bridgeId: id.data.toLowerCase(), number: n };
}

/** BCP-47 language tag, loosely: `en`, `en-US`, `zh-Hans-CN`. */
const languageTag = z
  .string()
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP-47 language tag like "en-US"');

export const registerNumberBodySchema = z.strictObject({
  type: z.enum(['toll', 'tollFree'], { error: 'must be "toll" or "tollFree"' }),
  city: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(100),
  country: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(100),
  languages: z.array(languageTag, { error: 'must be an array of language tags' }).max(20).default([]),
});

export function parseRegisterNumberBody(body: unknown): z.output<typeof registerNumberBodySchema> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('body', 'must be a JSON object with type, city and country');
  }
  const r = registerNumberBodySchema.safeParse(body);
  if (!r.success) throw issueToError(r.error.issues, body);
  return r.data;
}

async function findBridge(deps: Pick<AdminActionDeps, 'bridges'>, bridgeId: string): Promise<Bridge> {
  const bridge = await deps.bridges.get(bridgeId);
  if (!bridge) throw notFound('bridgeNotFound', `No bridge ${bridgeId} (GET /api/bridges lists them).`);
  return bridge;
}

export async function listBridges(
  deps: Pick<AdminActionDeps, 'bridges'> = adminActionDeps(),
): Promise<BridgeView[]> {
  const bridges = await deps.bridges.list();
  return bridges.sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
}

export async function registerNumber(
  bridgeIdRaw: string | undefined,
  numberRaw: string | undefined,
  body: unknown,
  deps: Pick<AdminActionDeps, 'bridges'> = adminActionDeps(),
): Promise<BridgeView> {
  const { bridgeId, number } = parseBridgeRoute(bridgeIdRaw, numberRaw);
  const details = parseRegisterNumberBody(body);
  await findBridge(deps, bridgeId);
  for (const other of await deps.bridges.list()) {
    if (other.id !== bridgeId && other.numbers.some((n) => n.number === number)) {
      throw conflict(
        `${number} is already a number of bridge "${other.name}" (${other.id}).`,
        'numberAlreadyRegistered',
      );
    }
  }
  const entry: BridgeNumber = { number, ...details };
  return deps.bridges.mutate(bridgeId, (current) => {
    if (current.numbers.some((n) => n.number === number)) {
      throw conflict(`${number} is already a number of bridge "${current.name}".`, 'numberAlreadyRegistered');
    }
    return { ...current, numbers: [...current.numbers, entry] };
  });
}

export const repointedUserSchema = z.object({
  userId: z.string(),
  userPrincipalName: z.string(),
  /** The user's defaults after the re-pointing (only those that changed). */
  tollNumber: z.string().optional(),
  tollFreeNumber: z.string().nullable().optional(),
  migration: migrationOutcomeViewSchema,
});
export type RepointedUser = z.output<typeof repointedUserSchema>;

export const unregisterResultSchema = z.object({
  bridge: bridgeSchema,
  removedNumber: z.string(),
  /** Every user whose default the number was. */
  users: z.array(repointedUserSchema).meta({ description: 'Every user whose default the number was.' }),
  summary: z.object({ repointedUsers: z.number().int(), migrationsRequested: z.number().int() }),
});
export type UnregisterResult = z.output<typeof unregisterResultSchema>;

function defaultOf(bridge: Bridge, number: string): 'toll' | 'tollFree' | null {
  if (bridge.defaultTollNumber === number) return 'toll';
  if (bridge.defaultTollFreeNumber === number) return 'tollFree';
  return null;
}

function refuseDefault(bridge: Bridge, number: string): void {
  const which = defaultOf(bridge, number);
  if (which !== null) {
    throw new ServiceError(
      'defaultNumber',
      409,
      `${number} is the default ${which === 'toll' ? 'toll' : 'toll-free'} number of bridge "${bridge.name}" and ` +
        'cannot be removed: invitations of every user without a number of their own show it. Make another ' +
        'number the bridge default first.',
      'number',
    );
  }
}

function holdsNumber(p: UserProfile, bridgeId: string, number: string): boolean {
  return (
    p.dialIn.provider === 'Microsoft' &&
    p.dialIn.bridgeId === bridgeId &&
    (p.dialIn.tollNumber === number || p.dialIn.tollFreeNumber === number)
  );
}

/** How many users are re-pointed (and their migrations requested) at a time. */
const REPOINT_CONCURRENCY = 8;

export async function unregisterNumber(
  bridgeIdRaw: string | undefined,
  numberRaw: string | undefined,
  deps: AdminActionDeps = adminActionDeps(),
): Promise<UnregisterResult> {
  const { bridgeId, number } = parseBridgeRoute(bridgeIdRaw, numberRaw);
  const bridge = await findBridge(deps, bridgeId);
  const entry = bridge.numbers.find((n) => n.number === number);
  if (!entry) {
    throw notFound('numberNotFound', `${number} is not a number of bridge "${bridge.name}" (${bridge.id}).`);
  }
  refuseDefault(bridge, number);

  // Every user of the bridge whose default the number is (all pages).
  const holders: UserProfile[] = [];
  for await (const p of deps.profiles.all()) if (holdsNumber(p, bridgeId, number)) holders.push(p);

  const settings = await deps.settings.get();
  const limit = pLimit(REPOINT_CONCURRENCY);
  const users = (
    await Promise.all(
      holders.map((holder) =>
        limit(async (): Promise<RepointedUser | null> => {
          const seen: { before: UserProfile | null } = { before: null };
          const stored = await deps.profiles.mutate(holder.userId, (current) => {
            if (current === null || !holdsNumber(current, bridgeId, number)) return undefined;
            seen.before = current;
            const dialIn = { ...current.dialIn };
            if (dialIn.tollNumber === number) dialIn.tollNumber = bridge.defaultTollNumber;
            if (dialIn.tollFreeNumber === number) {
              if (bridge.defaultTollFreeNumber !== undefined)
                dialIn.tollFreeNumber = bridge.defaultTollFreeNumber;
              else delete dialIn.tollFreeNumber;
            }
            return { ...current, dialIn, updatedAt: deps.now().toISOString() };
          });
          const was = seen.before;
          if (stored === null || was === null) return null; // changed meanwhile: no longer holds the number
          const migration = await triggerMigration(
            deps,
            stored,
            [{ change: { kind: 'serviceNumberUnassigned' }, user: triggerUserOf(was) }],
            settings,
          );
          return {
            userId: stored.userId,
            userPrincipalName: stored.userPrincipalName,
            ...(was.dialIn.tollNumber === number
              ? { tollNumber: stored.dialIn.tollNumber ?? bridge.defaultTollNumber }
              : {}),
            ...(was.dialIn.tollFreeNumber === number
              ? { tollFreeNumber: stored.dialIn.tollFreeNumber ?? null }
              : {}),
            migration,
          };
        }),
      ),
    )
  ).filter((u): u is RepointedUser => u !== null);

  const updated = await deps.bridges.mutate(bridgeId, (current) => {
    refuseDefault(current, number);
    if (!current.numbers.some((n) => n.number === number)) return undefined;
    return { ...current, numbers: current.numbers.filter((n) => n.number !== number) };
  });
  return {
    bridge: updated,
    removedNumber: number,
    users,
    summary: {
      repointedUsers: users.length,
      migrationsRequested: users.filter((u) => u.migration.outcome !== 'none').length,
    },
  };
}

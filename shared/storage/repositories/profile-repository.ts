/**
 * Users' conferencing profiles: PartitionKey `profile`, RowKey = the user's directory object id. A profile holds
 * what the migration renders into invitations (dial-in: provider, bridge, numbers, conference id; language) and
 * what the trigger rules compare (the directory snapshot, homing, Teams upgrade mode).
 *
 * Lookup by UPN: a second table, `UserUpnIndex` (PartitionKey `upn`, RowKey = encodeKey(lower-case UPN)) holding
 * `{ userId }`, written with every profile (and the old UPN's row removed when the UPN changes). `getByUpn`
 * reads the index, then the profile, and checks the profile still has that UPN (the index row of a rename that
 * crashed half-way could be stale); when the index misses or is stale it falls back to a scan of the profile
 * partition (rare: only after such a crash), so a lookup is never wrong, at worst slow.
 */
import { z } from 'zod';
import type { Config } from '../../config';
import { teamsUpgradeModeSchema, userSnapshotSchema } from '../../domain/trigger-rules';
import {
  ConcurrencyError,
  ConflictError,
  encodeKey,
  EntityNotFoundError,
  jsonColumn,
  TableRepository,
  type Stored,
} from '../repository';

export const PROFILE_TABLE = 'UserProfiles';
export const PROFILE_PARTITION = 'profile';
export const UPN_INDEX_TABLE = 'UserUpnIndex';
export const UPN_INDEX_PARTITION = 'upn';

export const dialInSchema = z.object({
  provider: z.enum(['Microsoft', 'ThirdParty']),
  enabled: z.boolean(),
  bridgeId: z.string().optional(),
  /** E.164 numbers; absent → the bridge's defaults. */
  tollNumber: z.string().optional(),
  tollFreeNumber: z.string().optional(),
  conferenceId: z.string().optional(),
  thirdPartyProviderName: z.string().optional(),
});
export type DialInSettings = z.output<typeof dialInSchema>;

export const userProfileSchema = z.object({
  userId: z.string().min(1),
  userPrincipalName: z.string().min(1),
  displayName: z.string().optional(),
  /** BCP-47, from the directory (user.preferredLanguage). */
  preferredLanguage: z.string().optional(),
  /** Holds a working Audio Conferencing plan. */
  audioConferencing: z.boolean(),
  /** servicePlanIds of the user's assigned plans (enabled or not). */
  assignedPlanIds: jsonColumn(z.array(z.string())),
  homing: z.enum(['online', 'onPremises']),
  teamsUpgradeMode: teamsUpgradeModeSchema.optional(),
  dialIn: jsonColumn(dialInSchema),
  /** The directory facts the trigger rules diff against (trigger-rules UserSnapshot). */
  directorySnapshot: jsonColumn(userSnapshotSchema).optional(),
  updatedAt: z.iso.datetime(),
});
export type UserProfile = z.output<typeof userProfileSchema>;
export type UserProfileInput = z.input<typeof userProfileSchema>;

const upnIndexSchema = z.object({ userId: z.string().min(1) });

function strip(row: Stored<UserProfile>): UserProfile {
  const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...data } = row;
  return data;
}

const upnKey = (upn: string) => encodeKey(upn.trim().toLowerCase());

export class UserProfileRepository {
  readonly table: TableRepository<typeof userProfileSchema>;
  readonly upnIndex: TableRepository<typeof upnIndexSchema>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    this.table = new TableRepository({
      settings: config,
      logicalName: PROFILE_TABLE,
      schema: userProfileSchema,
    });
    this.upnIndex = new TableRepository({
      settings: config,
      logicalName: UPN_INDEX_TABLE,
      schema: upnIndexSchema,
    });
  }

  async get(userId: string): Promise<UserProfile | null> {
    const row = await this.table.tryGet(PROFILE_PARTITION, userId);
    return row ? strip(row) : null;
  }

  /** The profile whose UPN is `upn` (case-insensitive), or null. */
  async getByUpn(upn: string): Promise<UserProfile | null> {
    const wanted = upn.trim().toLowerCase();
    const index = await this.upnIndex.tryGet(UPN_INDEX_PARTITION, upnKey(upn));
    if (index) {
      const profile = await this.get(index.userId);
      if (profile && profile.userPrincipalName.toLowerCase() === wanted) return profile;
    }
    for await (const row of this.table.list()) {
      if (row.userPrincipalName.toLowerCase() === wanted) {
        const found = strip(row);
        await this.upnIndex.upsert(UPN_INDEX_PARTITION, upnKey(found.userPrincipalName), {
          userId: found.userId,
        });
        return found;
      }
    }
    return null;
  }

  /** A UPN or an object id (as the admin API takes identities). */
  async getByIdentity(identity: string): Promise<UserProfile | null> {
    if (identity.includes('@')) return this.getByUpn(identity);
    return this.get(identity);
  }

  /** Creates or replaces the profile and its UPN index row. */
  async upsert(profile: UserProfileInput): Promise<UserProfile> {
    const parsed = userProfileSchema.parse(profile);
    const previous = await this.table.tryGet(PROFILE_PARTITION, parsed.userId);
    await this.upnIndex.upsert(UPN_INDEX_PARTITION, upnKey(parsed.userPrincipalName), {
      userId: parsed.userId,
    });
    const stored = strip(await this.table.upsert(PROFILE_PARTITION, parsed.userId, parsed));
    if (previous && upnKey(previous.userPrincipalName) !== upnKey(parsed.userPrincipalName)) {
      await this.upnIndex.delete(UPN_INDEX_PARTITION, upnKey(previous.userPrincipalName));
    }
    return stored;
  }

  /**
   * Read-modify-write with etag retry: `fn` gets the current profile (null when none) and answers the new one,
   * or undefined to write nothing; it may run several times (keep it pure). The UPN index follows UPN changes.
   */
  async mutate(
    userId: string,
    fn: (current: UserProfile | null) => UserProfileInput | undefined,
    options: { maxAttempts?: number } = {},
  ): Promise<UserProfile | null> {
    const attempts = options.maxAttempts ?? 8;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(Math.random() * Math.min(200, 10 * 2 ** attempt));
      const row = await this.table.tryGet(PROFILE_PARTITION, userId);
      const current = row ? strip(row) : null;
      const input = fn(current === null ? null : structuredClone(current));
      if (input === undefined) return current;
      const next = userProfileSchema.parse(input);
      if (next.userId !== userId)
        throw new Error(`profile of ${next.userId} cannot be stored under ${userId}`);
      try {
        await this.upnIndex.upsert(UPN_INDEX_PARTITION, upnKey(next.userPrincipalName), { userId });
        const stored = strip(
          row
            ? await this.table.replace(PROFILE_PARTITION, userId, next, row.etag)
            : await this.table.insert(PROFILE_PARTITION, userId, next),
        );
        if (current && upnKey(current.userPrincipalName) !== upnKey(stored.userPrincipalName)) {
          await this.upnIndex.delete(UPN_INDEX_PARTITION, upnKey(current.userPrincipalName));
        }
        return stored;
      } catch (e) {
        if (!(
          e instanceof ConcurrencyError ||
          e instanceof ConflictError ||
          e instanceof EntityNotFoundError
        )) {
          throw e;
        }
        lastError = e;
      }
    }
    throw new ConcurrencyError(
      this.table.tableName,
      PROFILE_PARTITION,
      userId,
      `gave up after ${attempts} attempts`,
      lastError,
    );
  }

  /** Every profile. */
  async *all(): AsyncGenerator<UserProfile, void, undefined> {
    for await (const row of this.table.list()) yield strip(row);
  }

  async delete(userId: string): Promise<boolean> {
    const previous = await this.get(userId);
    if (previous) await this.upnIndex.delete(UPN_INDEX_PARTITION, upnKey(previous.userPrincipalName));
    return this.table.delete(PROFILE_PARTITION, userId);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

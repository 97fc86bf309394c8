/**
 * Conference-id claims: which user holds which conference id on which bridge. PartitionKey = the bridge id,
 * RowKey = the conference id (digits), value `{ userId }`. A conference id is unique per bridge; the claim row is
 * what makes that safe under concurrency: inserting a row that exists is a 409 from Table Storage, atomically, so
 * of two requests that want the same free id exactly one gets it.
 *
 *   const claims = createRepositories(config).conferenceIds;
 *   const r = await claims.claim(bridgeId, '123456789', userId);   // 'claimed' | 'alreadyHeld' | 'taken'
 *   ... write the profile ...
 *   await claims.release(oldBridgeId, oldId, userId);              // only removes the user's own claim
 *
 * The protocol (shared/services/dial-in.ts): claim the new id first, then write the profile with its etag,
 * then release the old claim; when the profile write fails, release the new claim. A crash between two steps
 * leaves a claim that no profile matches (a "stale" claim); the dial-in service reclaims those after a grace
 * period (see `isStale` there), so they never block an id for long.
 */
import { z } from 'zod';
import type { Config } from '../../config';
import { ConcurrencyError, ConflictError, filter, TableRepository, type Stored } from '../repository';

export const CONFERENCE_ID_TABLE = 'ConferenceIds';

const claimSchema = z.object({ userId: z.string().min(1) });
export type ConferenceIdClaim = z.output<typeof claimSchema>;

/** A claim as stored: its bridge, conference id, holder, etag and last-modified time (ISO-8601). */
export interface StoredConferenceIdClaim {
  bridgeId: string;
  conferenceId: string;
  userId: string;
  etag: string;
  timestamp?: string;
}

export type ClaimResult =
  /** The row was created by this call. */
  | { outcome: 'claimed'; claim: StoredConferenceIdClaim }
  /** The user already held the id (a repeated request): nothing written. */
  | { outcome: 'alreadyHeld'; claim: StoredConferenceIdClaim }
  /** Another user holds it. */
  | { outcome: 'taken'; claim: StoredConferenceIdClaim };

function view(row: Stored<ConferenceIdClaim>): StoredConferenceIdClaim {
  return {
    bridgeId: row.partitionKey,
    conferenceId: row.rowKey,
    userId: row.userId,
    etag: row.etag,
    ...(row.timestamp !== undefined ? { timestamp: row.timestamp } : {}),
  };
}

export class ConferenceIdRepository {
  readonly table: TableRepository<typeof claimSchema>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    this.table = new TableRepository({
      settings: config,
      logicalName: CONFERENCE_ID_TABLE,
      schema: claimSchema,
    });
  }

  async get(bridgeId: string, conferenceId: string): Promise<StoredConferenceIdClaim | null> {
    const row = await this.table.tryGet(bridgeId, conferenceId);
    return row ? view(row) : null;
  }

  /** Creates the claim; ConflictError (409) when anyone (the same user included) holds it already. */
  async insert(bridgeId: string, conferenceId: string, userId: string): Promise<StoredConferenceIdClaim> {
    return view(await this.table.insert(bridgeId, conferenceId, { userId }));
  }

  /**
   * Claims the id for `userId`, idempotently: 'claimed' when this call created the row, 'alreadyHeld' when the
   * user held it before, 'taken' (with the holder) when another user does.
   */
  async claim(bridgeId: string, conferenceId: string, userId: string): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        return { outcome: 'claimed', claim: await this.insert(bridgeId, conferenceId, userId) };
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
      const existing = await this.get(bridgeId, conferenceId);
      if (existing === null) continue; // released in between: try again
      return { outcome: existing.userId === userId ? 'alreadyHeld' : 'taken', claim: existing };
    }
    throw new ConcurrencyError(
      this.table.tableName,
      bridgeId,
      conferenceId,
      'the claim kept appearing and disappearing',
    );
  }

  /**
   * Removes the claim if `userId` holds it (a claim another user took meanwhile is left alone). With `etag`,
   * only that version of the row is removed. Answers whether a row was removed.
   */
  async release(
    bridgeId: string,
    conferenceId: string,
    userId: string,
    options: { etag?: string } = {},
  ): Promise<boolean> {
    const existing = await this.get(bridgeId, conferenceId);
    if (existing === null || existing.userId !== userId) return false;
    if (options.etag !== undefined && existing.etag !== options.etag) return false;
    try {
      return await this.table.delete(bridgeId, conferenceId, { etag: existing.etag });
    } catch (e) {
      if (e instanceof ConcurrencyError) return false; // changed hands meanwhile: not ours to remove
      throw e;
    }
  }

  /** Removes the claim whatever it holds, if it is still the version `etag` (stale-claim recovery). */
  async deleteIfUnchanged(bridgeId: string, conferenceId: string, etag: string): Promise<boolean> {
    try {
      return await this.table.delete(bridgeId, conferenceId, { etag });
    } catch (e) {
      if (e instanceof ConcurrencyError) return false;
      throw e;
    }
  }

  /** Writes the claim for `userId` whatever was there (loading a tenant whose data is authoritative). */
  async upsert(bridgeId: string, conferenceId: string, userId: string): Promise<StoredConferenceIdClaim> {
    return view(await this.table.upsert(bridgeId, conferenceId, { userId }));
  }

  /** Every claim on the bridge. */
  async *onBridge(bridgeId: string): AsyncGenerator<StoredConferenceIdClaim, void, undefined> {
    for await (const row of this.table.list({ filter: filter`PartitionKey eq ${bridgeId}` })) yield view(row);
  }
}

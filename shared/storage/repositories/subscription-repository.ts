/**
 * The Graph subscriptions the service holds (change notifications on `users`): one row per subscription,
 * PartitionKey `subscription`, RowKey = Graph's subscription id (a GUID).
 *
 * The client state is stored as its SHA-256 (`clientStateSha256`, hex), never as the secret itself: the
 * notification endpoint compares the SHA-256 of what Graph sends with it in constant time, and the renewal
 * timer compares it with the SHA-256 of the configured GRAPH_CLIENT_STATE to notice a rotated secret. Whoever
 * can read the table therefore cannot forge notifications.
 *
 *   const repo = new SubscriptionRepository(config);
 *   await repo.save({ id, resource: '/users', ..., clientStateSha256: sha256Hex(clientState) });
 *   const s = await repo.get(id);           // StoredGraphSubscription | null
 *   for (const s of await repo.all()) ...
 *   await repo.remove(id);
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../config';
import { TableRepository, type Stored } from '../repository';
import { nullColumn } from './columns';

export const SUBSCRIPTION_TABLE = 'GraphSubscriptions';
export const SUBSCRIPTION_PARTITION = 'subscription';

/** Graph subscription ids are GUIDs; anything else (from an outside request) is unknown without a lookup. */
const SUBSCRIPTION_ID = /^[A-Za-z0-9-]{1,128}$/;

export const storedSubscriptionSchema = z.object({
  id: z.string().regex(SUBSCRIPTION_ID),
  resource: z.string().min(1),
  changeType: z.string().min(1),
  notificationUrl: z.string().min(1),
  lifecycleNotificationUrl: nullColumn(z.string()),
  /** ISO-8601 UTC, as Graph last confirmed it. */
  expirationDateTime: z.iso.datetime({ offset: true }),
  /** Hex SHA-256 of the clientState given to Graph. */
  clientStateSha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime({ offset: true }),
  /** Last renewal or reauthorization, null when never. */
  renewedAt: nullColumn(z.iso.datetime({ offset: true })),
});
export type StoredGraphSubscription = z.output<typeof storedSubscriptionSchema>;

/** Hex SHA-256 of a UTF-8 string (client states are compared and stored this way). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function isPlausibleSubscriptionId(id: string): boolean {
  return SUBSCRIPTION_ID.test(id);
}

function strip(row: Stored<StoredGraphSubscription>): StoredGraphSubscription {
  const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...data } = row;
  return data;
}

export class SubscriptionRepository {
  readonly table: TableRepository<typeof storedSubscriptionSchema>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    this.table = new TableRepository({
      settings: config,
      logicalName: SUBSCRIPTION_TABLE,
      schema: storedSubscriptionSchema,
    });
  }

  /** The subscription, or null when unknown (including ids that cannot be ours). */
  async get(id: string): Promise<StoredGraphSubscription | null> {
    if (!isPlausibleSubscriptionId(id)) return null;
    const row = await this.table.tryGet(SUBSCRIPTION_PARTITION, id);
    return row ? strip(row) : null;
  }

  async save(subscription: StoredGraphSubscription): Promise<void> {
    await this.table.upsert(SUBSCRIPTION_PARTITION, subscription.id, subscription);
  }

  /** Every stored subscription, soonest expiry first. */
  async all(): Promise<StoredGraphSubscription[]> {
    const out: StoredGraphSubscription[] = [];
    for await (const row of this.table.list()) out.push(strip(row));
    return out.sort((a, b) => Date.parse(a.expirationDateTime) - Date.parse(b.expirationDateTime));
  }

  /** Answers false when it was not stored. */
  async remove(id: string): Promise<boolean> {
    if (!isPlausibleSubscriptionId(id)) return false;
    return this.table.delete(SUBSCRIPTION_PARTITION, id);
  }
}

/**
 * Bulk starts (POST /api/migrations/batch): table `MigrationBatches`, one partition per batch (PartitionKey = the
 * batch id). RowKey `batch` holds the batch itself; RowKey `m000000`… one member each, in the order given, so a
 * release step reads the next members with one range query.
 */
import { z } from 'zod';
import type { Config } from '../../config';
import { sourceMeetingTypeSchema, targetMeetingTypeSchema } from '../../domain/migration-type';
import { filter, jsonColumn, TableRepository, type Stored } from '../repository';

export const BATCH_TABLE = 'MigrationBatches';
const BATCH_ROW = 'batch';

export const batchSchema = z.object({
  batchId: z.string().min(1),
  createdAt: z.iso.datetime(),
  /** Where the members came from. */
  sources: jsonColumn(
    z.object({
      identities: z.number().int().nonnegative(),
      groupId: z.string().optional(),
      servicePlanId: z.string().optional(),
    }),
  ),
  sourceMeetingType: sourceMeetingTypeSchema,
  targetMeetingType: targetMeetingTypeSchema,
  /** Members to start (rejected ones are not members). */
  memberCount: z.number().int().nonnegative(),
  /** Identities refused when the batch was created. */
  rejectedCount: z.number().int().nonnegative(),
  /** Members handed to the migration so far (the next release starts at this index). */
  releasedCount: z.number().int().nonnegative(),
  /** The release step the next message carries (a message of another step is a duplicate). */
  nextStep: z.number().int().nonnegative(),
  /** When every member has been released. */
  releasedAt: z.iso.datetime().optional(),
});
export type Batch = z.output<typeof batchSchema>;

export const BATCH_MEMBER_STATES = ['waiting', 'requested', 'rejected'] as const;

export const batchMemberSchema = z.object({
  index: z.number().int().nonnegative(),
  /** As the admin gave it (a UPN or an object id), or the group member's / plan holder's object id. */
  identity: z.string().min(1),
  /** Known from the group or the directory snapshot; resolved at release otherwise. */
  userId: z.string().optional(),
  userPrincipalName: z.string().optional(),
  state: z.enum(BATCH_MEMBER_STATES),
  /** requested: what the request did (queued, merged, followUpRecorded). */
  outcome: z.string().optional(),
  correlationId: z.string().optional(),
  /** rejected: why. */
  code: z.string().optional(),
  message: z.string().max(2000).optional(),
});
export type BatchMember = z.output<typeof batchMemberSchema>;

const memberKey = (index: number) => `m${String(index).padStart(6, '0')}`;

function strip<T extends object>(row: Stored<T>): T {
  const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...data } = row;
  return data as T;
}

export class BatchRepository {
  readonly batches: TableRepository<typeof batchSchema>;
  readonly members: TableRepository<typeof batchMemberSchema>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    const settings = config;
    this.batches = new TableRepository({ settings, logicalName: BATCH_TABLE, schema: batchSchema });
    this.members = new TableRepository({ settings, logicalName: BATCH_TABLE, schema: batchMemberSchema });
  }

  /** Writes the members, then the batch (a batch row is only ever seen with all its members). */
  async create(batch: Batch, members: readonly BatchMember[]): Promise<void> {
    await this.members.upsertMany(
      batch.batchId,
      members.map((m) => ({ rowKey: memberKey(m.index), value: m })),
    );
    await this.batches.insert(batch.batchId, BATCH_ROW, batch);
  }

  async get(batchId: string): Promise<Batch | null> {
    const row = await this.batches.tryGet(batchId, BATCH_ROW);
    return row ? strip(row) : null;
  }

  /** Read-modify-write of the batch row (etag-checked); `fn` may run several times. */
  async mutate(batchId: string, fn: (current: Batch) => Batch | undefined): Promise<Batch> {
    return strip(await this.batches.mutate(batchId, BATCH_ROW, fn));
  }

  /** Members with index in [from, to). */
  async membersBetween(batchId: string, from: number, to: number): Promise<BatchMember[]> {
    const out: BatchMember[] = [];
    for await (const row of this.members.list({
      filter: filter`PartitionKey eq ${batchId} and RowKey ge ${memberKey(from)} and RowKey lt ${memberKey(to)}`,
    })) {
      out.push(strip(row));
    }
    return out.sort((a, b) => a.index - b.index);
  }

  /** Every member, in order. */
  async allMembers(batchId: string): Promise<BatchMember[]> {
    const out: BatchMember[] = [];
    for await (const row of this.members.list({
      filter: filter`PartitionKey eq ${batchId} and RowKey ge ${'m'} and RowKey lt ${'n'}`,
    })) {
      out.push(strip(row));
    }
    return out.sort((a, b) => a.index - b.index);
  }

  async putMember(batchId: string, member: BatchMember): Promise<void> {
    await this.members.upsert(batchId, memberKey(member.index), member);
  }
}

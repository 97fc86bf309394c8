/**
 * The migration status table: one row per user (DESIGN.md "Status record"), PartitionKey `status` (constant, so
 * the admin API can list and filter everyone in one partition), RowKey = the user's directory object id. Values
 * are `MigrationStatus` (shared/domain/status.ts) checked with its schema on every read and write; every change
 * goes through `mutate` (etag retry) with one of the domain's pure transitions.
 *
 *   const repo = new StatusRepository(config);
 *   const s = await repo.get(userId);                                   // MigrationStatus | null
 *   await repo.mutate(userId, (cur) => requestMigration(cur, req, now).status, { create: true });
 *   const page = await repo.list({ state: 'Failed', pageSize: 100 });   // { items, continuationToken? }
 *   for await (const s of repo.all()) ...
 */
import { z } from 'zod';
import type { Config } from '../../config';
import { skipReasonSchema } from '../../domain/eligibility';
import type { MigrationType } from '../../domain/migration-type';
import { migrationTriggerSchema } from '../../domain/trigger-rules';
import { migrationStatusSchema, type MigrationState, type MigrationStatus } from '../../domain/status';
import {
  ConcurrencyError,
  ConflictError,
  EntityNotFoundError,
  filter,
  jsonColumn,
  TableRepository,
  type ODataFilter,
  type Stored,
} from '../repository';
import { nullColumn, nullJsonColumn } from './columns';

export const STATUS_TABLE = 'MigrationStatus';
export const STATUS_PARTITION = 'status';

const shape = migrationStatusSchema.shape;

/** The status schema as stored: nested values as JSON text, nulls as absent properties. */
export const statusRowSchema = migrationStatusSchema.extend({
  lastMessage: z.preprocess((v) => v ?? '', shape.lastMessage),
  userPrincipalName: z.preprocess((v) => v ?? '', shape.userPrincipalName),
  triggers: jsonColumn(z.array(migrationTriggerSchema).min(1)),
  notBefore: nullColumn(z.iso.datetime()),
  startDate: nullColumn(z.iso.datetime()),
  endDate: nullColumn(z.iso.datetime()),
  skipReasons: jsonColumn(z.partialRecord(skipReasonSchema, z.number().int().nonnegative())),
  failureCodes: jsonColumn(shape.failureCodes),
  progress: nullJsonColumn(shape.progress.unwrap()),
  heartbeatDate: nullColumn(z.iso.datetime()),
  followUp: nullJsonColumn(shape.followUp.unwrap()),
});

export interface StatusListOptions {
  state?: MigrationState;
  migrationType?: MigrationType;
  /**
   * Only these users. Read with point reads (Table Storage allows at most 15 comparisons in a filter), so the
   * answer is one page holding every match and no continuation token.
   */
  userIds?: readonly string[];
  /** modifiedDate ≥ this (inclusive). */
  modifiedFrom?: Date;
  /** modifiedDate ≤ this (inclusive). */
  modifiedTo?: Date;
  /** 1–1000, default 1000. */
  pageSize?: number;
  continuationToken?: string;
}

export interface StatusPage {
  items: MigrationStatus[];
  continuationToken?: string;
}

type StatusRow = z.output<typeof statusRowSchema>;

function strip(row: Stored<StatusRow>): MigrationStatus {
  const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...data } = row;
  return data;
}

export class StatusRepository {
  readonly table: TableRepository<typeof statusRowSchema>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    this.table = new TableRepository({
      settings: config,
      logicalName: STATUS_TABLE,
      schema: statusRowSchema,
    });
  }

  /** The user's status record, or null when none was ever written (or it was purged). */
  async get(userId: string): Promise<MigrationStatus | null> {
    const row = await this.table.tryGet(STATUS_PARTITION, userId);
    return row ? strip(row) : null;
  }

  /**
   * Read-modify-write with etag retry. `fn` gets the current record (null when there is none) and answers the
   * new record, or undefined to write nothing. On a race (412 stale etag, 409 concurrent insert) the record is
   * read again and `fn` re-applied, so `fn` may run several times: keep it a pure function of its input (the
   * domain transitions are). Answers the record as stored afterwards (the current one when fn wrote nothing;
   * null when there is none).
   *
   * `create` (default true): whether a missing record may be created; false → fn is not called, null answered.
   */
  async mutate(
    userId: string,
    fn: (current: MigrationStatus | null) => MigrationStatus | undefined,
    options: { create?: boolean; maxAttempts?: number } = {},
  ): Promise<MigrationStatus | null> {
    const create = options.create ?? true;
    const attempts = options.maxAttempts ?? 8;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(Math.random() * Math.min(200, 10 * 2 ** attempt));
      const row = await this.table.tryGet(STATUS_PARTITION, userId);
      if (!row && !create) return null;
      const current = row ? strip(row) : null;
      const changed = fn(current === null ? null : structuredClone(current));
      if (changed === undefined) return current;
      // Absent and null are the same in a row; the record always answers null.
      const next = { ...changed, heartbeatDate: changed.heartbeatDate ?? null };
      check(userId, next);
      try {
        const stored = row
          ? await this.table.replace(STATUS_PARTITION, userId, next, row.etag)
          : await this.table.insert(STATUS_PARTITION, userId, next);
        return strip(stored);
      } catch (e) {
        const race =
          e instanceof ConcurrencyError || e instanceof ConflictError || e instanceof EntityNotFoundError;
        if (!race) throw e;
        lastError = e;
      }
    }
    throw new ConcurrencyError(
      this.table.tableName,
      STATUS_PARTITION,
      userId,
      `gave up after ${attempts} attempts`,
      lastError,
    );
  }

  /** One page of records, filtered. */
  async list(options: StatusListOptions = {}): Promise<StatusPage> {
    if (options.userIds !== undefined) {
      const rows = await Promise.all([...new Set(options.userIds)].map((id) => this.get(id)));
      const items = rows.filter((s): s is MigrationStatus => s !== null && matches(s, options));
      return { items };
    }
    const page = await this.table.listPage({
      filter: buildFilter(options),
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
      ...(options.continuationToken !== undefined ? { continuationToken: options.continuationToken } : {}),
    });
    const items = page.items.map(strip);
    return page.continuationToken ? { items, continuationToken: page.continuationToken } : { items };
  }

  /** Every record (optionally filtered), page by page. */
  async *all(
    options: Omit<StatusListOptions, 'continuationToken'> = {},
  ): AsyncGenerator<MigrationStatus, void, undefined> {
    if (options.userIds !== undefined) {
      yield* (await this.list(options)).items;
      return;
    }
    for await (const row of this.table.list({
      filter: buildFilter(options),
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    })) {
      yield strip(row);
    }
  }

  /** Deletes the record; false when there was none. */
  delete(userId: string): Promise<boolean> {
    return this.table.delete(STATUS_PARTITION, userId);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function check(userId: string, status: MigrationStatus): MigrationStatus {
  if (status.userId !== userId) {
    throw new Error(`status record of ${status.userId} cannot be stored under user ${userId}`);
  }
  return status;
}

function buildFilter(options: StatusListOptions): ODataFilter {
  let f = filter`PartitionKey eq ${STATUS_PARTITION}`;
  if (options.state !== undefined) f = filter`${f} and state eq ${options.state}`;
  if (options.migrationType !== undefined) f = filter`${f} and migrationType eq ${options.migrationType}`;
  // modifiedDate is stored as ISO-8601 text written by toISOString, so text order is time order.
  if (options.modifiedFrom !== undefined) {
    f = filter`${f} and modifiedDate ge ${options.modifiedFrom.toISOString()}`;
  }
  if (options.modifiedTo !== undefined) {
    f = filter`${f} and modifiedDate le ${options.modifiedTo.toISOString()}`;
  }
  return f;
}

function matches(s: MigrationStatus, o: StatusListOptions): boolean {
  if (o.state !== undefined && s.state !== o.state) return false;
  if (o.migrationType !== undefined && s.migrationType !== o.migrationType) return false;
  if (o.modifiedFrom !== undefined && s.modifiedDate < o.modifiedFrom.toISOString()) return false;
  if (o.modifiedTo !== undefined && s.modifiedDate > o.modifiedTo.toISOString()) return false;
  return true;
}

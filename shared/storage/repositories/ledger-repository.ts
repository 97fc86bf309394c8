/**
 * The per-meeting ledger: what the migration did to each meeting of a user, PartitionKey = the user's object id,
 * RowKey = `encodeKey(eventId)` (Graph ids hold `/` and `+`). One row per meeting, overwritten by each run: the
 * latest word on each meeting.
 *
 * Every write also goes to the migration's own results (table MeetingResults, RowKey
 * `<correlationId>|<encodeKey(eventId)>`), so each migration's per-meeting results are kept, whatever later
 * migrations do, until retention purges the user (GET /api/migrations/{id}/meetings?correlationId=). The runs a
 * user had are listed in MigrationRuns (RowKey = correlationId), so a migration that touched no meeting is
 * known too.
 *
 * The ledger is also the worker's write-ahead log: a row goes `pending` (with the fingerprint of the block about
 * to be written) before the PATCH and `updated` after it, so a redelivered message, or a worker that died
 * half-way, can tell a meeting it already updated (its marker equals the fingerprint) and count it right.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import type { Config } from '../../config';
import { skipReasonSchema } from '../../domain/eligibility';
import { encodeKey, filter, TableRepository, type Stored } from '../repository';

export const LEDGER_TABLE = 'MeetingLedger';
export const RESULTS_TABLE = 'MeetingResults';
export const RUNS_TABLE = 'MigrationRuns';

const runSchema = z.object({
  userId: z.string().min(1),
  correlationId: z.string().min(1),
  at: z.iso.datetime(),
});

/** A cursor into one migration's results that this repository did not hand out (or for another migration). */
export class InvalidCursorError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCursorError';
  }
}

function resultKey(correlationId: string, eventId: string): string {
  return `${correlationId}|${encodeKey(eventId)}`;
}

export const LEDGER_OUTCOMES = ['updated', 'skipped', 'failed', 'pending'] as const;
export type LedgerOutcome = (typeof LEDGER_OUTCOMES)[number];

/** Longest error message kept (Graph messages can be long; the row must stay small). */
export const MAX_LEDGER_ERROR_MESSAGE = 2000;

export const ledgerEntrySchema = z.object({
  userId: z.string().min(1),
  eventId: z.string().min(1),
  /** For an exception (or occurrence): its series master. */
  seriesMasterId: z.string().optional(),
  /** Graph's event type: singleInstance | seriesMaster | exception | occurrence. */
  eventType: z.string().min(1),
  subject: z.string(),
  /** Start, ISO-8601 UTC (a series master's: its first occurrence). */
  start: z.string(),
  /** Series master: its next occurrence when the run saw it, ISO-8601 UTC. */
  nextOccurrence: z.string().optional(),
  /** Kind of online-meeting block found: skype | teams | none. */
  blockKind: z.enum(['skype', 'teams', 'none']),
  outcome: z.enum(LEDGER_OUTCOMES),
  /** Skip reason code (SKIP_REASONS) when skipped. */
  reason: skipReasonSchema.optional(),
  /** Failure code when failed (e.g. graph.429, graph.404, bodyTooLarge). */
  errorCode: z.string().optional(),
  errorMessage: z.string().max(MAX_LEDGER_ERROR_MESSAGE).optional(),
  /** Fingerprint of the block written (pending/updated) or found current (skipped upToDate). */
  fingerprint: z.string().optional(),
  /** The Teams meeting behind the block written (a meeting converted to Teams, or a Teams meeting refreshed
   * from Teams): its online-meeting id and join link. */
  teamsMeetingId: z.string().optional(),
  teamsJoinUrl: z.string().optional(),
  /** True when this migration created the Teams meeting (createOrGet answered 201). */
  teamsMeetingCreated: z.boolean().optional(),
  /** Where the block's dial-in came from (`teams`, or `storedProfile` by the tenant setting) and, when the stored
   * profile disagrees with Teams, the difference (Teams wins). */
  dialInSource: z.enum(['teams', 'storedProfile']).optional(),
  note: z.string().max(MAX_LEDGER_ERROR_MESSAGE).optional(),
  correlationId: z.string().min(1),
  retryCount: z.number().int().nonnegative(),
  /** When this row was written, ISO-8601 UTC. */
  at: z.iso.datetime(),
});
export type LedgerEntry = z.output<typeof ledgerEntrySchema>;

export interface LedgerPage {
  items: LedgerEntry[];
  /**
   * Present when there may be more. Of one migration's results: the row key to continue after (check it with
   * the user and migration it belongs to; a cursor for another migration is refused with InvalidCursorError).
   */
  continuationToken?: string;
}

/** The entry with its error message cut to MAX_LEDGER_ERROR_MESSAGE. */
function clip(entry: LedgerEntry): LedgerEntry {
  return entry.errorMessage !== undefined && entry.errorMessage.length > MAX_LEDGER_ERROR_MESSAGE
    ? { ...entry, errorMessage: `${entry.errorMessage.slice(0, MAX_LEDGER_ERROR_MESSAGE - 1)}…` }
    : entry;
}

function strip(row: Stored<LedgerEntry>): LedgerEntry {
  const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...data } = row;
  return data;
}

export class MeetingLedgerRepository {
  readonly table: TableRepository<typeof ledgerEntrySchema>;
  readonly results: TableRepository<typeof ledgerEntrySchema>;
  readonly runs: TableRepository<typeof runSchema>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    this.table = new TableRepository({
      settings: config,
      logicalName: LEDGER_TABLE,
      schema: ledgerEntrySchema,
    });
    this.results = new TableRepository({
      settings: config,
      logicalName: RESULTS_TABLE,
      schema: ledgerEntrySchema,
    });
    this.runs = new TableRepository({ settings: config, logicalName: RUNS_TABLE, schema: runSchema });
  }

  /** Notes that the user had migration `correlationId` (idempotent). */
  async recordRun(userId: string, correlationId: string, at: Date): Promise<void> {
    await this.runs.upsert(userId, encodeKey(correlationId), { userId, correlationId, at: at.toISOString() });
  }

  /** Whether the user had migration `correlationId`. */
  async hasRun(userId: string, correlationId: string): Promise<boolean> {
    return (await this.runs.tryGet(userId, encodeKey(correlationId))) !== undefined;
  }

  async get(userId: string, eventId: string): Promise<LedgerEntry | null> {
    const row = await this.table.tryGet(userId, encodeKey(eventId));
    return row ? strip(row) : null;
  }

  /** Creates or replaces the meeting's row. The error message is cut to MAX_LEDGER_ERROR_MESSAGE. */
  async upsert(entry: LedgerEntry): Promise<void> {
    const value = clip(entry);
    await Promise.all([
      this.table.upsert(entry.userId, encodeKey(entry.eventId), value),
      this.results.upsert(entry.userId, resultKey(entry.correlationId, entry.eventId), value),
    ]);
  }

  /**
   * Creates or replaces several rows of ONE user in one entity group transaction (at most
   * MAX_TRANSACTION_ROWS, distinct events): all are written or none is. The migrations' own results get the
   * same rows (one transaction in their table).
   */
  async upsertMany(userId: string, entries: LedgerEntry[]): Promise<void> {
    const rows = entries.map((entry) => {
      if (entry.userId !== userId) throw new RangeError(`ledger row of ${entry.userId} in ${userId}'s batch`);
      return { entry, value: clip(entry) };
    });
    await Promise.all([
      this.table.upsertBatch(
        userId,
        rows.map(({ entry, value }) => ({ rowKey: encodeKey(entry.eventId), value })),
      ),
      this.results.upsertBatch(
        userId,
        rows.map(({ entry, value }) => ({ rowKey: resultKey(entry.correlationId, entry.eventId), value })),
      ),
    ]);
  }

  /**
   * One page of the user's rows in key order: with `correlationId`, that migration's results (kept per
   * migration; the token is the row key to continue after, InvalidCursorError when it is not one of this
   * migration's); without, the latest row of every meeting.
   */
  async listForUser(
    userId: string,
    options: { correlationId?: string; pageSize?: number; continuationToken?: string } = {},
  ): Promise<LedgerPage> {
    if (options.correlationId !== undefined) return this.listRun(userId, options.correlationId, options);
    const f = filter`PartitionKey eq ${userId}`;
    const page = await this.table.listPage({
      filter: f,
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
      ...(options.continuationToken !== undefined ? { continuationToken: options.continuationToken } : {}),
    });
    const items = page.items.map(strip);
    return page.continuationToken ? { items, continuationToken: page.continuationToken } : { items };
  }

  private async listRun(
    userId: string,
    correlationId: string,
    options: { pageSize?: number; continuationToken?: string },
  ): Promise<LedgerPage> {
    const prefix = `${correlationId}|`;
    // '}' is the character after '|': the range holds exactly the keys that start with the prefix.
    const f = filter`PartitionKey eq ${userId} and RowKey ge ${prefix} and RowKey lt ${`${correlationId}}`}`;
    // The table's token (opaque markers of the next row); the filter keeps any token within the user's run.
    const tableToken = options.continuationToken;
    let page;
    try {
      page = await this.results.listPage({
        filter: f,
        ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
        ...(tableToken !== undefined ? { continuationToken: tableToken } : {}),
      });
    } catch (e) {
      // A marker the table service cannot read is not one it handed out.
      if (tableToken !== undefined && isRefusedMarker(e)) {
        throw new InvalidCursorError('the continuation token is not one this API handed out');
      }
      throw e;
    }
    const items = page.items.map(strip);
    return page.continuationToken !== undefined
      ? { items, continuationToken: page.continuationToken }
      : { items };
  }

  /** Every row of the user (of one migration when `correlationId` is given). */
  async *allForUser(
    userId: string,
    options: { correlationId?: string } = {},
  ): AsyncGenerator<LedgerEntry, void, undefined> {
    let continuationToken: string | undefined;
    do {
      const page = await this.listForUser(userId, {
        ...options,
        ...(continuationToken !== undefined ? { continuationToken } : {}),
      });
      yield* page.items;
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }

  /**
   * Deletes the user's rows (retention purge), page by page, a few deletes at a time; answers how many it
   * deleted. `writtenBefore`: only rows whose `at` is earlier (a row a migration started meanwhile wrote stays).
   */
  async deleteForUser(
    userId: string,
    options: { writtenBefore?: Date; pageSize?: number } = {},
  ): Promise<number> {
    const before = options.writtenBefore?.toISOString();
    const limit = pLimit(8);
    let deleted = 0;
    // A migration's own results and the runs list go with the user's rows (same retention).
    for await (const row of this.results.list({ filter: filter`PartitionKey eq ${userId}` })) {
      if (before === undefined || row.at < before) await this.results.delete(userId, row.rowKey);
    }
    for await (const row of this.runs.list({ filter: filter`PartitionKey eq ${userId}` })) {
      if (before === undefined || row.at < before) await this.runs.delete(userId, row.rowKey);
    }
    let continuationToken: string | undefined;
    do {
      // Table Storage continuation tokens name the next key, so deleting the rows already read keeps them valid.
      const page = await this.listForUser(userId, {
        ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
        ...(continuationToken !== undefined ? { continuationToken } : {}),
      });
      const doomed = page.items.filter((row) => before === undefined || row.at < before);
      const results = await Promise.all(
        doomed.map((row) => limit(() => this.table.delete(userId, encodeKey(row.eventId)))),
      );
      deleted += results.filter(Boolean).length;
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    return deleted;
  }
}

function isRefusedMarker(e: unknown): boolean {
  const err = e as { statusCode?: unknown } | null;
  const code = err?.statusCode;
  return e instanceof SyntaxError || (typeof code === 'number' && code >= 400 && code < 500);
}

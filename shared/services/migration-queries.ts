/**
 * Read side of the admin API: migration status (`Get-CsMeetingMigrationStatus`) and per-meeting results.
 *
 *   listMigrations(ports, query)        GET /api/migrations?summaryOnly=&userId=&state=&migrationType=&startTime=&endTime=
 *                                                        &pageSize=&continuationToken=
 *   getMigrationStatus(ports, id)       GET /api/migrations/{identity}
 *   listMeetingResults(ports, id, q)    GET /api/migrations/{identity}/meetings?pageSize=&continuationToken=&correlationId=
 *
 * Query parameters (validated by the schemas below; every error names the parameter, unknown parameters are
 * refused so that a typo never silently widens a query):
 * - `summaryOnly`: a switch like the cmdlet's: present without a value, `true`/`1` → summary; `false`/`0` → records.
 *   The summary is `[{ state, userCount }]` for every state in the order Pending, InProgress, Succeeded, Failed,
 *   zeros included, over the records the other filters select.
 * - `userId`: a UPN or an object id (the cmdlet's `-Identity`); an unknown user → 404 `userNotFound`.
 * - `state`, `migrationType`: one value, case-insensitive (`failed` = `Failed`).
 * - `startTime`, `endTime`: ISO-8601 date-times with `Z` or an offset, or plain dates (`2026-11-20`: the start of
 *   that day in UTC for startTime, the end of that day for endTime). The cmdlet documents them only as "the date
 *   range", so we take the useful reading: a migration is in the range when its life overlaps it, i.e. it was
 *   created no later than `endTime` (`createDate ≤ endTime`) and last changed no earlier than `startTime`
 *   (`modifiedDate ≥ startTime`). "What happened since Monday" is `startTime=<Monday>`; "what was started last
 *   week" is the same pair with both ends. `startTime` after `endTime` → 400.
 * - `pageSize` (1–1000), `continuationToken`: paging for large tenants. Without either, the answer is today's
 *   (and the cmdlet's) plain array of every matching record, sorted by userPrincipalName. With either, the answer
 *   is one page `{ value: [...records], continuationToken?: string }` in storage order (by user object id): pass
 *   the token back unchanged (it is URL-safe) with the same filters to get the next page; no token → the last
 *   page. A page may hold fewer than `pageSize` records (even none) while a token is still present (`endTime` is
 *   applied after reading; Table Storage may cut pages short). With `userId` there is one page and no token.
 *   A token this API did not hand out → 400 naming `continuationToken`. `summaryOnly` always counts every
 *   matching record, so paging it makes no sense: `summaryOnly` together with `pageSize` or
 *   `continuationToken` → 400.
 *
 * Records answer as stored (shared/domain/status.ts: JSON-safe, ISO dates, the contract's field names).
 */
import { z } from 'zod';
import {
  MIGRATION_STATES,
  migrationStateSchema,
  migrationStatusSchema,
  stateSummaryRowSchema,
  summarizeStates,
  type MigrationState,
  type MigrationStatus,
  type StateSummaryRow,
} from '../domain/status';
import { MIGRATION_TYPES, type MigrationType } from '../domain/migration-type';
import {
  ledgerEntrySchema,
  type LedgerEntry,
  type LedgerPage,
} from '../storage/repositories/ledger-repository';
import type { StatusListOptions, StatusPage } from '../storage/repositories/status-repository';
import { badRequest, notFound } from './errors';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import {
  identitySchema,
  parseIdentity,
  resolveUser,
  type Identity,
  type UserLookupPorts,
} from './request-migration';

// ---------------------------------------------------------------------------------------------------------------
// Query parameters

/** One of `values`, matched case-insensitively (PowerShell is), answered in its canonical spelling. */
export function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z.string().transform((v, ctx): T[number] => {
    const found = byLower.get(v.trim().toLowerCase());
    if (found !== undefined) return found;
    ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}, got "${v}"` });
    return z.NEVER;
  });
}

/** The switch forms: present without a value, true/false, 1/0 (case-insensitive). */
export const switchParam = z.string().transform((v, ctx): boolean => {
  const s = v.trim().toLowerCase();
  if (s === '' || s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  ctx.addIssue({ code: 'custom', message: `must be true or false (or given without a value), got "${v}"` });
  return z.NEVER;
});

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const dateTimeWithZone = z.iso.datetime({ offset: true });

/** An instant: an ISO-8601 date-time with Z or an offset, or a date (UTC) whose start or end is meant. */
export function instantParam(end: 'start' | 'end') {
  return z.string().transform((v, ctx): Date => {
    const s = v.trim();
    if (DATE_ONLY.test(s)) {
      const d = new Date(`${s}T00:00:00.000Z`);
      if (!Number.isNaN(d.getTime()) && d.toISOString().startsWith(s)) {
        return end === 'start' ? d : new Date(d.getTime() + 24 * 60 * 60 * 1000 - 1);
      }
    } else if (dateTimeWithZone.safeParse(s).success) {
      const d = new Date(s);
      if (!Number.isNaN(d.getTime())) return d;
    }
    ctx.addIssue({
      code: 'custom',
      message: `must be an ISO-8601 date-time with Z or an offset (2026-11-20T08:00:00Z) or a date (2026-11-20), got "${v}"`,
    });
    return z.NEVER;
  });
}

/** `pageSize`: a whole number 1–1000 given as text. */
const pageSizeParam = z
  .string()
  .regex(/^\d+$/, { error: 'must be a whole number from 1 to 1000' })
  .transform(Number)
  .pipe(
    z.number().int().min(1, { error: 'must be at least 1' }).max(1000, { error: 'must be at most 1000' }),
  );

/** Our status-list continuation token: the table's own token, wrapped (base64url JSON, so URL-safe). */
const statusTokenSchema = z.strictObject({ s: z.string().min(1).max(4000) });

const statusContinuationTokenParam = z
  .string()
  .max(8000)
  .transform((v, ctx): string => {
    try {
      const r = statusTokenSchema.safeParse(JSON.parse(Buffer.from(v, 'base64url').toString('utf8')));
      if (r.success) return r.data.s;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: 'is not a token this API handed out; pass it back unchanged' });
    return z.NEVER;
  });

function encodeStatusToken(tableToken: string): string {
  return Buffer.from(JSON.stringify({ s: tableToken }), 'utf8').toString('base64url');
}

const oneOf = (values: readonly string[]) => `One of ${values.join(', ')} (case-insensitive).`;

export const migrationListQuerySchema = z
  .strictObject({
    summaryOnly: switchParam.optional().meta({
      description:
        'Answer `[{ state, userCount }]` for every state (zeros included) instead of the records ' +
        '(-SummaryOnly). Present without a value, `true`/`1` or `false`/`0`.',
    }),
    userId: identitySchema
      .optional()
      .meta({ description: "One user's record: a UPN or a directory object id (-Identity)." }),
    state: caseInsensitiveEnum(MIGRATION_STATES)
      .optional()
      .meta({ description: `Only records in this state. ${oneOf(MIGRATION_STATES)}` }),
    migrationType: caseInsensitiveEnum(MIGRATION_TYPES)
      .optional()
      .meta({ description: `Only records of this migration type. ${oneOf(MIGRATION_TYPES)}` }),
    startTime: instantParam('start')
      .optional()
      .meta({
        description:
          'Records last changed at or after this instant (`modifiedDate >= startTime`): an ISO-8601 date-time ' +
          'with Z or an offset, or a date (the start of that UTC day).',
      }),
    endTime: instantParam('end')
      .optional()
      .meta({
        description:
          'Records created at or before this instant (`createDate <= endTime`): an ISO-8601 date-time with Z ' +
          'or an offset, or a date (the end of that UTC day).',
      }),
    pageSize: pageSizeParam.optional().meta({
      description:
        'Answer one page `{ value, continuationToken? }` of at most this many records (1–1000) instead of ' +
        'the plain array.',
    }),
    /** Decoded: the table's token. */
    continuationToken: statusContinuationTokenParam.optional().meta({
      description: 'The `continuationToken` of the previous page, unchanged (with the same filters).',
    }),
  })
  .superRefine((q, ctx) => {
    if (q.summaryOnly === true) {
      for (const p of ['pageSize', 'continuationToken'] as const) {
        if (q[p] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [p],
            message: 'cannot be combined with summaryOnly (the summary always counts every matching record)',
          });
        }
      }
    }
    if (q.startTime !== undefined && q.endTime !== undefined && q.startTime > q.endTime) {
      ctx.addIssue({
        code: 'custom',
        path: ['startTime'],
        message: `must not be after endTime (${q.startTime.toISOString()} > ${q.endTime.toISOString()})`,
      });
    }
  });
export type MigrationListQuery = z.output<typeof migrationListQuerySchema>;

export const DEFAULT_MEETINGS_PAGE_SIZE = 100;

/** Our continuation token: the migration the paging is about and the table's own token. */
const meetingsTokenSchema = z.strictObject({ c: z.string().min(1).max(200), t: z.string().min(1).max(4000) });

const continuationTokenParam = z
  .string()
  .max(8000)
  .transform((v, ctx) => {
    try {
      const json: unknown = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
      const r = meetingsTokenSchema.safeParse(json);
      if (r.success) return { correlationId: r.data.c, tableToken: r.data.t };
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: 'is not a token this API handed out; pass it back unchanged' });
    return z.NEVER;
  });

export const meetingResultsQuerySchema = z.strictObject({
  pageSize: pageSizeParam
    .optional()
    .meta({ description: `Meetings per page, 1–1000 (default ${DEFAULT_MEETINGS_PAGE_SIZE}).` }),
  continuationToken: continuationTokenParam
    .optional()
    .meta({ description: 'The `continuationToken` of the previous page, unchanged.' }),
  /** An earlier migration of the user (default: the current one, the status record's correlationId). */
  correlationId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9-]+$/, { error: 'must be a correlation id as the status record shows it' })
    .optional()
    .meta({
      description:
        "An earlier migration of the user (its correlationId); default: the status record's current one.",
    }),
});
export type MeetingResultsQuery = z.output<typeof meetingResultsQuerySchema>;

// ---------------------------------------------------------------------------------------------------------------
// Ports

export interface MigrationQueryPorts extends UserLookupPorts {
  statuses: {
    get(userId: string): Promise<MigrationStatus | null>;
    list(options?: StatusListOptions): Promise<StatusPage>;
    all(options?: Omit<StatusListOptions, 'continuationToken'>): AsyncIterable<MigrationStatus>;
  };
  ledger: {
    listForUser(
      userId: string,
      options?: { correlationId?: string; pageSize?: number; continuationToken?: string },
    ): Promise<LedgerPage>;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Queries

/** Whether a record falls in [startTime, endTime] (its life overlaps the range). */
export function inTimeRange(
  status: Pick<MigrationStatus, 'createDate' | 'modifiedDate'>,
  range: { startTime?: Date; endTime?: Date },
): boolean {
  if (range.startTime !== undefined && new Date(status.modifiedDate) < range.startTime) return false;
  if (range.endTime !== undefined && new Date(status.createDate) > range.endTime) return false;
  return true;
}

/** One page of `GET /api/migrations?pageSize=` (records in storage order). */
export const migrationsPageSchema = z.object({
  value: z.array(migrationStatusSchema),
  /** Present when there may be more: pass it back as `continuationToken` (URL-safe as it is). */
  continuationToken: z
    .string()
    .optional()
    .meta({ description: 'Present when there may be more: pass it back unchanged for the next page.' }),
});
export type MigrationsPage = z.output<typeof migrationsPageSchema>;

/** What `GET /api/migrations` answers: the records, the summary, or one page. */
export const migrationListSchema = z.union([
  z.array(migrationStatusSchema).meta({ description: 'Every matching record, by userPrincipalName.' }),
  z.array(stateSummaryRowSchema).meta({ description: 'With summaryOnly: one row per state.' }),
  migrationsPageSchema.meta({ description: 'With pageSize or continuationToken: one page.' }),
]);

/** Whether the query asks for one page (`{ value, continuationToken? }`) rather than the plain array. */
export function isPagedQuery(query: MigrationListQuery): boolean {
  return query.pageSize !== undefined || query.continuationToken !== undefined;
}

/** `GET /api/migrations`: the records (or the summary) the query selects; one page when the query pages. */
export async function listMigrations(
  ports: MigrationQueryPorts,
  query: MigrationListQuery,
): Promise<MigrationStatus[] | StateSummaryRow[] | MigrationsPage> {
  const options: Omit<StatusListOptions, 'continuationToken'> = {
    ...(query.state !== undefined ? { state: query.state satisfies MigrationState } : {}),
    ...(query.migrationType !== undefined
      ? { migrationType: query.migrationType satisfies MigrationType }
      : {}),
    ...(query.startTime !== undefined ? { modifiedFrom: query.startTime } : {}),
  };
  if (query.userId !== undefined) {
    // An object id with a record needs no lookup (the user may even be gone from the directory since).
    const known =
      query.userId.kind === 'objectId' && (await ports.statuses.get(query.userId.value)) !== null
        ? query.userId.value
        : undefined;
    options.userIds = [known ?? (await resolveUser(ports, query.userId)).userId];
  }
  if (query.summaryOnly !== true && isPagedQuery(query)) return listMigrationsPage(ports, query, options);
  const records: MigrationStatus[] = [];
  for await (const s of ports.statuses.all(options)) {
    if (inTimeRange(s, query)) records.push(s);
  }
  if (query.summaryOnly === true) return summarizeStates(records);
  records.sort((a, b) =>
    a.userPrincipalName === b.userPrincipalName
      ? a.userId.localeCompare(b.userId)
      : a.userPrincipalName.localeCompare(b.userPrincipalName),
  );
  return records;
}

async function listMigrationsPage(
  ports: MigrationQueryPorts,
  query: MigrationListQuery,
  options: Omit<StatusListOptions, 'continuationToken'>,
): Promise<MigrationsPage> {
  let page: StatusPage;
  try {
    page = await ports.statuses.list({
      ...options,
      ...(query.pageSize !== undefined ? { pageSize: query.pageSize } : {}),
      ...(query.continuationToken !== undefined ? { continuationToken: query.continuationToken } : {}),
    });
  } catch (e) {
    // Our wrapper was intact but the table's token inside it was not (forged or damaged): the SDK cannot
    // decode it. Anything else is not about the token.
    if (query.continuationToken !== undefined && e instanceof SyntaxError) {
      throw badRequest('continuationToken', 'is not a token this API handed out; pass it back unchanged');
    }
    throw e;
  }
  const result: MigrationsPage = { value: page.items.filter((s) => inTimeRange(s, query)) };
  if (page.continuationToken !== undefined) {
    result.continuationToken = encodeStatusToken(page.continuationToken);
  }
  return result;
}

function who(identity: Identity): string {
  return identity.kind === 'objectId' ? `object id ${identity.value}` : `"${identity.value}"`;
}

/**
 * The status record of one user. 404 `userNotFound` when the identity matches no user, 404
 * `migrationNotFound` when the user exists but was never migrated (or the record is past retention).
 */
export async function getMigrationStatus(
  ports: MigrationQueryPorts,
  rawIdentity: string,
): Promise<MigrationStatus> {
  const identity = parseIdentity(rawIdentity, 'identity');
  if (identity.kind === 'objectId') {
    // One point read for the common case; the user lookup only decides which 404 to give.
    const direct = await ports.statuses.get(identity.value);
    if (direct) return direct;
  }
  const user = await resolveUser(ports, identity);
  const status = await ports.statuses.get(user.userId);
  if (!status) {
    throw notFound(
      'migrationNotFound',
      `User ${user.userPrincipalName || who(identity)} has no migration: none was ever started, or it ended more than 150 days ago.`,
    );
  }
  return status;
}

/** One meeting as GET /api/migrations/{identity}/meetings lists it (the ledger row without the user id). */
export type MeetingResult = Omit<LedgerEntry, 'userId'>;

export const meetingResultSchema = ledgerEntrySchema.omit({ userId: true });

export const meetingResultsPageSchema = z.object({
  userId: z.string(),
  userPrincipalName: z.string(),
  /** The migration these results belong to. */
  correlationId: z.string().meta({ description: 'The migration these results belong to.' }),
  /** The user's migration state now. */
  state: migrationStateSchema,
  meetings: z.array(meetingResultSchema),
  /** Present when there may be more: pass it back as `continuationToken`. */
  continuationToken: z
    .string()
    .optional()
    .meta({ description: 'Present when there may be more: pass it back unchanged for the next page.' }),
});
export type MeetingResultsPage = z.output<typeof meetingResultsPageSchema>;

/**
 * The per-meeting results of the user's current migration (or of `correlationId`), a page at a time. A page
 * may hold fewer than `pageSize` meetings while a continuation token is still present.
 */
export async function listMeetingResults(
  ports: MigrationQueryPorts,
  rawIdentity: string,
  query: MeetingResultsQuery,
): Promise<MeetingResultsPage> {
  const status = await getMigrationStatus(ports, rawIdentity);
  if (
    query.continuationToken !== undefined &&
    query.correlationId !== undefined &&
    query.correlationId !== query.continuationToken.correlationId
  ) {
    throw badRequest('continuationToken', 'belongs to another migration than correlationId');
  }
  const correlationId = query.continuationToken?.correlationId ?? query.correlationId ?? status.correlationId;
  const page = await ports.ledger.listForUser(status.userId, {
    correlationId,
    pageSize: query.pageSize ?? DEFAULT_MEETINGS_PAGE_SIZE,
    ...(query.continuationToken !== undefined
      ? { continuationToken: query.continuationToken.tableToken }
      : {}),
  });
  const meetings = page.items.map(({ userId: _u, ...rest }) => rest);
  const result: MeetingResultsPage = {
    userId: status.userId,
    userPrincipalName: status.userPrincipalName,
    correlationId,
    state: status.state,
    meetings,
  };
  if (page.continuationToken !== undefined) {
    result.continuationToken = Buffer.from(
      JSON.stringify({ c: correlationId, t: page.continuationToken }),
      'utf8',
    ).toString('base64url');
  }
  return result;
}

/** The ports of the queries, from the process infrastructure (tests pass their own). */
export function migrationQueryPorts(infra: Infrastructure = getInfrastructure()): MigrationQueryPorts {
  return {
    profiles: infra.repositories.profiles,
    directory: infra.graph.directory,
    statuses: infra.repositories.status,
    ledger: infra.repositories.ledger,
  };
}

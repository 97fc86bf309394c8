/**
 * A small client of the admin HTTP API (DESIGN.md "Admin HTTP API"), used by the CLI (cli/mms.ts) and the
 * `npm start` demo (dev/demo.ts). It sends the function key as `x-functions-key`, validates with zod every
 * response field it relies on (extra fields are kept: the API may grow), and turns failures into two errors:
 *
 * - `ApiError`: the API answered with an error status. `code` and `message` come from the API's
 *   `{ error: { code, message } }` body; a body without that shape (the host's bare 401 for a wrong function
 *   key, a proxy's HTML page) gets a code from the status (`unauthorized`, `notFound`, `http502`...) and a
 *   message saying what to check.
 * - `ConnectionError`: nothing answered (connection refused, DNS, reset): `hint` says to start the service.
 *
 *   const api = new MmsApi({ baseUrl: 'http://127.0.0.1:7071', functionKey: 'local-dev-key' });
 *   const { status, outcome } = await api.startMigration({ identity: 'adele@contoso.com' });
 *   const summary = await api.summary();
 */
import { preflightReportSchema, type PreflightReport } from '../shared/domain/preflight';
import { z } from 'zod';
import { MIGRATION_STATES } from '../shared/domain/status';

// The API's vocabularies, from the pure domain modules (no I/O: safe for a client to import).
export { MIGRATION_STATES, type MigrationState } from '../shared/domain/status';
export { MIGRATION_TYPES, SOURCE_MEETING_TYPES, TARGET_MEETING_TYPES } from '../shared/domain/migration-type';
export { TEAMS_UPGRADE_MODES } from '../shared/domain/trigger-rules';

const count = z.number().int().nonnegative();

/** The status record (Get-CsMeetingMigrationStatus), the fields the CLI shows. */
export const statusRecordSchema = z.looseObject({
  userId: z.string(),
  userPrincipalName: z.string(),
  state: z.enum(MIGRATION_STATES),
  migrationType: z.string(),
  retryCount: count,
  lastMessage: z.string(),
  totalMeeting: count,
  succeededMeeting: count,
  failedMeeting: count,
  invitesUpdate: count,
  correlationId: z.string(),
  createDate: z.string(),
  modifiedDate: z.string(),
  lastMessageCode: z.string().optional(),
  skippedMeeting: count.optional(),
  notBefore: z.string().nullable().optional(),
  progress: z
    .looseObject({
      discoveredMeeting: count,
      processedMeeting: count,
      succeededMeeting: count.optional(),
      failedMeeting: count.optional(),
      skippedMeeting: count.optional(),
      invitesUpdate: count.optional(),
      percent: z.number().optional(),
    })
    .nullable()
    .optional(),
  queuePosition: count.optional(),
  estimatedStart: z.string().nullable().optional(),
  estimatedEnd: z.string().nullable().optional(),
});
export type StatusRecord = z.output<typeof statusRecordSchema>;

export const summaryRowSchema = z.looseObject({ state: z.enum(MIGRATION_STATES), userCount: count });
export type SummaryRow = z.output<typeof summaryRowSchema>;

export const meetingResultSchema = z.looseObject({
  eventId: z.string(),
  eventType: z.string().optional(),
  subject: z.string(),
  start: z.string(),
  nextOccurrence: z.string().optional(),
  blockKind: z.string(),
  outcome: z.string(),
  reason: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
});
export type MeetingResult = z.output<typeof meetingResultSchema>;

export const meetingsPageSchema = z.looseObject({
  userId: z.string(),
  userPrincipalName: z.string(),
  correlationId: z.string(),
  state: z.enum(MIGRATION_STATES),
  meetings: z.array(meetingResultSchema),
  continuationToken: z.string().optional(),
});
export type MeetingsPage = z.output<typeof meetingsPageSchema>;

export const migrationSettingsSchema = z.looseObject({ meetingMigrationEnabled: z.boolean() });
export const dialInSettingsSchema = z.looseObject({
  automaticallyMigrateUserMeetings: z.boolean(),
  automaticallyReplaceAcpProvider: z.boolean(),
});

export const dialInViewSchema = z.looseObject({
  userId: z.string(),
  userPrincipalName: z.string(),
  provider: z.string(),
  enabled: z.boolean(),
  bridgeId: z.string().nullable(),
  bridgeName: z.string().nullable(),
  tollNumber: z.string().nullable(),
  tollFreeNumber: z.string().nullable(),
  conferenceId: z.string().nullable(),
  thirdPartyProviderName: z.string().nullable().optional(),
});
export type DialInView = z.output<typeof dialInViewSchema>;

/** What an admin action did about the user's meetings (shared/services/admin-actions.ts MigrationOutcomeView). */
export const migrationOutcomeSchema = z.looseObject({
  outcome: z.enum(['queued', 'merged', 'takenOver', 'followUpRecorded', 'none']),
  state: z.enum(MIGRATION_STATES).optional(),
  migrationType: z.string().optional(),
  correlationId: z.string().optional(),
  notBefore: z.string().nullable().optional(),
  lastMessage: z.string().optional(),
  why: z.string().optional(),
});
export type MigrationOutcome = z.output<typeof migrationOutcomeSchema>;

export const dialInPatchResponseSchema = z.looseObject({
  dialIn: dialInViewSchema,
  changes: z.array(z.string()),
  migration: migrationOutcomeSchema,
});

export const bridgeSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  isDefault: z.boolean(),
  defaultTollNumber: z.string(),
  defaultTollFreeNumber: z.string().optional(),
  numbers: z.array(
    z.looseObject({
      number: z.string(),
      type: z.string(),
      city: z.string(),
      country: z.string(),
      languages: z.array(z.string()).default([]),
    }),
  ),
});
export type Bridge = z.output<typeof bridgeSchema>;

/** One meeting of a preview (POST /api/migrations/preview). */
export const previewMeetingSchema = z.looseObject({
  eventId: z.string(),
  seriesMasterId: z.string().nullable().optional(),
  eventType: z.string(),
  subject: z.string(),
  start: z.string(),
  nextOccurrence: z.string().nullable().optional(),
  decision: z.string(),
  reason: z.string().optional(),
  error: z.string().optional(),
  blockKind: z.string(),
  contentType: z.enum(['html', 'text']).optional(),
  blockBefore: z.string().optional(),
  blockAfter: z.string().optional(),
  teamsDetails: z.string().optional(),
  note: z.string().optional(),
});
export type PreviewMeeting = z.output<typeof previewMeetingSchema>;

export const previewSchema = z.looseObject({
  userId: z.string(),
  userPrincipalName: z.string(),
  migrationType: z.string(),
  asOf: z.string(),
  counts: z.looseObject({
    totalMeeting: count,
    updateMeeting: count,
    skippedMeeting: count,
    failedMeeting: count,
    skipReasons: z.record(z.string(), count),
  }),
  meetings: z.array(previewMeetingSchema),
  continuationToken: z.string().optional(),
});
export type Preview = z.output<typeof previewSchema>;

export const batchRejectionSchema = z.looseObject({
  identity: z.string(),
  code: z.string(),
  message: z.string(),
});
export const batchStartedSchema = z.looseObject({
  batchId: z.string(),
  accepted: count,
  rejected: z.array(batchRejectionSchema),
});
export type BatchStarted = z.output<typeof batchStartedSchema>;

export const batchProgressSchema = z.looseObject({
  batchId: z.string(),
  accepted: count,
  released: count,
  complete: z.boolean(),
  progress: z.looseObject({
    waiting: count,
    rejected: count,
    Pending: count,
    InProgress: count,
    Succeeded: count,
    Failed: count,
  }),
  estimatedReleaseEnd: z.string().nullable().optional(),
  rejected: z.array(batchRejectionSchema),
});
export type BatchProgress = z.output<typeof batchProgressSchema>;

/**
 * One page of GET /api/migrations?pageSize=: `{ value, continuationToken? }`. A plain array (the unpaged answer,
 * from a service that does not page) is taken as the one and last page.
 */
export const migrationsPageSchema = z.preprocess(
  (v) => (Array.isArray(v) ? { value: v } : v),
  z.looseObject({
    value: z.array(statusRecordSchema),
    continuationToken: z.string().min(1).optional(),
  }),
);
export type MigrationsPage = z.output<typeof migrationsPageSchema>;

/** A user re-pointed to the bridge default when a number was removed, and what it meant for their meetings. */
export const repointedUserSchema = z.looseObject({
  userId: z.string(),
  userPrincipalName: z.string(),
  tollNumber: z.string().optional(),
  tollFreeNumber: z.string().nullable().optional(),
  migration: migrationOutcomeSchema,
});
export type RepointedUser = z.output<typeof repointedUserSchema>;

/** DELETE /api/bridges/{bridgeId}/numbers/{number} (shared/services/bridges.ts UnregisterResult). */
export const unregisterNumberResponseSchema = z.looseObject({
  bridge: bridgeSchema,
  removedNumber: z.string(),
  users: z.array(repointedUserSchema),
  summary: z.looseObject({ repointedUsers: count, migrationsRequested: count }),
});
export type UnregisterNumberResponse = z.output<typeof unregisterNumberResponseSchema>;

/** The body of POST /api/bridges/{bridgeId}/numbers/{number}. */
export interface RegisterNumberBody {
  type: 'toll' | 'tollFree';
  city: string;
  country: string;
  languages?: string[];
}

export const teamsUpgradeResponseSchema = z.looseObject({
  userId: z.string(),
  userPrincipalName: z.string(),
  mode: z.string(),
  previousMode: z.string().nullable(),
  migration: migrationOutcomeSchema,
  note: z.string().optional(),
});

export const homingResponseSchema = z.looseObject({
  userId: z.string(),
  userPrincipalName: z.string(),
  location: z.string(),
  previousLocation: z.string(),
  migration: migrationOutcomeSchema,
});

const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The API answered with an error status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Nothing answered at `url`. */
export class ConnectionError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`cannot reach ${url}: ${reason}`);
    this.name = 'ConnectionError';
  }
}

/** The API answered 2xx with a body the client cannot rely on (an older or newer service, or not this API). */
export class ResponseShapeError extends Error {
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(`unexpected answer from ${url}: ${detail}`);
    this.name = 'ResponseShapeError';
  }
}

const STATUS_CODES: Record<number, [string, string]> = {
  401: [
    'unauthorized',
    'the function key was refused; pass the right one with --key or MMS_FUNCTION_KEY (npm start prints it)',
  ],
  403: ['forbidden', 'the request was refused'],
  404: ['notFound', 'no such route; is this the Meeting Migration Service API (check --url)?'],
};

function errorFrom(status: number, statusText: string, text: string): ApiError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  if (parsed.success) return new ApiError(status, parsed.data.error.code, parsed.data.error.message);
  const known = STATUS_CODES[status];
  if (known) return new ApiError(status, known[0], `${known[1]} (HTTP ${status})`);
  const snippet = text.trim().slice(0, 200);
  return new ApiError(
    status,
    `http${status}`,
    `${status} ${statusText}`.trim() + (snippet ? `: ${snippet}` : ' (empty body)'),
  );
}

function causeText(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const code = (cause as { code?: unknown } | null)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}

/** How many status records `listMigrations` asks for per page. */
export const LIST_PAGE_SIZE = 500;

/** The records of a page as the API sent it (already validated). */
function rawValues(json: unknown): unknown[] {
  if (Array.isArray(json)) return json as unknown[];
  const value = (json as { value?: unknown }).value;
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function byUpn(a: StatusRecord, b: StatusRecord): number {
  return a.userPrincipalName === b.userPrincipalName
    ? a.userId.localeCompare(b.userId)
    : a.userPrincipalName.localeCompare(b.userPrincipalName);
}

export interface MmsApiOptions {
  /** The function host root, e.g. http://127.0.0.1:7071 (the `/api` prefix is added). */
  baseUrl: string;
  functionKey: string;
  fetch?: typeof fetch;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export interface ListQuery {
  identity?: string;
  state?: string;
  migrationType?: string;
  startTime?: string;
  endTime?: string;
}

export interface Raw<T> {
  /** The validated value. */
  value: T;
  /** The body as the API sent it (for --json). */
  json: unknown;
  headers: Headers;
}

export class MmsApi {
  readonly baseUrl: string;
  private readonly key: string;
  private readonly doFetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: MmsApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.key = options.functionKey;
    this.doFetch = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** One request to `/api/<path>`; the answer checked with `schema`. */
  async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<Raw<z.output<S>>> {
    const url = `${this.baseUrl}/api/${path}`;
    const headers: Record<string, string> = { 'x-functions-key': this.key, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.doFetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const reason = causeText(e);
      const refused = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|fetch failed/i.test(reason);
      throw new ConnectionError(
        this.baseUrl,
        reason,
        refused
          ? `is \`npm start\` running? It prints the API address (MMS_HOST_READY ...); pass it with --url or MMS_API_URL.`
          : 'check --url (or MMS_API_URL) and that the service is running.',
      );
    }
    const text = await res.text();
    if (!res.ok) throw errorFrom(res.status, res.statusText, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ResponseShapeError(url, `not JSON (${text.slice(0, 80)})`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ResponseShapeError(url, `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    return { value: parsed.data, json, headers: res.headers };
  }

  private static query(q: Record<string, string | undefined>): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, v);
    const s = params.toString();
    return s ? `?${s}` : '';
  }

  private static listParams(q: ListQuery): Record<string, string | undefined> {
    return {
      userId: q.identity,
      state: q.state,
      migrationType: q.migrationType,
      startTime: q.startTime,
      endTime: q.endTime,
    };
  }

  /** GET /api/migrations?pageSize= — one page of the status records the filters select. */
  migrationsPage(
    q: ListQuery = {},
    page: { pageSize?: number; continuationToken?: string } = {},
  ): Promise<Raw<MigrationsPage>> {
    const query = MmsApi.query({
      ...MmsApi.listParams(q),
      pageSize: page.pageSize !== undefined ? String(page.pageSize) : undefined,
      continuationToken: page.continuationToken,
    });
    return this.request('GET', `migrations${query}`, migrationsPageSchema);
  }

  /**
   * GET /api/migrations — every status record the filters select, sorted by userPrincipalName (as the API's
   * unpaged answer is). Reads them `pageSize` at a time (default LIST_PAGE_SIZE), following the continuation
   * tokens, so that large tenants work; `json` is every record as the API sent it, concatenated.
   */
  /** GET /api/preflight — the readiness checks, for a named user or a sample. */
  preflight(user?: string): Promise<Raw<PreflightReport>> {
    return this.request('GET', `preflight${MmsApi.query({ user })}`, preflightReportSchema);
  }

  async listMigrations(q: ListQuery = {}, pageSize = LIST_PAGE_SIZE): Promise<Raw<StatusRecord[]>> {
    const first = await this.migrationsPage(q, { pageSize });
    const records = [...first.value.value];
    const json: unknown[] = [...rawValues(first.json)];
    let token = first.value.continuationToken;
    const seen = new Set<string>();
    while (token !== undefined) {
      // A service that hands out the same token twice would page forever.
      if (seen.has(token))
        throw new ResponseShapeError(
          `${this.baseUrl}/api/migrations`,
          'a continuation token came back twice',
        );
      seen.add(token);
      const next = await this.migrationsPage(q, { pageSize, continuationToken: token });
      records.push(...next.value.value);
      json.push(...rawValues(next.json));
      token = next.value.continuationToken;
    }
    const order = records.map((r, i) => ({ r, raw: json[i] }));
    order.sort((a, b) => byUpn(a.r, b.r));
    return { value: order.map((o) => o.r), json: order.map((o) => o.raw), headers: first.headers };
  }

  /** GET /api/migrations?summaryOnly=true — `[{ state, userCount }]`. */
  summary(q: ListQuery = {}): Promise<Raw<SummaryRow[]>> {
    return this.request(
      'GET',
      `migrations${MmsApi.query({ summaryOnly: 'true', ...MmsApi.listParams(q) })}`,
      z.array(summaryRowSchema),
    );
  }

  /** POST /api/migrations — Start-CsExMeetingMigration; `outcome` from x-mms-request-outcome. */
  async startMigration(body: {
    identity: string;
    sourceMeetingType?: string;
    targetMeetingType?: string;
  }): Promise<Raw<StatusRecord> & { outcome: string }> {
    const r = await this.request('POST', 'migrations', statusRecordSchema, body);
    return { ...r, outcome: r.headers.get('x-mms-request-outcome') ?? 'queued' };
  }

  /** POST /api/migrations/preview — every page of the dry run, merged (`json` is the list of pages). */
  async preview(body: {
    identity: string;
    sourceMeetingType?: string;
    targetMeetingType?: string;
  }): Promise<Raw<Preview>> {
    const first = await this.request('POST', 'migrations/preview', previewSchema, { ...body, pageSize: 500 });
    const pages: unknown[] = [first.json];
    const merged: Preview = { ...first.value, meetings: [...first.value.meetings] };
    let token = first.value.continuationToken;
    const seen = new Set<string>();
    while (token !== undefined) {
      if (seen.has(token)) {
        throw new ResponseShapeError(
          `${this.baseUrl}/api/migrations/preview`,
          'a continuation token came back twice',
        );
      }
      seen.add(token);
      const next = await this.request('POST', 'migrations/preview', previewSchema, {
        ...body,
        pageSize: 500,
        continuationToken: token,
      });
      pages.push(next.json);
      merged.meetings.push(...next.value.meetings);
      token = next.value.continuationToken;
    }
    delete merged.continuationToken;
    return { value: merged, json: pages.length === 1 ? first.json : pages, headers: first.headers };
  }

  /** POST /api/migrations/batch — a bulk start. */
  startBatch(body: {
    identities?: string[];
    groupId?: string;
    servicePlanId?: string;
    sourceMeetingType?: string;
    targetMeetingType?: string;
  }): Promise<Raw<BatchStarted>> {
    return this.request('POST', 'migrations/batch', batchStartedSchema, body);
  }

  /** GET /api/migrations/batches/{batchId}. */
  getBatch(batchId: string): Promise<Raw<BatchProgress>> {
    return this.request('GET', `migrations/batches/${encodeURIComponent(batchId)}`, batchProgressSchema);
  }

  /** GET /api/migrations/{identity}. */
  getMigration(identity: string): Promise<Raw<StatusRecord>> {
    return this.request('GET', `migrations/${encodeURIComponent(identity)}`, statusRecordSchema);
  }

  /** GET /api/migrations/{identity}/meetings — one page. */
  meetingsPage(
    identity: string,
    q: { pageSize?: number; continuationToken?: string; correlationId?: string } = {},
  ): Promise<Raw<MeetingsPage>> {
    const query = MmsApi.query({
      pageSize: q.pageSize !== undefined ? String(q.pageSize) : undefined,
      continuationToken: q.continuationToken,
      correlationId: q.correlationId,
    });
    return this.request(
      'GET',
      `migrations/${encodeURIComponent(identity)}/meetings${query}`,
      meetingsPageSchema,
    );
  }

  /** Every page of the per-meeting results, merged (`json` is the list of pages). */
  async allMeetings(identity: string, q: { correlationId?: string } = {}): Promise<Raw<MeetingsPage>> {
    const first = await this.meetingsPage(identity, { pageSize: 1000, ...q });
    const pages: unknown[] = [first.json];
    const merged: MeetingsPage = { ...first.value, meetings: [...first.value.meetings] };
    let token = first.value.continuationToken;
    while (token !== undefined) {
      const next = await this.meetingsPage(identity, { pageSize: 1000, continuationToken: token });
      pages.push(next.json);
      merged.meetings.push(...next.value.meetings);
      token = next.value.continuationToken;
    }
    delete merged.continuationToken;
    return { value: merged, json: pages.length === 1 ? first.json : pages, headers: first.headers };
  }

  getMigrationSettings() {
    return this.request('GET', 'settings/migration', migrationSettingsSchema);
  }

  patchMigrationSettings(patch: { meetingMigrationEnabled?: boolean }) {
    return this.request('PATCH', 'settings/migration', migrationSettingsSchema, patch);
  }

  getDialInSettings() {
    return this.request('GET', 'settings/dial-in', dialInSettingsSchema);
  }

  patchDialInSettings(patch: {
    automaticallyMigrateUserMeetings?: boolean;
    automaticallyReplaceAcpProvider?: boolean;
  }) {
    return this.request('PATCH', 'settings/dial-in', dialInSettingsSchema, patch);
  }

  getUserDialIn(identity: string) {
    return this.request('GET', `users/${encodeURIComponent(identity)}/dial-in`, dialInViewSchema);
  }

  patchUserDialIn(identity: string, patch: Record<string, unknown>) {
    return this.request(
      'PATCH',
      `users/${encodeURIComponent(identity)}/dial-in`,
      dialInPatchResponseSchema,
      patch,
    );
  }

  listBridges() {
    return this.request('GET', 'bridges', z.array(bridgeSchema));
  }

  private static numberPath(bridgeId: string, number: string): string {
    return `bridges/${encodeURIComponent(bridgeId)}/numbers/${encodeURIComponent(number)}`;
  }

  /** POST /api/bridges/{bridgeId}/numbers/{number} — Register-CsOnlineDialInConferencingServiceNumber. */
  registerBridgeNumber(bridgeId: string, number: string, body: RegisterNumberBody) {
    return this.request('POST', MmsApi.numberPath(bridgeId, number), bridgeSchema, body);
  }

  /**
   * DELETE /api/bridges/{bridgeId}/numbers/{number} — Unregister-CsOnlineDialInConferencingServiceNumber: the
   * bridge after, and the users re-pointed to its default with their migration outcomes.
   */
  unregisterBridgeNumber(bridgeId: string, number: string) {
    return this.request('DELETE', MmsApi.numberPath(bridgeId, number), unregisterNumberResponseSchema);
  }

  /** PUT /api/users/{identity}/homing — reports Move-CsUser (on premises ↔ online). */
  reportHoming(identity: string, location: string) {
    return this.request('PUT', `users/${encodeURIComponent(identity)}/homing`, homingResponseSchema, {
      location,
    });
  }

  grantTeamsUpgrade(identity: string, mode: string) {
    return this.request(
      'PUT',
      `users/${encodeURIComponent(identity)}/teams-upgrade`,
      teamsUpgradeResponseSchema,
      {
        mode,
      },
    );
  }
}

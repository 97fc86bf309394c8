/**
 * Directory routes: `/users`, `/users/{id | userPrincipalName}`, `/users/delta` (rounds with nextLink/deltaLink,
 * tracked `$select`, `@removed`, syncStateNotFound/resyncRequired), `/users/{id}/mailboxSettings` and
 * `/users/{id}/licenseDetails`.
 */
import {
  allowQueryOptions,
  applySelect,
  decodeToken,
  encodeToken,
  GraphError,
  ok,
  page,
  preferences,
  selectList,
  topValue,
} from './http';
import { PERMISSIONS } from './auth';
import { skuById } from './licences';
import type { GraphRoute, RouteContext } from './router';
import { typeProperties } from './schema';
import type { StoredUser } from './tenant';

/** Properties GET /users/{id} returns without $select (Graph v1.0's default set). */
export const DEFAULT_USER_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

/** Every property the sandbox knows for a user, in Graph's names. */
export function fullUser(u: StoredUser): Record<string, unknown> {
  const x = u.extra;
  return {
    id: u.id,
    businessPhones: x.businessPhones ?? [],
    displayName: u.displayName,
    givenName: u.givenName ?? null,
    jobTitle: x.jobTitle ?? null,
    mail: u.mail ?? null,
    mobilePhone: x.mobilePhone ?? null,
    officeLocation: x.officeLocation ?? null,
    preferredLanguage: u.preferredLanguage ?? null,
    surname: u.surname ?? null,
    userPrincipalName: u.userPrincipalName,
    accountEnabled: u.accountEnabled,
    assignedLicenses: u.assignedLicenses.map((l) => ({ disabledPlans: l.disabledPlans, skuId: l.skuId })),
    assignedPlans: u.assignedPlans,
    licenseAssignmentStates: u.assignedLicenses.map((l) => ({
      assignedByGroup: null,
      disabledPlans: l.disabledPlans,
      error: 'None',
      lastUpdatedDateTime: u.createdDateTime,
      skuId: l.skuId,
      state: 'Active',
    })),
    usageLocation: u.usageLocation ?? null,
    onPremisesSyncEnabled: x.onPremisesSyncEnabled ?? u.onPremisesSyncEnabled ?? null,
    department: x.department ?? null,
    companyName: x.companyName ?? null,
    city: x.city ?? null,
    country: x.country ?? null,
    employeeId: x.employeeId ?? null,
    proxyAddresses: x.proxyAddresses ?? [`SMTP:${u.mail ?? u.userPrincipalName}`],
    createdDateTime: u.createdDateTime,
    mailNickname: u.userPrincipalName.split('@')[0] ?? u.userPrincipalName,
    userType: 'Member',
    imAddresses: u.sandboxSipAddress ? [u.sandboxSipAddress.replace(/^sip:/i, '')] : [],
    otherMails: [],
  };
}

let userProps: Map<string, string> | undefined;

/** $select for users: names checked against the user type of the Graph schema; unknown → 400. */
function userSelect(ctx: RouteContext): string[] {
  const select = selectList(ctx.req);
  if (!select) return DEFAULT_USER_PROPERTIES;
  userProps ??= new Map([...typeProperties('user').keys()].map((k) => [k.toLowerCase(), k]));
  return select.map((s) => {
    const canonical = userProps?.get(s.toLowerCase());
    if (!canonical) {
      throw new GraphError(
        400,
        'Request_BadRequest',
        `Could not find a property named '${s}' on type 'microsoft.graph.user'.`,
      );
    }
    return canonical;
  });
}

/** A user with the selected properties; declared-but-unknown properties are null (collections empty). */
export function renderUser(u: StoredUser, select: string[]): Record<string, unknown> {
  const full = fullUser(u);
  const props = typeProperties('user');
  const out: Record<string, unknown> = {};
  for (const name of select) {
    if (name in full) out[name] = full[name];
    else out[name] = props.get(name)?.startsWith('Collection(') ? [] : null;
  }
  return applySelect({ id: u.id, ...out }, select);
}

function usersContext(ctx: RouteContext, select: string[], entity: boolean): string {
  const sel = select === DEFAULT_USER_PROPERTIES ? '' : `(${select.join(',')})`;
  return `${ctx.baseUrl}/v1.0/$metadata#users${sel}${entity ? '/$entity' : ''}`;
}

interface DeltaState {
  /** Tenant epoch the token belongs to. */
  e: string;
  /** Changes after this sequence number are in the round (0 = every user). */
  s: number;
  /** Upper bound of the round (snapshot). */
  n?: number;
  /** Offset within the round. */
  o?: number;
  sel: string[] | null;
  /** `$filter=id eq '...' or ...` of the first call (at most 50 ids). */
  ids?: string[];
}

/** Delta's only filter: `id eq '<id>'` joined by `or`, at most 50 ids. */
function deltaIds(raw: string | null): string[] | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  const parts = raw.split(/\s+or\s+/i);
  const ids = parts.map((p) => /^\s*id\s+eq\s+'([^']+)'\s*$/i.exec(p)?.[1]?.toLowerCase());
  if (ids.some((i) => i === undefined)) {
    throw new GraphError(
      400,
      'Request_UnsupportedQuery',
      "users/delta supports only $filter=id eq '<id>' (joined by or).",
    );
  }
  if (ids.length > 50)
    throw new GraphError(400, 'Request_UnsupportedQuery', 'users/delta accepts at most 50 ids in $filter.');
  return ids as string[];
}

function readDeltaToken(raw: string, ctx: RouteContext): DeltaState {
  const v = decodeToken(raw);
  if (
    typeof v !== 'object' ||
    v === null ||
    !('e' in v) ||
    typeof v.e !== 'string' ||
    !('s' in v) ||
    typeof v.s !== 'number'
  ) {
    throw new GraphError(
      400,
      'syncStateNotFound',
      'The sync state generation is not found. Restart the sync without a token.',
    );
  }
  const state = v as DeltaState;
  if (state.e !== ctx.tenant.epoch) {
    throw new GraphError(
      410,
      'resyncRequired',
      'The delta token is no longer valid. Restart the sync without a token.',
    );
  }
  return state;
}

function deltaHandler(ctx: RouteContext) {
  // user-delta.md: $select, $filter (id eq only) and the tokens; no $top, $expand or $orderby.
  allowQueryOptions(ctx.req, ['$select', '$filter', '$deltatoken', '$skiptoken'], 'users/delta');
  const q = ctx.req.query;
  const deltaToken = q.get('$deltatoken');
  const skipToken = q.get('$skiptoken');
  let state: DeltaState;
  if (skipToken !== null) state = readDeltaToken(skipToken, ctx);
  else if (deltaToken !== null) state = readDeltaToken(deltaToken, ctx);
  else {
    const sel = selectList(ctx.req) ? userSelect(ctx) : null;
    const ids = deltaIds(q.get('$filter'));
    state = { e: ctx.tenant.epoch, s: 0, sel, ...(ids ? { ids } : {}) };
  }
  const upper = state.n ?? ctx.tenant.currentSequence();
  const offset = state.o ?? 0;
  const select = state.sel ?? DEFAULT_USER_PROPERTIES;
  const { changed, removed } = ctx.tenant.changesSince(state.s);
  const ids = state.ids ? new Set(state.ids) : undefined;
  const rows: Record<string, unknown>[] = [
    ...changed
      .filter((u) => !ids || ids.has(u.id))
      .filter((u) => u.version <= upper)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((u) => renderUser(u, select)),
    // Graph may return @removed even in the first round (user-delta.md): deletions are listed from the start.
    ...removed
      .filter((r) => !ids || ids.has(r.id))
      .filter((r) => state.s > 0 || r.sequence <= upper)
      .map((r) => ({ id: r.id, '@removed': { reason: r.reason } })),
  ];
  const pref = Number(preferences(ctx.req).get('odata.maxpagesize'));
  const size = Number.isInteger(pref) && pref > 0 ? Math.min(pref, 999) : 100;
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users${state.sel ? `(${state.sel.join(',')})` : ''}`,
    value: rows.slice(offset, offset + size),
  };
  if (offset + size < rows.length) {
    const next: DeltaState = { ...state, n: upper, o: offset + size };
    body['@odata.nextLink'] = `${ctx.baseUrl}/v1.0/users/delta?$skiptoken=${encodeToken(next)}`;
  } else {
    const done: DeltaState = {
      e: state.e,
      s: upper,
      sel: state.sel,
      ...(state.ids ? { ids: state.ids } : {}),
    };
    body['@odata.deltaLink'] = `${ctx.baseUrl}/v1.0/users/delta?$deltatoken=${encodeToken(done)}`;
  }
  return ok(body);
}

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language' });

function languageName(locale: string): string {
  try {
    return LANGUAGE_NAMES.of(locale) ?? locale;
  } catch {
    return locale;
  }
}

export const userRoutes: GraphRoute[] = [
  {
    // directory-deleteditems-get.md: a deleted user while it is restorable (30 days).
    method: 'GET',
    pattern: '/directory/deletedItems/:id',
    permissions: PERMISSIONS.readDeletedUsers,
    shapes: { response: 'directoryObject' },
    handler: (ctx) => {
      allowQueryOptions(ctx.req, ['$select'], 'get deleted item');
      const d = ctx.tenant.deletedUser(ctx.params.id ?? '');
      if (!d) {
        throw new GraphError(
          404,
          'Request_ResourceNotFound',
          `Resource '${ctx.params.id ?? ''}' does not exist or one of its queried reference-property objects are not present.`,
        );
      }
      const select = selectList(ctx.req);
      return ok({
        '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#directoryObjects/$entity`,
        '@odata.type': '#microsoft.graph.user',
        ...applySelect(
          {
            ...renderUser(d.user, DEFAULT_USER_PROPERTIES),
            deletedDateTime: d.deletedDateTime,
          },
          select,
        ),
      });
    },
  },
  ...['/users/delta', '/users/delta()'].map((pattern): GraphRoute => ({
    method: 'GET',
    pattern,
    permissions: PERMISSIONS.readUsers,
    shapes: { response: 'Collection(user)' },
    handler: deltaHandler,
  })),
  {
    method: 'GET',
    pattern: '/users',
    permissions: PERMISSIONS.readUsers,
    shapes: { response: 'Collection(user)' },
    handler: (ctx) => {
      allowQueryOptions(ctx.req, ['$select', '$top', '$skiptoken', '$filter', '$count'], 'list users');
      const select = userSelect(ctx);
      if (ctx.req.query.get('$filter') !== null) {
        throw new GraphError(
          400,
          'Request_UnsupportedQuery',
          'This sandbox does not support $filter on /users.',
        );
      }
      const users = ctx.tenant.listUsers().sort((a, b) => a.id.localeCompare(b.id));
      return page(
        ctx.baseUrl,
        ctx.req,
        usersContext(ctx, select, false),
        users,
        topValue(ctx.req, 100, 999),
        (u) => renderUser(u, select),
      );
    },
  },
  {
    method: 'GET',
    pattern: '/users/:user',
    permissions: PERMISSIONS.readUsers,
    shapes: { response: 'user' },
    handler: (ctx) => {
      allowQueryOptions(ctx.req, ['$select', '$expand'], 'get user');
      const u = ctx.tenant.requireUser(ctx.params.user ?? '');
      const select = userSelect(ctx);
      return ok({ '@odata.context': usersContext(ctx, select, true), ...renderUser(u, select) });
    },
  },
  {
    method: 'GET',
    pattern: '/users/:user/mailboxSettings',
    permissions: PERMISSIONS.readMailboxSettings,
    shapes: { response: 'mailboxSettings' },
    mailboxParam: 'user',
    handler: (ctx) => {
      allowQueryOptions(ctx.req, ['$select'], 'get mailboxSettings');
      const u = ctx.tenant.requireMailbox(ctx.params.user ?? '');
      const locale = u.preferredLanguage ?? 'en-US';
      return ok({
        '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users('${encodeURIComponent(u.id)}')/mailboxSettings`,
        archiveFolder: 'AAMkAGArchive=',
        timeZone: u.mailboxTimeZone,
        delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
        dateFormat: 'yyyy-MM-dd',
        timeFormat: 'HH:mm',
        userPurpose: 'user',
        automaticRepliesSetting: {
          status: 'disabled',
          externalAudience: 'all',
          internalReplyMessage: '',
          externalReplyMessage: '',
          scheduledStartDateTime: { dateTime: '2020-01-01T00:00:00.0000000', timeZone: 'UTC' },
          scheduledEndDateTime: { dateTime: '2020-01-02T00:00:00.0000000', timeZone: 'UTC' },
        },
        language: { locale, displayName: languageName(locale) },
        workingHours: {
          daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
          startTime: '08:00:00.0000000',
          endTime: '17:00:00.0000000',
          timeZone: { name: u.mailboxTimeZone },
        },
      });
    },
  },
  {
    method: 'GET',
    pattern: '/users/:user/licenseDetails',
    permissions: PERMISSIONS.readUsers,
    shapes: { response: 'Collection(licenseDetails)' },
    handler: (ctx) => {
      const u = ctx.tenant.requireUser(ctx.params.user ?? '');
      return ok({
        '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users('${encodeURIComponent(u.id)}')/licenseDetails`,
        value: u.assignedLicenses.map((l) => {
          const sku = skuById(l.skuId);
          return {
            id: Buffer.from(`${u.id}:${l.skuId}`).toString('base64url'),
            skuId: l.skuId,
            skuPartNumber: sku?.skuPartNumber ?? 'UNKNOWN',
            servicePlans: (sku?.plans ?? []).map((p) => ({
              servicePlanId: p.servicePlanId,
              servicePlanName: p.servicePlanName,
              provisioningStatus: l.disabledPlans.includes(p.servicePlanId) ? 'Disabled' : 'Success',
              appliesTo: 'User',
            })),
          };
        }),
      });
    },
  },
];

/**
 * Calendar routes: `/users/{id}/events` (single instances and series masters), `/calendarView` (occurrences,
 * exceptions and single instances in a window), `/events/{id}/instances`, `GET`/`PATCH /events/{id}` and
 * `/calendar`, with `$select`, `$top`, `$filter` (lists), `$expand=singleValueExtendedProperties(...)` (one event),
 * paging and the `Prefer` headers Outlook honours.
 */
import { PERMISSIONS } from './auth';
import { compileEventFilter } from './event-filter';
import {
  checkEventSelect,
  instanceProps,
  parseEventExpandItems,
  renderEvent,
  type RenderOptions,
} from './event-view';
import {
  allowQueryOptions,
  applySelect,
  describeIssues,
  GraphError,
  ok,
  page,
  parseJsonBody,
  preferences,
  selectList,
  topValue,
  type SandboxResponse,
} from './http';
import type { GraphRoute, RouteContext } from './router';
import { eventPatch, instanceStart, type EventInstance, type StoredUser } from './tenant';
import { ianaZone, parseQueryDateTime } from './time';

function renderOptions(
  ctx: RouteContext,
  user: StoredUser,
  oneEvent = false,
): { opts: RenderOptions; applied: string[] } {
  const prefs = preferences(ctx.req);
  const applied: string[] = [];
  const bodyPref = prefs.get('outlook.body-content-type')?.toLowerCase();
  let bodyType: 'html' | 'text' | undefined;
  if (bodyPref === 'text' || bodyPref === 'html') {
    bodyType = bodyPref;
    applied.push(`outlook.body-content-type="${bodyPref}"`);
  }
  let timeZone = 'UTC';
  const tzPref = prefs.get('outlook.timezone');
  if (tzPref && ianaZone(tzPref)) {
    timeZone = tzPref;
    applied.push(`outlook.timezone="${tzPref}"`);
  }
  return {
    opts: {
      baseUrl: ctx.baseUrl,
      mailboxUpn: user.userPrincipalName,
      bodyType,
      timeZone,
      // singlevaluelegacyextendedproperty-get.md documents $expand of extended properties for a GET of one
      // resource instance only; lists take them in $filter (…/Any(ep: …)) and do not return them.
      expandProperties: oneEvent ? parseEventExpandItems(ctx.req, true).properties : undefined,
    },
    applied,
  };
}

/** $select, keeping an expanded singleValueExtendedProperties (Graph returns both). */
function selectEvent(json: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  const out = applySelect(json, select);
  for (const k of Object.keys(json)) if (k.startsWith('singleValueExtendedProperties')) out[k] = json[k];
  return out;
}

function withApplied(res: SandboxResponse, applied: string[]): SandboxResponse {
  if (applied.length) res.headers['Preference-Applied'] = applied.join(',');
  return res;
}

function contextFor(
  ctx: RouteContext,
  user: StoredUser,
  collection: string,
  select: string[] | undefined,
  entity = false,
): string {
  const sel = select ? `(${select.join(',')})` : '';
  return `${ctx.baseUrl}/v1.0/$metadata#users('${encodeURIComponent(user.userPrincipalName)}')/${collection}${sel}${entity ? '/$entity' : ''}`;
}

/** Filters, orders and pages a list of instances. */
function listResponse(
  ctx: RouteContext,
  user: StoredUser,
  collection: string,
  items: EventInstance[],
): SandboxResponse {
  const select = selectList(ctx.req);
  checkEventSelect(select);
  const { opts, applied } = renderOptions(ctx, user);
  const filter = compileEventFilter(ctx.req.query.get('$filter'));
  const utcOpts: RenderOptions = {
    ...opts,
    bodyType: undefined,
    timeZone: 'UTC',
    expandProperties: undefined,
  };
  let rows = filter
    ? items.filter((i) => filter({ json: renderEvent(i, utcOpts), props: instanceProps(i) }))
    : items;
  const orderby = ctx.req.query.get('$orderby');
  if (orderby) {
    const m =
      /^\s*(start\/dateTime|end\/dateTime|subject|lastModifiedDateTime|createdDateTime)(?:\s+(asc|desc))?\s*$/i.exec(
        orderby,
      );
    if (!m?.[1])
      throw new GraphError(400, 'BadRequest', `The $orderby '${orderby}' is not supported by this sandbox.`);
    const key = m[1].toLowerCase();
    const dir = m[2]?.toLowerCase() === 'desc' ? -1 : 1;
    const value = (i: EventInstance): string | number => {
      const j = renderEvent(i, utcOpts);
      if (key === 'start/datetime') return instanceStart(i);
      if (key === 'end/datetime') return String((j.end as { dateTime: string }).dateTime);
      const v = j[Object.keys(j).find((k) => k.toLowerCase() === key) ?? ''];
      return typeof v === 'string' ? v : '';
    };
    rows = [...rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
  }
  const size = topValue(ctx.req, 10, 1000);
  return withApplied(
    page(ctx.baseUrl, ctx.req, contextFor(ctx, user, collection, select), rows, size, (i) =>
      selectEvent(renderEvent(i, opts), select),
    ),
    applied,
  );
}

/** The longest window calendarView and /instances expand (Graph: 400 ErrorInvalidRequest beyond it). */
export const MAX_WINDOW_DAYS = 1825;

/**
 * Query options of the routes, as their pages show them. No `$expand` on lists: extended properties expand on a
 * GET of one event (singlevaluelegacyextendedproperty-get.md, "GET a resource instance expanded with an extended
 * property"); on a list they can only filter (`$filter=singleValueExtendedProperties/Any(ep: …)`, "The response
 * body does not include the extended property"), and exceptionOccurrences expands on a series master only.
 */
const LIST_EVENTS_OPTIONS = ['$select', '$filter', '$top', '$skip', '$skiptoken', '$orderby', '$count'];
const WINDOW_OPTIONS = ['startDateTime', 'endDateTime', '$select', '$top', '$skip', '$skiptoken', '$orderby'];
const GET_EVENT_OPTIONS = ['$select', '$expand'];

function windowOf(ctx: RouteContext): { from: number; to: number } {
  const s = ctx.req.query.get('startDateTime') ?? ctx.req.query.get('StartDateTime');
  const e = ctx.req.query.get('endDateTime') ?? ctx.req.query.get('EndDateTime');
  if (s === null || e === null) {
    throw new GraphError(
      400,
      'ErrorInvalidParameter',
      'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
    );
  }
  const from = parseQueryDateTime(s);
  const to = parseQueryDateTime(e);
  if (from === undefined || to === undefined) {
    throw new GraphError(
      400,
      'ErrorInvalidParameter',
      `Invalid date-time in the time window: '${from === undefined ? s : e}'.`,
    );
  }
  if (to < from) {
    throw new GraphError(400, 'ErrorInvalidRequest', 'The end of the time window is before its start.');
  }
  if (to - from > MAX_WINDOW_DAYS * 86_400_000) {
    throw new GraphError(
      400,
      'ErrorInvalidRequest',
      `The time window is too large. Maximum number of days: ${MAX_WINDOW_DAYS}.`,
    );
  }
  return { from, to };
}

function mailbox(ctx: RouteContext): StoredUser {
  return ctx.tenant.requireMailbox(ctx.params.user ?? '');
}

export const calendarRoutes: GraphRoute[] = [
  ...['/users/:user/events', '/users/:user/calendar/events'].map((pattern): GraphRoute => ({
    method: 'GET',
    pattern,
    permissions: PERMISSIONS.readEvents,
    shapes: { response: 'Collection(event)' },
    mailboxParam: 'user',
    handler: (ctx) => {
      allowQueryOptions(ctx.req, LIST_EVENTS_OPTIONS, 'list events');
      const user = mailbox(ctx);
      const items = ctx.tenant
        .storedEvents(user.id)
        .filter((e) => e.type !== 'exception')
        .map((ev): EventInstance => ({ ev }))
        .sort((a, b) => instanceStart(a) - instanceStart(b));
      return listResponse(ctx, user, 'events', items);
    },
  })),
  ...['/users/:user/calendarView', '/users/:user/calendar/calendarView'].map((pattern): GraphRoute => ({
    method: 'GET',
    pattern,
    permissions: PERMISSIONS.readEvents,
    shapes: { response: 'Collection(event)' },
    mailboxParam: 'user',
    handler: (ctx) => {
      // $filter on calendarView is not documented; refused (stricter than Graph).
      allowQueryOptions(ctx.req, WINDOW_OPTIONS, 'calendarView');
      const user = mailbox(ctx);
      const { from, to } = windowOf(ctx);
      return listResponse(ctx, user, 'calendarView', ctx.tenant.calendarView(user.id, from, to));
    },
  })),
  {
    method: 'GET',
    pattern: '/users/:user/events/:event/instances',
    permissions: PERMISSIONS.readEvents,
    shapes: { response: 'Collection(event)' },
    mailboxParam: 'user',
    eventParam: 'event',
    handler: (ctx) => {
      // $filter and $expand on /instances are not documented (and /instances is reported to leave exceptions
      // out under a filter): refused.
      allowQueryOptions(ctx.req, WINDOW_OPTIONS, 'list instances');
      const user = mailbox(ctx);
      const { from, to } = windowOf(ctx);
      const found = ctx.tenant.requireEvent(user.id, ctx.params.event ?? '');
      if (found.occurrence || found.ev.type !== 'seriesMaster') {
        throw new GraphError(
          400,
          'ErrorInvalidRequest',
          'The specified event is not the master of a recurring series.',
        );
      }
      return listResponse(
        ctx,
        user,
        `events('${encodeURIComponent(found.ev.id)}')/instances`,
        ctx.tenant.seriesInstances(found.ev, from, to),
      );
    },
  },
  {
    method: 'GET',
    pattern: '/users/:user/events/:event',
    permissions: PERMISSIONS.readEvents,
    shapes: { response: 'event' },
    mailboxParam: 'user',
    eventParam: 'event',
    handler: (ctx) => {
      allowQueryOptions(ctx.req, GET_EVENT_OPTIONS, 'get event');
      const user = mailbox(ctx);
      const select = selectList(ctx.req);
      checkEventSelect(select);
      const { opts, applied } = renderOptions(ctx, user, true);
      const expand = parseEventExpandItems(ctx.req, true);
      const found = ctx.tenant.requireEvent(user.id, ctx.params.event ?? '');
      const json: Record<string, unknown> = {
        '@odata.context': contextFor(ctx, user, 'events', select, true),
        ...selectEvent(renderEvent(found, { ...opts, expandProperties: expand.properties }), select),
      };
      if (expand.exceptionOccurrences) {
        // event.md: exceptionOccurrences is returned only on a GET of a series master; cancelled occurrences
        // are not exceptions.
        if (found.occurrence || found.ev.type !== 'seriesMaster') {
          throw new GraphError(
            400,
            'ErrorInvalidRequest',
            'exceptionOccurrences can be expanded only on a series master.',
          );
        }
        json.exceptionOccurrences = ctx.tenant
          .exceptionsOfMaster(found.ev.id)
          .filter((e) => !e.isCancelled)
          .map((ev) => renderEvent({ ev }, { ...opts, expandProperties: undefined }));
      }
      return withApplied(ok(json), applied);
    },
  },
  {
    method: 'PATCH',
    pattern: '/users/:user/events/:event',
    permissions: PERMISSIONS.writeEvents,
    shapes: { request: 'event', response: 'event' },
    mailboxParam: 'user',
    eventParam: 'event',
    handler: (ctx) => {
      allowQueryOptions(ctx.req, [], 'update event');
      const user = mailbox(ctx);
      const input = parseJsonBody(ctx.req);
      if (typeof input === 'object' && input !== null) {
        // OData annotations (@odata.type, @odata.etag) are not properties.
        for (const k of Object.keys(input))
          if (k.startsWith('@odata.')) delete (input as Record<string, unknown>)[k];
      }
      const parsed = eventPatch.safeParse(input);
      if (!parsed.success) throw new GraphError(400, 'RequestBodyRead', describeIssues(parsed.error.issues));
      const ifMatch = ctx.req.headers['if-match'];
      if (ifMatch && ifMatch.trim() !== '*') {
        // Optimistic concurrency on the change key (the event's @odata.etag is W/"<changeKey>").
        const current = ctx.tenant.requireEvent(user.id, ctx.params.event ?? '').ev.changeKey;
        if (
          ifMatch
            .trim()
            .replace(/^W\//, '')
            .replace(/^"(.*)"$/, '$1') !== current
        ) {
          throw new GraphError(
            412,
            'ErrorIrresolvableConflict',
            'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
          );
        }
      }
      const ev = ctx.tenant.patchEvent(user.id, ctx.params.event ?? '', parsed.data);
      const { opts, applied } = renderOptions(ctx, user);
      return withApplied(
        ok({
          '@odata.context': contextFor(ctx, user, 'events', undefined, true),
          ...renderEvent({ ev }, { ...opts, expandProperties: undefined }),
        }),
        applied,
      );
    },
  },
  {
    method: 'GET',
    pattern: '/users/:user/calendar',
    permissions: PERMISSIONS.readCalendar,
    shapes: { response: 'calendar' },
    mailboxParam: 'user',
    handler: (ctx) => {
      const user = mailbox(ctx);
      return ok({
        '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users('${encodeURIComponent(user.userPrincipalName)}')/calendar/$entity`,
        id: `AAMkAG${Buffer.from(user.id).toString('base64url').slice(0, 40)}`,
        name: 'Calendar',
        color: 'auto',
        hexColor: '',
        isDefaultCalendar: true,
        changeKey: 'AAAAAA==',
        canShare: true,
        canViewPrivateItems: true,
        canEdit: true,
        allowedOnlineMeetingProviders: ['teamsForBusiness'],
        defaultOnlineMeetingProvider: 'teamsForBusiness',
        isTallyingResponses: true,
        isRemovable: false,
        owner: { name: user.displayName, address: user.mail ?? user.userPrincipalName },
      });
    },
  },
];

/**
 * Renders events as Graph serves them: every event property in UTC (or the `outlook.timezone` preference), the
 * body exactly as stored or as a plain-text rendering of HTML (`outlook.body-content-type="text"`), occurrences
 * computed from their series master, and `singleValueExtendedProperties` only when expanded.
 */
import { Parser } from 'htmlparser2';
import { GraphError, type SandboxRequest } from './http';
import { compilePropertyIdFilter } from './event-filter';
import { occurrenceICalUId, type EventInstance, type ExtendedProperty, type StoredEvent } from './tenant';
import { dttzToMs, isoUtc, msToDttz } from './time';

const BLOCK = new Set([
  'p',
  'div',
  'br',
  'tr',
  'li',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'table',
  'ul',
  'ol',
  'hr',
]);
const SKIP = new Set(['script', 'style', 'head', 'title']);

/** A plain-text rendering of HTML, as Exchange produces for `outlook.body-content-type="text"` (CRLF lines). */
export function htmlToText(html: string): string {
  let out = '';
  let skip = 0;
  const links: { href: string; start: number }[] = [];
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (SKIP.has(name)) skip++;
        if (name === 'br') out += '\n';
        else if (BLOCK.has(name)) out += '\n';
        if (name === 'a') links.push({ href: attrs.href ?? '', start: out.length });
      },
      ontext(text) {
        if (skip) return;
        out += text.replace(/[ \t\r\n\f]+/g, ' ').replace(/\u00a0/g, ' ');
      },
      onclosetag(name) {
        if (SKIP.has(name)) skip = Math.max(0, skip - 1);
        if (name === 'a') {
          const link = links.pop();
          if (link?.href && !/^mailto:/i.test(link.href) && out.slice(link.start).trim() !== link.href) {
            out += `<${link.href}>`;
          }
        }
        if (BLOCK.has(name) && name !== 'br') out += '\n';
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return out
    .split('\n')
    .map((l) => l.replace(/ +/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .replace(/\n/g, '\r\n');
}

export interface RenderOptions {
  baseUrl: string;
  mailboxUpn: string;
  /** Prefer outlook.body-content-type. */
  bodyType?: 'html' | 'text';
  /** Prefer outlook.timezone (default UTC). */
  timeZone: string;
  /** $expand=singleValueExtendedProperties(...) filter. */
  expandProperties?: (p: ExtendedProperty) => boolean;
}

const textCache = new WeakMap<object, string>();
const previewCache = new WeakMap<object, string>();

/** The plain-text rendering of an event's HTML body, cached per stored body object. */
function bodyText(ev: StoredEvent): string {
  let t = textCache.get(ev.body);
  if (t === undefined) {
    t = ev.body.contentType === 'html' ? htmlToText(ev.body.content) : ev.body.content;
    textCache.set(ev.body, t);
  }
  return t;
}

function body(
  ev: StoredEvent,
  bodyType: 'html' | 'text' | undefined,
): { contentType: string; content: string } {
  if (bodyType === 'text' && ev.body.contentType === 'html')
    return { contentType: 'text', content: bodyText(ev) };
  return { contentType: ev.body.contentType, content: ev.body.content };
}

function preview(ev: StoredEvent): string {
  let p = previewCache.get(ev.body);
  if (p === undefined) {
    p = bodyText(ev).replace(/\s+/g, ' ').trim().slice(0, 255);
    previewCache.set(ev.body, p);
  }
  return p;
}

/** Extended properties an instance carries (occurrences carry their master's). */
export function instanceProps(i: EventInstance): ExtendedProperty[] {
  return i.ev.extendedProperties;
}

export function renderEvent(i: EventInstance, opts: RenderOptions): Record<string, unknown> {
  const ev = i.ev;
  const occ = i.occurrence;
  const isOrganizer = ev.mailboxUserId === ev.organizerUserId;
  const startMs = occ ? occ.startMs : dttzToMs(ev.start);
  const endMs = occ ? occ.endMs : dttzToMs(ev.end);
  const type = occ ? 'occurrence' : ev.type;
  const id = occ ? occ.id : ev.id;
  const originalStartMs = occ ? occ.startMs : ev.originalStartMs;
  const out: Record<string, unknown> = {
    '@odata.etag': `W/"${ev.changeKey}"`,
    id,
    createdDateTime: ev.createdDateTime,
    lastModifiedDateTime: ev.lastModifiedDateTime,
    changeKey: ev.changeKey,
    categories: [],
    transactionId: null,
    originalStartTimeZone: ev.originalStartTimeZone,
    originalEndTimeZone: ev.originalEndTimeZone,
    iCalUId: occ ? occurrenceICalUId(ev.iCalUId, occ.startMs) : ev.iCalUId,
    reminderMinutesBeforeStart: 15,
    isReminderOn: true,
    hasAttachments: ev.hasAttachments,
    subject: ev.subject,
    bodyPreview: '',
    importance: 'normal',
    sensitivity: 'normal',
    isAllDay: ev.isAllDay,
    isCancelled: ev.isCancelled,
    isOrganizer,
    responseRequested: true,
    seriesMasterId:
      type === 'occurrence' || type === 'exception' ? (occ?.master.id ?? ev.seriesMasterId) : null,
    showAs: 'busy',
    type,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: ev.onlineMeetingUrl,
    isOnlineMeeting: ev.isOnlineMeeting,
    onlineMeetingProvider: ev.onlineMeetingProvider,
    allowNewTimeProposals: true,
    isDraft: ev.isDraft,
    hideAttendees: false,
    responseStatus: {
      response: isOrganizer ? 'organizer' : 'notResponded',
      time: '0001-01-01T00:00:00Z',
    },
    body: body(ev, opts.bodyType),
    start: msToDttz(startMs, opts.timeZone),
    end: msToDttz(endMs, opts.timeZone),
    location: ev.location
      ? { displayName: ev.location.displayName, locationType: 'default', uniqueIdType: 'unknown' }
      : { displayName: '', locationType: 'default', uniqueIdType: 'unknown' },
    locations: ev.location
      ? [{ displayName: ev.location.displayName, locationType: 'default', uniqueIdType: 'unknown' }]
      : [],
    recurrence: type === 'seriesMaster' ? ev.recurrence : null,
    attendees: ev.attendees.map((a) => ({
      type: a.type,
      status: a.status ?? { response: 'none', time: '0001-01-01T00:00:00Z' },
      emailAddress: { name: a.emailAddress.name ?? a.emailAddress.address, address: a.emailAddress.address },
    })),
    organizer: { emailAddress: { name: ev.organizer.name, address: ev.organizer.address } },
    onlineMeeting: ev.isOnlineMeeting && ev.onlineMeeting ? { ...ev.onlineMeeting } : null,
  };
  // The preview parses the whole HTML body: computed only when the answer carries it (applySelect reads only
  // the selected properties), in its place among the others.
  Object.defineProperty(out, 'bodyPreview', { get: () => preview(ev), enumerable: true, configurable: true });
  if (originalStartMs !== null && originalStartMs !== undefined) {
    // Graph includes originalStart on occurrences and exceptions.
    out.originalStart = isoUtc(originalStartMs);
  }
  if (opts.expandProperties) {
    const props = instanceProps(i).filter(opts.expandProperties);
    if (props.length) {
      out['singleValueExtendedProperties@odata.context'] =
        `${opts.baseUrl}/v1.0/$metadata#users('${encodeURIComponent(opts.mailboxUpn)}')/events('${encodeURIComponent(id)}')/singleValueExtendedProperties`;
      out.singleValueExtendedProperties = props.map((p) => ({ id: p.id, value: p.value }));
    }
  }
  return out;
}

/** Properties of the event entity (and its bases) that `$select` may name. */
export const EVENT_SELECTABLE = new Set(
  [
    'id',
    'categories',
    'changeKey',
    'createdDateTime',
    'lastModifiedDateTime',
    'allowNewTimeProposals',
    'attendees',
    'body',
    'bodyPreview',
    'cancelledOccurrences',
    'end',
    'hasAttachments',
    'hideAttendees',
    'iCalUId',
    'importance',
    'isAllDay',
    'isCancelled',
    'isDraft',
    'isOnlineMeeting',
    'isOrganizer',
    'isReminderOn',
    'location',
    'locations',
    'onlineMeeting',
    'onlineMeetingProvider',
    'onlineMeetingUrl',
    'organizer',
    'originalEndTimeZone',
    'originalStart',
    'originalStartTimeZone',
    'recurrence',
    'reminderMinutesBeforeStart',
    'responseRequested',
    'responseStatus',
    'sensitivity',
    'seriesMasterId',
    'showAs',
    'start',
    'subject',
    'transactionId',
    'type',
    'webLink',
  ].map((s) => s.toLowerCase()),
);

/** Validates `$select` for events (unknown property → 400, as Graph answers). */
export function checkEventSelect(select: string[] | undefined): void {
  for (const s of select ?? []) {
    if (!EVENT_SELECTABLE.has(s.toLowerCase())) {
      throw new GraphError(
        400,
        'RequestBroker--ParseUri',
        `Could not find a property named '${s}' on type 'microsoft.graph.event'.`,
      );
    }
  }
}

/** Splits a `$expand` value at its top-level commas. */
function expandItems(raw: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  out.push(raw.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

export interface EventExpand {
  /** singleValueExtendedProperties, with its id filter. */
  properties?: (p: ExtendedProperty) => boolean;
  /** exceptionOccurrences (a series master's exceptions; only on a GET of the master). */
  exceptionOccurrences?: boolean;
}

/**
 * `$expand` for events: singleValueExtendedProperties (optionally with an id filter), and, where `allowExceptions`
 * (a GET of one event), exceptionOccurrences.
 */
export function parseEventExpandItems(req: SandboxRequest, allowExceptions = false): EventExpand {
  const raw = req.query.get('$expand');
  if (raw === null || raw.trim() === '') return {};
  const out: EventExpand = {};
  for (const item of expandItems(raw)) {
    if (allowExceptions && /^exceptionOccurrences$/i.test(item)) {
      out.exceptionOccurrences = true;
      continue;
    }
    const m = /^\s*singleValueExtendedProperties\s*(?:\(\s*\$filter\s*=\s*(.*)\)\s*)?$/i.exec(item);
    if (!m) {
      throw new GraphError(
        400,
        'BadRequest',
        `Parsing OData Select and Expand failed: could not find a navigation property in '${item}' this sandbox supports.`,
      );
    }
    out.properties = m[1] ? compilePropertyIdFilter(m[1]) : () => true;
  }
  return out;
}

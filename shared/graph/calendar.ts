/**
 * CalendarGateway over Graph's /users/{id}/events: future meetings the user organizes (single meetings, series
 * with future occurrences, and those series' exceptions), one event, and the body+marker PATCH.
 *
 * Every request asks for UTC times (so "future" can be decided without a time-zone database), HTML bodies (the
 * form the block tools and Outlook use) and immutable ids (stable across folder moves, so the ledger's ids stay
 * valid): `Prefer: outlook.timezone="UTC", outlook.body-content-type="html", IdType="ImmutableId"`.
 */
import { ALL_DAY_GRACE_MS } from '../domain/eligibility';
import { findOnlineMeetingBlock } from '../domain/meeting-block';
import type { GraphClient } from './client';
import { GraphContractError, GraphRequestError } from './errors';
import { buildPath, odataString, segment } from './odata';
import {
  MARKER_PROPERTY_ID,
  SKYPE_EXTERNAL_LINK_PROPERTY_ID,
  type CalendarGateway,
  type ListMeetingsOptions,
  type MeetingEvent,
  type UpdateEventBody,
  type UpdatedEvent,
} from './ports';
import { EVENT_SELECT, markerEventSchema, parseGraph, patchedEventSchema } from './schemas';
import { z } from 'zod';

export const CALENDAR_PREFER =
  'outlook.timezone="UTC", outlook.body-content-type="html", IdType="ImmutableId"';
export const DEFAULT_PAGE_SIZE = 50;
/** Default window for series occurrences and exceptions when the caller gives no horizon. */
export const DEFAULT_HORIZON_MS = 5 * 366 * 24 * 3600 * 1000;
/**
 * The longest window Graph expands occurrences in (/instances, /calendarView): beyond it, 400
 * ErrorInvalidRequest "Maximum number of days: 1825". Longer horizons are read in slices.
 */
export const MAX_WINDOW_DAYS = 1825;
const MAX_WINDOW_MS = MAX_WINDOW_DAYS * 24 * 3600 * 1000;

/** [from, to) cut into consecutive windows of at most MAX_WINDOW_DAYS. */
export function windowSlices(from: Date, to: Date): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  for (let s = from.getTime(); s < to.getTime(); s += MAX_WINDOW_MS) {
    out.push({ start: new Date(s), end: new Date(Math.min(s + MAX_WINDOW_MS, to.getTime())) });
  }
  return out;
}

/** Our marker's listing pages ids only; Graph's list maximum is 1,000 (user-list-events.md shows none lower). */
const MARKED_PAGE_SIZE = 500;
const idPage = z.object({
  value: z.array(z.object({ id: z.string().min(1) })),
  '@odata.nextLink': z.string().min(1).optional(),
});

const eventPage = z.object({
  value: z.array(markerEventSchema),
  '@odata.nextLink': z.string().min(1).optional(),
});
const probePage = z.object({
  value: z.array(
    z.object({
      id: z.string().min(1),
      isCancelled: z.boolean().nullable().optional(),
      start: z
        .object({ dateTime: z.string().min(1) })
        .nullable()
        .optional(),
      end: z.object({ dateTime: z.string() }),
      isAllDay: z.boolean().nullable().optional(),
    }),
  ),
});
/** A series master with its exceptionOccurrences (event.md: returned on a GET of the master with $expand). */
const exceptionList = z.object({
  exceptionOccurrences: z
    .array(
      z.object({
        id: z.string().min(1),
        start: z.object({ dateTime: z.string().min(1), timeZone: z.string().min(1) }),
        isCancelled: z.boolean().nullable().optional(),
      }),
    )
    .nullable()
    .optional()
    .transform((v) => v ?? []),
});

/**
 * Epoch ms of a Graph dateTime in UTC ("2026-12-01T09:00:00.0000000", 7 fractional digits, no zone suffix), or of
 * an ISO string with Z/offset. NaN when unreadable.
 */
export function graphUtcToEpoch(dateTime: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(dateTime.trim());
  if (!m) return NaN;
  const ms = m[2] ? m[2].slice(0, 4).padEnd(4, '0') : '';
  return Date.parse(`${m[1]}${ms}${m[3] ?? 'Z'}`);
}

/** The literal Graph's event filters compare start/dateTime with: UTC, seconds, no zone suffix. */
export function filterDateTime(d: Date): string {
  return d.toISOString().slice(0, 19);
}

/** The window parameters of /instances and /calendarView: ISO with Z. */
function windowDateTime(d: Date): string {
  return d.toISOString();
}

/** True when a series' recurrence range certainly ended before `now` (no request needed to know it). */
export function seriesEndedBefore(event: Pick<MeetingEvent, 'recurrence'>, now: Date): boolean {
  const range = event.recurrence?.range;
  if (!range || range.type !== 'endDate' || !range.endDate) return false;
  // endDate is a calendar date in the series' time zone: allow a day of slack for zones ahead of UTC.
  const end = Date.parse(`${range.endDate}T00:00:00Z`);
  return !Number.isNaN(end) && end + 2 * 24 * 3600 * 1000 < now.getTime();
}

/**
 * Whether a failed PATCH may have been applied: no answer (network), or a gateway/server answer that does not say
 * the request was refused unprocessed (502, 504, and a 503 without Retry-After, which is not throttling).
 */
export function isAmbiguousFailure(e: unknown): e is GraphRequestError {
  return (
    e instanceof GraphRequestError &&
    (e.status === 0 ||
      e.status === 502 ||
      e.status === 504 ||
      (e.status === 503 && e.retryAfterMs === undefined))
  );
}

/** How often an update whose answer was lost (network error, 502, bare 503, 504) and did not land is sent again. */
const AMBIGUOUS_PATCH_RETRIES = 2;
/** Wait before reading back after an ambiguous failure, so a PATCH still in flight can land first. */
const AMBIGUOUS_READBACK_DELAY_MS = 500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One listing page: its events and the link to the next. */
interface ListedPage {
  events: MeetingEvent[];
  next: string | undefined;
}

/** A promise that says whether it has settled (so ready parts can be handed out together, without waiting). */
interface Settling<T> {
  promise: Promise<T>;
  settled: boolean;
}

function settling<T>(promise: Promise<T>): Settling<T> {
  const s: Settling<T> = { promise, settled: false };
  promise.then(
    () => (s.settled = true),
    () => (s.settled = true),
  );
  return s;
}

export class GraphCalendarGateway implements CalendarGateway {
  constructor(private readonly graph: GraphClient) {}

  /**
   * A GET of one event: its properties and our two extended properties (the marker, the Skype add-in's link).
   * Extended properties expand on a GET of one resource instance only (singlevaluelegacyextendedproperty-get.md);
   * a list cannot return them.
   */
  private eventQuery(): Record<string, string> {
    return {
      $select: EVENT_SELECT.join(','),
      $expand: `singleValueExtendedProperties($filter=id eq ${odataString(MARKER_PROPERTY_ID)} or id eq ${odataString(SKYPE_EXTERNAL_LINK_PROPERTY_ID)})`,
    };
  }

  /**
   * Ids of the user's events (single instances and series masters) that carry our marker, found the documented
   * way for lists: `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value ne '')`, which
   * filters on the property without returning it (singlevaluelegacyextendedproperty-get.md).
   */
  private async markedEventIds(userId: string): Promise<Set<string>> {
    const operation = `list marked events of ${userId}`;
    const ids = new Set<string>();
    let path: string | undefined = buildPath(`/users/${segment(userId)}/events`, {
      $select: 'id',
      $filter: `singleValueExtendedProperties/Any(ep: ep/id eq ${odataString(MARKER_PROPERTY_ID)} and ep/value ne '')`,
      $top: MARKED_PAGE_SIZE,
    });
    while (path !== undefined) {
      const res = await this.graph.send({ method: 'GET', path, mailbox: userId, operation });
      const page = parseGraph(idPage, res.body, operation);
      for (const e of page.value) ids.add(e.id);
      const next = page['@odata.nextLink'];
      if (next !== undefined && !this.graph.isOwnLink(next)) {
        throw new GraphContractError(operation, '@odata.nextLink', `not under ${this.graph.root}: ${next}`);
      }
      path = next;
    }
    return ids;
  }

  /**
   * Whether a listed event's decision needs an extended property, so that it is read again on its own with them
   * (the only documented way to get their values): one with an online-meeting block that carries our marker, or
   * that is not flagged online (a Skype add-in meeting's link may be in OnlineMeetingExternalLink only). The others
   * are decided without them.
   */
  private needsProperties(e: MeetingEvent, marked: ReadonlySet<string>): boolean {
    if (!marked.has(e.id) && e.isOnlineMeeting === true) return false;
    return findOnlineMeetingBlock(e.body.content, e.body.contentType) !== null;
  }

  /** A listed event read again with its extended properties ([] when it is gone meanwhile). */
  private async reread(userId: string, e: MeetingEvent): Promise<MeetingEvent[]> {
    const full = await this.getEvent(userId, e.id);
    if (!full) return [];
    if (e.nextOccurrence !== undefined) full.nextOccurrence = e.nextOccurrence;
    return [full];
  }

  private async getPage(userId: string, path: string, operation: string): Promise<ListedPage> {
    const res = await this.graph.send({
      method: 'GET',
      path,
      mailbox: userId,
      headers: { Prefer: CALENDAR_PREFER },
      operation,
    });
    const page = parseGraph(eventPage, res.body, operation);
    const next = page['@odata.nextLink'];
    if (next !== undefined && !this.graph.isOwnLink(next)) {
      throw new GraphContractError(operation, '@odata.nextLink', `not under ${this.graph.root}: ${next}`);
    }
    return { events: page.value, next };
  }

  /**
   * Pages of the user's future organized meetings. The requests that decide which meetings they are go out
   * together, as soon as the page that names them is there, and the mailbox limiter keeps them within its slots:
   * the next listing page, the events read again for their extended properties, the series' probes, and, once a
   * series is known to be current, its exceptions. The meetings are handed out in a fixed order all the same
   * (those decided from the listing alone, those read again, series masters, their exceptions; each in the order
   * Graph listed them), each as soon as it and those before it are ready: the first updates start after one round
   * trip, and a caller that pages through the list (the preview) sees the same order every time. Memory: the page
   * being handed out and the next one.
   */
  async *listOrganizedFutureMeetings(
    userId: string,
    options: ListMeetingsOptions,
  ): AsyncGenerator<MeetingEvent[]> {
    const now = options.now;
    const horizon = options.horizon ?? new Date(now.getTime() + DEFAULT_HORIZON_MS);
    const top = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const nowMs = now.getTime();
    const horizonMs = horizon.getTime();
    const operation = `list events of ${userId}`;
    // Current: not ended yet (a meeting under way still is), and an all-day meeting until its date has ended in
    // every time zone. Graph filters on the earliest end that can still be current; the rest is decided here.
    const earliest = new Date(nowMs - ALL_DAY_GRACE_MS);
    const startOf = (e: Pick<MeetingEvent, 'start'>) => {
      const start = graphUtcToEpoch(e.start.dateTime);
      if (Number.isNaN(start))
        throw new GraphContractError(operation, 'start.dateTime', `unreadable "${e.start.dateTime}"`);
      return start;
    };
    const current = (e: { end: { dateTime: string }; isAllDay?: boolean | null }) => {
      const end = graphUtcToEpoch(e.end.dateTime);
      if (Number.isNaN(end))
        throw new GraphContractError(operation, 'end.dateTime', `unreadable "${e.end.dateTime}"`);
      return end + (e.isAllDay === true ? ALL_DAY_GRACE_MS : 0) > nowMs;
    };
    const inWindow = (e: MeetingEvent) => current(e) && startOf(e) < horizonMs;
    // An exception listed by its start only: one that may still be current (read in full, then judged).
    const mayBeCurrent = (e: Pick<MeetingEvent, 'start'>) => {
      const start = startOf(e);
      return start >= earliest.getTime() && start < horizonMs;
    };

    // Every part of a page: the meetings it hands out, in order, each a request (or none) that may still be out.
    const partsOf = (page: ListedPage, marked: ReadonlySet<string>): Settling<MeetingEvent[]>[] => {
      // /events returns single instances and series masters (never occurrences). Series masters carry the first
      // occurrence's start, so they are all probed; singles are filtered on end at Graph.
      const singles = page.events.filter((e) => e.isOrganizer && e.type === 'singleInstance' && inWindow(e));
      const asListed = singles.filter((e) => !this.needsProperties(e, marked));
      const reread = singles.filter((e) => this.needsProperties(e, marked));
      const candidates = page.events.filter(
        (e) => e.isOrganizer && e.type === 'seriesMaster' && !seriesEndedBefore(e, now),
      );
      // A master is handed out when its probe finds a current occurrence (read again when its decision needs it);
      // its exceptions' list is asked for then, and the exceptions read, `top` at a time.
      const masters = candidates.map(async (m): Promise<MeetingEvent[]> => {
        const at = await this.nextOccurrence(userId, m.id, earliest, horizon, current);
        if (at === null) return [];
        if (at !== '') m.nextOccurrence = at;
        return this.needsProperties(m, marked) ? this.reread(userId, m) : [m];
      });
      const exceptions = masters.map(async (master): Promise<MeetingEvent[]> => {
        const [m] = await master;
        if (m === undefined) return [];
        const ids = await this.exceptionIds(userId, m.id, mayBeCurrent);
        const out: MeetingEvent[] = [];
        for (let i = 0; i < ids.length; i += top) {
          const read = await Promise.all(ids.slice(i, i + top).map((id) => this.getEvent(userId, id)));
          for (const e of read)
            if (e !== null && e.type === 'exception' && e.isOrganizer && inWindow(e)) out.push(e);
        }
        return out;
      });
      return [
        settling(Promise.resolve(asListed)),
        ...reread.map((e) => settling(this.reread(userId, e))),
        ...masters.map(settling),
        ...exceptions.map(settling),
      ];
    };

    // Which events carry our marker, read beside the first page.
    const marked = settling(this.markedEventIds(userId));
    let fetching: Settling<ListedPage> | undefined = settling(
      this.getPage(
        userId,
        buildPath(`/users/${segment(userId)}/events`, {
          $select: EVENT_SELECT.join(','),
          $filter: `isOrganizer eq true and (end/dateTime ge ${odataString(filterDateTime(earliest))} or type eq 'seriesMaster')`,
          $top: top,
        }),
        operation,
      ),
    );
    // The page being handed out, and the next one, prepared (its requests sent) as soon as it is there.
    let handing: Settling<MeetingEvent[]>[] = [];
    let prepared: Promise<Settling<MeetingEvent[]>[]> | undefined;
    const prepare = (page: Settling<ListedPage>) =>
      Promise.all([page.promise, marked.promise]).then(([p, m]) => partsOf(p, m));
    const outstanding = (): Promise<unknown>[] => [
      ...handing.map((p) => p.promise),
      ...(prepared ? [prepared] : []),
      ...(fetching ? [fetching.promise] : []),
      marked.promise,
    ];
    try {
      if (fetching !== undefined) {
        prepared = prepare(fetching);
        prepared.catch(() => undefined);
      }
      while (prepared !== undefined) {
        const pageParts = prepared;
        handing = await pageParts;
        const page: ListedPage = await (fetching as Settling<ListedPage>).promise;
        // The next page is asked for while this one is handed out, and prepared when it comes.
        fetching = page.next !== undefined ? settling(this.getPage(userId, page.next, operation)) : undefined;
        prepared = fetching !== undefined ? prepare(fetching) : undefined;
        prepared?.catch(() => undefined);
        for (let i = 0; i < handing.length;) {
          // The next part, and every one after it that is already there.
          const ready = [...(await (handing[i] as Settling<MeetingEvent[]>).promise)];
          for (i++; i < handing.length && handing[i]?.settled === true; i++) {
            ready.push(...(await (handing[i] as Settling<MeetingEvent[]>).promise));
          }
          for (let j = 0; j < ready.length; j += top) yield ready.slice(j, j + top);
        }
        handing = [];
      }
    } finally {
      // Stopped early or failed: the requests still out end before the listing does (none is left unobserved).
      await Promise.allSettled(outstanding());
      const parts = await prepared?.catch(() => undefined);
      if (parts) await Promise.allSettled(parts.map((p) => p.promise));
    }
  }

  /**
   * The start (ISO-8601 UTC) of the series' first (not cancelled) current occurrence before `horizon`, from
   * /instances from `from` (the earliest end that can still be current), one window of at most MAX_WINDOW_DAYS at
   * a time, nearest first; '' when one exists but its start is unreadable; null when there is none.
   */
  private async nextOccurrence(
    userId: string,
    masterId: string,
    from: Date,
    horizon: Date,
    current: (o: { end: { dateTime: string }; isAllDay?: boolean | null }) => boolean,
  ): Promise<string | null> {
    const operation = `probe occurrences of ${masterId}`;
    for (const window of windowSlices(from, horizon)) {
      const res = await this.graph.send({
        method: 'GET',
        path: buildPath(`/users/${segment(userId)}/events/${segment(masterId)}/instances`, {
          startDateTime: windowDateTime(window.start),
          endDateTime: windowDateTime(window.end),
          $select: 'id,isCancelled,start,end,isAllDay',
          $top: 10,
        }),
        mailbox: userId,
        headers: { Prefer: CALENDAR_PREFER },
        operation,
      });
      const live = parseGraph(probePage, res.body, operation).value.filter(
        (o) => o.isCancelled !== true && current(o),
      );
      if (live.length === 0) continue;
      // Earliest of the page (the order Graph lists instances in is not documented).
      const starts = live
        .map((o) => graphUtcToEpoch(o.start?.dateTime ?? ''))
        .filter((t) => !Number.isNaN(t));
      return starts.length === 0 ? '' : new Date(Math.min(...starts)).toISOString();
    }
    return null;
  }

  /**
   * The ids of a series' exceptions (not cancelled) that may still be current, the documented way: the master's
   * `exceptionOccurrences` (event.md; a filter on /instances is undocumented and /instances is reported to leave
   * exceptions out). The caller then reads each exception on its own, with the marker (an extended property is
   * documented to expand on a single GET).
   */
  private async exceptionIds(
    userId: string,
    masterId: string,
    mayBeCurrent: (e: Pick<MeetingEvent, 'start'>) => boolean,
  ): Promise<string[]> {
    const operation = `list exceptions of ${masterId}`;
    const res = await this.graph.send({
      method: 'GET',
      path: buildPath(`/users/${segment(userId)}/events/${segment(masterId)}`, {
        $select: 'id',
        $expand: 'exceptionOccurrences',
      }),
      mailbox: userId,
      headers: { Prefer: CALENDAR_PREFER },
      operation,
    });
    return parseGraph(exceptionList, res.body, operation)
      .exceptionOccurrences.filter((e) => e.isCancelled !== true && mayBeCurrent(e))
      .map((e) => e.id);
  }

  async getEvent(userId: string, eventId: string): Promise<MeetingEvent | null> {
    const operation = `get event ${eventId}`;
    try {
      const res = await this.graph.send({
        method: 'GET',
        path: buildPath(`/users/${segment(userId)}/events/${segment(eventId)}`, this.eventQuery()),
        mailbox: userId,
        headers: { Prefer: CALENDAR_PREFER },
        operation,
      });
      return parseGraph(markerEventSchema, res.body, operation);
    } catch (e) {
      if (e instanceof GraphRequestError && e.status === 404) return null;
      throw e;
    }
  }

  async updateEventBody(userId: string, eventId: string, update: UpdateEventBody): Promise<UpdatedEvent> {
    const operation = `update event ${eventId}`;
    let res;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.graph.send({
          method: 'PATCH',
          path: `/users/${segment(userId)}/events/${segment(eventId)}`,
          mailbox: userId,
          headers: { Prefer: CALENDAR_PREFER },
          body: {
            body: { contentType: update.body.contentType, content: update.body.content },
            singleValueExtendedProperties: [{ id: MARKER_PROPERTY_ID, value: update.marker }],
          },
          operation,
          // Not blindly re-sent: a PATCH that reached Exchange but whose answer was lost would send attendees a
          // second update. Throttling answers (429, 503 with Retry-After) are still retried: not processed.
          idempotent: false,
        });
        break;
      } catch (e) {
        // Ambiguous failure (the request may have been applied): read back. Our marker there means it was; its
        // absence means it was not, so sending it again cannot send attendees a second update.
        if (!isAmbiguousFailure(e) || attempt >= AMBIGUOUS_PATCH_RETRIES) {
          throw e;
        }
        await sleep(AMBIGUOUS_READBACK_DELAY_MS * (attempt + 1));
        const now = await this.getEvent(userId, eventId);
        if (now === null) throw e;
        if (now.marker === update.marker)
          return { changeKey: now.changeKey, isOnlineMeeting: now.isOnlineMeeting };
      }
    }
    // Graph answers 200 with the event; tolerate 204 from proxies that strip it.
    if (res.status === 204 || res.body === undefined) return { changeKey: null, isOnlineMeeting: null };
    const patched = parseGraph(patchedEventSchema, res.body, operation);
    return { changeKey: patched.changeKey, isOnlineMeeting: patched.isOnlineMeeting };
  }
}

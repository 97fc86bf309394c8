/**
 * Time zones and date-times as Outlook exposes them: `dateTimeTimeZone` values whose zone is a Windows or IANA
 * name, converted through Intl (full ICU ships with Node), and Graph's 7-digit fractional date-time format.
 */

/** Windows zone ids Outlook uses → IANA (the common ones; an IANA name is accepted as is). */
const WINDOWS_ZONES: Record<string, string> = {
  UTC: 'UTC',
  'Coordinated Universal Time': 'UTC',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'GMT Standard Time': 'Europe/London',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev',
  'GTB Standard Time': 'Europe/Bucharest',
  'Russian Standard Time': 'Europe/Moscow',
  'Israel Standard Time': 'Asia/Jerusalem',
  'Egypt Standard Time': 'Africa/Cairo',
  'Arab Standard Time': 'Asia/Riyadh',
  'Arabian Standard Time': 'Asia/Dubai',
  'Iran Standard Time': 'Asia/Tehran',
  'India Standard Time': 'Asia/Kolkata',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Korea Standard Time': 'Asia/Seoul',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'Eastern Standard Time': 'America/New_York',
  'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver',
  'US Mountain Standard Time': 'America/Phoenix',
  'Pacific Standard Time': 'America/Los_Angeles',
  'Alaskan Standard Time': 'America/Anchorage',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'SA Pacific Standard Time': 'America/Bogota',
  'South Africa Standard Time': 'Africa/Johannesburg',
};

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Names already checked: building a DateTimeFormat to test a name costs more than the conversion itself. */
const zoneNames = new Map<string, string | undefined>();

/** The IANA zone for a Windows or IANA name, or undefined when unknown. */
export function ianaZone(zone: string): string | undefined {
  const mapped = WINDOWS_ZONES[zone];
  if (mapped) return mapped;
  if (zoneNames.has(zone)) return zoneNames.get(zone);
  let iana: string | undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    iana = zone;
  } catch {
    iana = undefined;
  }
  if (zoneNames.size > 10_000) zoneNames.clear();
  zoneNames.set(zone, iana);
  return iana;
}

function formatter(iana: string): Intl.DateTimeFormat {
  let f = formatters.get(iana);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: iana,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(iana, f);
  }
  return f;
}

const offsetCache = new Map<string, number>();

/** Wall-clock fields of an instant in a zone, as a UTC epoch of the same fields (offsets cached per quarter hour, the granularity of every zone's transitions). */
function wallClockMs(utcMs: number, iana: string): number {
  const key = `${iana}|${Math.floor(utcMs / 900_000)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    const hour = Math.floor(utcMs / 900_000) * 900_000;
    offset = computeWallClockMs(hour, iana) - hour;
    if (offsetCache.size > 200_000) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return utcMs + offset;
}

function computeWallClockMs(utcMs: number, iana: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(iana).formatToParts(new Date(utcMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
}

function requireZone(zone: string): string {
  const iana = ianaZone(zone);
  if (!iana) throw new RangeError(`Unknown time zone '${zone}'`);
  return iana;
}

/** Epoch ms of a wall-clock time (`YYYY-MM-DDTHH:mm:ss[.fffffff]`) in a zone. */
export function localToUtcMs(local: string, zone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?$/.exec(local.trim());
  if (!m) throw new RangeError(`Invalid dateTime '${local}'`);
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), ms);
  const iana = requireZone(zone);
  if (iana === 'UTC') return asUtc;
  let guess = asUtc - (wallClockMs(asUtc, iana) - asUtc);
  guess = asUtc - (wallClockMs(guess, iana) - guess);
  return guess;
}

const dttzCache = new WeakMap<object, { dateTime: string; timeZone: string; ms: number }>();

/** A dateTimeTimeZone as epoch ms (cached per object). */
export function dttzToMs(v: { dateTime: string; timeZone: string }): number {
  const hit = dttzCache.get(v);
  if (hit && hit.dateTime === v.dateTime && hit.timeZone === v.timeZone) return hit.ms;
  const ms = localToUtcMs(v.dateTime, v.timeZone);
  dttzCache.set(v, { dateTime: v.dateTime, timeZone: v.timeZone, ms });
  return ms;
}

/** Graph's dateTime text: `2024-05-01T09:00:00.0000000` (wall clock, 7 fractional digits). */
export function graphDateTime(wallMs: number): string {
  const iso = new Date(wallMs).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}0000`;
}

/** An instant rendered as a dateTimeTimeZone in the given zone (Graph answers in UTC unless asked otherwise). */
export function msToDttz(utcMs: number, zone = 'UTC'): { dateTime: string; timeZone: string } {
  const iana = ianaZone(zone) ?? 'UTC';
  const wall = iana === 'UTC' ? utcMs : wallClockMs(utcMs, iana);
  return { dateTime: graphDateTime(wall), timeZone: zone };
}

/** Wall-clock date and time-of-day of an instant in a zone. */
export function wallParts(utcMs: number, zone: string): { date: string; time: string } {
  const iana = requireZone(zone);
  const iso = new Date(iana === 'UTC' ? utcMs : wallClockMs(utcMs, iana)).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/** Parses an ISO date-time query value; no offset means UTC (as calendarView does). */
export function parseQueryDateTime(raw: string): number | undefined {
  const s = raw.trim();
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(s);
  const ms = Date.parse(hasZone ? s : `${s}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** ISO UTC with a Z, as Graph writes originalStart (`2024-05-01T09:00:00Z`). */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * Expands a Graph `patternedRecurrence` into occurrence start instants, as Outlook does: the pattern runs on
 * wall-clock dates in the recurrence time zone (the master's start zone by default), each occurrence starting at
 * the master's local time of day, so DST shifts keep the local time.
 */
import type { z } from 'zod';
import type { recurrence as recurrenceSchema } from './seed';
import { dttzToMs, localToUtcMs, wallParts } from './time';

export type Recurrence = z.infer<typeof recurrenceSchema>;

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const DAY_MS = 86_400_000;
const MAX_OCCURRENCES = 5000;

function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) / DAY_MS);
}

function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function dow(day: number): number {
  return new Date(day * DAY_MS).getUTCDay();
}

function ymdDay(y: number, m0: number, d: number): number | undefined {
  const ms = Date.UTC(y, m0, d);
  const dt = new Date(ms);
  if (dt.getUTCMonth() !== ((m0 % 12) + 12) % 12 || dt.getUTCDate() !== d) return undefined;
  return Math.floor(ms / DAY_MS);
}

function relativeDay(y: number, m0: number, days: readonly number[], index: string): number | undefined {
  const candidates: number[] = [];
  for (let d = 1; d <= 31; d++) {
    const day = ymdDay(y, m0, d);
    if (day === undefined) break;
    if (days.includes(dow(day))) candidates.push(day);
  }
  const idx = { first: 0, second: 1, third: 2, fourth: 3 }[index];
  return index === 'last' ? candidates[candidates.length - 1] : candidates[idx ?? 0];
}

/** Candidate dates of the pattern in order, from the range start (unbounded; the caller stops). */
function* patternDays(rec: Recurrence, startDay: number): Generator<number> {
  const p = rec.pattern;
  const interval = Math.max(1, p.interval);
  const daysOfWeek = (p.daysOfWeek?.length ? p.daysOfWeek : [DAYS[dow(startDay)]!]).map((d) =>
    DAYS.indexOf(d),
  );
  const start = new Date(startDay * DAY_MS);
  const y0 = start.getUTCFullYear();
  const m0 = start.getUTCMonth();
  switch (p.type) {
    case 'daily':
      for (let d = startDay; ; d += interval) yield d;
    case 'weekly': {
      const fdow = DAYS.indexOf(p.firstDayOfWeek ?? 'sunday');
      const weekStart = startDay - ((dow(startDay) - fdow + 7) % 7);
      for (let w = weekStart; ; w += 7 * interval) {
        for (let i = 0; i < 7; i++) {
          const d = w + i;
          if (d >= startDay && daysOfWeek.includes(dow(d))) yield d;
        }
      }
    }
    case 'absoluteMonthly':
      for (let k = 0; ; k += interval) {
        const d = ymdDay(y0, m0 + k, p.dayOfMonth ?? start.getUTCDate());
        if (d !== undefined && d >= startDay) yield d;
      }
    case 'relativeMonthly':
      for (let k = 0; ; k += interval) {
        const d = relativeDay(y0 + Math.floor((m0 + k) / 12), (m0 + k) % 12, daysOfWeek, p.index ?? 'first');
        if (d !== undefined && d >= startDay) yield d;
      }
    case 'absoluteYearly':
      for (let k = 0; ; k += interval) {
        const d = ymdDay(y0 + k, (p.month ?? m0 + 1) - 1, p.dayOfMonth ?? start.getUTCDate());
        if (d !== undefined && d >= startDay) yield d;
      }
    case 'relativeYearly':
      for (let k = 0; ; k += interval) {
        const d = relativeDay(y0 + k, (p.month ?? m0 + 1) - 1, daysOfWeek, p.index ?? 'first');
        if (d !== undefined && d >= startDay) yield d;
      }
  }
}

export interface Occurrence {
  /** The occurrence's original start (UTC epoch ms): its identity within the series. */
  startMs: number;
  endMs: number;
}

/**
 * Every occurrence of the series whose start is before `untilMs` (and, for bounded ranges, within the range).
 * The master's start and end give the local time of day and the duration.
 */
const cache = new WeakMap<object, { key: string; untilMs: number; occurrences: Occurrence[] }>();

export function expandRecurrence(
  rec: Recurrence,
  masterStart: { dateTime: string; timeZone: string },
  masterEnd: { dateTime: string; timeZone: string },
  untilMs: number,
): Occurrence[] {
  // Cached per recurrence object: reused while the series is unchanged and the window is covered.
  const key = JSON.stringify([rec, masterStart, masterEnd]);
  const hit = cache.get(rec);
  if (hit && hit.key === key && hit.untilMs >= untilMs)
    return hit.occurrences.filter((o) => o.startMs < untilMs);
  const occurrences = expandUncached(rec, masterStart, masterEnd, untilMs);
  cache.set(rec, { key, untilMs, occurrences });
  return occurrences;
}

function expandUncached(
  rec: Recurrence,
  masterStart: { dateTime: string; timeZone: string },
  masterEnd: { dateTime: string; timeZone: string },
  untilMs: number,
): Occurrence[] {
  const zone = rec.range.recurrenceTimeZone ?? masterStart.timeZone;
  const startMs = dttzToMs(masterStart);
  const duration = dttzToMs(masterEnd) - startMs;
  const timeOfDay = wallParts(startMs, zone).time;
  const startDay = dayNumber(rec.range.startDate);
  const endDay = rec.range.type === 'endDate' && rec.range.endDate ? dayNumber(rec.range.endDate) : Infinity;
  const count = rec.range.type === 'numbered' ? (rec.range.numberOfOccurrences ?? 0) : Infinity;
  const out: Occurrence[] = [];
  let n = 0;
  for (const day of patternDays(rec, startDay)) {
    if (day > endDay || n >= count || n >= MAX_OCCURRENCES) break;
    const s = localToUtcMs(`${dateOf(day)}T${timeOfDay}`, zone);
    if (s >= untilMs) break;
    out.push({ startMs: s, endMs: s + duration });
    n++;
  }
  return out;
}

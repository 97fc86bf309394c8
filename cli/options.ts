/**
 * Argument parsers for the CLI's options (commander `argParser`s): each checks one value with zod and either
 * answers it in the API's canonical form or throws commander's InvalidArgumentError, which commander reports as
 * `error: option '--state <state>' argument 'x' is invalid. <our message>` with exit code 1.
 *
 * Enumerations are matched case-insensitively (PowerShell is) and answered in their canonical spelling, so that
 * `--state failed` sends `Failed`.
 */
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import {
  MIGRATION_STATES,
  MIGRATION_TYPES,
  SOURCE_MEETING_TYPES,
  TARGET_MEETING_TYPES,
  TEAMS_UPGRADE_MODES,
} from './api';

function check<T>(schema: z.ZodType<T>, value: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new InvalidArgumentError(r.error.issues[0]?.message ?? 'invalid value');
}

/** A parser for one of `values`, case-insensitive, answering the canonical spelling. */
export function oneOf<const T extends readonly string[]>(values: T): (value: string) => T[number] {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v]));
  const schema = z.string().transform((v, ctx): T[number] => {
    const found = byLower.get(v.trim().toLowerCase());
    if (found !== undefined) return found;
    ctx.addIssue({ code: 'custom', message: `Must be one of ${values.join(', ')}.` });
    return z.NEVER;
  });
  return (value) => check(schema, value);
}

export const parseState = oneOf(MIGRATION_STATES);
export const parseMigrationType = oneOf(MIGRATION_TYPES);
export const parseSourceMeetingType = oneOf(SOURCE_MEETING_TYPES);
export const parseTargetMeetingType = oneOf(TARGET_MEETING_TYPES);
export const parseUpgradeMode = oneOf(TEAMS_UPGRADE_MODES);
export const parseHomingLocation = oneOf(['online', 'onPremises'] as const);
export const parseProvider = oneOf(['Microsoft', 'ThirdParty'] as const);

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const instantSchema = z.string().refine(
  (v) => {
    const s = v.trim();
    if (DATE_ONLY.test(s)) {
      const d = new Date(`${s}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
    }
    return z.iso.datetime({ offset: true }).safeParse(s).success;
  },
  {
    message:
      'Must be an ISO-8601 date-time with Z or an offset (2026-11-20T08:00:00Z) or a date (2026-11-20).',
  },
);

/** `--start-time` / `--end-time`: passed on unchanged once checked (the API reads dates as UTC days). */
export function parseInstant(value: string): string {
  return check(instantSchema, value).trim();
}

const boolSchema = z.string().transform((v, ctx): boolean => {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1' || s === 'yes' || s === 'on') return true;
  if (s === 'false' || s === '0' || s === 'no' || s === 'off') return false;
  ctx.addIssue({ code: 'custom', message: 'Must be true or false.' });
  return z.NEVER;
});

export function parseBoolean(value: string): boolean {
  return check(boolSchema, value);
}

const intervalSchema = z
  .string()
  .regex(/^\d+(\.\d+)?$/, { message: 'Must be a number of seconds from 0.2 to 3600.' })
  .transform(Number)
  .pipe(
    z
      .number()
      .min(0.2, { message: 'Must be a number of seconds from 0.2 to 3600.' })
      .max(3600, { message: 'Must be a number of seconds from 0.2 to 3600.' }),
  );

/** `--interval` in seconds. */
export function parseInterval(value: string): number {
  return check(intervalSchema, value);
}

const conferenceIdSchema = z
  .string()
  .regex(/^[1-9]\d{4,9}$/, { message: 'Must be 5 to 10 digits, not starting with 0.' })
  .refine((v) => Number(v) <= 2_147_483_647, { message: 'Must be at most 2147483647.' });

export function parseConferenceId(value: string): string {
  return check(conferenceIdSchema, value.trim());
}

const phoneSchema = z.string().regex(/^(tel:)?\+?[1-9]\d{6,14}$/i, {
  message: 'Must be an E.164 number (+14255550123, 14255550123 or tel:+14255550123), or "default".',
});

/** What `--toll default` / `--toll-free default` stand for: the bridge's default number (sent as null). */
export const BRIDGE_DEFAULT = 'default';

/**
 * `--toll` / `--toll-free`: a number as given once checked, or BRIDGE_DEFAULT (commander turns a parser's null
 * into '', so the caller maps BRIDGE_DEFAULT to null with phoneNumberValue).
 */
export function parsePhoneNumber(value: string): string {
  const v = value.trim();
  if (v.toLowerCase() === BRIDGE_DEFAULT) return BRIDGE_DEFAULT;
  return check(phoneSchema, v);
}

/** The PATCH value of a parsed `--toll` / `--toll-free`: the number, or null for the bridge's default. */
export function phoneNumberValue(parsed: string): string | null {
  return parsed === BRIDGE_DEFAULT ? null : parsed;
}

const guidSchema = z.guid({ message: 'Must be a bridge id (a GUID); `npm run mms -- bridges` lists them.' });

export function parseBridgeId(value: string): string {
  return check(guidSchema, value.trim());
}

/** `bridges add --type`: toll or tollFree (case-insensitive). */
export const parseNumberType = oneOf(['toll', 'tollFree'] as const);

const serviceNumberSchema = z.string().regex(/^(tel:)?\+?[1-9]\d{6,14}$/i, {
  message: 'Must be an E.164 number (+14255550123, 14255550123 or tel:+14255550123).',
});

/** A bridge's service number (`bridges add|remove <bridgeId> <number>`): checked, passed on as given. */
export function parseServiceNumber(value: string): string {
  return check(serviceNumberSchema, value.trim());
}

const placeSchema = z
  .string()
  .transform((v) => v.trim())
  .pipe(
    z
      .string()
      .min(1, { message: 'Must not be empty.' })
      .max(100, { message: 'Must be at most 100 characters.' }),
  );

/** `--city` / `--country`: non-empty text, at most 100 characters. */
export function parsePlace(value: string): string {
  return check(placeSchema, value);
}

const languagesSchema = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
  )
  .pipe(
    z
      .array(
        z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, {
          message: 'Must be comma-separated language tags like en-US,fr-FR.',
        }),
      )
      .min(1, { message: 'Must name at least one language (en-US,fr-FR).' })
      .max(20, { message: 'Must name at most 20 languages.' }),
  );

/** `--languages en-US,fr-FR`: BCP-47 tags, comma-separated. */
export function parseLanguages(value: string): string[] {
  return check(languagesSchema, value);
}

/** A directory object id (a GUID): `start --group`, `start --service-plan`. */
export const parseObjectId = parseBridgeId;

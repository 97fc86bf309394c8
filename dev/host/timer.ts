/**
 * Timer schedules as the Functions timer trigger reads them: six-field NCRONTAB expressions
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC unless WEBSITE_TIME_ZONE names an
 * IANA zone) or a TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`) interval, either possibly given as `%SETTING%`.
 */
import { CronExpressionParser } from 'cron-parser';

export interface Schedule {
  /** The expression after %SETTING% resolution. */
  expression: string;
  /** Next occurrence strictly after `after`. */
  next(after: Date): Date;
}

/** Replaces `%NAME%` with the app setting NAME (as the host does for binding expressions); throws if unset. */
export function resolveSetting(value: string, env: Record<string, string | undefined>, what: string): string {
  return value.replace(/%([^%]+)%/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new Error(`${what}: app setting "${name}" is not set`);
    return v;
  });
}

const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

export function parseSchedule(
  raw: string,
  env: Record<string, string | undefined>,
  functionName: string,
): Schedule {
  const expression = resolveSetting(raw, env, `Timer "${functionName}"`).trim();
  const ts = TIMESPAN.exec(expression);
  if (ts) {
    const ms = ((Number(ts[1] ?? 0) * 24 + Number(ts[2])) * 3600 + Number(ts[3]) * 60 + Number(ts[4])) * 1000;
    if (ms <= 0) throw new Error(`Timer "${functionName}": the interval "${expression}" must be positive`);
    return { expression, next: (after) => new Date(after.getTime() + ms) };
  }
  const fields = expression.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `Timer "${functionName}": "${expression}" is not a six-field NCRONTAB expression ` +
        '({second} {minute} {hour} {day} {month} {day-of-week})',
    );
  }
  const tz = env.WEBSITE_TIME_ZONE?.includes('/') ? env.WEBSITE_TIME_ZONE : 'UTC';
  try {
    CronExpressionParser.parse(expression, { tz, strict: false });
  } catch (err) {
    throw new Error(
      `Timer "${functionName}": cannot read "${expression}": ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return {
    expression,
    next: (after) => CronExpressionParser.parse(expression, { tz, currentDate: after }).next().toDate(),
  };
}

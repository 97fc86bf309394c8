/**
 * Log lines of the functions. In Azure every entry is one JSON object on one line, so that Application Insights
 * and Log Analytics read its properties (`parse_json(message)`): `level`, `message`, `functionName`,
 * `invocationId`, and for a migration run `userId`, `correlationId` and `retryCount` on every line of the run,
 * plus the entry's own data. The local host keeps the readable one-line form (`message key=value ...`).
 *
 *   const log = new RunLogger(sink, 'json', { functionName: 'migrateUser', invocationId });
 *   const run = log.with({ userId, correlationId, retryCount });
 *   run.info('migrateUser: started', { page: 1 });
 *   // {"level":"info","message":"migrateUser: started","functionName":"migrateUser","invocationId":"…","userId":"…",…,"page":1}
 *
 * The format is LOG_FORMAT (`json` or `text`); unset, it is `json` on Azure (WEBSITE_INSTANCE_ID is set on every
 * App Service and Functions instance) and `text` elsewhere.
 */
import { inspect } from 'node:util';

export type LogFormat = 'json' | 'text';
export type LogLevel = 'info' | 'warn' | 'error';

/** Where lines go: the invocation context's methods in a function. */
export type LogSink = Record<LogLevel, (line: string) => void>;

export function logFormat(env: Record<string, string | undefined> = process.env): LogFormat {
  const v = env.LOG_FORMAT?.trim().toLowerCase();
  if (v === 'json' || v === 'text') return v;
  return env.WEBSITE_INSTANCE_ID ? 'json' : 'text';
}

/** A value safe to put in a JSON line: errors as their name, message and stack; the rest as JSON allows. */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      ...(value.stack !== undefined ? { stack: value.stack } : {}),
    };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function textValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return inspect(value, { breakLength: Infinity, depth: 4, compact: true });
}

/** One entry as one line. */
export function formatLogLine(
  format: LogFormat,
  level: LogLevel,
  message: string,
  fields: Record<string, unknown>,
): string {
  if (format === 'json') {
    const entry: Record<string, unknown> = { level, message };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && !(k in entry)) entry[k] = plain(v);
    try {
      return JSON.stringify(entry);
    } catch {
      return JSON.stringify({ level, message, fields: inspect(fields, { breakLength: Infinity }) });
    }
  }
  const pairs = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${textValue(v)}`);
  return [message.replace(/\r?\n/g, ' '), ...pairs].join(' ').replace(/\r?\n/g, ' ');
}

export class RunLogger {
  constructor(
    private readonly sink: LogSink,
    readonly format: LogFormat,
    private readonly base: Record<string, unknown> = {},
  ) {}

  /** A logger whose every line also carries `extra` (e.g. the run's userId, correlationId, retryCount). */
  with(extra: Record<string, unknown>): RunLogger {
    return new RunLogger(this.sink, this.format, { ...this.base, ...extra });
  }

  private write(level: LogLevel, message: string, data?: Record<string, unknown>): void {
    // The base fields (function, invocation, run) come first and are not overridden by an entry's data.
    this.sink[level](formatLogLine(this.format, level, message, { ...data, ...this.base }));
  }

  info(message: string, data?: Record<string, unknown>): void {
    this.write('info', message, data);
  }
  warn(message: string, data?: Record<string, unknown>): void {
    this.write('warn', message, data);
  }
  error(message: string, data?: Record<string, unknown>): void {
    this.write('error', message, data);
  }

  /** The `(message, data) => void` form the services take. */
  get fn(): (message: string, data?: Record<string, unknown>) => void {
    return (message, data) => this.info(message, data);
  }
}

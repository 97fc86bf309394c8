/**
 * The sandbox's transport-independent request/response model (the HTTPS server and `$batch` both feed it),
 * Graph's error shape, and the OData helpers shared by the route modules ($select, $top, skip tokens).
 */
import { randomUUID } from 'node:crypto';

export interface SandboxRequest {
  method: string;
  /** Path below the version segment, e.g. `/users/abc/events` (already percent-decoded per segment). */
  path: string;
  /** Raw path segments (percent-decoded). */
  segments: string[];
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The raw request body text, if any. */
  body: string | undefined;
  /** Set for requests that arrive inside a `$batch`. */
  batchId?: string;
}

export interface SandboxResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON value (serialised by the transport) or raw text. */
  json?: unknown;
  text?: string;
}

export const JSON_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** A Graph error answer: thrown by route handlers, rendered with Graph's error shape. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

export function newRequestId(): string {
  return randomUUID();
}

/** Graph's innerError date: UTC, seconds precision, no zone suffix (as Graph sends it). */
export function graphDate(d = new Date()): string {
  return d.toISOString().slice(0, 19);
}

export function errorResponse(err: GraphError, requestId: string, clientRequestId: string): SandboxResponse {
  return {
    status: err.status,
    headers: { ...err.headers },
    json: {
      error: {
        code: err.code,
        message: err.message,
        innerError: { date: graphDate(), 'request-id': requestId, 'client-request-id': clientRequestId },
      },
    },
  };
}

export function ok(json: unknown, status = 200, headers: Record<string, string> = {}): SandboxResponse {
  return { status, headers, json };
}

export function noContent(): SandboxResponse {
  return { status: 204, headers: {} };
}

/** Parses a JSON request body; a missing or malformed body answers Graph's 400. */
export function parseJsonBody(req: SandboxRequest): unknown {
  if (req.body === undefined || req.body.trim() === '') {
    throw new GraphError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
  }
  try {
    return JSON.parse(req.body) as unknown;
  } catch {
    throw new GraphError(
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
}

/** A zod issue list rendered as one line naming every bad field. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((i) => `${i.path.length ? i.path.map((p) => String(p)).join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

/** Parsed `Prefer` header values, e.g. `outlook.body-content-type` → `text`. */
export function preferences(req: SandboxRequest): Map<string, string> {
  const out = new Map<string, string>();
  const raw = req.headers['prefer'];
  if (!raw) return out;
  for (const part of raw.split(',')) {
    const [k, ...rest] = part.split('=');
    if (!k) continue;
    const v = rest
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    out.set(k.trim().toLowerCase(), v);
  }
  return out;
}

/** `$select` as a list of property names (undefined when absent). */
export function selectList(req: SandboxRequest): string[] | undefined {
  const raw = req.query.get('$select');
  if (raw === null) return undefined;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return list.length ? list : undefined;
}

/** Keeps only the selected properties (plus `id` and OData annotations). */
export function applySelect(
  obj: Record<string, unknown>,
  select: string[] | undefined,
): Record<string, unknown> {
  if (!select) return obj;
  const want = new Set(select.map((s) => s.toLowerCase()));
  const out: Record<string, unknown> = {};
  // Only the selected properties are read (a property computed on demand, such as an event's bodyPreview, is
  // not computed for an answer that leaves it out).
  for (const k of Object.keys(obj)) {
    if (k.startsWith('@odata.') || k === 'id' || want.has(k.toLowerCase())) out[k] = obj[k];
  }
  return out;
}

/**
 * Only the query options the route's page documents: any other `$` option, or a parameter the route does not
 * take, answers 400, so that a client cannot come to rely on what Graph may ignore or refuse. Names compare
 * case-insensitively, as Graph's do.
 */
export function allowQueryOptions(req: SandboxRequest, allowed: readonly string[], route: string): void {
  const ok = new Set(allowed.map((a) => a.toLowerCase()));
  for (const name of req.query.keys()) {
    if (ok.has(name.toLowerCase())) continue;
    throw new GraphError(
      400,
      name.startsWith('$') ? 'BadRequest' : 'ErrorInvalidParameter',
      name.startsWith('$')
        ? `Query option '${name}' is not documented for ${route}; the sandbox refuses it.`
        : `The parameter '${name}' is not supported by ${route}.`,
    );
  }
}

/** `$top` (1..max) or the default; over the documented maximum → 400. */
export function topValue(req: SandboxRequest, dflt: number, max: number): number {
  const raw = req.query.get('$top');
  const preferred = preferences(req).get('odata.maxpagesize');
  if (raw === null) {
    const p = preferred === undefined ? NaN : Number(preferred);
    return Number.isInteger(p) && p > 0 ? Math.min(p, max) : dflt;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new GraphError(400, 'BadRequest', `Invalid value '${raw}' for $top query option found.`);
  }
  if (n > max) {
    throw new GraphError(
      400,
      'BadRequest',
      `Invalid value '${raw}' for $top query option found: the maximum for this route is ${max}.`,
    );
  }
  return Math.max(n, 1);
}

/** Opaque skip tokens: base64url JSON. */
export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeToken(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The offset carried by `$skiptoken` (0 when absent); a forged token answers 400. */
export function skipOffset(req: SandboxRequest): number {
  const raw = req.query.get('$skiptoken');
  if (raw === null) return 0;
  const v = decodeToken(raw);
  if (typeof v === 'object' && v !== null && 'o' in v && typeof v.o === 'number' && v.o >= 0) return v.o;
  throw new GraphError(400, 'BadRequest', 'The $skiptoken is not valid.');
}

/** The absolute URL of the same request with `$skiptoken` set to the next offset. */
export function nextLinkFor(baseUrl: string, req: SandboxRequest, nextOffset: number): string {
  const q = new URLSearchParams(req.query);
  q.delete('$skiptoken');
  q.set('$skiptoken', encodeToken({ o: nextOffset }));
  return `${baseUrl}/v1.0${encodePath(req.segments)}?${q.toString().replace(/%24/g, '$')}`;
}

export function encodePath(segments: readonly string[]): string {
  return segments.map((s) => '/' + encodeURIComponent(s)).join('');
}

/** One page of a collection with Graph's envelope. */
export function page<T>(
  baseUrl: string,
  req: SandboxRequest,
  context: string,
  items: readonly T[],
  pageSize: number,
  render: (item: T) => unknown,
): SandboxResponse {
  const offset = skipOffset(req);
  const slice = items.slice(offset, offset + pageSize);
  const body: Record<string, unknown> = { '@odata.context': context, value: slice.map(render) };
  if (offset + pageSize < items.length)
    body['@odata.nextLink'] = nextLinkFor(baseUrl, req, offset + pageSize);
  return ok(body);
}

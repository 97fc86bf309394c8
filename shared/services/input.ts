/**
 * Input checking for every admin endpoint: a zod schema applied to a body, query or route parameter, its first
 * problem turned into a 400 `invalidParameter` ServiceError naming the field (`Parameter "tollNumber": ...`,
 * `Parameter "color": is not a known field`). functions/http.ts uses it for bodies and query strings; the admin
 * services use it for the parts of a body they check themselves.
 */
import { z } from 'zod';
import { badRequest, type ServiceError } from './errors';

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * The ServiceError for the first issue of a failed parse of `value`; `fallback` names the parameter when the
 * issue is about the whole value.
 */
export function issueToError(
  issues: readonly z.core.$ZodIssue[],
  value: unknown,
  fallback = 'body',
  /** What an unknown key is called: a body's "field", a query string's "parameter". */
  unknownKeyNoun: 'field' | 'parameter' = 'field',
): ServiceError {
  const issue = issues[0];
  if (issue === undefined) return badRequest(fallback, 'invalid');
  const path = issue.path.map((p) => String(p)).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const field = path === '' ? key : `${path}.${key}`;
    return badRequest(field, `is not a known ${unknownKeyNoun}`);
  }
  if (issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(value, issue.path) === undefined) {
    return badRequest(path || fallback, 'is required');
  }
  if (issue.code === 'too_big' && issue.origin === 'string') {
    const v = valueAt(value, issue.path);
    const length = typeof v === 'string' ? ` (${v.length} characters)` : '';
    return badRequest(path || fallback, `is too long${length}; at most ${String(issue.maximum)} characters`);
  }
  return badRequest(path || fallback, issue.message);
}

/** `schema.parse(value)`, or a 400 naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, fallback = 'body'): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw issueToError(r.error.issues, value, fallback);
  return r.data;
}

/** A JSON object body (not an array, not null). */
export const objectBody = z.record(z.string(), z.unknown());

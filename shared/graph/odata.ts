/**
 * Pure helpers for Graph URLs: path segments, query strings, OData string literals.
 *
 * The Graph SDK (3.0.7) does not encode query values: it splits the query string on "&" and the first "=" and
 * sends the pieces as given. So every value is percent-encoded here, and "&", "=", "#", "+" and quotes inside
 * a value can never break the URL.
 */

/** Quotes a value as an OData string literal: wrapped in single quotes, inner single quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Encodes one path segment (a user id, a UPN with "#" or "'" in it, an event id with "/" or "+" in it). */
export function segment(value: string): string {
  if (value === '') throw new Error('A Graph path segment cannot be empty');
  return encodeURIComponent(value);
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

/**
 * Builds `path?query`. `$select` and `$orderby` arrays are joined with ",". Undefined values are left out.
 * Keys keep their `$`; values are percent-encoded (spaces as %20, as OData expects).
 */
export function buildPath(path: string, query: Record<string, QueryValue> = {}): string {
  const parts: string[] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(',') : String(raw);
    parts.push(`${key}=${encodeURIComponent(value)}`);
  }
  return parts.length === 0 ? path : `${path}?${parts.join('&')}`;
}

/** Graph's UTC date-time literal without offset and with whole seconds, as used in event filters and calendar windows. */
export function utcDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * HTTP route templates as the Functions host reads them (ASP.NET Core route template syntax, the subset function
 * apps use): literal segments (case-insensitive), `{name}`, optional `{name?}` (trailing segments only), catch-all
 * `{*name}`, and the inline constraints `int`, `long`, `bool`, `guid`, `alpha`, `minlength(n)`, `maxlength(n)`,
 * `length(n)`. When several templates match, the most specific wins (literal over constrained parameter over
 * parameter over optional over catch-all), as ASP.NET routing orders them.
 */

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; catchAll: boolean; constraints: Constraint[] };

type Constraint = { name: string; test: (value: string) => boolean };

export interface RouteTemplate {
  template: string;
  segments: Segment[];
  /** Sort key: lower is more specific. */
  precedence: number[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function constraint(spec: string, template: string): Constraint {
  const m = /^([a-z]+)(?:\((\d+)\))?$/i.exec(spec);
  const name = m?.[1]?.toLowerCase();
  const arg = m?.[2] === undefined ? undefined : Number(m[2]);
  const fail = (): never => {
    throw new Error(`Route "${template}": unsupported constraint ":${spec}"`);
  };
  switch (name) {
    case 'int':
      return { name, test: (v) => /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 2 ** 31 };
    case 'long':
      return { name, test: (v) => /^-?\d+$/.test(v) };
    case 'bool':
      return { name, test: (v) => /^(true|false)$/i.test(v) };
    case 'guid':
      return { name, test: (v) => GUID.test(v) };
    case 'alpha':
      return { name, test: (v) => /^[a-z]+$/i.test(v) };
    case 'minlength':
      if (arg === undefined) return fail();
      return { name, test: (v) => v.length >= arg };
    case 'maxlength':
      if (arg === undefined) return fail();
      return { name, test: (v) => v.length <= arg };
    case 'length':
      if (arg === undefined) return fail();
      return { name, test: (v) => v.length === arg };
    default:
      return fail();
  }
}

/** Parses a route template; throws naming the template when it is malformed. */
export function compileRoute(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  const segments: Segment[] = parts.map((part, i) => {
    const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)((?::[^:{}?]+)*)(\?)?\}$/.exec(part);
    if (!m) {
      if (/[{}]/.test(part)) throw new Error(`Route "${template}": cannot read segment "${part}"`);
      return { kind: 'literal', text: part };
    }
    const catchAll = m[1] === '*';
    if (catchAll && i !== parts.length - 1) {
      throw new Error(`Route "${template}": a catch-all parameter must be the last segment`);
    }
    const specs = (m[3] ?? '').split(':').filter((s) => s !== '');
    return {
      kind: 'param',
      name: m[2] ?? '',
      optional: m[4] === '?',
      catchAll,
      constraints: specs.map((s) => constraint(s, template)),
    };
  });
  const firstOptional = segments.findIndex((s) => s.kind === 'param' && s.optional);
  if (firstOptional >= 0 && segments.slice(firstOptional).some((s) => s.kind !== 'param' || !s.optional)) {
    throw new Error(`Route "${template}": only trailing segments can be optional`);
  }
  const precedence = segments.map((s) => {
    if (s.kind === 'literal') return 0;
    if (s.catchAll) return 4;
    if (s.optional) return 3;
    return s.constraints.length > 0 ? 1 : 2;
  });
  return { template, segments, precedence };
}

/** Route parameters when `path` (without prefix, query or leading slash) matches, else undefined. */
export function matchRoute(route: RouteTemplate, path: string): Record<string, string> | undefined {
  const parts = path === '' ? [] : path.replace(/\/+$/, '').split('/');
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    if (seg.kind === 'literal') {
      const part = parts[i];
      if (part === undefined || safeDecode(part).toLowerCase() !== seg.text.toLowerCase()) return undefined;
      i++;
      continue;
    }
    if (seg.catchAll) {
      const rest = parts.slice(i).map(safeDecode).join('/');
      if (rest === '' && !seg.optional) return undefined;
      if (rest !== '') params[seg.name] = rest;
      i = parts.length;
      continue;
    }
    const part = parts[i];
    if (part === undefined || part === '') {
      if (seg.optional) continue;
      return undefined;
    }
    const value = safeDecode(part);
    if (!seg.constraints.every((c) => c.test(value))) return undefined;
    params[seg.name] = value;
    i++;
  }
  return i === parts.length ? params : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Orders routes most specific first (segment by segment), longer routes before their prefixes. */
export function compareRoutes(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const pa = a.precedence[i];
    const pb = b.precedence[i];
    if (pa === undefined) return 1;
    if (pb === undefined) return -1;
    if (pa !== pb) return pa - pb;
  }
  return 0;
}

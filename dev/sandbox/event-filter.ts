/**
 * The OData `$filter` subset Outlook accepts on events: comparisons (eq, ne, gt, ge, lt, le) on simple
 * properties, `and`/`or`/`not`, parentheses, startswith/contains/endswith, and the extended-property lambda
 * `singleValueExtendedProperties/Any(ep: ep/id eq '...' and ep/value eq '...')`. Anything else answers 400 with
 * Outlook's ErrorInvalidUrlQueryFilter.
 */
import { GraphError } from './http';
import { normalisePropertyId, type ExtendedProperty } from './tenant';

export interface FilterRow {
  /** The event as served (UTC). */
  json: Record<string, unknown>;
  props: readonly ExtendedProperty[];
}

type Value = string | number | boolean | null;
type Pred = (row: FilterRow, lambda?: ExtendedProperty) => boolean;

const FILTERABLE = new Set([
  'id',
  'isorganizer',
  'type',
  'start/datetime',
  'end/datetime',
  'subject',
  'isonlinemeeting',
  'iscancelled',
  'isallday',
  'isdraft',
  'onlinemeetingprovider',
  'icaluid',
  'seriesmasterid',
  'organizer/emailaddress/address',
  'organizer/emailaddress/name',
  'createddatetime',
  'lastmodifieddatetime',
  'hasattachments',
  'showas',
  'importance',
  'sensitivity',
]);
const DATE_PATHS = new Set(['start/datetime', 'end/datetime', 'createddatetime', 'lastmodifieddatetime']);

function bad(detail: string): GraphError {
  return new GraphError(
    400,
    'ErrorInvalidUrlQueryFilter',
    `The query filter contains one or more invalid nodes. ${detail}`,
  );
}

interface Token {
  kind: 'id' | 'str' | 'num' | 'punct' | 'date';
  text: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw bad('Unterminated string literal.');
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i];
        i++;
      }
      out.push({ kind: 'str', text: s });
    } else if ('(),:'.includes(c)) {
      out.push({ kind: 'punct', text: c });
      i++;
    } else {
      const date = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})?/.exec(src.slice(i));
      if (date) {
        out.push({ kind: 'date', text: date[0] });
        i += date[0].length;
        continue;
      }
      const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (num) {
        out.push({ kind: 'num', text: num[0] });
        i += num[0].length;
        continue;
      }
      const id = /^[A-Za-z_][A-Za-z0-9_./]*/.exec(src.slice(i));
      if (!id) throw bad(`Unexpected character '${c}'.`);
      out.push({ kind: 'id', text: id[0] });
      i += id[0].length;
    }
  }
  return out;
}

function lookup(json: Record<string, unknown>, path: string): unknown {
  let cur: unknown = json;
  for (const seg of path.split('/')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    const key = Object.keys(cur).find((k) => k.toLowerCase() === seg.toLowerCase());
    cur = key === undefined ? undefined : (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function compare(op: string, a: unknown, b: Value, isDate: boolean): boolean {
  let x: unknown = a;
  let y: unknown = b;
  if (isDate) {
    const ms = (v: unknown) =>
      typeof v === 'string' ? Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(v) ? v : `${v}Z`) : NaN;
    x = ms(a);
    y = ms(b);
  } else if (typeof a === 'string' && typeof b === 'string') {
    x = a.toLowerCase();
    y = b.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return x === y;
    case 'ne':
      return x !== y;
    case 'gt':
      return (x as number) > (y as number);
    case 'ge':
      return (x as number) >= (y as number);
    case 'lt':
      return (x as number) < (y as number);
    case 'le':
      return (x as number) <= (y as number);
  }
  throw bad(`Unsupported operator '${op}'.`);
}

class Parser {
  private pos = 0;
  private lambdaVar: string | undefined;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw bad('Unexpected end of filter.');
    return t;
  }

  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw bad(`Expected '${text}' but found '${t.text}'.`);
  }

  private isWord(word: string): boolean {
    const t = this.peek();
    return t?.kind === 'id' && t.text.toLowerCase() === word;
  }

  parse(): Pred {
    const p = this.or();
    if (this.pos !== this.tokens.length) throw bad(`Unexpected '${this.peek()?.text}'.`);
    return p;
  }

  private or(): Pred {
    let left = this.and();
    while (this.isWord('or')) {
      this.pos++;
      const l = left;
      const r = this.and();
      left = (row, lam) => l(row, lam) || r(row, lam);
    }
    return left;
  }

  private and(): Pred {
    let left = this.unary();
    while (this.isWord('and')) {
      this.pos++;
      const l = left;
      const r = this.unary();
      left = (row, lam) => l(row, lam) && r(row, lam);
    }
    return left;
  }

  private unary(): Pred {
    if (this.isWord('not')) {
      this.pos++;
      const inner = this.unary();
      return (row, lam) => !inner(row, lam);
    }
    return this.primary();
  }

  private literal(): Value {
    const t = this.next();
    if (t.kind === 'str' || t.kind === 'date') return t.text;
    if (t.kind === 'num') return Number(t.text);
    if (t.kind === 'id' && ['true', 'false', 'null'].includes(t.text.toLowerCase())) {
      return t.text.toLowerCase() === 'null' ? null : t.text.toLowerCase() === 'true';
    }
    throw bad(`Expected a literal but found '${t.text}'.`);
  }

  /** A property path: returns a getter and whether it holds a date-time. */
  private operand(path: string): {
    get: (row: FilterRow, lam?: ExtendedProperty) => unknown;
    isDate: boolean;
    isId: boolean;
  } {
    const lower = path.toLowerCase();
    if (this.lambdaVar && lower.startsWith(this.lambdaVar.toLowerCase() + '/')) {
      const field = lower.slice(this.lambdaVar.length + 1);
      if (field === 'id') return { get: (_r, lam) => lam?.id, isDate: false, isId: true };
      if (field === 'value') return { get: (_r, lam) => lam?.value, isDate: false, isId: false };
      throw bad(`Unsupported lambda property '${path}'.`);
    }
    if (!FILTERABLE.has(lower)) throw bad(`Filtering on '${path}' is not supported.`);
    return { get: (row) => lookup(row.json, path), isDate: DATE_PATHS.has(lower), isId: false };
  }

  private primary(): Pred {
    const t = this.next();
    if (t.text === '(') {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (t.kind !== 'id') throw bad(`Unexpected '${t.text}'.`);
    const lower = t.text.toLowerCase();
    if (lower === 'singlevalueextendedproperties/any') {
      if (this.lambdaVar) throw bad('Nested lambda expressions are not supported.');
      this.expect('(');
      const v = this.next();
      if (v.kind !== 'id') throw bad('Expected a lambda variable.');
      this.expect(':');
      this.lambdaVar = v.text;
      const inner = this.or();
      this.lambdaVar = undefined;
      this.expect(')');
      return (row) => row.props.some((p) => inner(row, p));
    }
    if (['startswith', 'contains', 'endswith'].includes(lower)) {
      this.expect('(');
      const pathTok = this.next();
      if (pathTok.kind !== 'id') throw bad(`${t.text} expects a property first.`);
      const opnd = this.operand(pathTok.text);
      this.expect(',');
      const lit = this.literal();
      this.expect(')');
      if (typeof lit !== 'string') throw bad(`${t.text} expects a string.`);
      const needle = lit.toLowerCase();
      return (row, lam) => {
        const v = opnd.get(row, lam);
        if (typeof v !== 'string') return false;
        const hay = v.toLowerCase();
        return lower === 'startswith'
          ? hay.startsWith(needle)
          : lower === 'endswith'
            ? hay.endsWith(needle)
            : hay.includes(needle);
      };
    }
    const opnd = this.operand(t.text);
    const opTok = this.next();
    const op = opTok.text.toLowerCase();
    if (!['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op))
      throw bad(`Unsupported operator '${opTok.text}'.`);
    const lit = this.literal();
    if (opnd.isId) {
      if (typeof lit !== 'string' || (op !== 'eq' && op !== 'ne'))
        throw bad('ep/id supports eq and ne with a string.');
      const want = normalisePropertyId(lit);
      return (_row, lam) => (lam ? normalisePropertyId(lam.id) === want : false) === (op === 'eq');
    }
    return (row, lam) => compare(op, opnd.get(row, lam), lit, opnd.isDate);
  }
}

/** Compiles `$filter` for events; undefined when absent. */
export function compileEventFilter(raw: string | null): ((row: FilterRow) => boolean) | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  const pred = new Parser(tokenize(raw)).parse();
  return (row) => pred(row);
}

/** Parses `$filter` inside `$expand=singleValueExtendedProperties(...)`: `id eq '...'` joined by `or`. */
export function compilePropertyIdFilter(raw: string): (p: ExtendedProperty) => boolean {
  const tokens = tokenize(raw);
  const ids: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const [a, b, c] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (a?.text.toLowerCase() !== 'id' || b?.text.toLowerCase() !== 'eq' || c?.kind !== 'str') {
      throw new GraphError(
        400,
        'BadRequest',
        "Expanding singleValueExtendedProperties supports $filter=id eq '<id>' only.",
      );
    }
    ids.push(normalisePropertyId(c.text));
    i += 3;
    if (i < tokens.length) {
      if (tokens[i]?.text.toLowerCase() !== 'or') throw new GraphError(400, 'BadRequest', 'Expected or.');
      i++;
    }
  }
  return (p) => ids.includes(normalisePropertyId(p.id));
}

/**
 * Checks JSON against the official Graph v1.0 schema subset (schema/graph-v1.0-schema.json): every property is a
 * declared structural or navigation property of the type or its base types, with a value of the right EDM kind,
 * enum values among the enum's members, and nested complex values checked the same way. A value carrying
 * `@odata.type` is checked as that type, which must be the declared type or derive from it. OData control
 * information (`@odata.*`, `prop@odata.*`) is allowed, and `@removed` (delta's deletion marker, user-delta.md).
 * Open types with no declared properties (e.g. resourceData) accept dynamic properties; other open types do not
 * (stricter than Graph: a property the schema does not declare is a typo until a document says otherwise).
 *
 * The sandbox runs these checks on every request body it accepts and every JSON answer it sends when shape checks
 * are on (server.ts); the contract tests use them directly (test/support/graph-schema.ts).
 */
import { graphSchema, typeNavigation, typeProperties, type SchemaType } from './schema';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME_OF_DAY = /^\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/;
const BASE64 = /^[A-Za-z0-9+/=_-]*$/;

/**
 * `request`: a body sent to Graph, where enum members match in any case (Graph's own samples send `"HTML"` for
 * bodyType); `response`: what Graph sends, members exactly as the schema spells them.
 */
type Mode = 'request' | 'response';

function checkValue(
  value: unknown,
  type: string,
  nullable: boolean,
  path: string,
  out: string[],
  mode: Mode,
): void {
  if (value === null) {
    if (!nullable) out.push(`${path}: null but not nullable (${type})`);
    return;
  }
  if (type.startsWith('Collection(')) {
    const item = type.slice('Collection('.length, -1);
    if (!Array.isArray(value)) {
      out.push(`${path}: expected an array of ${item}`);
      return;
    }
    value.forEach((v, i) => checkValue(v, item, false, `${path}[${i}]`, out, mode));
    return;
  }
  switch (type) {
    case 'Edm.String':
      if (typeof value !== 'string') out.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.Boolean':
      if (typeof value !== 'boolean') out.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.Int32':
    case 'Edm.Int64':
      if (typeof value !== 'number' || !Number.isInteger(value))
        out.push(`${path}: expected an integer, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.Double':
    case 'Edm.Single':
      if (typeof value !== 'number') out.push(`${path}: expected a number, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.Guid':
      if (typeof value !== 'string' || !GUID.test(value))
        out.push(`${path}: expected a GUID, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.DateTimeOffset':
      if (typeof value !== 'string' || !DATE_TIME_OFFSET.test(value) || Number.isNaN(Date.parse(value))) {
        out.push(`${path}: expected a DateTimeOffset, got ${JSON.stringify(value)}`);
      }
      return;
    case 'Edm.Date':
      if (typeof value !== 'string' || !DATE.test(value))
        out.push(`${path}: expected a Date, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.TimeOfDay':
      if (typeof value !== 'string' || !TIME_OF_DAY.test(value))
        out.push(`${path}: expected a TimeOfDay, got ${JSON.stringify(value)}`);
      return;
    case 'Edm.Binary':
      if (typeof value !== 'string' || !BASE64.test(value)) out.push(`${path}: expected base64`);
      return;
    case 'Edm.Stream':
      return;
  }
  const name = type.replace(/^graph\./, '');
  const schema = graphSchema();
  const en = schema.enums[name];
  if (en) {
    const members = en.flags && typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [value];
    for (const m of members) {
      const known =
        typeof m === 'string' &&
        (en.members.includes(m) ||
          (mode === 'request' && en.members.some((x) => x.toLowerCase() === m.toLowerCase())));
      if (!known) out.push(`${path}: ${JSON.stringify(m)} is not a member of ${name}`);
    }
    return;
  }
  if (!schema.types[name]) {
    out.push(`${path}: type ${type} is not in the schema subset`);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    out.push(`${path}: expected an object of type ${name}`);
    return;
  }
  checkObject(value as Record<string, unknown>, name, path, out, mode);
}

function derivesFrom(typeName: string, base: string): boolean {
  for (let t: string | null | undefined = typeName; t; t = graphSchema().types[t]?.base) {
    if (t === base) return true;
  }
  return false;
}

function nullableOf(t: SchemaType, key: string): boolean {
  for (let cur: SchemaType | undefined = t; cur; cur = cur.base ? graphSchema().types[cur.base] : undefined) {
    const p = cur.properties[key];
    if (p) return p.nullable !== false;
  }
  return true;
}

function checkRemoved(value: unknown, at: string, out: string[]): void {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.keys(value).some((k) => k !== 'reason') ||
    !['changed', 'deleted'].includes(String((value as { reason?: unknown }).reason))
  ) {
    out.push(`${at}: expected { reason: 'changed' | 'deleted' }`);
  }
}

function checkObject(
  obj: Record<string, unknown>,
  declared: string,
  path: string,
  out: string[],
  mode: Mode,
): void {
  let typeName = declared;
  const cast = obj['@odata.type'];
  const declaredType = graphSchema().types[declared];
  // An open type without declared properties (resourceData) carries the @odata.type of the resource it describes.
  const dynamicDeclared = declaredType?.open === true && typeProperties(declared).size === 0;
  if (cast !== undefined && !dynamicDeclared) {
    const name = typeof cast === 'string' ? cast.replace(/^#?(microsoft\.)?graph\./, '') : '';
    if (!graphSchema().types[name]) {
      out.push(`${path || '(body)'}: @odata.type ${JSON.stringify(cast)} is not a type of the schema subset`);
      return;
    }
    if (!derivesFrom(name, declared)) {
      out.push(`${path || '(body)'}: @odata.type ${JSON.stringify(cast)} is not a ${declared}`);
      return;
    }
    typeName = name;
  }
  const t = graphSchema().types[typeName];
  if (!t) {
    out.push(`${path || '(body)'}: unknown type ${typeName}`);
    return;
  }
  const props = typeProperties(typeName);
  const nav = typeNavigation(typeName);
  const dynamic = t.open && props.size === 0;
  for (const [key, value] of Object.entries(obj)) {
    const at = path ? `${path}.${key}` : key;
    if (key.startsWith('@odata.')) continue;
    if (key === '@removed') {
      checkRemoved(value, at, out);
      continue;
    }
    const annotated = /^(.+)@odata\.\w+$/.exec(key);
    if (annotated?.[1]) {
      if (!props.has(annotated[1]) && !nav.has(annotated[1]))
        out.push(`${at}: annotation of an undeclared property`);
      continue;
    }
    if (dynamic) continue;
    const propType = props.get(key);
    if (propType) {
      checkValue(value, propType, nullableOf(t, key), at, out, mode);
      continue;
    }
    const navType = nav.get(key);
    if (navType) {
      checkValue(value, navType, true, at, out, mode);
      continue;
    }
    out.push(`${at}: '${key}' is not a declared property of ${typeName} or its base types`);
  }
}

/** Every violation of the schema in `obj` served (or, mode `request`, sent) as `typeName`; empty when it conforms. */
export function graphSchemaViolations(obj: unknown, typeName: string, mode: Mode = 'response'): string[] {
  const out: string[] = [];
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return [`(body): expected an object of type ${typeName}`];
  checkObject(obj as Record<string, unknown>, typeName, '', out, mode);
  return out;
}

/** A collection answer: `value` holds items of `itemType`; beside it only OData control information. */
export function collectionViolations(obj: unknown, itemType: string): string[] {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return [`(body): expected a collection of ${itemType}`];
  const out: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (key.startsWith('@odata.')) continue;
    if (key !== 'value') {
      out.push(`${key}: '${key}' is not part of a collection answer`);
      continue;
    }
    if (!Array.isArray(value)) {
      out.push('value: expected an array');
      continue;
    }
    value.forEach((v, i) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        out.push(`value[${i}]: expected an object of type ${itemType}`);
      else checkObject(v as Record<string, unknown>, itemType, `value[${i}]`, out, 'response');
    });
  }
  if (!('value' in obj)) out.push('value: missing');
  return out;
}

/** The parameters of a bound action (`onlineMeeting.createOrGet`): declared names, EDM kinds, required ones. */
export function actionParameterViolations(obj: unknown, action: string): string[] {
  const a = graphSchema().actions[action];
  if (!a) return [`(body): action ${action} is not in the schema subset`];
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return [`(body): expected the parameters of ${action}`];
  const out: string[] = [];
  const body = obj as Record<string, unknown>;
  for (const [key, value] of Object.entries(body)) {
    const p = a.parameters[key];
    if (!p) {
      out.push(`${key}: '${key}' is not a parameter of ${action}`);
      continue;
    }
    checkValue(value, p.type, p.nullable !== false, key, out, 'request');
  }
  for (const [key, p] of Object.entries(a.parameters)) {
    if (p.nullable === false && !(key in body)) out.push(`${key}: required parameter of ${action} missing`);
  }
  return out;
}

/**
 * Graph's error answer (DC `concepts/errors.md`): `{ error: { code, message, innerError?, details? } }`, code and
 * message strings; innerError holds strings (`date`, `request-id`, `client-request-id`) and may nest an
 * innerError; details are `{ code, message, target? }`.
 */
export function errorBodyViolations(obj: unknown): string[] {
  const out: string[] = [];
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return ['(body): expected { error }'];
  for (const key of Object.keys(obj)) if (key !== 'error') out.push(`${key}: not part of an error answer`);
  const e = (obj as { error?: unknown }).error;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return [...out, 'error: expected an object'];
  const err = e as Record<string, unknown>;
  for (const [key, value] of Object.entries(err)) {
    switch (key) {
      case 'code':
      case 'message':
      case 'target':
        if (typeof value !== 'string') out.push(`error.${key}: expected a string`);
        break;
      case 'innerError':
        checkInnerError(value, 'error.innerError', out);
        break;
      case 'details':
        if (!Array.isArray(value)) out.push('error.details: expected an array');
        else
          value.forEach((d, i) => {
            const at = `error.details[${i}]`;
            if (typeof d !== 'object' || d === null) return out.push(`${at}: expected an object`);
            for (const [k, v] of Object.entries(d as Record<string, unknown>)) {
              if (!['code', 'message', 'target'].includes(k))
                out.push(`${at}.${k}: not part of an error detail`);
              else if (typeof v !== 'string') out.push(`${at}.${k}: expected a string`);
            }
          });
        break;
      default:
        out.push(`error.${key}: not part of Graph's error shape`);
    }
  }
  if (typeof err.code !== 'string') out.push('error.code: missing');
  if (typeof err.message !== 'string') out.push('error.message: missing');
  return out;
}

function checkInnerError(value: unknown, at: string, out: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.push(`${at}: expected an object`);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'innerError') checkInnerError(v, `${at}.innerError`, out);
    else if (!['date', 'request-id', 'client-request-id', 'code', 'message'].includes(k))
      out.push(`${at}.${k}: not part of Graph's innerError`);
    else if (typeof v !== 'string') out.push(`${at}.${k}: expected a string`);
  }
}

/**
 * What a route exchanges, as the route table declares it: `request` is the Graph type of the JSON body it accepts
 * (`event`, or `action:<binding>.<name>` for an action's parameters), absent when it takes none; `response` is the
 * type of a 2xx answer's JSON (`event`, `Collection(event)`), null when the answer has no body.
 */
export interface RouteShapes {
  request?: string;
  response: string | null;
}

/** Violations of a request body (already parsed) against the route's declared request type. */
export function requestViolations(shapes: RouteShapes, body: unknown): string[] {
  if (shapes.request === undefined) return ['(body): this request takes no body'];
  if (shapes.request.startsWith('action:'))
    return actionParameterViolations(body, shapes.request.slice('action:'.length));
  return graphSchemaViolations(body, shapes.request, 'request');
}

/** Violations of an answer: a 2xx against the route's response type, anything else against the error shape. */
export function responseViolations(shapes: RouteShapes, status: number, json: unknown): string[] {
  if (status >= 400) return errorBodyViolations(json);
  if (shapes.response === null) return ['(body): this answer has no body'];
  if (shapes.response.startsWith('Collection('))
    return collectionViolations(json, shapes.response.slice('Collection('.length, -1));
  return graphSchemaViolations(json, shapes.response);
}

export interface ShapeViolation {
  time: string;
  /** What was checked: a request body the sandbox received, an answer it sent, a notification it delivered. */
  direction: 'request' | 'response' | 'notification';
  method: string;
  path: string;
  /** The route pattern (or the notification URL). */
  route: string;
  violations: string[];
}

/**
 * The sandbox's shape checks: off by default (they cost a walk over every body), on when the sandbox is started
 * with `checkShapes` or with SANDBOX_CHECK_SHAPES=1 in the environment (the test harness sets it for every test
 * process and the local hosts they start; `npm start --check-shapes` asks for it). Violations are answered (400 for
 * a request, 500 for an answer) and kept here until a test takes them; a sandbox stopped with violations left
 * fails its test.
 */
export class ShapeChecks {
  private readonly found: ShapeViolation[] = [];

  constructor(public enabled: boolean) {}

  record(v: Omit<ShapeViolation, 'time'>): void {
    this.found.push({ time: new Date().toISOString(), ...v });
    console.error(
      `[sandbox] ${v.direction} of ${v.method} ${v.path} does not conform to the Graph v1.0 schema: ${v.violations.join('; ')}`,
    );
  }

  /** The violations found so far (not cleared). */
  list(): readonly ShapeViolation[] {
    return this.found;
  }

  /** The violations found so far, cleared: a test that provokes one on purpose takes it. */
  take(): ShapeViolation[] {
    return this.found.splice(0, this.found.length);
  }
}

/** SANDBOX_CHECK_SHAPES=1 (or true) turns the checks on for sandboxes that do not say otherwise. */
export function shapeChecksFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.SANDBOX_CHECK_SHAPES?.toLowerCase();
  return v === '1' || v === 'true';
}

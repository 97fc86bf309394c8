/**
 * Checks that a JSON object served as a Graph type conforms to the official Graph v1.0 schema subset
 * (dev/sandbox/schema/graph-v1.0-schema.json): every property is a declared structural or navigation property
 * of the type or its base types, with a value of the right EDM kind, enum values among the enum's members, and
 * nested complex values checked the same way. OData annotations (`@odata.*`, `prop@odata.*`) are allowed.
 * Open types with no declared properties (e.g. resourceData) accept dynamic properties.
 */
import assert from 'node:assert/strict';
import { graphSchema, typeNavigation, typeProperties } from '../../dev/sandbox/schema';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME_OF_DAY = /^\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/;

function checkValue(value: unknown, type: string, nullable: boolean, path: string, out: string[]): void {
  if (value === null) {
    if (!nullable) out.push(`${path}: null but not nullable (${type})`);
    return;
  }
  const coll = /^Collection\((.+)\)$/.exec(type);
  if (coll?.[1]) {
    if (!Array.isArray(value)) {
      out.push(`${path}: expected an array of ${coll[1]}`);
      return;
    }
    value.forEach((v, i) => checkValue(v, coll[1]!, false, `${path}[${i}]`, out));
    return;
  }
  switch (type) {
    case 'Edm.String':
      if (typeof value !== 'string') out.push(`${path}: expected a string`);
      return;
    case 'Edm.Boolean':
      if (typeof value !== 'boolean') out.push(`${path}: expected a boolean`);
      return;
    case 'Edm.Int32':
    case 'Edm.Int64':
      if (typeof value !== 'number' || !Number.isInteger(value)) out.push(`${path}: expected an integer`);
      return;
    case 'Edm.Double':
    case 'Edm.Single':
      if (typeof value !== 'number') out.push(`${path}: expected a number`);
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
      if (typeof value !== 'string' || !TIME_OF_DAY.test(value)) out.push(`${path}: expected a TimeOfDay`);
      return;
    case 'Edm.Binary':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/=_-]*$/.test(value))
        out.push(`${path}: expected base64`);
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
      if (typeof m !== 'string' || !en.members.includes(m))
        out.push(`${path}: ${JSON.stringify(m)} is not a member of ${name}`);
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
  checkObject(value as Record<string, unknown>, name, path, out);
}

function checkObject(obj: Record<string, unknown>, typeName: string, path: string, out: string[]): void {
  const t = graphSchema().types[typeName];
  if (!t) {
    out.push(`${path}: unknown type ${typeName}`);
    return;
  }
  const props = typeProperties(typeName);
  const nav = typeNavigation(typeName);
  const dynamic = t.open && props.size === 0;
  for (const [key, value] of Object.entries(obj)) {
    const at = path ? `${path}.${key}` : key;
    if (key.startsWith('@odata.')) continue;
    const annotated = /^(.+)@odata\.\w+$/.exec(key);
    if (annotated?.[1]) {
      if (!props.has(annotated[1]) && !nav.has(annotated[1]))
        out.push(`${at}: annotation of an undeclared property`);
      continue;
    }
    if (dynamic) continue;
    const propType = props.get(key);
    if (propType) {
      let nullable = true;
      for (
        let cur: typeof t | undefined = t;
        cur;
        cur = cur.base ? graphSchema().types[cur.base] : undefined
      ) {
        const p = cur.properties[key];
        if (p) {
          nullable = p.nullable !== false;
          break;
        }
      }
      checkValue(value, propType, nullable, at, out);
      continue;
    }
    const navType = nav.get(key);
    if (navType) {
      checkValue(value, navType, true, at, out);
      continue;
    }
    out.push(`${at}: '${key}' is not a declared property of ${typeName} or its base types`);
  }
}

/** Every violation of the schema in `obj` served as `typeName` (empty when it conforms). */
export function graphSchemaViolations(obj: unknown, typeName: string): string[] {
  const out: string[] = [];
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return [`expected an object of type ${typeName}`];
  checkObject(obj as Record<string, unknown>, typeName, '', out);
  return out;
}

export function assertConformsToGraphSchema(obj: unknown, typeName: string): void {
  const violations = graphSchemaViolations(obj, typeName);
  assert.deepEqual(
    violations,
    [],
    `${typeName} does not conform to the Graph v1.0 schema:\n${violations.join('\n')}`,
  );
}

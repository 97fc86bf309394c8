/**
 * The official Graph v1.0 schema subset (schema/graph-v1.0-schema.json, a copy of
 * shared/reference/graph-v1.0-schema.json), read at runtime from the source tree. The sandbox uses it to check
 * `$select` names and, when shape checks are on (schema-check.ts), every body it accepts and serves.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface SchemaProperty {
  type: string;
  nullable?: boolean;
}

export interface SchemaType {
  kind: 'EntityType' | 'ComplexType';
  base: string | null;
  abstract: boolean;
  open: boolean;
  properties: Record<string, SchemaProperty>;
  /** Navigation property name → type, e.g. `Collection(graph.singleValueLegacyExtendedProperty)`. */
  navigation: Record<string, string>;
}

export interface GraphSchema {
  types: Record<string, SchemaType>;
  enums: Record<string, { flags: boolean; members: string[] }>;
  /** Bound actions by `<binding type>.<action>`: their body parameters (e.g. `onlineMeeting.createOrGet`). */
  actions: Record<string, { binding: string; parameters: Record<string, SchemaProperty> }>;
}

/** The repository root: the nearest ancestor of this file's directory holding package.json. */
export function repoRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${from}`);
    dir = parent;
  }
}

let cached: GraphSchema | undefined;

export function graphSchema(): GraphSchema {
  cached ??= JSON.parse(
    readFileSync(join(repoRoot(), 'dev', 'sandbox', 'schema', 'graph-v1.0-schema.json'), 'utf8'),
  ) as GraphSchema;
  return cached;
}

const propertyCache = new Map<string, Map<string, string>>();
const navigationCache = new Map<string, Map<string, string>>();

/** Structural properties of a type and its base types (name → EDM type). */
export function typeProperties(typeName: string): Map<string, string> {
  const hit = propertyCache.get(typeName);
  if (hit) return hit;
  const out = new Map<string, string>();
  propertyCache.set(typeName, out);
  let t: SchemaType | undefined = graphSchema().types[typeName];
  while (t) {
    for (const [k, v] of Object.entries(t.properties)) if (!out.has(k)) out.set(k, v.type);
    t = t.base ? graphSchema().types[t.base] : undefined;
  }
  return out;
}

/** Navigation properties of a type and its base types. */
export function typeNavigation(typeName: string): Map<string, string> {
  const hit = navigationCache.get(typeName);
  if (hit) return hit;
  const out = new Map<string, string>();
  navigationCache.set(typeName, out);
  let t: SchemaType | undefined = graphSchema().types[typeName];
  while (t) {
    for (const [k, v] of Object.entries(t.navigation)) if (!out.has(k)) out.set(k, v);
    t = t.base ? graphSchema().types[t.base] : undefined;
  }
  return out;
}

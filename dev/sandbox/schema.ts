/**
 * The official Graph v1.0 schema subset (schema/graph-v1.0-schema.json, a copy of
 * shared/reference/graph-v1.0-schema.json), read at runtime from the source tree. The sandbox uses it to check
 * `$select` names; the contract tests use it to check that what the sandbox serves conforms.
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

/** Structural properties of a type and its base types (name → EDM type). */
export function typeProperties(typeName: string): Map<string, string> {
  const out = new Map<string, string>();
  let t: SchemaType | undefined = graphSchema().types[typeName];
  while (t) {
    for (const [k, v] of Object.entries(t.properties)) if (!out.has(k)) out.set(k, v.type);
    t = t.base ? graphSchema().types[t.base] : undefined;
  }
  return out;
}

/** Navigation properties of a type and its base types. */
export function typeNavigation(typeName: string): Map<string, string> {
  const out = new Map<string, string>();
  let t: SchemaType | undefined = graphSchema().types[typeName];
  while (t) {
    for (const [k, v] of Object.entries(t.navigation)) if (!out.has(k)) out.set(k, v);
    t = t.base ? graphSchema().types[t.base] : undefined;
  }
  return out;
}

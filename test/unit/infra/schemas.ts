/**
 * Checks the deployment templates against the real resource schemas vendored in infra/schemas/ (see its
 * README.md for where each comes from):
 *
 * - every Terraform resource, data source and provider block: each argument and nested block must exist in the
 *   provider's schema for the pinned version, and every required one must be set;
 * - every Bicep resource (and the `body` of every azapi resource in Terraform): each property must exist in the ARM
 *   schema of the resource type and API version, and no read-only property may be set.
 *
 * The checks return findings (strings naming file, resource and property) rather than asserting, so tests can feed
 * them invented names and prove they are caught.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BicepExpr,
  isBicepObject,
  rel,
  ROOT,
  type BicepResource,
  type BicepValue,
  type HclJson,
} from './iac';

export const SCHEMAS_DIR = join(ROOT, 'infra', 'schemas');

// #region schema files

interface TerraformArgument {
  required: boolean;
  map?: boolean;
}
export interface TerraformBlockSchema {
  arguments: Record<string, TerraformArgument>;
  blocks?: Record<string, TerraformBlockSchema & { required?: boolean }>;
}
interface TerraformProviderSchema {
  version: string;
  source: string;
  provider: TerraformBlockSchema;
  resources: Record<string, TerraformBlockSchema>;
  data: Record<string, TerraformBlockSchema>;
}
export interface TerraformSchemas {
  providers: Record<string, TerraformProviderSchema>;
}

export interface ArmProperty {
  type: 'string' | 'number' | 'boolean' | 'object' | 'array' | 'map' | 'any';
  ref?: string;
  properties?: Record<string, ArmProperty>;
  items?: ArmProperty;
  values?: ArmProperty;
  readOnly?: boolean;
}
export interface ArmSchemas {
  resources: Record<string, { source: string; body: string }>;
  types: Record<string, { properties: Record<string, ArmProperty> }>;
}

const readJson = (name: string): unknown => JSON.parse(readFileSync(join(SCHEMAS_DIR, name), 'utf8'));

export function terraformSchemas(): TerraformSchemas {
  const all = readJson('terraform-providers.json') as TerraformSchemas;
  const azapi = readJson('azapi.json') as TerraformProviderSchema;
  return { providers: { ...all.providers, azapi } };
}

export function armSchemas(): ArmSchemas {
  return readJson('arm-resources.json') as ArmSchemas;
}

// #endregion

// #region Terraform

/** Meta-arguments Terraform itself defines for every resource (and data source). */
const RESOURCE_META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner']);
const LIFECYCLE = new Set([
  'create_before_destroy',
  'prevent_destroy',
  'ignore_changes',
  'replace_triggered_by',
  'precondition',
  'postcondition',
]);

const isObject = (v: unknown): v is HclJson => typeof v === 'object' && v !== null && !Array.isArray(v);

/** hcl2json writes a block as an array of bodies; an attribute holding an object stays an object. */
function blockBodies(v: unknown): HclJson[] | undefined {
  return Array.isArray(v) && v.every(isObject) ? v : undefined;
}

/** Findings for one block body against its schema (`where` names it in the messages). */
export function checkTerraformBlock(
  body: HclJson,
  schema: TerraformBlockSchema,
  where: string,
  meta: ReadonlySet<string> = new Set(),
): string[] {
  const findings: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === 'lifecycle' && meta.has('lifecycle')) {
      for (const lc of blockBodies(value) ?? []) {
        for (const k of Object.keys(lc)) {
          if (!LIFECYCLE.has(k)) findings.push(`${where}: lifecycle has no argument "${k}"`);
        }
      }
      continue;
    }
    if (meta.has(key)) continue;
    if (key === 'dynamic') {
      findings.push(`${where}: dynamic blocks are not checked; write the block out`);
      continue;
    }
    const block = schema.blocks?.[key];
    if (block) {
      const bodies = blockBodies(value);
      if (!bodies) {
        findings.push(`${where}: "${key}" is a block, not an argument`);
        continue;
      }
      bodies.forEach((b) => findings.push(...checkTerraformBlock(b, block, `${where}.${key}`)));
      continue;
    }
    if (!schema.arguments[key]) findings.push(`${where}: the schema has no argument or block "${key}"`);
  }
  for (const [key, arg] of Object.entries(schema.arguments)) {
    if (arg.required && !(key in body)) findings.push(`${where}: required argument "${key}" is missing`);
  }
  for (const [key, block] of Object.entries(schema.blocks ?? {})) {
    if (block.required && !(key in body)) findings.push(`${where}: required block "${key}" is missing`);
  }
  return findings;
}

function providerOf(type: string): string {
  return type.split('_')[0] ?? type;
}

/** Findings for a whole parsed Terraform configuration (hcl2json of one or more files, merged by section). */
export function checkTerraformConfiguration(
  files: { file: string; json: HclJson }[],
  schemas: TerraformSchemas,
  arm: ArmSchemas,
): string[] {
  const findings: string[] = [];
  for (const { file, json } of files) {
    const at = rel(file);
    for (const [section, kind] of [
      ['resource', 'resources'],
      ['data', 'data'],
    ] as const) {
      const s = json[section];
      if (!isObject(s)) continue;
      for (const [type, byName] of Object.entries(s)) {
        const provider = schemas.providers[providerOf(type)];
        const schema = provider?.[kind][type];
        if (!isObject(byName)) continue;
        for (const [name, bodies] of Object.entries(byName)) {
          const where = `${at} ${section === 'data' ? 'data.' : ''}${type}.${name}`;
          if (!provider || !schema) {
            findings.push(`${where}: no vendored schema for ${type} (infra/schemas/)`);
            continue;
          }
          for (const body of blockBodies(bodies) ?? []) {
            findings.push(...checkTerraformBlock(body, schema, where, RESOURCE_META));
            if (type.startsWith('azapi_')) findings.push(...checkAzapiBody(body, arm, where));
          }
        }
      }
    }
    const providers = json.provider;
    if (isObject(providers)) {
      for (const [name, bodies] of Object.entries(providers)) {
        const provider = schemas.providers[name];
        const where = `${at} provider "${name}"`;
        if (!provider) {
          findings.push(`${where}: no vendored schema for provider ${name}`);
          continue;
        }
        for (const body of blockBodies(bodies) ?? []) {
          findings.push(...checkTerraformBlock(body, provider.provider, where, new Set(['alias'])));
        }
      }
    }
  }
  return findings;
}

/** An azapi resource's `body` against the ARM schema of its `type` (Microsoft.X/y@version). */
function checkAzapiBody(body: HclJson, arm: ArmSchemas, where: string): string[] {
  const type = body.type;
  if (typeof type !== 'string') return [`${where}: azapi "type" must be a literal Microsoft.X/y@version`];
  if (!('body' in body)) return [];
  const value = body.body;
  if (!isObject(value)) return []; // an expression (merge(...), jsonencode(...)): not checkable here
  return checkArmBody(type, value, arm, `${where} body`, new Set());
}

// #endregion

// #region ARM (Bicep and azapi bodies)

/** Bicep declaration keywords valid on every resource body, beside the ARM properties. */
const BICEP_META = new Set(['name', 'parent', 'scope', 'dependsOn']);

const isExpression = (v: unknown): boolean =>
  v instanceof BicepExpr || (typeof v === 'string' && /^\$\{[\s\S]*\}$/.test(v));

function checkArmValue(value: unknown, prop: ArmProperty, arm: ArmSchemas, where: string): string[] {
  if (isExpression(value) || value === null || value === undefined) return [];
  switch (prop.type) {
    case 'object': {
      if (!isBicepObject(value as BicepValue) && !isObject(value)) return [`${where}: expected an object`];
      const props = prop.ref ? arm.types[prop.ref]?.properties : prop.properties;
      if (!props) return [`${where}: schema type ${prop.ref ?? '?'} is missing from arm-resources.json`];
      return checkArmObject(value as Record<string, unknown>, props, arm, where, new Set());
    }
    case 'map': {
      if (!isBicepObject(value as BicepValue) && !isObject(value)) return [`${where}: expected an object`];
      const values = prop.values;
      if (!values) return [];
      return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
        checkArmValue(v, values, arm, `${where}['${k}']`),
      );
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${where}: expected an array`];
      const items = prop.items;
      if (!items) return [];
      return value.flatMap((v, i) => checkArmValue(v, items, arm, `${where}[${i}]`));
    }
    case 'string':
      return typeof value === 'string' ? [] : [`${where}: expected a string`];
    case 'number':
      return typeof value === 'number' ? [] : [`${where}: expected a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${where}: expected a boolean`];
    default:
      return [];
  }
}

function checkArmObject(
  obj: Record<string, unknown>,
  props: Record<string, ArmProperty>,
  arm: ArmSchemas,
  where: string,
  meta: ReadonlySet<string>,
): string[] {
  const findings: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (meta.has(key)) continue;
    const prop = props[key];
    if (!prop) {
      findings.push(`${where}: the schema has no property "${key}"`);
      continue;
    }
    if (prop.readOnly) {
      findings.push(`${where}: "${key}" is read-only`);
      continue;
    }
    findings.push(...checkArmValue(value, prop, arm, `${where}.${key}`));
  }
  return findings;
}

/** A resource body (Bicep's object after `=`, or azapi's `body`) against `Microsoft.X/y@version`. */
export function checkArmBody(
  typeAndVersion: string,
  body: Record<string, unknown>,
  arm: ArmSchemas,
  where: string,
  meta: ReadonlySet<string> = BICEP_META,
): string[] {
  const resource = arm.resources[typeAndVersion];
  if (!resource)
    return [`${where}: no vendored schema for ${typeAndVersion} (infra/schemas/arm-resources.json)`];
  const model = arm.types[resource.body];
  if (!model) return [`${where}: schema type ${resource.body} is missing`];
  return checkArmObject(body, model.properties, arm, where, meta);
}

export function checkBicepResource(r: BicepResource, arm: ArmSchemas): string[] {
  if (r.existing) return [];
  return checkArmBody(
    `${r.type}@${r.apiVersion}`,
    r.body,
    arm,
    `${rel(r.file)}:${r.line} ${r.symbol} (${r.type}@${r.apiVersion})`,
  );
}

// #endregion

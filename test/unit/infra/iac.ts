/**
 * Offline readers for the deployment templates, shared by the test/unit/infra tests.
 *
 * - Bicep: parsed with web-tree-sitter + tree-sitter-bicep (the grammar ships as a .wasm file), then the
 *   declarations this project uses (param, var, resource, module, output) are turned into plain values. Literal
 *   strings, numbers, booleans, objects and arrays become JS values; anything else (references, interpolated
 *   strings, function calls) becomes a `BicepExpr` holding the source text.
 * - Terraform: every *.tf file parsed with @cdktf/hcl2json (HCL's own parser, compiled to wasm) and merged.
 *
 * Nothing here reaches Azure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { Language, Parser, type Node } from 'web-tree-sitter';

/** Repository root, from dist/test/unit/infra. */
export const ROOT = resolve(__dirname, '..', '..', '..', '..');
export const BICEP_DIR = join(ROOT, 'infra', 'bicep');
export const TERRAFORM_DIR = join(ROOT, 'infra', 'terraform');

export function filesWithExtension(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesWithExtension(p, ext));
    else if (entry.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

export function rel(file: string): string {
  return relative(ROOT, file);
}

// #region Bicep

export class BicepExpr {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type BicepValue = string | number | boolean | null | BicepExpr | BicepValue[] | BicepObject;
export interface BicepObject {
  [key: string]: BicepValue;
}

export interface BicepSyntaxError {
  file: string;
  line: number;
  column: number;
  kind: 'ERROR' | 'MISSING';
  text: string;
}

export interface BicepResource {
  file: string;
  line: number;
  symbol: string;
  /** Resource type without the api version, e.g. Microsoft.Web/sites. */
  type: string;
  apiVersion: string;
  existing: boolean;
  body: BicepObject;
}

export interface BicepFile {
  file: string;
  errors: BicepSyntaxError[];
  params: Map<string, { type: string; decorators: string[]; defaultValue: BicepValue | undefined }>;
  vars: Map<string, BicepValue>;
  resources: BicepResource[];
  modules: { symbol: string; path: string; body: BicepObject }[];
  outputs: Map<string, BicepValue>;
}

let parserPromise: Promise<Parser> | undefined;

/** One tree-sitter parser with the Bicep grammar, loaded once per process. */
export function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const wasm = join(ROOT, 'node_modules', 'tree-sitter-bicep', 'tree-sitter-bicep.wasm');
    const language = await Language.load(readFileSync(wasm));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

function syntaxErrors(file: string, root: Node): BicepSyntaxError[] {
  const errors: BicepSyntaxError[] = [];
  const visit = (n: Node) => {
    if (n.type === 'ERROR' || n.isMissing) {
      errors.push({
        file,
        line: n.startPosition.row + 1,
        column: n.startPosition.column + 1,
        kind: n.isMissing ? 'MISSING' : 'ERROR',
        text: n.isMissing ? n.type : n.text.slice(0, 80),
      });
      if (n.type === 'ERROR') return;
    }
    for (const c of n.children) if (c) visit(c);
  };
  if (root.hasError) visit(root);
  return errors;
}

function unquote(text: string): string {
  // Single-quoted Bicep string without interpolation: \' \\ \n \r \t \$ escapes.
  return text.slice(1, -1).replace(/\\(['\\nrt$])/g, (_m, c: string) => {
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return c;
    }
  });
}

function named(n: Node): Node[] {
  return n.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
}

export function bicepValue(n: Node): BicepValue {
  switch (n.type) {
    case 'string':
      if (n.text.startsWith("'''")) return n.text.slice(3, -3);
      return named(n).some((c) => c.type === 'interpolation') ? new BicepExpr(n.text) : unquote(n.text);
    case 'number':
      return Number(n.text);
    case 'boolean':
      return n.text === 'true';
    case 'null':
      return null;
    case 'array':
      return named(n).map(bicepValue);
    case 'object': {
      const obj: BicepObject = {};
      for (const prop of named(n)) {
        if (prop.type !== 'object_property') continue;
        const parts = named(prop);
        const key = parts[0];
        const value = parts[parts.length - 1];
        if (!key || !value || parts.length < 2) continue;
        const k = key.type === 'string' ? bicepValue(key) : key.text;
        obj[bicepText(k)] = bicepValue(value);
      }
      return obj;
    }
    case 'parenthesized_expression': {
      const inner = named(n)[0];
      return inner ? bicepValue(inner) : new BicepExpr(n.text);
    }
    default:
      return new BicepExpr(n.text);
  }
}

function decoratorsOf(n: Node): string[] {
  const out: string[] = [];
  let prev = n.previousNamedSibling;
  while (prev && (prev.type === 'decorators' || prev.type === 'decorator')) {
    out.unshift(prev.text);
    prev = prev.previousNamedSibling;
  }
  for (const c of named(n)) if (c.type === 'decorators' || c.type === 'decorator') out.push(c.text);
  return out;
}

export async function readBicepFile(file: string): Promise<BicepFile> {
  const parser = await bicepParser();
  const tree = parser.parse(readFileSync(file, 'utf8'));
  if (!tree) throw new Error(`tree-sitter returned no tree for ${rel(file)}`);
  const root = tree.rootNode;
  const result: BicepFile = {
    file,
    errors: syntaxErrors(rel(file), root),
    params: new Map(),
    vars: new Map(),
    resources: [],
    modules: [],
    outputs: new Map(),
  };
  for (const decl of named(root)) {
    const parts = named(decl).filter((c) => c.type !== 'decorators' && c.type !== 'decorator');
    const [id, second] = parts;
    const last = parts[parts.length - 1];
    if (!id || !last) continue;
    switch (decl.type) {
      case 'parameter_declaration':
        result.params.set(id.text, {
          type: second?.text ?? '',
          decorators: decoratorsOf(decl),
          defaultValue: parts.length >= 3 ? bicepValue(last) : undefined,
        });
        break;
      case 'variable_declaration':
        result.vars.set(id.text, bicepValue(last));
        break;
      case 'output_declaration':
        result.outputs.set(id.text, bicepValue(last));
        break;
      case 'module_declaration': {
        const body = bicepValue(last);
        const path = second ? bicepValue(second) : '';
        result.modules.push({
          symbol: id.text,
          path: bicepText(path),
          body: isBicepObject(body) ? body : {},
        });
        break;
      }
      case 'resource_declaration': {
        const typeValue = second ? bicepValue(second) : '';
        const typeText = bicepText(typeValue);
        const [type = '', apiVersion = ''] = typeText.split('@');
        const body = bicepValue(last);
        result.resources.push({
          file,
          line: decl.startPosition.row + 1,
          symbol: id.text,
          type,
          apiVersion,
          existing: parts.some((p) => p.text === 'existing'),
          body: isBicepObject(body) ? body : {},
        });
        break;
      }
      default:
        break;
    }
  }
  tree.delete();
  return result;
}

/** Text of a Bicep value: a literal string as is, an expression's source, anything else as JSON. */
export function bicepText(v: BicepValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof BicepExpr) return v.text;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Text of a value from hcl2json: strings as is, anything else as JSON. */
export function hclText(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? '';
}

export function isBicepObject(v: BicepValue | undefined): v is BicepObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof BicepExpr);
}

/** `body.a.b.c` of a Bicep object, or undefined. */
export function bicepGet(obj: BicepValue | undefined, ...path: string[]): BicepValue | undefined {
  let cur: BicepValue | undefined = obj;
  for (const key of path) {
    if (!isBicepObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

export async function readBicepProject(): Promise<BicepFile[]> {
  return Promise.all(filesWithExtension(BICEP_DIR, '.bicep').map(readBicepFile));
}

// #endregion

// #region Terraform

export type HclJson = Record<string, unknown>;

export interface TerraformProject {
  files: string[];
  /** resource type → resource name → attribute block. */
  resources: Map<string, Map<string, HclJson>>;
  data: Map<string, Map<string, HclJson>>;
  locals: HclJson;
  outputs: Map<string, HclJson>;
  variables: Map<string, HclJson>;
}

export function asRecord(v: unknown, what: string): HclJson {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not an object`);
  return v as HclJson;
}

/** hcl2json wraps every block body in a one-element array. */
export function block(v: unknown, what: string): HclJson {
  const first: unknown = Array.isArray(v) ? v[0] : v;
  return asRecord(first, what);
}

export async function parseTerraformFile(file: string, text = readFileSync(file, 'utf8')): Promise<HclJson> {
  return asRecord(await parseHcl(rel(file), text), rel(file));
}

export async function readTerraformProject(): Promise<TerraformProject> {
  const files = filesWithExtension(TERRAFORM_DIR, '.tf');
  const project: TerraformProject = {
    files,
    resources: new Map(),
    data: new Map(),
    locals: {},
    outputs: new Map(),
    variables: new Map(),
  };
  const collect = (target: Map<string, Map<string, HclJson>>, section: unknown, what: string) => {
    if (section === undefined) return;
    for (const [type, byName] of Object.entries(asRecord(section, what))) {
      const names = target.get(type) ?? new Map<string, HclJson>();
      for (const [name, body] of Object.entries(asRecord(byName, `${what}.${type}`))) {
        if (names.has(name)) throw new Error(`${what} ${type}.${name} is declared twice`);
        names.set(name, block(body, `${what} ${type}.${name}`));
      }
      target.set(type, names);
    }
  };
  for (const file of files) {
    const json = await parseTerraformFile(file);
    collect(project.resources, json.resource, `resource (${rel(file)})`);
    collect(project.data, json.data, `data (${rel(file)})`);
    if (Array.isArray(json.locals)) {
      for (const l of json.locals) Object.assign(project.locals, asRecord(l, `locals (${rel(file)})`));
    }
    for (const [section, target] of [
      ['output', project.outputs],
      ['variable', project.variables],
    ] as const) {
      const s = json[section];
      if (s === undefined) continue;
      for (const [name, body] of Object.entries(asRecord(s, section))) target.set(name, block(body, name));
    }
  }
  return project;
}

/** The single resource of a type (fails when there is not exactly one). */
export function onlyResource(project: TerraformProject, type: string): [string, HclJson] {
  const all = [...(project.resources.get(type) ?? new Map<string, HclJson>()).entries()];
  if (all.length !== 1 || !all[0]) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** `"${local.a.b}"` → the local's literal value (one level of indirection), else the text unchanged. */
export function resolveLocal(project: TerraformProject, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^\$\{local\.([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?\}$/.exec(value);
  if (!m || !m[1]) return value;
  let v: unknown = project.locals[m[1]];
  if (m[2] !== undefined) v = typeof v === 'object' && v !== null ? (v as HclJson)[m[2]] : undefined;
  return v ?? value;
}

// #endregion

// #region the deployment's app settings, as both templates declare them

export interface AppSettings {
  /** Setting name → literal value, or the expression text (an interpolated string without its quotes). */
  values: Map<string, string>;
  /** Names whose value is a literal (no reference, no interpolation). */
  literal: Set<string>;
}

export function bicepAppSettings(files: BicepFile[]): AppSettings {
  const configs = files
    .flatMap((f) => f.resources)
    .filter((r) => r.type === 'Microsoft.Web/sites/config' && bicepGet(r.body, 'name') === 'appsettings');
  if (configs.length !== 1 || !configs[0]) {
    throw new Error(
      `expected one Microsoft.Web/sites/config 'appsettings' resource, found ${configs.length}`,
    );
  }
  const props = bicepGet(configs[0].body, 'properties');
  if (!isBicepObject(props)) throw new Error('appsettings has no properties object');
  const values = new Map<string, string>();
  const literal = new Set<string>();
  for (const [k, v] of Object.entries(props)) {
    if (typeof v === 'string') literal.add(k);
    const text = bicepText(v);
    values.set(k, v instanceof BicepExpr && /^'.*'$/s.test(text) ? text.slice(1, -1) : text);
  }
  return { values, literal };
}

export function terraformAppSettings(project: TerraformProject): AppSettings {
  const [, app] = onlyResource(project, 'azurerm_function_app_flex_consumption');
  const values = new Map<string, string>();
  const literal = new Set<string>();
  // `app_settings = local.app_settings`: the map lives in a local (the azapi PUT of the settings uses it too).
  const settings = resolveLocal(project, app.app_settings);
  for (const [k, v] of Object.entries(asRecord(settings, 'app_settings'))) {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    values.set(k, text);
    if (!text.includes('${')) literal.add(k);
  }
  // The provider writes APPLICATIONINSIGHTS_CONNECTION_STRING from site_config (its documented way).
  const siteConfig = block(app.site_config, 'site_config');
  const ai = siteConfig.application_insights_connection_string;
  if (typeof ai === 'string') values.set('APPLICATIONINSIGHTS_CONNECTION_STRING', ai);
  return { values, literal };
}

// #endregion

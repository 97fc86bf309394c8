/**
 * Every Bicep and Terraform file of the deployment parses. A syntax error anywhere fails the test, naming the
 * file and the line. (No Bicep compiler or terraform binary exists offline; these are the grammars' own parsers.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  BICEP_DIR,
  bicepParser,
  filesWithExtension,
  parseTerraformFile,
  readBicepFile,
  readBicepProject,
  rel,
  ROOT,
  TERRAFORM_DIR,
} from './iac';

describe('infra: Bicep parses', () => {
  const files = filesWithExtension(BICEP_DIR, '.bicep');

  it('has the templates azd and az deployment use', () => {
    assert.ok(
      files.some((f) => f.endsWith(join('infra', 'bicep', 'main.bicep'))),
      'infra/bicep/main.bicep',
    );
    assert.ok(files.length >= 2, `expected main.bicep and its module(s), found ${files.map(rel).join(', ')}`);
  });

  for (const file of files) {
    it(`${rel(file)} has no syntax error`, async () => {
      const parsed = await readBicepFile(file);
      assert.deepEqual(
        parsed.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.kind} ${JSON.stringify(e.text)}`),
        [],
      );
      assert.ok(parsed.resources.length + parsed.modules.length > 0, `${rel(file)} declares nothing`);
    });
  }

  it('every local module path exists, and no registry module is used (offline builds)', async () => {
    for (const f of await readBicepProject()) {
      for (const m of f.modules) {
        assert.ok(!/^(br|ts)[:/]/.test(m.path), `${rel(f.file)}: module ${m.symbol} uses registry ${m.path}`);
        const target = resolve(dirname(f.file), m.path);
        assert.ok(existsSync(target), `${rel(f.file)}: module ${m.symbol} -> ${m.path} does not exist`);
      }
    }
  });

  it('the checker itself reports a broken file with its line', async () => {
    const parser = await bicepParser();
    const tree = parser.parse(
      "param ok string\nresource r 'Microsoft.Web/sites@2024-04-01' = {\n  name: \n}\n",
    );
    assert.ok(tree?.rootNode.hasError, 'a property without a value must be a syntax error');
    const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'bicep-'));
    try {
      const bad = join(dir, 'bad.bicep');
      writeFileSync(bad, "var a = 1\nvar b = {\n  x: [1, 2\n}\noutput o string = 'x'\n");
      const parsed = await readBicepFile(bad);
      assert.ok(parsed.errors.length > 0, 'errors expected');
      assert.ok(
        parsed.errors.some((e) => e.line >= 2 && e.line <= 4),
        `error line should be 2-4: ${JSON.stringify(parsed.errors)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('infra: Terraform parses', () => {
  const files = filesWithExtension(TERRAFORM_DIR, '.tf');

  it('has the configuration', () => {
    for (const name of ['versions.tf', 'variables.tf', 'main.tf', 'outputs.tf']) {
      assert.ok(existsSync(join(TERRAFORM_DIR, name)), `infra/terraform/${name}`);
    }
  });

  for (const file of files) {
    it(`${rel(file)} has no syntax error`, async () => {
      try {
        await parseTerraformFile(file);
      } catch (e) {
        // hcl2json's message carries file:line,column (e.g. "main.tf:12,3-4: Invalid expression").
        assert.fail(`${rel(file)}: ${String(e)}`);
      }
    });
  }

  it('the checker itself reports a broken file with its line', async () => {
    await assert.rejects(
      parseTerraformFile(join(TERRAFORM_DIR, 'broken.tf'), 'resource "a" "b" {\n  x = \n}\n'),
      (e: unknown) => /broken\.tf:2/.test(String(e)),
    );
  });

  it('the example variables file parses too', async () => {
    const example = join(TERRAFORM_DIR, 'terraform.tfvars.example');
    const json = await parseTerraformFile(example, readFileSync(example, 'utf8'));
    for (const v of ['subscription_id', 'environment_name', 'location']) assert.ok(v in json, v);
  });
});

describe('infra: azd', () => {
  it('azure.yaml provisions infra/bicep and deploys the function app as service "api"', () => {
    const yaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
    assert.match(yaml, /^infra:\n(?: {2}.*\n)*? {2}provider: bicep$/m);
    assert.match(yaml, /^ {2}path: infra\/bicep$/m);
    assert.match(yaml, /^services:\n {2}api:\n(?: {4}.*\n)*? {4}host: function$/m);
    assert.match(yaml, /^ {4}language: (ts|js)$/m);
    assert.match(
      yaml,
      /^ {2}preprovision:\n(?: {4,}.*\n)*? {6}run: \.\/infra\/scripts\/ensure-client-state\.sh$/m,
    );
    assert.match(
      yaml,
      /^ {2}postprovision:\n(?: {4,}.*\n)*? {6}run: \.\/infra\/scripts\/grant-graph-permissions\.sh$/m,
    );
    for (const script of ['ensure-client-state.sh', 'grant-graph-permissions.sh']) {
      assert.ok(existsSync(join(ROOT, 'infra', 'scripts', script)), script);
    }
  });

  it('main.parameters.json feeds every required main.bicep parameter from the azd environment', async () => {
    const params = JSON.parse(readFileSync(join(BICEP_DIR, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const main = await readBicepFile(join(BICEP_DIR, 'main.bicep'));
    const required = [...main.params].filter(([, p]) => p.defaultValue === undefined).map(([n]) => n);
    assert.deepEqual(Object.keys(params.parameters).sort(), required.sort());
    assert.equal(params.parameters.graphClientState?.value, '${GRAPH_CLIENT_STATE}');
  });
});

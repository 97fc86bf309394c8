/**
 * The templates against the real schemas (infra/schemas/): every Terraform argument and block exists in its
 * provider's schema for the pinned version, every Bicep property (and azapi body property) exists in the ARM schema
 * of its API version and is writable. Invented names fed to the same checks prove they are caught.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BICEP_DIR,
  filesWithExtension,
  parseTerraformFile,
  readBicepFile,
  readBicepProject,
  TERRAFORM_DIR,
  type HclJson,
} from './iac';
import {
  armSchemas,
  checkBicepResource,
  checkTerraformConfiguration,
  terraformSchemas,
  type ArmSchemas,
  type TerraformSchemas,
} from './schemas';

let tf: TerraformSchemas;
let arm: ArmSchemas;

before(() => {
  tf = terraformSchemas();
  arm = armSchemas();
});

async function terraformFiles(dir = TERRAFORM_DIR): Promise<{ file: string; json: HclJson }[]> {
  return Promise.all(
    filesWithExtension(dir, '.tf').map(async (file) => ({ file, json: await parseTerraformFile(file) })),
  );
}

/** The Terraform files with one file's text changed, parsed from a temporary copy. */
async function terraformWith(
  file: string,
  edit: (text: string) => string,
): Promise<{ file: string; json: HclJson }[]> {
  const original = join(TERRAFORM_DIR, file);
  const text = readFileSync(original, 'utf8');
  const changed = edit(text);
  assert.notEqual(changed, text, 'the edit must change the file');
  const dir = mkdtempSync(join(tmpdir(), 'mms-tf-'));
  try {
    const copy = join(dir, file);
    writeFileSync(copy, changed);
    const changedJson = await parseTerraformFile(copy);
    return (await terraformFiles()).map((f) =>
      f.file === original ? { file: original, json: changedJson } : f,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bicepFindings(file: string, edit?: (text: string) => string): Promise<string[]> {
  const original = join(BICEP_DIR, file);
  if (!edit) return (await readBicepFile(original)).resources.flatMap((r) => checkBicepResource(r, arm));
  const dir = mkdtempSync(join(tmpdir(), 'mms-bicep-'));
  try {
    const text = readFileSync(original, 'utf8');
    const changed = edit(text);
    assert.notEqual(changed, text, 'the edit must change the file');
    const copy = join(dir, file);
    writeFileSync(copy, changed);
    const parsed = await readBicepFile(copy);
    assert.deepEqual(parsed.errors, [], 'the edited copy still parses');
    return parsed.resources.flatMap((r) => checkBicepResource(r, arm));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('infra: Terraform against the providers’ schemas', () => {
  it('every resource, data source and provider block uses only arguments and blocks of its schema', async () => {
    assert.deepEqual(checkTerraformConfiguration(await terraformFiles(), tf, arm), []);
  });

  it('every resource type the templates use has a vendored schema (none is skipped)', async () => {
    const types = new Set<string>();
    for (const { json } of await terraformFiles()) {
      for (const section of ['resource', 'data'] as const) {
        const s = json[section];
        if (s && typeof s === 'object') for (const t of Object.keys(s)) types.add(t);
      }
    }
    const known = new Set(
      Object.values(tf.providers).flatMap((p) => [...Object.keys(p.resources), ...Object.keys(p.data)]),
    );
    assert.deepEqual(
      [...types].filter((t) => !known.has(t)),
      [],
    );
    assert.ok(types.has('azurerm_function_app_flex_consumption'));
  });

  it('required_providers pins each provider to the version its schema was taken from (as the floor)', () => {
    const versions = readFileSync(join(TERRAFORM_DIR, 'versions.tf'), 'utf8');
    for (const [name, p] of Object.entries(tf.providers)) {
      const m = new RegExp(`\\b${name}\\s*=\\s*\\{[^}]*version\\s*=\\s*"~>\\s*([0-9.]+)"`, 's').exec(
        versions,
      );
      assert.ok(m?.[1], `${name}: version constraint "~> x.y" in versions.tf`);
      const [major, minor] = p.version.split('.');
      assert.equal(
        m[1],
        `${major}.${minor}`,
        `${name}: pinned floor matches the schema's version ${p.version}`,
      );
    }
  });

  it('fails on an invented argument, an invented nested-block argument and an invented azapi body property', async () => {
    const invented = await terraformWith('main.tf', (t) =>
      t
        .replace(
          '  https_only                                     = true',
          '  https_only = true\n  invented_argument = true',
        )
        .replace(
          '    http2_enabled                          = true',
          '    http2_enabled = true\n    invented_site_setting = 1',
        )
        .replace(
          '      keyVaultReferenceIdentity = ',
          '      inventedProperty = true\n      keyVaultReferenceIdentity = ',
        ),
    );
    const findings = checkTerraformConfiguration(invented, tf, arm);
    assert.ok(
      findings.some((f) =>
        /azurerm_function_app_flex_consumption\.main: the schema has no argument or block "invented_argument"/.test(
          f,
        ),
      ),
      findings.join('\n'),
    );
    assert.ok(
      findings.some((f) =>
        /\.site_config: the schema has no argument or block "invented_site_setting"/.test(f),
      ),
      findings.join('\n'),
    );
    assert.ok(
      findings.some((f) =>
        /azapi_update_resource\.key_vault_reference_identity body\.properties: the schema has no property "inventedProperty"/.test(
          f,
        ),
      ),
      findings.join('\n'),
    );
    assert.equal(findings.length, 3, findings.join('\n'));
  });

  it('fails on the attribute azurerm_function_app_flex_consumption does not have (key_vault_reference_identity_id)', async () => {
    const findings = checkTerraformConfiguration(
      await terraformWith('main.tf', (t) =>
        t.replace(
          '  webdeploy_publish_basic_authentication_enabled = false',
          '  webdeploy_publish_basic_authentication_enabled = false\n  key_vault_reference_identity_id = azurerm_user_assigned_identity.app.id',
        ),
      ),
      tf,
      arm,
    );
    assert.deepEqual(findings.length, 1, findings.join('\n'));
    assert.match(findings[0] ?? '', /"key_vault_reference_identity_id"/);
  });

  it('fails when a required argument is missing', async () => {
    const findings = checkTerraformConfiguration(
      await terraformWith('main.tf', (t) => t.replace(/\n {2}runtime_version\s+= "22"/, '')),
      tf,
      arm,
    );
    assert.ok(
      findings.some((f) => /required argument "runtime_version" is missing/.test(f)),
      findings.join('\n'),
    );
  });

  it('does not use the names azurerm deprecates for 5.0 where the pinned schema has the replacement', () => {
    const deprecated: Record<string, [string, string, string]> = {
      enable_rbac_authorization: ['azurerm', 'azurerm_key_vault', 'rbac_authorization_enabled'],
      local_authentication_disabled: [
        'azurerm',
        'azurerm_application_insights',
        'local_authentication_enabled',
      ],
    };
    const text = filesWithExtension(TERRAFORM_DIR, '.tf')
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const [name, [provider, resource, replacement]] of Object.entries(deprecated)) {
      if (!new RegExp(`^\\s*${name}\\s*=`, 'm').test(text)) continue;
      const schema = tf.providers[provider]?.resources[resource];
      assert.ok(schema, resource);
      assert.ok(
        !(replacement in schema.arguments),
        `${name} is deprecated and ${provider} ${tf.providers[provider]?.version} has ${replacement}: use it`,
      );
    }
  });
});

describe('infra: Bicep against the ARM schemas of its API versions', () => {
  it('every property of every resource exists in its type’s schema and is writable', async () => {
    const files = await readBicepProject();
    const findings = files.flatMap((f) => f.resources.flatMap((r) => checkBicepResource(r, arm)));
    assert.deepEqual(findings, []);
    assert.ok(files.flatMap((f) => f.resources).length >= 15);
  });

  it('every resource type and API version the templates use has a vendored schema', async () => {
    const used = (await readBicepProject())
      .flatMap((f) => f.resources)
      .map((r) => `${r.type}@${r.apiVersion}`);
    assert.deepEqual(
      [...new Set(used)].filter((t) => !arm.resources[t]),
      [],
    );
  });

  it('fails on an invented top-level, nested and deeply nested property, and on a read-only one', async () => {
    const findings = await bicepFindings('resources.bicep', (t) =>
      t
        .replace('    httpsOnly: true\n', '    httpsOnly: true\n    inventedProperty: true\n')
        .replace('      http20Enabled: true\n', "      http20Enabled: true\n      inventedSiteConfig: 'x'\n")
        .replace("        version: '22'\n", "        version: '22'\n        inventedRuntime: 1\n")
        .replace("  kind: 'functionapp,linux'\n", "  kind: 'functionapp,linux'\n  inventedTopLevel: {}\n")
        .replace('    disableLocalAuth: true\n  }', "    disableLocalAuth: true\n    status: 'Active'\n  }"),
    );
    for (const expected of [
      /functionApp \(Microsoft\.Web\/sites@2024-04-01\): the schema has no property "inventedTopLevel"/,
      /functionApp .*\.properties: the schema has no property "inventedProperty"/,
      /functionApp .*\.properties\.siteConfig: the schema has no property "inventedSiteConfig"/,
      /functionApp .*\.properties\.functionAppConfig\.runtime: the schema has no property "inventedRuntime"/,
      /serviceBus .*\.properties: "status" is read-only/,
    ]) {
      assert.ok(
        findings.some((f) => expected.test(f)),
        `${expected.source}\n${findings.join('\n')}`,
      );
    }
    assert.equal(findings.length, 5, findings.join('\n'));
  });

  it('fails on a property of a newer API version than the one declared', async () => {
    const findings = await bicepFindings('resources.bicep', (t) =>
      t.replace(
        '    disableLocalAuth: true\n  }',
        "    disableLocalAuth: true\n    minimumTlsVersion: '1.2'\n  }",
      ),
    );
    assert.ok(
      findings.some((f) => /Microsoft\.ServiceBus\/namespaces@2021-11-01.*"minimumTlsVersion"/.test(f)),
      findings.join('\n'),
    );
  });

  it('fails on a resource type or API version without a schema', async () => {
    const findings = await bicepFindings('resources.bicep', (t) =>
      t.replace("'Microsoft.Web/sites@2024-04-01'", "'Microsoft.Web/sites@2099-01-01'"),
    );
    assert.ok(
      findings.some((f) => /no vendored schema for Microsoft\.Web\/sites@2099-01-01/.test(f)),
      findings.join('\n'),
    );
    assert.deepEqual(await bicepFindings('main.bicep'), []);
  });
});

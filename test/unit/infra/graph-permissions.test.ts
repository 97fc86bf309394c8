/**
 * The Graph application permissions come from one list, shared/graph/permissions.json: Terraform reads it with
 * jsondecode(file(...)), the Bicep path's grant script reads it at run time, and the README's permission table and
 * Exchange scoping steps agree with it. No infra file names a permission itself, so a permission added to the list
 * needs no infra change.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GRAPH_PERMISSIONS } from '../../../shared/graph/permissions';
import {
  filesWithExtension,
  hclText,
  onlyResource,
  readTerraformProject,
  rel,
  resolveLocal,
  ROOT,
  TERRAFORM_DIR,
  type TerraformProject,
} from './iac';

const LIST = join(ROOT, 'shared', 'graph', 'permissions.json');
let tf: TerraformProject;

before(async () => {
  tf = await readTerraformProject();
});

/** The rows of the README table under "### Microsoft Graph permissions". */
function readmePermissionRows(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('### Microsoft Graph permissions');
  assert.ok(at >= 0, 'README: ### Microsoft Graph permissions');
  const section = readme.slice(at, readme.indexOf('\n### ', at + 1));
  return section
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

describe('infra: Microsoft Graph permissions from shared/graph/permissions.json', () => {
  it('Terraform grants the list it reads with jsondecode(file(...)), minus the Exchange-scoped ones on request', () => {
    const perms = hclText(tf.locals.graph_permissions);
    const m = /^\$\{jsondecode\(file\("\$\{path\.module\}\/([^"]+)"\)\)\.permissions\}$/.exec(perms);
    assert.ok(m?.[1], `local.graph_permissions reads the list: ${perms}`);
    assert.equal(resolve(TERRAFORM_DIR, m[1]), LIST);
    assert.match(
      hclText(tf.locals.graph_app_roles),
      /^\$\{\[\s*for p in local\.graph_permissions : p\.name\s+if !\(var\.exchange_rbac_for_mailboxes && p\.exchangeScopable\)\s*\]\}$/,
    );
    assert.ok(tf.variables.has('exchange_rbac_for_mailboxes'));
    const [, assignment] = onlyResource(tf, 'azuread_app_role_assignment');
    assert.equal(assignment.for_each, '${toset(local.graph_app_roles)}');
    assert.match(
      hclText(assignment.principal_object_id),
      /azurerm_user_assigned_identity\.app\.principal_id/,
    );
    const graphSp = tf.data.get('azuread_service_principal')?.get('microsoft_graph');
    assert.ok(graphSp, 'data.azuread_service_principal.microsoft_graph');
    assert.equal(resolveLocal(tf, graphSp.client_id), '00000003-0000-0000-c000-000000000000');
  });

  it('the grant script reads the same file (its behaviour is tested in scripts.test.ts)', () => {
    const script = readFileSync(join(ROOT, 'infra', 'scripts', 'grant-graph-permissions.sh'), 'utf8');
    const m = /^PERMISSIONS_FILE="\$script_dir\/([^"]+)"$/m.exec(script);
    assert.ok(m?.[1], 'PERMISSIONS_FILE= in grant-graph-permissions.sh');
    assert.equal(resolve(ROOT, 'infra', 'scripts', m[1]), LIST);
  });

  it('no infra file names a permission itself', () => {
    const files = [
      ...filesWithExtension(join(ROOT, 'infra', 'terraform'), '.tf'),
      ...filesWithExtension(join(ROOT, 'infra', 'bicep'), '.bicep'),
      ...filesWithExtension(join(ROOT, 'infra', 'scripts'), '.sh'),
      join(ROOT, 'azure.yaml'),
    ];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const p of GRAPH_PERMISSIONS) assert.ok(!text.includes(p.name), `${rel(file)} names ${p.name}`);
    }
  });

  it("README's permission table is the list: name, purpose and whether Exchange RBAC can scope it, in order", () => {
    const expected = GRAPH_PERMISSIONS.map((p) => [
      `\`${p.name}\``,
      p.purpose,
      p.exchangeScopable ? 'yes' : 'no',
    ]);
    assert.deepEqual(readmePermissionRows(), expected);
  });

  it('README grants every Exchange-scopable permission in Exchange, and only those', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const roles = [...readme.matchAll(/-Role "Application ([A-Za-z.]+)"/g)].map((m) => m[1]);
    assert.deepEqual(
      roles.sort(),
      GRAPH_PERMISSIONS.filter((p) => p.exchangeScopable)
        .map((p) => p.name)
        .sort(),
    );
  });
});

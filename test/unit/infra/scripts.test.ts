/**
 * The azd hook scripts, run against fake `az` and `azd` commands (nothing reaches Azure or Graph): the Graph
 * permission grant is idempotent, posts the right app-role assignments and honours MMS_EXCHANGE_RBAC; the client
 * state is generated once and then kept.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './iac';

const GRANT = join(ROOT, 'infra', 'scripts', 'grant-graph-permissions.sh');
const ENSURE = join(ROOT, 'infra', 'scripts', 'ensure-client-state.sh');
const PRINCIPAL = '11111111-2222-3333-4444-555555555555';

// Fake Azure CLI: answers the Graph calls the script makes through `az rest`, records writes.
const FAKE_AZ = `#!/bin/sh
url=""; method=""; query=""; body=""
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift ;;
    --method) method="$2"; shift ;;
    --query) query="$2"; shift ;;
    --body) body="$2"; shift ;;
  esac
  shift
done
case "$method $url" in
  "GET "*"servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"*) echo graph-sp ;;
  "GET "*"/appRoleAssignments"*)
    case "$query" in
      *"appRoleId=="*)
        role=$(printf '%s' "$query" | sed -n "s/.*appRoleId=='\\([^']*\\)'.*/\\1/p")
        case " $FAKE_EXISTING " in *" $role "*) echo "assignment-$role" ;; esac ;;
      *) for r in $FAKE_EXISTING; do echo "$r"; done ;;
    esac ;;
  "GET "*"servicePrincipals/graph-sp?"*)
    perm=$(printf '%s' "$query" | sed -n "s/.*value=='\\([^']*\\)'.*/\\1/p")
    echo "role-$perm" ;;
  "GET "*) exit 0 ;;
  "POST "*|"DELETE "*) printf '%s %s %s\\n' "$method" "$url" "$body" >> "$FAKE_WRITES" ;;
  *) echo "unexpected az call: $method $url" >&2; exit 3 ;;
esac
`;

// Fake Azure Developer CLI: an environment kept in a file.
const FAKE_AZD = `#!/bin/sh
case "$1 $2" in
  "env get-value")
    v=$(sed -n "s/^$3=//p" "$FAKE_AZD_ENV" 2>/dev/null)
    if [ -z "$v" ]; then echo "ERROR: key '$3' not found in the environment values"; exit 1; fi
    printf '%s\\n' "$v" ;;
  "env set") printf '%s=%s\\n' "$3" "$4" >> "$FAKE_AZD_ENV" ;;
  *) exit 3 ;;
esac
`;

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mms-scripts-'));
  for (const [name, text] of [
    ['az', FAKE_AZ],
    ['azd', FAKE_AZD],
  ] as const) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, args: string[], env: Record<string, string>) {
  const r = spawnSync('sh', [script, ...args], {
    env: { PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function grant(name: string, env: Record<string, string>, args = [PRINCIPAL]) {
  const writes = join(dir, `${name}.writes`);
  const r = run(GRANT, args, { FAKE_WRITES: writes, FAKE_EXISTING: '', ...env });
  const lines = existsSync(writes) ? readFileSync(writes, 'utf8').trim().split('\n').filter(Boolean) : [];
  return { ...r, writes: lines };
}

describe('infra/scripts/grant-graph-permissions.sh', () => {
  it('grants the three Graph application permissions to the identity', () => {
    const r = grant('fresh', {});
    assert.equal(r.code, 0, r.err);
    assert.equal(r.writes.length, 3, r.writes.join('\n'));
    for (const perm of ['User.Read.All', 'Calendars.ReadWrite', 'OnlineMeetings.ReadWrite.All']) {
      const post = r.writes.find((w) => w.includes(`"appRoleId":"role-${perm}"`));
      assert.ok(post, perm);
      assert.match(
        post,
        new RegExp(
          `^POST https://graph\\.microsoft\\.com/v1\\.0/servicePrincipals/${PRINCIPAL}/appRoleAssignments `,
        ),
      );
      assert.ok(post.includes(`"principalId":"${PRINCIPAL}","resourceId":"graph-sp"`), post);
    }
  });

  it('is idempotent: permissions already granted are skipped', () => {
    const r = grant('again', { FAKE_EXISTING: 'role-User.Read.All role-Calendars.ReadWrite' });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.writes.length, 1, r.writes.join('\n'));
    assert.match(r.writes[0] ?? '', /"appRoleId":"role-OnlineMeetings\.ReadWrite\.All"/);
    assert.match(r.out, /User\.Read\.All: already granted/);
  });

  it('with MMS_EXCHANGE_RBAC=true, removes the tenant-wide Calendars.ReadWrite and does not grant it', () => {
    const r = grant('scoped', { MMS_EXCHANGE_RBAC: 'true', FAKE_EXISTING: 'role-Calendars.ReadWrite' });
    assert.equal(r.code, 0, r.err);
    assert.ok(
      r.writes.some((w) =>
        w.startsWith(
          `DELETE https://graph.microsoft.com/v1.0/servicePrincipals/${PRINCIPAL}/appRoleAssignments/assignment-role-Calendars.ReadWrite`,
        ),
      ),
      r.writes.join('\n'),
    );
    assert.ok(!r.writes.some((w) => w.startsWith('POST') && w.includes('Calendars.ReadWrite')));
    assert.equal(r.writes.filter((w) => w.startsWith('POST')).length, 2);
  });

  it('refuses to run without a valid principal id', () => {
    assert.equal(grant('none', {}, []).code, 2);
    assert.equal(grant('bad', {}, ['x; rm -rf /']).code, 2);
    assert.equal(grant('env', { AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: PRINCIPAL }, []).code, 0);
  });
});

describe('infra/scripts/ensure-client-state.sh', () => {
  it('generates a 64-character hex client state once, then keeps it', () => {
    const envFile = join(dir, 'azd.env');
    const first = run(ENSURE, [], { FAKE_AZD_ENV: envFile });
    assert.equal(first.code, 0, first.err);
    const value = /^GRAPH_CLIENT_STATE=(.*)$/m.exec(readFileSync(envFile, 'utf8'))?.[1] ?? '';
    assert.match(value, /^[0-9a-f]{64}$/);

    const second = run(ENSURE, [], { FAKE_AZD_ENV: envFile });
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /already set/);
    const values = readFileSync(envFile, 'utf8').match(/^GRAPH_CLIENT_STATE=/gm) ?? [];
    assert.equal(values.length, 1, 'not regenerated');
  });
});

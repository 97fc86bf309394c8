/**
 * The azd hook scripts, run against fake `az` and `azd` commands (nothing reaches Azure or Graph): the Graph
 * permission grant is idempotent, posts the right app-role assignments and honours MMS_EXCHANGE_RBAC; the client
 * state is generated once and then kept.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRAPH_PERMISSIONS } from '../../../shared/graph/permissions';
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
  const names = GRAPH_PERMISSIONS.map((p) => p.name);
  const scopable = GRAPH_PERMISSIONS.filter((p) => p.exchangeScopable).map((p) => p.name);
  const postOf = (writes: string[], perm: string) =>
    writes.find((w) => w.startsWith('POST') && w.includes(`"appRoleId":"role-${perm}"`));

  it('grants every permission of shared/graph/permissions.json to the identity, and nothing else', () => {
    assert.ok(names.length >= 3, names.join(', '));
    const r = grant('fresh', {});
    assert.equal(r.code, 0, r.err);
    assert.equal(r.writes.length, names.length, r.writes.join('\n'));
    for (const perm of names) {
      const post = postOf(r.writes, perm);
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
    const [first, ...rest] = names;
    assert.ok(first);
    const r = grant('again', { FAKE_EXISTING: rest.map((n) => `role-${n}`).join(' ') });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.writes.length, 1, r.writes.join('\n'));
    assert.ok(postOf(r.writes, first), r.writes.join('\n'));
    for (const n of rest) assert.match(r.out, new RegExp(`${n.replace(/\./g, '\\.')}: already granted`));
  });

  it('with MMS_EXCHANGE_RBAC=true, removes the tenant-wide mailbox permissions and does not grant them', () => {
    assert.ok(scopable.includes('Calendars.ReadWrite'), scopable.join(', '));
    const r = grant('scoped', {
      MMS_EXCHANGE_RBAC: 'true',
      FAKE_EXISTING: scopable.map((n) => `role-${n}`).join(' '),
    });
    assert.equal(r.code, 0, r.err);
    for (const perm of scopable) {
      assert.ok(
        r.writes.some((w) =>
          w.startsWith(
            `DELETE https://graph.microsoft.com/v1.0/servicePrincipals/${PRINCIPAL}/appRoleAssignments/assignment-role-${perm}`,
          ),
        ),
        `${perm}: ${r.writes.join('\n')}`,
      );
      assert.equal(postOf(r.writes, perm), undefined, perm);
    }
    assert.equal(r.writes.filter((w) => w.startsWith('POST')).length, names.length - scopable.length);
  });

  it('reads the list at run time: a permission added to permissions.json is granted without editing the script', () => {
    // A copy of the repository layout the script expects (infra/scripts next to shared/graph), with one more entry.
    const copy = mkdtempSync(join(tmpdir(), 'mms-grant-'));
    try {
      const list = JSON.parse(readFileSync(join(ROOT, 'shared', 'graph', 'permissions.json'), 'utf8')) as {
        permissions: unknown[];
      };
      list.permissions.push({ name: 'GroupMember.Read.All', purpose: 'test', exchangeScopable: false });
      mkdirSync(join(copy, 'shared', 'graph'), { recursive: true });
      mkdirSync(join(copy, 'infra', 'scripts'), { recursive: true });
      writeFileSync(join(copy, 'shared', 'graph', 'permissions.json'), JSON.stringify(list));
      const script = join(copy, 'infra', 'scripts', 'grant-graph-permissions.sh');
      copyFileSync(GRANT, script);
      const writes = join(dir, 'extra.writes');
      const r = run(script, [PRINCIPAL], { FAKE_WRITES: writes, FAKE_EXISTING: '' });
      assert.equal(r.code, 0, r.err);
      const lines = readFileSync(writes, 'utf8').trim().split('\n');
      assert.equal(lines.length, names.length + 1);
      assert.ok(postOf(lines, 'GroupMember.Read.All'), lines.join('\n'));

      writeFileSync(join(copy, 'shared', 'graph', 'permissions.json'), '{"permissions":[{"name":"x; rm"}]}');
      const bad = run(script, [PRINCIPAL], { FAKE_WRITES: join(dir, 'bad.writes'), FAKE_EXISTING: '' });
      assert.notEqual(bad.code, 0);
      assert.ok(!existsSync(join(dir, 'bad.writes')), 'nothing granted from a malformed list');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
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

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tenantSeed } from '../../../dev/sandbox/seed';

// dist/test/unit/sandbox-generator → repository root
const root = resolve(__dirname, '..', '..', '..', '..');
const node = join(root, 'node_modules', '.bin', 'node');
const cli = join(root, 'dist', 'dev', 'sandbox', 'cli.js');

function run(args: string[]) {
  return spawnSync(node, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

describe('npm run sandbox (dev/sandbox/cli)', () => {
  it('--out writes a valid seed as JSON and exits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
    try {
      const file = join(dir, 'tenant.json');
      const r = run(['--users', '12', '--meetings', '4', '--seed', '5', '--out', file]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Users: +12/);
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      const check = tenantSeed.safeParse(parsed);
      assert.ok(check.success, check.success ? '' : JSON.stringify(check.error.issues.slice(0, 3)));
      assert.equal(check.data.users.length, 12);
      assert.equal(check.data.events.filter((e) => e.mailboxUserId === e.organizerUserId).length, 48);
      assert.ok(check.data.bridges.length >= 2);
      // Same seed, same tenant.
      const again = join(dir, 'again.json');
      assert.equal(run(['--users', '12', '--meetings', '4', '--seed', '5', '--out', again]).status, 0);
      const a = tenantSeed.parse(JSON.parse(readFileSync(again, 'utf8')));
      assert.deepEqual(
        a.users.map((u) => u.id),
        check.data.users.map((u) => u.id),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad arguments with a message naming the option', () => {
    for (const [args, option] of [
      [['--users', 'abc'], '--users'],
      [['--users', '-3'], '--users'],
      [['--meetings', '1.5'], '--meetings'],
      [['--port', '70000'], '--port'],
    ] as const) {
      const r = run([...args, '--out', join(tmpdir(), 'never-written.json')]);
      assert.notEqual(r.status, 0, `${args.join(' ')} accepted`);
      assert.ok(r.stderr.includes(option), `stderr does not name ${option}: ${r.stderr}`);
    }
  });
});

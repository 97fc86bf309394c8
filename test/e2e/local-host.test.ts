/**
 * `npm start` as a black box: spawns dist/dev/start.js on a free port, waits for `MMS_HOST_READY`, calls the
 * health function and the sandbox tenant with the printed token, then stops it with SIGINT (Ctrl-C) and checks
 * that every process it started is gone and every port it used is free again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { nodeWorkerArguments } from '../../dev/node-worker';
import { ROOT, startLocalHost, startupRow, type LocalHost } from '../support/local-host';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function portFromUrl(url: string): number {
  return Number(new URL(url).port);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function stopAndCheck(
  run: LocalHost,
  ports: number[],
  pids: number[],
  signal: NodeJS.Signals = 'SIGINT',
): Promise<void> {
  run.child.kill(signal);
  const { code } = await run.exited;
  assert.equal(code, 0, `npm start exits cleanly on ${signal}:\n${run.output()}`);
  for (const pid of pids) assert.ok(processGone(pid), `process ${pid} is gone`);
  for (const port of ports) assert.ok(await portIsFree(port), `port ${port} is free again`);
}

function row(output: string, label: string): string {
  const value = startupRow(output, label);
  assert.ok(value, `the start-up table has a "${label}" row:\n${output}`);
  return value;
}

describe('npm start (local host, black box)', () => {
  it('serves /api/health and the sandbox tenant, and Ctrl-C stops every process', async () => {
    const run = await startLocalHost(['--users', '5', '--meetings', '3']);
    try {
      const health = await fetch(`${run.apiUrl}/api/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok', version: VERSION });

      const out = run.output();
      const graphUrl = row(out, 'Graph');
      const token = run.sandboxToken;
      assert.ok(token, 'the sandbox token is printed');
      const users = await fetch(`${graphUrl}/v1.0/users/delta`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(users.status, 200);
      const page = (await users.json()) as { value?: unknown[] };
      assert.ok(Array.isArray(page.value) && page.value.length > 0, 'the generated users are served');
      const noToken = await fetch(`${graphUrl}/v1.0/users/delta`);
      assert.equal(noToken.status, 401);

      // The test harness turns the sandbox's Graph v1.0 shape checks on for the local host too: a request body
      // with a property the schema does not declare is refused and recorded (the harness's stop() fails on what
      // is left, so it is taken here).
      const typo = await fetch(`${graphUrl}/v1.0/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ changeType: 'updated', resource: '/users', notificationURL: 'https://x' }),
      });
      assert.equal(typo.status, 400);
      assert.match(await typo.text(), /notificationURL/);
      const control = row(out, 'Sandbox control');
      const recorded = await fetch(`${control}/shape-violations`, { method: 'DELETE' });
      const found = (await recorded.json()) as { enabled: boolean; value: { violations: string[] }[] };
      assert.equal(found.enabled, true);
      assert.match(found.value.map((v) => v.violations.join()).join(), /'notificationURL' is not a declared/);

      const tables = row(out, 'Table Storage');
      const hostPid = Number(/\(pid (\d+)\)/.exec(out)?.[1]);
      assert.ok(hostPid > 0, 'the function host pid is printed');
      if (process.platform === 'linux') {
        // The function host runs with the deployed worker's Node arguments (infra/node-worker.json).
        const argv = readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').split('\0');
        for (const arg of nodeWorkerArguments()) assert.ok(argv.includes(arg), `the host runs with ${arg}`);
      }
      await stopAndCheck(
        run,
        [portFromUrl(run.apiUrl), portFromUrl(graphUrl), portFromUrl(tables)],
        [run.child.pid ?? 0, hostPid],
      );
    } finally {
      run.cleanup();
    }
  });

  it('runs without the sandbox (--no-sandbox) and stops every process on SIGTERM', async () => {
    const run = await startLocalHost(['--no-sandbox']);
    try {
      const health = await fetch(`${run.apiUrl}/api/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok', version: VERSION });
      const out = run.output();
      assert.match(out, /health\s+http\s+GET\s+http:\/\/127\.0\.0\.1:\d+\/api\/health\s+\[anonymous\]/);
      assert.match(out, /Function key\s+local-dev-key/);
      const tables = row(out, 'Table Storage');
      const hostPid = Number(/\(pid (\d+)\)/.exec(out)?.[1]);
      assert.ok(hostPid > 0, 'the function host pid is printed');
      await stopAndCheck(
        run,
        [portFromUrl(run.apiUrl), portFromUrl(tables)],
        [run.child.pid ?? 0, hostPid],
        'SIGTERM',
      );
    } finally {
      run.cleanup();
    }
  });
});

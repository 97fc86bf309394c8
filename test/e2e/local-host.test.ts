/**
 * `npm start` as a black box: spawns dist/dev/start.js on a free port, waits for `MMS_HOST_READY`, calls the
 * health function and the sandbox tenant with the printed token, then stops it with SIGINT (Ctrl-C) and checks
 * that every process it started is gone and every port it used is free again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Started {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  cleanup: () => void;
}

async function startLocal(args: string[]): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'mms-e2e-'));
  const settings = join(dir, 'local.settings.json');
  writeFileSync(settings, JSON.stringify({ IsEncrypted: false, Values: {} }));
  const env = { ...process.env };
  // The test runner's own settings must not leak into the local run.
  for (const k of ['TABLES_CONNECTION_STRING', 'TABLES_ENDPOINT', 'QUEUE_TRANSPORT', 'GRAPH_CREDENTIAL'])
    delete env[k];
  const child = spawn(
    NODE,
    [join(ROOT, 'dist', 'dev', 'start.js'), '--port', '0', '--settings', settings, '--data', dir, ...args],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const cleanup = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    const m = /^MMS_HOST_READY (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
    if (m?.[1]) return { child, output: () => out, apiUrl: m[1], exited, cleanup };
    if (child.exitCode !== null || Date.now() > deadline) {
      cleanup();
      throw new Error(`npm start did not become ready (exit ${child.exitCode}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
  run: Started,
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
  const m = new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(output);
  assert.ok(m?.[1], `the start-up table has a "${label}" row:\n${output}`);
  return m[1];
}

describe('npm start (local host, black box)', () => {
  it('serves /api/health and the sandbox tenant, and Ctrl-C stops every process', async () => {
    const run = await startLocal(['--users', '5', '--meetings', '3']);
    try {
      const health = await fetch(`${run.apiUrl}/api/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok', version: VERSION });

      const out = run.output();
      const graphUrl = row(out, 'Graph');
      const token = /Sandbox token\s+Authorization: Bearer (\S+)/.exec(out)?.[1];
      assert.ok(token, 'the sandbox token is printed');
      const users = await fetch(`${graphUrl}/v1.0/users/delta`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(users.status, 200);
      const page = (await users.json()) as { value?: unknown[] };
      assert.ok(Array.isArray(page.value) && page.value.length > 0, 'the generated users are served');
      const noToken = await fetch(`${graphUrl}/v1.0/users/delta`);
      assert.equal(noToken.status, 401);

      const tables = row(out, 'Table Storage');
      const hostPid = Number(/\(pid (\d+)\)/.exec(out)?.[1]);
      assert.ok(hostPid > 0, 'the function host pid is printed');
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
    const run = await startLocal(['--no-sandbox']);
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

/**
 * `npm start` (dist/dev/start.js) as a black box for end-to-end tests: spawned on free ports (`--port 0`) with its
 * own local.settings.json and data folder in a fresh temporary directory, without the test runner's own Table,
 * queue and Graph settings; resolves once `MMS_HOST_READY http://127.0.0.1:PORT` is printed, with the rows of the
 * start-up table the tests rely on.
 *
 *   const host = await startLocalHost(['--users', '5'], { env: { MIGRATION_DELAY_SECONDS: '0' } });
 *   try {
 *     await fetch(`${host.apiUrl}/api/health`);
 *   } finally {
 *     await host.stop(); // SIGINT, wait for the exit (bounded), then SIGKILL if needed and remove the folder
 *   }
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository root (this file runs from dist/test/support). */
export const ROOT = join(__dirname, '..', '..', '..');
/** The Node 22 binary of the `node` devDependency. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

/** The test runner's own settings, which must not leak into the local run. */
const RUNNER_SETTINGS = [
  'TABLES_CONNECTION_STRING',
  'TABLES_ENDPOINT',
  'QUEUE_TRANSPORT',
  'GRAPH_CREDENTIAL',
];

export interface LocalHostExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LocalHostOptions {
  /** Variables added to the inherited environment (after the runner's own settings are removed). */
  env?: Record<string, string>;
  /** Further inherited variables to remove (e.g. to let a local.settings.json value take effect). */
  unsetEnv?: string[];
  /** The `Values` of the generated local.settings.json (empty by default). */
  settings?: Record<string, string>;
  /** How long to wait for `MMS_HOST_READY` (default 90 s). */
  readyTimeoutMs?: number;
  /** Prefix of the temporary folder (default `mms-e2e-`). */
  tmpPrefix?: string;
}

export interface LocalHost {
  child: ChildProcess;
  /** The temporary folder holding local.settings.json and the data (`--data`). */
  dir: string;
  /** The function host's base URL, from the `MMS_HOST_READY` line. */
  apiUrl: string;
  /** The `Function key` row. */
  functionKey: string;
  /** The `Graph` row: the sandbox tenant's Graph URL, or the real Graph base URL with --no-sandbox. */
  graphUrl: string;
  /** The `Sandbox control` row (absent without the sandbox). */
  sandboxControlUrl?: string;
  /** The bearer token of the `Sandbox token` row (absent without the sandbox). */
  sandboxToken?: string;
  /** Everything printed so far on stdout and stderr. */
  output: () => string;
  /** Resolves when the process exits. */
  exited: Promise<LocalHostExit>;
  /**
   * Sends `signal` (SIGINT by default, like Ctrl-C), waits up to `timeoutMs` (default 20 s) for the exit, then
   * cleans up; resolves with the exit, or undefined if the process had to be killed.
   */
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<LocalHostExit | undefined>;
  /** SIGKILL if still running; removes the temporary folder. Idempotent. */
  cleanup: () => void;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The first value of the start-up table row labelled `label` (e.g. `Graph`, `Table Storage`), if printed. */
export function startupRow(output: string, label: string): string | undefined {
  return new RegExp(`^\\s+${escapeRegExp(label)}\\s+(\\S+)`, 'm').exec(output)?.[1];
}

/**
 * What the local host's sandbox recorded as not conforming to the Graph v1.0 schema (SANDBOX_CHECK_SHAPES=1, set
 * by the test harness), taken so a test that provoked them on purpose is not blamed twice; empty without a sandbox.
 */
async function shapeViolations(output: string): Promise<string[]> {
  const control = startupRow(output, 'Sandbox control');
  if (!control) return [];
  try {
    const res = await fetch(`${control}/shape-violations`, { method: 'DELETE' });
    if (!res.ok) return [`GET ${control}/shape-violations answered ${res.status}`];
    const body = (await res.json()) as {
      value: { direction: string; method: string; path: string; violations: string[] }[];
    };
    return body.value.map((v) => `  ${v.direction} ${v.method} ${v.path}: ${v.violations.join('; ')}`);
  } catch {
    return []; // the host is already gone (a test that kills it)
  }
}

/** Starts `npm start` with `--port 0 --settings <tmp> --data <tmp>` plus `args`, and waits until it is ready. */
export async function startLocalHost(args: string[], options: LocalHostOptions = {}): Promise<LocalHost> {
  const dir = mkdtempSync(join(tmpdir(), options.tmpPrefix ?? 'mms-e2e-'));
  const settings = join(dir, 'local.settings.json');
  writeFileSync(settings, JSON.stringify({ IsEncrypted: false, Values: options.settings ?? {} }));
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of [...RUNNER_SETTINGS, ...(options.unsetEnv ?? [])]) delete env[k];
  Object.assign(env, options.env);

  const child = spawn(
    NODE,
    [join(ROOT, 'dist', 'dev', 'start.js'), '--port', '0', '--settings', settings, '--data', dir, ...args],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<LocalHostExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const cleanup = () => {
    if (running()) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const stop = async (signal: NodeJS.Signals = 'SIGINT', timeoutMs = 20_000) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const violations = running() ? await shapeViolations(out) : [];
    if (violations.length) {
      cleanup();
      throw new Error(
        `the sandbox saw Graph bodies that do not conform to the v1.0 schema:\n${violations.join('\n')}`,
      );
    }
    try {
      if (running()) child.kill(signal);
      const timeout = new Promise<undefined>(
        (resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)),
      );
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
      cleanup();
    }
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    const apiUrl = /^MMS_HOST_READY (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)?.[1];
    if (apiUrl) {
      const functionKey = startupRow(out, 'Function key');
      const graphUrl = startupRow(out, 'Graph');
      if (!functionKey || !graphUrl) {
        cleanup();
        throw new Error(`the start-up table lacks the Function key or Graph row:\n${out}`);
      }
      const sandboxControlUrl = startupRow(out, 'Sandbox control');
      const sandboxToken = /^\s+Sandbox token\s+Authorization: Bearer (\S+)/m.exec(out)?.[1];
      return {
        child,
        dir,
        apiUrl,
        functionKey,
        graphUrl,
        ...(sandboxControlUrl ? { sandboxControlUrl } : {}),
        ...(sandboxToken ? { sandboxToken } : {}),
        output: () => out,
        exited,
        stop,
        cleanup,
      };
    }
    if (!running() || Date.now() > deadline) {
      cleanup();
      throw new Error(`npm start did not become ready (exit ${child.exitCode ?? child.signalCode}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

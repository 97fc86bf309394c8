/**
 * The compiled admin CLI (dist/cli/mms.js) as a child process for end-to-end tests, on the Node 22 binary of the
 * `node` devDependency. The runner's own MMS_API_URL / MMS_FUNCTION_KEY are not inherited, so a test names the
 * host with `--url`/`--key` (or relies on what `npm start` wrote) and never reaches a host it did not start.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { NODE, ROOT } from './local-host';

export const MMS = join(ROOT, 'dist', 'cli', 'mms.js');

export interface MmsRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mms <args>`; rejects when it has not exited within `timeoutMs` (the child is killed). */
export function mms(args: string[], timeoutMs = 120_000): Promise<MmsRun> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.MMS_API_URL;
  delete env.MMS_FUNCTION_KEY;
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [MMS, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mms ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A run's exit code and both streams, for assertion messages. */
export const showRun = (r: MmsRun) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

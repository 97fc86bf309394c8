/**
 * `npm test`: starts Azurite on a free loopback port, runs every compiled test file with node's test runner
 * (on the Node that runs this script: node@22 from devDependencies), stops Azurite, and exits with the runner's
 * code. Test files that need the sandbox tenant start their own (dev/sandbox), each on a free port.
 *
 *   npm test                 every test
 *   npm test -- unit e2e     only test files whose path contains "unit" or "e2e"
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { startAzurite } from '../dev/azurite';
import { testEnvironment } from './support/env';

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

async function main(): Promise<number> {
  const root = resolve(__dirname, '..', '..');
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const all = findTests(join(root, 'dist', 'test'));
  const files =
    filters.length === 0 ? all : all.filter((f) => filters.some((flt) => relative(root, f).includes(flt)));
  if (files.length === 0) {
    console.error(`No test files match ${filters.join(', ')}`);
    return 1;
  }

  const azurite = await startAzurite();
  console.log(
    `Azurite (Tables) on ${azurite.tableEndpoint}; Node ${process.version}; ${files.length} test files`,
  );
  let code = 1;
  try {
    code = await new Promise<number>((resolveCode) => {
      const child = spawn(
        process.execPath,
        ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-timeout=600000', ...files],
        {
          cwd: root,
          stdio: 'inherit',
          env: { ...process.env, ...testEnvironment(root, azurite.connectionString) },
        },
      );
      const forward = (sig: NodeJS.Signals) => child.kill(sig);
      process.once('SIGINT', forward);
      process.once('SIGTERM', forward);
      child.on('exit', (c, sig) => resolveCode(c ?? (sig ? 1 : 0)));
    });
  } finally {
    await azurite.stop();
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * `npm run bench`: runs every compiled bench/*.bench.js in its own process, one after the other, and lets each
 * print its figures. Benchmarks measure; they never fail on a slow machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = __dirname;
// Benchmarks that talk to the sandbox tenant (HTTPS, dev-only certificate) need its CA. NODE_EXTRA_CA_CERTS is
// read only when a process starts and names a single file, so the children get the sandbox certificate, joined
// to the bundle already named there (if any) in a temporary file.
let combinedDir: string | undefined;
const sandboxCa = join(dir, '..', '..', 'dev', 'sandbox', 'certs', 'sandbox-dev-only.crt');
function extraCaCerts(): string {
  const current = process.env['NODE_EXTRA_CA_CERTS'];
  if (!current || current === sandboxCa) return sandboxCa;
  const sandboxPem = readFileSync(sandboxCa, 'utf8');
  let currentPem = '';
  try {
    currentPem = readFileSync(current, 'utf8');
  } catch {
    return sandboxCa; // the variable names no readable file: Node would ignore it anyway
  }
  if (currentPem.includes(sandboxPem.trim())) return current;
  combinedDir = mkdtempSync(join(tmpdir(), 'mms-bench-ca-'));
  const combined = join(combinedDir, 'ca.pem');
  writeFileSync(combined, `${currentPem.trimEnd()}\n${sandboxPem}`);
  return combined;
}
const env = { ...process.env, NODE_EXTRA_CA_CERTS: extraCaCerts() };
const filter = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f)], { stdio: 'inherit', env });
  if (r.status !== 0) failed++;
}
if (combinedDir) rmSync(combinedDir, { recursive: true, force: true });
if (files.length === 0) console.log('No benchmarks found.');
process.exit(failed === 0 ? 0 : 1);

/**
 * The deployment package (`npm run package`, dev/package.ts): the zip holds host.json, a production package.json,
 * the compiled app (dist/functions, dist/shared) and the production node_modules, nothing else; unpacked into an
 * empty folder it loads the way the Functions host loads it (package.json "main", app.* registrations through
 * @azure/functions-core) and registers every function, with nothing resolved from outside that folder.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { unzipSync } from 'fflate';
import { APP_DIST_FOLDERS, buildPackage, type PackageResult } from '../../../dev/package';
import { ROOT } from './iac';

const STUB = join(ROOT, 'dist', 'dev', 'host', 'stubs', '@azure', 'functions-core', 'index.js');

let work: string;
let result: PackageResult;
let unpacked: string;

interface Loaded {
  functions: { name: string; triggerType: string }[];
  outside: string[];
}

/**
 * Loads an app's entry file in a fresh Node process started in `cwd`, with no NODE_PATH: the way the worker does
 * (package.json "main", @azure/functions-core answered by the host). Reports what registered and every module file
 * that was loaded from outside `cwd` (the host stand-in excepted).
 */
function loadIn(cwd: string): Loaded {
  const script = `
    const { join, sep } = require('node:path');
    const { readFileSync } = require('node:fs');
    const core = require(${JSON.stringify(STUB)});
    const main = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).main;
    const functions = core.loadFunctionApp(join(process.cwd(), main))
      .map((f) => ({ name: f.name, triggerType: f.triggerType }));
    const outside = Object.keys(require.cache)
      .filter((f) => !f.startsWith(process.cwd() + sep) && f !== ${JSON.stringify(STUB)});
    process.stdout.write(JSON.stringify({ functions, outside }));
  `;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() };
  const r = spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `loading the app in ${cwd} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Loaded;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(relative(unpacked, p).split(sep).join('/'));
  }
  return out;
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'mms-package-'));
  result = buildPackage(ROOT, join(work, 'out'));
  // Unpack into an empty folder outside the repository, so nothing can resolve from the checkout's node_modules.
  unpacked = join(work, 'site', 'wwwroot');
  mkdirSync(unpacked, { recursive: true });
  for (const [path, data] of Object.entries(unzipSync(readFileSync(result.zip)))) {
    if (path.endsWith('/')) continue;
    const target = join(unpacked, ...path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('npm run package: the deployment zip', () => {
  it('holds host.json, package.json, dist/functions, dist/shared and node_modules, nothing else', () => {
    const files = filesUnder(unpacked).sort();
    assert.deepEqual(
      files,
      result.files,
      'the zip holds exactly the files reported (and unpacked in .package/app)',
    );
    const top = new Set(files.map((f) => f.split('/')[0]));
    assert.deepEqual([...top].sort(), ['dist', 'host.json', 'node_modules', 'package.json']);
    const dist = new Set(files.filter((f) => f.startsWith('dist/')).map((f) => f.split('/')[1]));
    assert.deepEqual([...dist].sort(), [...APP_DIST_FOLDERS].sort());
    assert.deepEqual(
      files.filter((f) => f.startsWith('dist/') && !/\.(js|json)$/.test(f)),
      [],
      'compiled JavaScript (and JSON data) only: no maps, no TypeScript',
    );
    assert.equal(
      readFileSync(join(unpacked, 'host.json'), 'utf8'),
      readFileSync(join(ROOT, 'host.json'), 'utf8'),
    );
    assert.ok(
      !files.some((f) => /(^|\/)(\.env|\.git|local\.settings\.json)(\/|$)|\.(pem|key|pfx)$/.test(f)),
      'no secrets',
    );
  });

  it('its package.json is the project’s without scripts or devDependencies, with the same main', () => {
    const project = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deployed = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(deployed.main, project.main);
    assert.deepEqual(deployed.dependencies, project.dependencies);
    assert.equal(deployed.scripts, undefined, 'no scripts: nothing to build or install on Azure');
    assert.equal(deployed.devDependencies, undefined);
  });

  it('node_modules holds the production dependencies only, each with its package.json', () => {
    const project = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const installed = new Set(result.dependencies);
    for (const dep of Object.keys(project.dependencies)) {
      assert.ok(installed.has(`node_modules/${dep}`), `production dependency ${dep}`);
    }
    // A devDependency is packaged only when a production package depends on it too (e.g. @types/node, which a
    // dependency of @azure/service-bus declares); the tools never are.
    const requiredByProduction = new Set<string>();
    for (const dep of result.dependencies) {
      const pj = JSON.parse(readFileSync(join(unpacked, dep, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        optionalDependencies?: Record<string, string>;
      };
      for (const n of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies }))
        requiredByProduction.add(n);
    }
    for (const dev of Object.keys(project.devDependencies)) {
      if (!installed.has(`node_modules/${dev}`)) continue;
      assert.ok(
        requiredByProduction.has(dev),
        `devDependency ${dev} is packaged though no production package needs it`,
      );
    }
    for (const tool of [
      'azurite',
      'typescript',
      'node',
      'tree-sitter-bicep',
      'eslint',
      'prettier',
      'fflate',
    ]) {
      assert.ok(!installed.has(`node_modules/${tool}`), `${tool} is not packaged`);
    }
    for (const dep of result.dependencies) {
      assert.ok(result.files.includes(`${dep}/package.json`), dep);
    }
    const packaged = new Set(
      result.files
        .filter((f) => f.startsWith('node_modules/') && f.endsWith('/package.json'))
        .map((f) => f.slice(0, -'/package.json'.length))
        .filter((f) => installed.has(f)),
    );
    assert.equal(packaged.size, installed.size);
    assert.ok(!result.files.some((f) => f.startsWith('node_modules/.bin/')), 'no .bin links');
  });

  it('unpacked into an empty folder, it loads like the host loads it and registers every function, with production dependencies alone', () => {
    const fromPackage = loadIn(unpacked);
    assert.deepEqual(fromPackage.outside, [], 'every module the app loaded comes from the package');
    const fromCheckout = loadIn(ROOT);
    assert.ok(fromCheckout.functions.length >= 10, `${fromCheckout.functions.length} functions`);
    assert.deepEqual(fromPackage.functions, fromCheckout.functions);
    assert.ok(fromPackage.functions.some((f) => f.name === 'health' && f.triggerType === 'httpTrigger'));
  });

  it('prints the zip’s path as its last line', () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'dev', 'package.js'), '--out', join(work, 'cli')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    assert.equal(lines[lines.length - 1], join(work, 'cli', `${name}-${version}.zip`));
  });
});

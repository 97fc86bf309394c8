/**
 * How the code reaches Azure: azd deploys the package `npm run package` builds (azure.yaml), without a remote
 * build; a Core Tools publish from the checkout leaves out everything the package leaves out (.funcignore).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore from 'ignore';
import { ROOT } from './iac';

describe('azure.yaml: azd deploys the production package', () => {
  const yaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');

  it('the api service deploys .package/app (where npm run package leaves it), built by the prepackage hook', () => {
    const service = /^ {2}api:\n((?: {4}.*\n|\s*\n)+)/m.exec(yaml)?.[1] ?? '';
    assert.match(service, /^ {4}host: function$/m);
    assert.match(service, /^ {4}dist: \.package\/app$/m);
    assert.match(service, /^ {4}remoteBuild: false$/m, 'no remote build: Azure installs no devDependencies');
    assert.match(service, /^ {6}prepackage:\n {8}posix:\n(?: {10}.*\n)*? {10}run: npm run package$/m);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.match(pkg.scripts.package ?? '', /node dist\/dev\/package\.js$/);
    const source = readFileSync(join(ROOT, 'dev', 'package.ts'), 'utf8');
    assert.match(source, /outDir = join\(root, '\.package'\)/);
    assert.match(source, /const dir = join\(outDir, 'app'\)/);
  });
});

describe('.funcignore', () => {
  it('leaves a publish from the checkout with host.json, package.json, dist/functions, dist/shared (and node_modules)', () => {
    const rules = ignore().add(readFileSync(join(ROOT, '.funcignore'), 'utf8'));
    // Every tracked file, plus what a build writes to dist/.
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const built = [
      'dist/functions/index.js',
      'dist/shared/config.js',
      'dist/shared/graph/permissions.json',
      'dist/functions/index.js.map',
      'dist/test/run.js',
      'dist/dev/start.js',
      'dist/bench/run.js',
      'dist/cli/mms.js',
      '.package/app/host.json',
      'local.settings.json',
    ];
    const kept = [...tracked, ...built].filter((f) => !rules.ignores(f));
    const unexpected = kept.filter(
      (f) =>
        !['host.json', 'package.json'].includes(f) && !/^dist\/(functions|shared)\/.+\.(js|json)$/.test(f),
    );
    assert.deepEqual(unexpected, []);
    for (const f of [
      'host.json',
      'package.json',
      'dist/functions/index.js',
      'dist/shared/graph/permissions.json',
    ]) {
      assert.ok(kept.includes(f), f);
    }
    assert.ok(!rules.ignores('node_modules/@azure/functions/package.json'));
  });
});

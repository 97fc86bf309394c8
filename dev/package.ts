/**
 * `npm run package`: builds the deployment package of the function app, the zip Azure runs. It holds exactly
 *
 *   host.json
 *   package.json      the project's, without scripts and devDependencies ("main" = dist/functions/index.js)
 *   dist/functions/   the compiled functions, and dist/shared/ what they use (no tests, bench, dev or CLI)
 *   node_modules/     the production dependencies, as installed (`npm ls --omit=dev --parseable --all`)
 *
 * so the app needs no build and no `npm install` on Azure (no remote build, no devDependencies). It also leaves the
 * same files unpacked in .package/app/, which azd deploys (azure.yaml `dist`). The zip's path is the last line
 * printed. Run `npm run build` first (the npm script does).
 *
 *   npm run package [-- --out <folder>]
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { zipSync, type Zippable } from 'fflate';

/** Compiled folders the app loads; everything else under dist/ (test, bench, dev, cli) stays out. */
export const APP_DIST_FOLDERS = ['functions', 'shared'] as const;

export interface PackageResult {
  /** The deployment zip. */
  zip: string;
  /** The same content, unpacked. */
  dir: string;
  /** Paths inside the package, sorted, with / separators. */
  files: string[];
  /** The production dependencies' folders inside the package (node_modules/...). */
  dependencies: string[];
}

interface ProjectPackageJson {
  name: string;
  version: string;
  main: string;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** Fixed timestamp of every zip entry, so the same input gives the same zip. */
const ZIP_TIME = new Date('2000-01-01T00:00:00Z');

function npmCommand(): { command: string; args: string[] } {
  // Under `npm run`, npm_execpath is npm's own CLI: run it with the same Node (works on a machine where `npm` on
  // PATH is another version, and on Windows).
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.js$/.test(cli)) return { command: process.execPath, args: [cli] };
  return { command: 'npm', args: [] };
}

/**
 * Folders of the installed production dependencies (direct and transitive), as npm resolves them. Fails when one is
 * missing from node_modules (run `npm ci` first).
 */
export function productionDependencyFolders(root: string): string[] {
  const npm = npmCommand();
  const out = execFileSync(npm.command, [...npm.args, 'ls', '--omit=dev', '--parseable', '--all'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const folders = out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && resolve(l) !== resolve(root));
  for (const f of folders) {
    if (!relative(root, f).split(sep).includes('node_modules')) {
      throw new Error(`npm ls listed ${f}, which is not under node_modules (a linked package?)`);
    }
    if (!existsSync(join(f, 'package.json'))) throw new Error(`${f} is not installed; run npm ci`);
  }
  return folders.sort();
}

/** package.json of the deployment: what the Functions host and Node read, nothing for building. */
export function deploymentPackageJson(project: ProjectPackageJson): Record<string, unknown> {
  const keep = [
    'name',
    'version',
    'description',
    'license',
    'private',
    'main',
    'type',
    'engines',
    'dependencies',
  ];
  const out: Record<string, unknown> = {};
  for (const key of keep) if (project[key] !== undefined) out[key] = project[key];
  return out;
}

function listFiles(dir: string, skip: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (skip(p)) continue;
    if (entry.isDirectory()) out.push(...listFiles(p, skip));
    else if (entry.isFile()) out.push(p);
    else if (entry.isSymbolicLink() && statSync(p).isFile()) out.push(p);
  }
  return out;
}

/** Builds the package from `root` (a built checkout with node_modules installed) into `outDir`. */
export function buildPackage(root: string, outDir = join(root, '.package')): PackageResult {
  const project = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as ProjectPackageJson;
  const main = join(root, project.main);
  if (!existsSync(main)) throw new Error(`${project.main} does not exist: run npm run build first`);
  for (const folder of APP_DIST_FOLDERS) {
    if (!existsSync(join(root, 'dist', folder)))
      throw new Error(`dist/${folder} does not exist: run npm run build`);
  }

  /** Package path (with /) → source file. */
  const entries = new Map<string, string>();
  entries.set('host.json', join(root, 'host.json'));
  for (const folder of APP_DIST_FOLDERS) {
    // Source maps point at TypeScript sources the package does not hold.
    for (const file of listFiles(join(root, 'dist', folder), (p) => p.endsWith('.map'))) {
      entries.set(relative(root, file).split(sep).join('/'), file);
    }
  }
  const dependencies = productionDependencyFolders(root);
  for (const folder of dependencies) {
    // Nested node_modules hold packages of their own, which npm ls lists (and this loop copies) when they are
    // production dependencies.
    const nested = join(folder, 'node_modules');
    for (const file of listFiles(folder, (p) => p === nested || p.endsWith(`${sep}.bin`))) {
      entries.set(relative(root, file).split(sep).join('/'), file);
    }
  }

  const dir = join(outDir, 'app');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const zippable: Zippable = {};
  const packageJson = Buffer.from(`${JSON.stringify(deploymentPackageJson(project), null, 2)}\n`);
  writeFileSync(join(dir, 'package.json'), packageJson);
  zippable['package.json'] = [packageJson, { mtime: ZIP_TIME }];
  for (const [path, source] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
    const target = join(dir, ...path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target, { dereference: true });
    zippable[path] = [readFileSync(source), { mtime: ZIP_TIME }];
  }

  const zip = join(outDir, `${project.name}-${project.version}.zip`);
  writeFileSync(zip, zipSync(zippable, { level: 6 }));
  return {
    zip,
    dir,
    files: ['package.json', ...entries.keys()].sort(),
    dependencies: dependencies.map((d) => relative(root, d).split(sep).join('/')),
  };
}

function main(): void {
  const root = resolve(__dirname, '..', '..');
  const at = process.argv.indexOf('--out');
  const out = at >= 0 ? process.argv[at + 1] : undefined;
  if (at >= 0 && !out) throw new Error('--out needs a folder');
  const result = buildPackage(root, out ? resolve(out) : undefined);
  console.log(
    `Packaged ${result.files.length} files (${result.dependencies.length} production packages) into ${relative(root, result.dir)}/`,
  );
  console.log(result.zip);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

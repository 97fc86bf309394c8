/**
 * A real headless Chromium for browser tests, installed by the project's own `npm ci`: the `@sparticuz/chromium`
 * package ships a Brotli-compressed Chromium (headless shell) with the few shared libraries it needs (NSS, NSPR,
 * expat), SwiftShader and fonts, inside the package itself; nothing is downloaded at install or at run time.
 * puppeteer-core drives it.
 *
 * The archives are unpacked once per package version into node_modules/.cache/mms-chromium/<version>/ (into a
 * temporary folder first, then renamed into place, so two runs never see a half-written browser). The browser
 * gets that folder's lib/ on LD_LIBRARY_PATH, so beyond the C library it needs nothing from the machine
 * (`systemLibraries` lets a test check that).
 *
 *   const browser = await launchBrowser();
 *   try { const page = await browser.newPage(); ... } finally { await browser.close(); }
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import puppeteer, { type Browser } from 'puppeteer-core';

const ROOT = join(__dirname, '..', '..', '..');

export interface ChromiumInstall {
  /** The folder holding the browser, its SwiftShader libraries, lib/ and fonts/. */
  dir: string;
  executablePath: string;
  libDir: string;
  fontsDir: string;
  version: string;
}

/** Unpacks the package's browser (once per version) and answers where it is. */
export function chromiumInstall(): ChromiumInstall {
  // The package exports no package.json: find its folder from its entry point.
  let pkg = dirname(require.resolve('@sparticuz/chromium'));
  const manifest = (d: string) =>
    existsSync(join(d, 'package.json'))
      ? (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string; version?: string })
      : {};
  while (manifest(pkg).name !== '@sparticuz/chromium') {
    if (dirname(pkg) === pkg) throw new Error('@sparticuz/chromium is not installed (npm ci)');
    pkg = dirname(pkg);
  }
  const version = manifest(pkg).version ?? 'unknown';
  const bin = join(pkg, 'bin');
  const dir = join(ROOT, 'node_modules', '.cache', 'mms-chromium', version);
  const install: ChromiumInstall = {
    dir,
    executablePath: join(dir, 'chromium'),
    libDir: join(dir, 'lib'),
    fontsDir: join(dir, 'fonts'),
    version,
  };
  if (existsSync(join(dir, '.complete'))) return install;

  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.partial-`);
  try {
    writeFileSync(join(staging, 'chromium'), brotliDecompressSync(readFileSync(join(bin, 'chromium.br'))));
    chmodSync(join(staging, 'chromium'), 0o755);
    for (const archive of ['al2023.tar.br', 'swiftshader.tar.br', 'fonts.tar.br']) {
      const tar = spawnSync('tar', ['-x', '-C', staging], {
        input: brotliDecompressSync(readFileSync(join(bin, archive))),
      });
      if (tar.status !== 0) throw new Error(`tar ${archive}: ${tar.stderr.toString()}`);
    }
    writeFileSync(join(staging, '.complete'), version);
    try {
      renameSync(staging, dir);
    } catch (e) {
      // Another run put it in place first.
      if (!existsSync(join(dir, '.complete'))) throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return install;
}

/**
 * Flags for a headless browser as root on a machine without network: no sandbox (root), nothing that phones
 * home (the closed network refuses it), software GL.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--no-zygote',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-sync',
  '--disable-quic',
  '--metrics-recording-only',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--mute-audio',
  '--hide-scrollbars',
];

export async function launchBrowser(): Promise<Browser> {
  const chromium = chromiumInstall();
  const userDataDir = mkdtempSync(join(tmpdir(), 'mms-chromium-profile-'));
  const browser = await puppeteer.launch({
    executablePath: chromium.executablePath,
    headless: 'shell',
    args: CHROMIUM_ARGS,
    userDataDir,
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [chromium.libDir, chromium.dir, process.env.LD_LIBRARY_PATH]
        .filter((x) => x !== undefined && x !== '')
        .join(':'),
      FONTCONFIG_PATH: chromium.fontsDir,
      HOME: userDataDir,
    },
  });
  // Chromium's last processes may still write their cache while the profile is removed: retried (ENOTEMPTY), and
  // a profile left behind in the temporary folder is no test failure.
  browser.once('disconnected', () => {
    try {
      rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      /* left in the temporary folder */
    }
  });
  return browser;
}

/**
 * The shared libraries a running browser process has mapped from outside its own folder (Linux: from
 * /proc/<pid>/maps), by file name.
 */
export function systemLibraries(browser: Browser, chromium: ChromiumInstall = chromiumInstall()): string[] {
  const pid = browser.process()?.pid;
  if (pid === undefined) throw new Error('the browser has no process');
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  // The maps name real paths; the install folder may be reached through a symbolic link.
  const own = realpathSync(chromium.dir);
  const libs = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.split(/\s+/)[5];
    if (path === undefined || !path.startsWith('/') || !/\.so(\.|$)/.test(path)) continue;
    if (path.startsWith(`${own}/`)) continue;
    libs.add(path.slice(path.lastIndexOf('/') + 1));
  }
  return [...libs].sort();
}

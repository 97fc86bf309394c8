/**
 * Starts Azurite's Table service (npm `azurite`) as a child process on a loopback port, telemetry off.
 * Used by the local host (`npm start`) and the test runner. Port 0 picks a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface AzuriteHandle {
  /** Connection string for @azure/data-tables (TableClient.fromConnectionString(..., { allowInsecureConnection: true })). */
  connectionString: string;
  tableEndpoint: string;
  port: number;
  stop(): Promise<void>;
}

export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** Azurite's well-known development key (public, documented by Microsoft; works only against the emulator). */
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startAzurite(
  options: { port?: number; location?: string } = {},
): Promise<AzuriteHandle> {
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const main = require.resolve('azurite/dist/src/table/main.js');
  // azurite-child.js runs Azurite and exits when this process is gone, even after a SIGKILL.
  const args = [
    join(__dirname, 'azurite-child.js'),
    main,
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(port),
    '--disableTelemetry',
    '--silent',
    '--skipApiVersionCheck',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

  const tableEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode}: ${output}`);
    try {
      const res = await fetch(`${tableEndpoint}/Tables`, { method: 'GET' });
      // Any HTTP answer (403 without auth) means the server is up.
      if (res.status > 0) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Azurite did not start on port ${port} within 30 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `TableEndpoint=${tableEndpoint};`;
  return {
    connectionString,
    tableEndpoint,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The service version, from package.json (dist/shared/version.js sits two folders below it). */
export const VERSION: string = (() => {
  const pkg: unknown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const v = (pkg as { version?: unknown }).version;
  return typeof v === 'string' ? v : '0.0.0';
})();

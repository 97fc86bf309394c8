/**
 * Table settings for integration tests: the Azurite that test/run.ts started (TEST_TABLES_CONNECTION_STRING) and a
 * fresh random table prefix, so every test file (or test) has tables of its own and files can run side by side.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../../shared/config';

export function testTablesConnectionString(): string {
  const connectionString = process.env['TEST_TABLES_CONNECTION_STRING'];
  if (!connectionString) throw new Error('TEST_TABLES_CONNECTION_STRING is not set: run through `npm test`');
  return connectionString;
}

/** `prefix` (letters) + 10 random hex digits: a valid, unused TABLES_PREFIX. */
export function freshTablesPrefix(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export function testTables(prefix: string): Pick<Config, 'tables' | 'tablesPrefix'> {
  return {
    tables: { kind: 'connectionString', connectionString: testTablesConnectionString() },
    tablesPrefix: freshTablesPrefix(prefix),
  };
}

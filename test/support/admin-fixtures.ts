/**
 * Shared fixtures of the admin-action integration tests: two bridges (A the tenant default, B another), the user
 * ids the tests use, and a configuration on the test Azurite with fresh tables, the embedded queue and a
 * coalescing delay long enough that scheduled messages stay scheduled.
 */
import { loadConfig, type Config } from '../../shared/config';
import type { Bridge } from '../../shared/storage/repositories';
import { freshTablesPrefix, testTablesConnectionString } from './tables';

export const BRIDGE_A: Bridge = {
  id: 'aaaaaaaa-0000-4000-8000-000000000001',
  name: 'Conference Bridge',
  isDefault: true,
  dialInUrl: 'https://dialin.teams.microsoft.com/a',
  defaultTollNumber: '+14255550100',
  defaultTollFreeNumber: '+18005550100',
  numbers: [
    { number: '+14255550100', type: 'toll', city: 'Redmond', country: 'United States', languages: ['en-US'] },
    { number: '+12065550111', type: 'toll', city: 'Seattle', country: 'United States', languages: ['en-US'] },
    { number: '+18005550100', type: 'tollFree', city: 'Toll free', country: 'United States', languages: [] },
    { number: '+18885550199', type: 'tollFree', city: 'Toll free', country: 'United States', languages: [] },
  ],
};

export const BRIDGE_B: Bridge = {
  id: 'bbbbbbbb-0000-4000-8000-000000000002',
  name: 'EMEA Conference Bridge',
  isDefault: false,
  dialInUrl: 'https://dialin.teams.microsoft.com/b',
  defaultTollNumber: '+442071234567',
  numbers: [
    {
      number: '+442071234567',
      type: 'toll',
      city: 'London',
      country: 'United Kingdom',
      languages: ['en-GB'],
    },
  ],
};

export const ADA = '10000000-0000-4000-8000-00000000000a';
export const BOB = '10000000-0000-4000-8000-00000000000b';
export const CARL = '10000000-0000-4000-8000-00000000000c';
export const DORA = '10000000-0000-4000-8000-00000000000d';

/** Fresh tables on the test Azurite, embedded queue, sandbox credential, MIGRATION_DELAY_SECONDS 120. */
export function adminTestConfig(tablesPrefix: string): Config {
  return loadConfig({
    TABLES_CONNECTION_STRING: testTablesConnectionString(),
    TABLES_PREFIX: freshTablesPrefix(tablesPrefix),
    QUEUE_TRANSPORT: 'embedded',
    GRAPH_CREDENTIAL: 'sandbox',
    MIGRATION_DELAY_SECONDS: '120',
  });
}

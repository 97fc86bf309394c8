import { join } from 'node:path';

/**
 * Environment every test process gets from test/run.ts: the shared Azurite, trust for the sandbox's dev-only
 * certificate, and the @azure/functions-core stand-in on NODE_PATH (so app.* registrations are captured the way
 * the Functions host indexes them instead of being skipped in "test mode").
 */
export function testEnvironment(root: string, tablesConnectionString: string): Record<string, string> {
  return {
    TEST_TABLES_CONNECTION_STRING: tablesConnectionString,
    NODE_EXTRA_CA_CERTS: join(root, 'dev', 'sandbox', 'certs', 'sandbox-dev-only.crt'),
    NODE_PATH: join(root, 'dist', 'dev', 'host', 'stubs'),
    NODE_ENV: 'test',
    // npm start's demo migrates every sandbox user; end-to-end tests turn it on only where they test it.
    MMS_DEMO: '0',
    // Every sandbox a test starts (in-process or behind a local host) checks each Graph request body, answer and
    // notification against the official v1.0 schema; what does not conform fails the test (dev/sandbox/schema-check.ts).
    SANDBOX_CHECK_SHAPES: '1',
  };
}

/**
 * The dashboard's users list at 10,000 users (`npm run bench -- dashboard`): 10,000 status records in Azurite,
 * then the queries the dashboard sends, through the same service and query schema as GET /api/migrations:
 * a page in storage order, a page sorted by UPN (the default view), sorted by another field, a filtered and a
 * searched page, the last page of a sort, and the summary. Prints the median and slowest of a few runs each and
 * what one page weighs, the point being that the browser gets one page whatever the tenant's size. Never fails
 * on a slow machine.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { startAzurite } from '../dev/azurite';
import { MIGRATION_STATES, requestMigration } from '../shared/domain/status';
import { MIGRATION_TYPES } from '../shared/domain/migration-type';
import {
  listMigrations,
  migrationListQuerySchema,
  type MigrationQueryPorts,
} from '../shared/services/migration-queries';
import { createRepositories } from '../shared/storage/repositories';

const USERS = Number(process.env['BENCH_DASHBOARD_USERS'] ?? 10_000);
const RUNS = 5;

async function main(): Promise<void> {
  const azurite = await startAzurite();
  try {
    const repos = createRepositories({
      tables: { kind: 'connectionString', connectionString: azurite.connectionString },
      tablesPrefix: `bd${randomBytes(5).toString('hex')}`,
    });
    const ports: MigrationQueryPorts = {
      profiles: { get: () => Promise.resolve(null), getByUpn: () => Promise.resolve(null) },
      directory: { getUser: () => Promise.resolve(null) },
      statuses: repos.status,
      ledger: repos.ledger,
    };

    let t = performance.now();
    const limit = pLimit(32);
    const now = new Date();
    await Promise.all(
      Array.from({ length: USERS }, (_, i) =>
        limit(() => {
          const userId = randomUUID();
          return repos.status.mutate(userId, (current) => {
            const s = requestMigration(
              current,
              {
                userId,
                userPrincipalName: `user${String(i).padStart(5, '0')}@contoso.onmicrosoft.com`,
                trigger: 'manualStart',
                correlationId: randomUUID(),
                delayMs: 0,
                sourceMeetingType: 'All',
                targetMeetingType: 'Current',
              },
              now,
            ).status;
            return {
              ...s,
              state: MIGRATION_STATES[i % 4] ?? 'Pending',
              migrationType: MIGRATION_TYPES[i % 5] ?? 'ToSameType',
              totalMeeting: (i * 7) % 53,
            };
          });
        }),
      ),
    );
    console.log(`${USERS} status records written in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const cases: [string, Record<string, string>][] = [
      ['page of 25, storage order', { pageSize: '25' }],
      ['page of 25, by UPN (the default view)', { pageSize: '25', orderBy: 'userPrincipalName' }],
      ['page of 25, by modifiedDate desc', { pageSize: '25', orderBy: 'modifiedDate desc' }],
      ['page of 25, state=Failed, by UPN', { pageSize: '25', state: 'Failed', orderBy: 'userPrincipalName' }],
      ['page of 25, search "user0999"', { pageSize: '25', search: 'user0999' }],
      ['summary (counts by state)', { summaryOnly: '' }],
    ];
    console.log(
      'query'.padEnd(42),
      'median ms'.padStart(10),
      'max ms'.padStart(8),
      'page bytes'.padStart(11),
    );
    for (const [name, params] of cases) {
      const times: number[] = [];
      let bytes = 0;
      for (let r = 0; r < RUNS; r++) {
        t = performance.now();
        const answer = await listMigrations(ports, migrationListQuerySchema.parse(params));
        times.push(performance.now() - t);
        bytes = JSON.stringify(answer).length;
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)] ?? 0;
      const max = times.at(-1) ?? 0;
      console.log(
        name.padEnd(42),
        median.toFixed(0).padStart(10),
        max.toFixed(0).padStart(8),
        String(bytes).padStart(11),
      );
    }
  } finally {
    await azurite.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

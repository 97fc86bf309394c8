/**
 * The function inventory, read the way the Functions host indexes it: dist/functions/index.js (package.json
 * "main") is loaded through the `@azure/functions-core` stand-in (dev/host/stubs, on NODE_PATH in `npm test`),
 * which receives every app.* registration with the exact binding metadata the host would index.
 *
 * EXPECTED is the inventory. A function that registers and is not in it fails the test: add it here with its
 * trigger, route, auth level, queue or schedule when you add the function.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { QUEUES, SERVICE_BUS_CONNECTION } from '../../../shared/queue/port';
import {
  loadFunctionAppRegistrations,
  toInventoryEntry,
  type FunctionInventoryEntry,
  type RegisteredFunction,
} from '../../../dev/host/stubs/@azure/functions-core';
import {
  bicepAppSettings,
  readBicepProject,
  readTerraformProject,
  ROOT,
  terraformAppSettings,
  type AppSettings,
} from './iac';

interface Expected {
  name: string;
  /** Registered today; planned entries (false) are checked when they appear and may be absent until then. */
  required: boolean;
  triggerType: 'httpTrigger' | 'serviceBusTrigger' | 'timerTrigger';
  methods?: string[];
  route?: string;
  authLevel?: 'anonymous' | 'function' | 'admin';
  queueName?: string;
  connection?: string;
  isSessionsEnabled?: boolean;
  /** Exact NCRONTAB schedule; `undefined` on a timer = any valid six-field schedule. */
  schedule?: string;
}

const admin = (name: string, methods: string[], route: string): Expected => ({
  name,
  required: true,
  triggerType: 'httpTrigger',
  methods,
  route,
  authLevel: 'function',
});

const EXPECTED: Expected[] = [
  {
    name: 'health',
    required: true,
    triggerType: 'httpTrigger',
    methods: ['GET'],
    route: 'health',
    authLevel: 'anonymous',
  },
  // Graph change notifications (Graph cannot send a function key; clientState is checked instead).
  {
    name: 'notifications',
    required: true,
    triggerType: 'httpTrigger',
    methods: ['POST'],
    route: 'notifications',
    authLevel: 'anonymous',
  },
  {
    name: 'notificationsLifecycle',
    required: true,
    triggerType: 'httpTrigger',
    methods: ['POST'],
    route: 'notifications/lifecycle',
    authLevel: 'anonymous',
  },
  // Admin API (DESIGN.md): function key, never anonymous.
  admin('migrations', ['GET', 'POST'], 'migrations'),
  admin('migrationStatus', ['GET'], 'migrations/{identity}'),
  admin('migrationMeetings', ['GET'], 'migrations/{identity}/meetings'),
  admin('migrationPreview', ['POST'], 'migrations/preview'),
  admin('migrationBatch', ['POST'], 'migrations/batch'),
  admin('migrationBatchStatus', ['GET'], 'migrations/batches/{batchId}'),
  admin('settingsMigration', ['GET', 'PATCH'], 'settings/migration'),
  admin('settingsDialIn', ['GET', 'PATCH'], 'settings/dial-in'),
  admin('userDialIn', ['GET', 'PATCH'], 'users/{identity}/dial-in'),
  admin('bridges', ['GET'], 'bridges'),
  admin('bridgeNumbers', ['POST', 'DELETE'], 'bridges/{bridgeId}/numbers/{number}'),
  admin('teamsUpgrade', ['PUT'], 'users/{identity}/teams-upgrade'),
  // Read-only readiness checks against the configured Graph, each failure with its fix.
  admin('preflight', ['GET'], 'preflight'),
  admin('userHoming', ['PUT'], 'users/{identity}/homing'),
  // The OpenAPI document of the API (anonymous: it describes the open-source API, no tenant data).
  {
    name: 'openApi',
    required: true,
    triggerType: 'httpTrigger',
    methods: ['GET'],
    route: 'openapi.json',
    authLevel: 'anonymous',
  },
  // The dashboard: a static page, its script and style sheet (anonymous: a browser cannot send the key for a
  // page it opens; the script calls the admin API with the key the admin enters).
  ...(
    [
      ['dashboard', 'dashboard'],
      ['dashboardScript', 'dashboard/app.js'],
      ['dashboardStyle', 'dashboard/app.css'],
    ] as const
  ).map(([name, route]): Expected => ({
    name,
    required: true,
    triggerType: 'httpTrigger',
    methods: ['GET'],
    route,
    authLevel: 'anonymous',
  })),
  // One user's migration; the session (= user id) serialises migrations per user.
  {
    name: 'migrateUser',
    required: true,
    triggerType: 'serviceBusTrigger',
    queueName: QUEUES.meetingMigrations,
    connection: SERVICE_BUS_CONNECTION,
    isSessionsEnabled: true,
  },
  // Directory changes from the notifications.
  {
    name: 'processDirectoryChanges',
    required: true,
    triggerType: 'serviceBusTrigger',
    queueName: QUEUES.directoryChanges,
    connection: SERVICE_BUS_CONNECTION,
    isSessionsEnabled: false,
  },
  // Keeps Graph subscriptions alive and runs the delta sweep.
  { name: 'renewSubscriptions', required: true, triggerType: 'timerTrigger', schedule: '0 */30 * * * *' },
  // Takes over runs whose worker stopped (stale heartbeat) and resends overdue Pending runs' messages.
  {
    name: 'sweepStalledMigrations',
    required: true,
    triggerType: 'timerTrigger',
    schedule: '0 */5 * * * *',
  },
  // Deletes status records (and ledger rows) of migrations that ended more than 150 days ago.
  { name: 'purgeExpiredMigrations', required: true, triggerType: 'timerTrigger', schedule: '0 30 3 * * *' },
];

/**
 * The only routes that may be anonymous: the health probe, Graph's webhook endpoints, the API's description and
 * the dashboard's static page, script and style sheet (none holds tenant data).
 */
const ANONYMOUS_ROUTES = new Set([
  'health',
  'notifications',
  'notifications/lifecycle',
  'openapi.json',
  'dashboard',
  'dashboard/app.js',
  'dashboard/app.css',
]);

let registrations: RegisteredFunction[];
let inventory: FunctionInventoryEntry[];
let sample: Record<string, string>;
let bicep: AppSettings;
let terraform: AppSettings;

before(async () => {
  // package.json "main" is what the host loads.
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
  assert.equal(pkg.main, 'dist/functions/index.js');
  // The stand-in must be what @azure/functions finds (NODE_PATH), or the library switches to test mode.
  assert.equal(
    require.resolve('@azure/functions-core'),
    require.resolve('../../../dev/host/stubs/@azure/functions-core'),
    'NODE_PATH must put dist/dev/host/stubs first (npm test does)',
  );
  registrations = loadFunctionAppRegistrations(join(ROOT, pkg.main));
  inventory = registrations.map((r) => toInventoryEntry(r.metadata));
  const s = JSON.parse(readFileSync(join(ROOT, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  sample = s.Values;
  bicep = bicepAppSettings(await readBicepProject());
  terraform = terraformAppSettings(await readTerraformProject());
});

function check(entry: FunctionInventoryEntry, e: Expected): void {
  const where = `function ${entry.name}`;
  assert.equal(entry.triggerType, e.triggerType, `${where}: trigger`);
  if (e.methods)
    assert.deepEqual([...(entry.methods ?? [])].sort(), [...e.methods].sort(), `${where}: methods`);
  if (e.route !== undefined) assert.equal(entry.route, e.route, `${where}: route`);
  if (e.authLevel !== undefined) assert.equal(entry.authLevel, e.authLevel, `${where}: authLevel`);
  if (e.queueName !== undefined) assert.equal(entry.queueName, e.queueName, `${where}: queueName`);
  if (e.connection !== undefined) assert.equal(entry.connection, e.connection, `${where}: connection`);
  if (e.isSessionsEnabled !== undefined) {
    assert.equal(entry.isSessionsEnabled, e.isSessionsEnabled, `${where}: isSessionsEnabled`);
  }
  if (e.triggerType === 'timerTrigger') {
    if (e.schedule !== undefined) assert.equal(entry.schedule, e.schedule, `${where}: schedule`);
    assert.equal(entry.runOnStartup ?? false, false, `${where}: runOnStartup must be off in production`);
  }
}

/**
 * Every rule the inventory must satisfy, as a list of violations (empty = fine). Pure, so the test can show it
 * catches a bad app (test/unit/infra/fixtures/bad-app.ts) as well as passing the real one.
 */
function inventoryViolations(
  regs: RegisteredFunction[],
  expected: Expected[],
  settings: { sample: Record<string, string>; bicep: AppSettings; terraform: AppSettings },
): string[] {
  const out: string[] = [];
  const entries = regs.map((r) => toInventoryEntry(r.metadata));
  const names = entries.map((f) => f.name);
  const known = new Set(expected.map((e) => e.name));
  for (const n of names) if (!known.has(n)) out.push(`function ${n} is not in EXPECTED`);
  for (const e of expected)
    if (e.required && !names.includes(e.name)) out.push(`function ${e.name} is not registered`);

  for (const entry of entries) {
    const e = expected.find((x) => x.name === entry.name);
    if (e) {
      try {
        check(entry, e);
      } catch (err) {
        out.push(err instanceof Error ? (err.message.split('\n')[0] ?? String(err)) : String(err));
      }
    }
    if (entry.triggerType === 'httpTrigger') {
      const route = (entry.route ?? '').replace(/^\/+|\/+$/g, '');
      if (!ANONYMOUS_ROUTES.has(route) && entry.authLevel !== 'function' && entry.authLevel !== 'admin') {
        out.push(
          `function ${entry.name} (route ${route}) is ${entry.authLevel ?? '?'}: admin routes are never anonymous`,
        );
      }
    }
    if (entry.triggerType === 'serviceBusTrigger') {
      const queues = Object.values(QUEUES) as string[];
      if (!queues.includes(entry.queueName ?? '')) {
        out.push(`function ${entry.name}: queue ${entry.queueName ?? '?'} is not in QUEUES`);
      }
      if (entry.connection !== SERVICE_BUS_CONNECTION) {
        out.push(
          `function ${entry.name}: connection ${entry.connection ?? '?'} is not ${SERVICE_BUS_CONNECTION}`,
        );
      }
      if (entry.isSessionsEnabled !== (entry.queueName === QUEUES.meetingMigrations)) {
        out.push(
          `function ${entry.name}: isSessionsEnabled ${String(entry.isSessionsEnabled)} on ${entry.queueName ?? '?'}`,
        );
      }
    }
    if (entry.triggerType === 'timerTrigger') {
      const schedule = entry.schedule ?? '';
      if (!/^%\w+%$/.test(schedule)) {
        let valid = schedule.trim().split(/\s+/).length === 6;
        try {
          CronExpressionParser.parse(schedule);
        } catch {
          valid = false;
        }
        if (!valid) out.push(`function ${entry.name}: schedule "${schedule}" is not a six-field NCRONTAB`);
      }
    }
  }

  const seen = new Map<string, string>();
  for (const f of entries.filter((x) => x.triggerType === 'httpTrigger')) {
    for (const m of f.methods ?? []) {
      const key = `${m} ${f.route ?? ''}`;
      const other = seen.get(key);
      if (other !== undefined) out.push(`${key} is served by ${other} and ${f.name}`);
      seen.set(key, f.name);
    }
  }

  const places: [string, string[]][] = [
    ['local.settings.sample.json', Object.keys(settings.sample)],
    ['infra/bicep', [...settings.bicep.values.keys()]],
    ['infra/terraform', [...settings.terraform.values.keys()]],
  ];
  for (const r of regs) {
    for (const [bindingName, binding] of Object.entries(r.metadata.bindings)) {
      const where = `function ${r.metadata.name}, binding ${binding.type ?? bindingName}`;
      const connection = binding.connection;
      if (typeof connection === 'string' && connection !== '') {
        for (const [place, keys] of places) {
          if (!keys.some((k) => k === connection || k.startsWith(`${connection}__`))) {
            out.push(`${where}: connection ${connection} has no setting in ${place}`);
          }
        }
        if (/^serviceBus/.test(binding.type ?? '')) {
          for (const [place, keys] of places.slice(1)) {
            if (!keys.includes(`${connection}__fullyQualifiedNamespace`)) {
              out.push(`${where}: ${connection}__fullyQualifiedNamespace missing in ${place}`);
            }
          }
        }
      }
      for (const value of Object.values(binding)) {
        if (typeof value !== 'string') continue;
        for (const m of value.matchAll(/%([A-Za-z0-9_]+)%/g)) {
          const setting = m[1] ?? '';
          for (const [place, keys] of places) {
            if (!keys.includes(setting)) out.push(`${where}: %${setting}% is not set in ${place}`);
          }
        }
      }
    }
  }
  return out;
}

describe('function inventory (as the Functions host indexes it)', () => {
  it('health is registered as GET /api/health, anonymous', () => {
    const health = inventory.find((f) => f.name === 'health');
    assert.deepEqual(health, {
      name: 'health',
      triggerType: 'httpTrigger',
      methods: ['GET'],
      route: 'health',
      authLevel: 'anonymous',
    });
  });

  it('the app satisfies every rule: exactly the expected functions, triggers, routes, auth levels, queues, sessions, schedules, settings', () => {
    assert.deepEqual(inventoryViolations(registrations, EXPECTED, { sample, bicep, terraform }), []);
  });

  it('the rules catch a bad app: unknown function, anonymous admin route, wrong queue, sessions off, bad schedule, missing settings', () => {
    const bad = loadFunctionAppRegistrations(join(__dirname, 'fixtures', 'bad-app.js'));
    const expected: Expected[] = [
      ...EXPECTED.filter((e) => !e.required),
      { name: 'badAdmin', required: true, triggerType: 'httpTrigger' },
      { name: 'badQueue', required: true, triggerType: 'serviceBusTrigger' },
      { name: 'badTimer', required: true, triggerType: 'timerTrigger' },
    ];
    const v = inventoryViolations(bad, expected, { sample, bicep, terraform });
    const expectMatch = (re: RegExp) =>
      assert.ok(
        v.some((x) => re.test(x)),
        `${String(re)} in ${JSON.stringify(v, null, 2)}`,
      );
    expectMatch(/function badUnknown is not in EXPECTED/);
    expectMatch(/function badAdmin \(route migrations\/x\) is anonymous/);
    expectMatch(/function badQueue: queue jobs is not in QUEUES/);
    expectMatch(/function badQueue: connection OtherConnection/);
    expectMatch(/function migrateUser: isSessionsEnabled/);
    expectMatch(/function badTimer: schedule "0 \*\/5 \* \* \*" is not a six-field NCRONTAB/);
    expectMatch(/%NOT_A_SETTING% is not set in local\.settings\.sample\.json/);
    expectMatch(/connection OtherConnection has no setting in infra\/bicep/);
    expectMatch(/GET health-twin is served by health2 and health3/);
  });
});

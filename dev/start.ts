/**
 * `npm start`: runs the whole service on this machine without Azure Functions Core Tools.
 *
 * Like `func start`, it reads local.settings.json "Values" when the file exists (variables already in the
 * environment win), then fills in what a local run needs:
 * - Table Storage: Azurite on a loopback port, persisted in .local/azurite, unless real Table settings are given
 *   (TABLES_ENDPOINT, or a TABLES_CONNECTION_STRING other than UseDevelopmentStorage=true).
 * - Queue: the embedded queue unless Service Bus settings are present (ServiceBusConnection[__fullyQualifiedNamespace]).
 * - Graph: the sandbox tenant (a Graph stand-in, seeded with a generated demo tenant) unless a real Graph
 *   credential is configured (GRAPH_CREDENTIAL=clientSecret or managedIdentity) or --no-sandbox is given.
 * Then it runs the function host (dev/host/main.ts) as a child process with the stand-in @azure/functions-core on
 * NODE_PATH and the sandbox certificate in NODE_EXTRA_CA_CERTS, prints what runs where and the line
 * `MMS_HOST_READY http://127.0.0.1:PORT`. Ctrl-C or SIGTERM stops every process it started.
 *
 *   npm start -- [--port 7071] [--users 25] [--meetings 10] [--seed 1] [--no-sandbox] [--demo | --no-demo]
 *                [--check-shapes]
 *
 * --check-shapes (or SANDBOX_CHECK_SHAPES=1) makes the sandbox check every Graph request body and answer against
 * the official v1.0 schema (off by default: it costs a walk over every body; the test harness turns it on).
 *
 * With the sandbox tenant (unless --no-demo or MMS_DEMO=0), dev/demo.ts then migrates every sandbox user and
 * shows the status table until all are done.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { freePort, startAzurite, type AzuriteHandle } from './azurite';
import type { ReadyMessage } from './host/main';
import { DEFAULT_FUNCTION_KEY, DEFAULT_PORT, REPO_ROOT } from './host/host';
import { startSandboxTenant, type SandboxLink } from './host/sandbox-link';
import { runDemo } from './demo';
import { loadLocalData } from './local-data';
import { nodeWorkerArguments } from './node-worker';
import { seedUser } from './sandbox/seed';
import { hasMailbox } from './sandbox/tenant';
import { loadConfig } from '../shared/config';
import { GRAPH_PERMISSION_NAMES } from '../shared/graph/permissions';
import { createRepositories } from '../shared/storage/repositories';

const DEFAULT_MIGRATION_DELAY_SECONDS = '5';

const localSettingsSchema = z.object({
  IsEncrypted: z.boolean().optional(),
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  Host: z.looseObject({ LocalHttpPort: z.number().int().min(0).max(65535).optional() }).optional(),
});

export interface LocalSettings {
  values: Record<string, string>;
  port?: number;
  file?: string;
}

/** A local.settings.json file, validated (an unreadable file is an error naming what is wrong). */
export function readLocalSettings(file: string): LocalSettings {
  if (!existsSync(file)) return { values: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = localSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  if (parsed.data.IsEncrypted) throw new Error(`${file} is encrypted; decrypt it (IsEncrypted: false)`);
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.data.Values ?? {})) values[k] = String(v);
  return {
    values,
    file,
    ...(parsed.data.Host?.LocalHttpPort !== undefined ? { port: parsed.data.Host.LocalHttpPort } : {}),
  };
}

const nonEmpty = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

export interface LocalPlan {
  useAzurite: boolean;
  useSandbox: boolean;
  queueTransport: 'embedded' | 'serviceBus';
}

/** What has to run locally, given the effective settings. */
export function planLocalRun(
  settings: Record<string, string | undefined>,
  sandboxAllowed: boolean,
): LocalPlan {
  const tablesConn = settings.TABLES_CONNECTION_STRING?.trim();
  const realTables =
    nonEmpty(settings.TABLES_ENDPOINT) ||
    (nonEmpty(tablesConn) && !/UseDevelopmentStorage=true/i.test(tablesConn));
  const serviceBus =
    nonEmpty(settings.ServiceBusConnection__fullyQualifiedNamespace) ||
    nonEmpty(settings.ServiceBusConnection);
  const explicitTransport = settings.QUEUE_TRANSPORT?.trim();
  const queueTransport =
    explicitTransport === 'embedded' || explicitTransport === 'serviceBus'
      ? explicitTransport
      : serviceBus
        ? 'serviceBus'
        : 'embedded';
  const credential = settings.GRAPH_CREDENTIAL?.trim();
  const realGraph = credential === 'clientSecret' || credential === 'managedIdentity';
  return { useAzurite: !realTables, useSandbox: sandboxAllowed && !realGraph, queueTransport };
}

function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

function describeTrigger(f: ReadyMessage['functions'][number], apiBase: string): string {
  const t = f.triggerType.toLowerCase();
  if (t === 'httptrigger') {
    return `http   ${(f.methods ?? []).join(',').padEnd(12)} ${apiBase}/${f.route ?? f.name}  [${f.authLevel ?? 'function'}]`;
  }
  if (t === 'servicebustrigger') return `queue  ${f.queueName ?? '?'}`;
  if (t === 'timertrigger') return `timer  ${f.schedule ?? '?'}`;
  return f.triggerType;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm start --')
    .description('Run the Meeting Migration Service locally (Azurite, sandbox tenant, function host).')
    .option(
      '--port <port>',
      'HTTP port of the function host (0 = a free port)',
      intOption('--port', 0, 65535),
    )
    .option('--users <n>', 'users in the generated sandbox tenant', intOption('--users', 1, 100_000), 25)
    .option(
      '--meetings <n>',
      'meetings each user organizes in the sandbox tenant',
      intOption('--meetings', 0, 1_000),
      10,
    )
    .option('--seed <n>', 'random seed of the generated tenant', intOption('--seed', 0, 2 ** 31 - 1), 1)
    .option('--no-sandbox', 'do not start the sandbox tenant (use the Graph settings as given)')
    .option('--demo', 'migrate every sandbox user once ready and show it (default with the sandbox)')
    .option('--no-demo', 'do not run the demo')
    .option('--check-shapes', 'check every Graph body the sandbox accepts or sends against the v1.0 schema')
    .option('--settings <file>', 'local settings file', join(REPO_ROOT, 'local.settings.json'))
    .option(
      '--data <dir>',
      'folder for local data (Azurite persists in <dir>/azurite)',
      join(REPO_ROOT, '.local'),
    )
    .parse(process.argv);
  const opts = program.opts<{
    port?: number;
    users: number;
    meetings: number;
    seed: number;
    sandbox: boolean;
    demo?: boolean;
    checkShapes?: boolean;
    settings: string;
    data: string;
  }>();

  const local = readLocalSettings(resolve(opts.settings));
  // Like Core Tools: local.settings.json Values, with variables already in the environment taking precedence.
  const settings: Record<string, string | undefined> = { ...local.values, ...process.env };
  const plan = planLocalRun(settings, opts.sandbox);

  let requestedPort = opts.port ?? local.port ?? DEFAULT_PORT;
  if (requestedPort === 0) requestedPort = await freePort();
  const port = requestedPort;
  const apiUrl = `http://127.0.0.1:${port}`;

  let azurite: AzuriteHandle | undefined;
  let sandbox: SandboxLink | undefined;
  let host: ChildProcess | undefined;
  let shuttingDown: Promise<void> | undefined;

  const shutdown = (code: number): Promise<void> => {
    shuttingDown ??= (async () => {
      if (host && host.exitCode === null && host.signalCode === null) {
        const child = host;
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        });
      }
      const stopped = await Promise.allSettled([sandbox?.stop(), azurite?.stop()]);
      for (const r of stopped) if (r.status === 'rejected') console.error(String(r.reason));
      process.exit(code);
    })();
    return shuttingDown;
  };
  process.on('SIGINT', () => {
    console.log('\nStopping...');
    void shutdown(0);
  });
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const env: Record<string, string | undefined> = { ...settings };
    if (plan.useAzurite) {
      azurite = await startAzurite({ location: join(resolve(opts.data), 'azurite') });
      env.TABLES_CONNECTION_STRING = azurite.connectionString;
      env.TABLES_ENDPOINT = '';
    }
    env.QUEUE_TRANSPORT = plan.queueTransport;
    if (plan.useSandbox) {
      // The sandbox's token carries exactly the permissions the deployments grant (the one list), so the demo
      // fails where a real tenant would if the service needed anything else.
      sandbox = await startSandboxTenant({
        port: 0,
        users: opts.users,
        meetings: opts.meetings,
        seed: opts.seed,
        roles: GRAPH_PERMISSION_NAMES,
        ...(opts.checkShapes ? { checkShapes: true } : {}),
        ...(nonEmpty(settings.GRAPH_SANDBOX_TOKEN) ? { token: settings.GRAPH_SANDBOX_TOKEN } : {}),
      });
      env.GRAPH_BASE_URL = sandbox.url;
      env.GRAPH_CREDENTIAL = 'sandbox';
      env.GRAPH_SANDBOX_TOKEN = sandbox.token;
    }
    if (sandbox) {
      // The sandbox tenant's bridges and users' dial-in profiles, which the service keeps in Table Storage.
      const tables = loadConfig({ ...env, QUEUE_TRANSPORT: 'embedded' });
      const loaded = await loadLocalData(createRepositories(tables), sandbox.seed, {
        audioConferencingPlanIds: tables.audioConferencingPlanIds,
        now: new Date(),
      });
      console.log(
        `Loaded ${loaded.profiles} user profiles and ${loaded.bridges} bridges into Table Storage.`,
      );
    }
    env.NOTIFICATION_URL = `${apiUrl}/api/notifications`;
    if (!nonEmpty(env.GRAPH_CLIENT_STATE)) env.GRAPH_CLIENT_STATE = randomBytes(24).toString('base64url');
    if (!nonEmpty(local.values.MIGRATION_DELAY_SECONDS) && !nonEmpty(process.env.MIGRATION_DELAY_SECONDS)) {
      env.MIGRATION_DELAY_SECONDS = DEFAULT_MIGRATION_DELAY_SECONDS;
    }
    env.MMS_FUNCTION_KEY = nonEmpty(env.MMS_FUNCTION_KEY) ? env.MMS_FUNCTION_KEY : DEFAULT_FUNCTION_KEY;
    env.FUNCTIONS_WORKER_RUNTIME ??= 'node';
    const stubs = join(REPO_ROOT, 'dist', 'dev', 'host', 'stubs');
    env.NODE_PATH = [stubs, env.NODE_PATH].filter(nonEmpty).join(delimiter);
    env.NODE_EXTRA_CA_CERTS = join(REPO_ROOT, 'dev', 'sandbox', 'certs', 'sandbox-dev-only.crt');

    // The function host runs with the Node arguments the deployed worker gets (infra/node-worker.json).
    const child = spawn(
      process.execPath,
      [...nodeWorkerArguments(), join(__dirname, 'host', 'main.js'), '--port', String(port)],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    host = child;
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      child.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready') {
          resolve(m as ReadyMessage);
        }
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`The function host exited before it was ready (${signal ?? `code ${code}`})`)),
      );
    });
    child.on('exit', (code, signal) => {
      if (shuttingDown) return;
      console.error(`The function host stopped (${signal ?? `code ${code}`}); stopping everything.`);
      void shutdown(1);
    });

    const apiBase = `${ready.url}/${ready.routePrefix}`;
    const rows: [string, string][] = [
      ['Function host API', `${apiBase}   (pid ${child.pid ?? '?'})`],
      ['Function key', `${ready.functionKey}   (x-functions-key header or ?code=; env MMS_FUNCTION_KEY)`],
      ['Admin invoke', `POST ${ready.url}/admin/functions/{name}  { "input": "..." }`],
      [
        'Graph',
        sandbox
          ? `${sandbox.url}   (sandbox tenant: ${sandbox.users} users, ${sandbox.events} events)`
          : `${env.GRAPH_BASE_URL ?? 'https://graph.microsoft.com'} (${env.GRAPH_CREDENTIAL ?? 'managedIdentity'})`,
      ],
    ];
    if (sandbox) {
      rows.push(['Sandbox control', sandbox.controlUrl]);
      rows.push(['Sandbox token', `Authorization: Bearer ${sandbox.token}`]);
      const pilot = sandbox.seed.groups?.[0];
      if (pilot !== undefined) {
        rows.push([
          'Sandbox group',
          `${pilot.id}   (${pilot.displayName}, a nested group inside; npm run mms -- start --group ${pilot.id})`,
        ]);
      }
    }
    rows.push([
      'Table Storage',
      azurite
        ? `${azurite.tableEndpoint}   (Azurite, data in ${join(resolve(opts.data), 'azurite')})`
        : 'as configured',
    ]);
    rows.push([
      'Queue',
      plan.queueTransport === 'embedded'
        ? 'embedded, kept in Table Storage (survives a restart of the function host)'
        : 'Service Bus',
    ]);
    rows.push(['Notification URL', env.NOTIFICATION_URL]);
    if (local.file) rows.push(['Settings', local.file]);
    console.log(`\nMeeting Migration Service — local run\n${table(rows)}\n\nFunctions:`);
    console.log(table(ready.functions.map((f) => [f.name, describeTrigger(f, apiBase)])));
    console.log(`\nPress Ctrl-C to stop.\nMMS_HOST_READY ${ready.url}`);
    // The demo is on by default with the sandbox tenant; --no-demo (or MMS_DEMO=0, which the test runner sets so
    // end-to-end tests see their tenant untouched) turns it off.
    if (sandbox && (opts.demo ?? process.env.MMS_DEMO !== '0')) {
      const { controlUrl, seed } = sandbox;
      const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
      const identities = seed.users.map((u) => u.userPrincipalName);
      const leavers = seed.users.filter((u) => u.sandboxDemo === 'leaver').map((u) => u.userPrincipalName);
      // Users homed on premises are reported moved online, and two users homed online go TeamsOnly: their Skype
      // meetings become Teams meetings, as MMS does on an upgrade (the others are refreshed in their own kind).
      // Not the leavers nor users without a mailbox (an unlicensed cloud user): their runs show other outcomes.
      const inExchangeOnline = seed.users.filter(
        (u) => u.sandboxDemo !== 'leaver' && hasMailbox(seedUser.parse(u)),
      );
      const movedOnline = inExchangeOnline
        .filter((u) => u.sandboxSipHoming === 'onPremises')
        .map((u) => u.userPrincipalName);
      // TeamsOnly for users who organize Skype meetings, so that the demo shows conversions.
      const skypeOrganizers = new Set(
        seed.events
          .filter((e) => e.onlineMeetingProvider === 'skypeForBusiness')
          .map((e) => e.organizerUserId),
      );
      const teamsOnly = inExchangeOnline
        .filter(
          (u) =>
            u.sandboxSipHoming === 'online' &&
            u.sandboxDialIn?.provider !== 'ThirdParty' &&
            skypeOrganizers.has(u.id),
        )
        .slice(0, 2)
        .map((u) => u.userPrincipalName);
      void runDemo({
        apiUrl: ready.url,
        functionKey: ready.functionKey,
        identities,
        leavers,
        teamsOnly,
        movedOnline,
        sandboxControlUrl: controlUrl,
        columns,
        log: console.log,
      });
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    await shutdown(1);
  }
}

if (require.main === module) void main();

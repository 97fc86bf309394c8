/**
 * The migration worker, one user (`npm run bench -- migration`): a user with N future meetings in the sandbox
 * tenant, dial-in data in Azurite, and one run of shared/services/migrate-user.ts through handleMigrationMessage,
 * as the queue function calls it. Three sections, each figure a ratio measured in this run:
 *
 * 1. The 4-slot limit: N = 200 and 1,000 at 100 ms of sandbox latency per Graph request. Exchange allows 4
 *    requests in flight per mailbox, so R mailbox requests (calendar, mailbox settings: the ones that take a slot;
 *    directory and Teams requests do not) need at least R × 100 ms ÷ 4: wall time ÷ that limit (1.00 = the slots
 *    never idle), and the speed-up over a client that sends every request one at a time (all requests × 100 ms ÷
 *    wall).
 * 2. CPU per meeting of the worker process (process.cpuUsage), without latency, where the worker is CPU-bound.
 * 3. Memory: one user with 20,000 meetings, the worker process's peak RSS (the kernel's high-water mark).
 *
 * Every run's worker is a fresh child process (bench/migration-worker.ts, which loads only the service's modules)
 * that does nothing but the run, so its CPU and peak RSS are the worker's alone; the sandbox (`sandbox-child`) and
 * Azurite are child processes too, and seeding happens in this parent. The worker is started with the Node
 * arguments the deployed app's worker gets (infra/node-worker.json, deployed as languageWorkers__node__arguments),
 * and only those. BENCH_SECTIONS=limit,cpu,memory picks sections; BENCH_MEMORY_MEETINGS sets the
 * memory section's large N (default 20,000); BENCH_CPU_PROF=<dir> writes
 * each worker's V8 CPU profile there. Needs NODE_EXTRA_CA_CERTS=dev/sandbox/certs/sandbox-dev-only.crt
 * (bench/run.ts sets it). Prints figures; never fails on a slow machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { startAzurite } from '../dev/azurite';
import { loadLocalData } from '../dev/local-data';
import { startSandbox } from '../dev/sandbox';
import { generateTenant, parseSandboxCase } from '../dev/sandbox/generator';
import { seedUser, type TenantSeedInput } from '../dev/sandbox/seed';
import { hasMailbox } from '../dev/sandbox/tenant';
import { requestMigration, type MigrationStatus, type RunKey } from '../shared/domain/status';
import { OUTLOOK_MAILBOX_BUDGET } from '../shared/graph/limiter';
import { createRepositories } from '../shared/storage/repositories';
import { migrationMessage } from '../shared/services/migration-messages';
import { workerOutput, type WorkerInput, type WorkerOutput } from './migration-worker';
import { nodeWorkerArguments } from '../dev/node-worker';

const AUDIO_PLAN = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';
/** The Node arguments the deployed function app's worker runs with (infra/node-worker.json). */
const WORKER_ARGUMENTS = nodeWorkerArguments();
const MAILBOX_CONCURRENCY = 4;
/** Exchange's per-mailbox request budget (graph-facts.md, "Throttling"), which the worker paces to. */
const OUTLOOK_BUDGET = {
  requests: OUTLOOK_MAILBOX_BUDGET.requests,
  windowMs: OUTLOOK_MAILBOX_BUDGET.windowMs,
};
/**
 * The memory run's budget: 20,000 meetings take over 20,000 requests, twice Exchange's 10,000 per 10 minutes. The
 * service would stop at 10,000 (the limiter paces, the run is retried after the window and continues where the
 * ledger says); the memory run raises the budget on both sides so that one run goes through all of them, which
 * holds more at once than either half would.
 */
const MEMORY_RUN_BUDGET = { requests: 100_000, windowMs: OUTLOOK_MAILBOX_BUDGET.windowMs };

type SeedEventInput = TenantSeedInput['events'][number];

// ---------------------------------------------------------------------------------------------------------
// Sandbox child: starts the sandbox, prints its address, stops when the parent closes stdin (or dies).

async function sandboxChild(): Promise<void> {
  const sandbox = await startSandbox();
  process.stdout.write(`${JSON.stringify({ url: sandbox.url, token: sandbox.token })}\n`);
  process.stdin.resume();
  process.stdin.on('close', () => {
    void sandbox.stop().then(() => process.exit(0));
  });
}

interface RemoteSandbox {
  url: string;
  token: string;
  control<T>(method: string, path: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
  stop(): Promise<void>;
}

async function startRemoteSandbox(): Promise<RemoteSandbox> {
  const child: ChildProcess = spawn(process.execPath, [__filename, 'sandbox-child'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stdout = child.stdout;
  if (!stdout) throw new Error('sandbox child has no stdout');
  const lines = createInterface({ input: stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sandbox child exited with code ${String(code)}`)));
  });
  const { url, token } = z.object({ url: z.string(), token: z.string() }).parse(JSON.parse(first));
  return {
    url,
    token,
    async control<T>(method: string, path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
      const res = await fetch(`${url}/_sandbox${path}`, {
        method,
        ...(body === undefined
          ? {}
          : {
              headers: { 'content-type': 'application/json' },
              body: typeof body === 'string' ? body : JSON.stringify(body),
            }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} /_sandbox${path}: ${res.status} ${text.slice(0, 500)}`);
      return schema.parse(JSON.parse(text));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
      }),
  };
}

const requestLog = z.object({
  value: z.array(
    z.object({ method: z.string(), path: z.string(), status: z.number(), concurrency: z.number() }),
  ),
});

// ---------------------------------------------------------------------------------------------------------
// Seed: a generated tenant's users and bridges, and one organizer whose meetings are clones of their own
// future single Teams / Skype meetings (several eras and body formats), with new iCalUIds and starts.

interface BenchSeed {
  input: TenantSeedInput;
  organizerId: string;
  organizerUpn: string;
}

/** The generated tenant the seeds are cloned from (built on first use: worker children never need it). */
let generated: ReturnType<typeof generateTenant> | undefined;

function benchSeed(n: number): BenchSeed {
  const base = (generated ??= generateTenant({ users: 6, meetings: 40, seed: 7 }));
  const organizer = base.users.find(
    (u) =>
      hasMailbox(seedUser.parse(u)) &&
      u.sandboxDialIn?.provider === 'Microsoft' &&
      u.sandboxDialIn.enabled &&
      u.sandboxDialIn.bridgeId !== undefined,
  );
  if (!organizer) throw new Error('the generated tenant has no organizer with Microsoft dial-in');
  const templates = base.events.filter((e) => {
    const c = parseSandboxCase(e.sandboxCase);
    return (
      e.mailboxUserId === organizer.id &&
      e.organizerUserId === organizer.id &&
      c !== undefined &&
      !c.attendeeCopy &&
      (c.case === 'teams-online' || c.case === 'skype-online')
    );
  });
  if (templates.length === 0) throw new Error('no template meetings for the organizer');
  const firstStart = Date.now() + 24 * 3600_000;
  const events: SeedEventInput[] = [];
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length];
    if (!t) continue;
    const start = firstStart + i * 2 * 3600_000;
    const { id: _id, ...rest } = t;
    events.push({
      ...rest,
      iCalUId: `040000008200E00074C5B7101A82E00800000000${randomBytes(28).toString('hex').toUpperCase()}`,
      start: { dateTime: graphDateTime(start), timeZone: 'UTC' },
      end: { dateTime: graphDateTime(start + 30 * 60_000), timeZone: 'UTC' },
      originalStartTimeZone: 'UTC',
      originalEndTimeZone: 'UTC',
    });
  }
  return {
    input: { ...base, events },
    organizerId: organizer.id,
    organizerUpn: organizer.userPrincipalName,
  };
}

function graphDateTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.0000000`;
}

function runWorker(input: WorkerInput): Promise<WorkerOutput> {
  return new Promise((resolve, reject) => {
    // BENCH_CPU_PROF=<dir>: each worker writes a V8 CPU profile there (open it in Chrome DevTools).
    const prof = process.env['BENCH_CPU_PROF'];
    const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
    // The deployed worker's Node arguments, and nothing else that changes how it runs.
    const child = spawn(
      process.execPath,
      [...WORKER_ARGUMENTS, ...flags, join(__dirname, 'migration-worker.js')],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the worker exited with code ${String(code)}`));
      try {
        resolve(workerOutput.parse(JSON.parse(out.trim().split('\n').at(-1) ?? '')));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    child.stdin.end(`${JSON.stringify(input)}\n`);
  });
}

// ---------------------------------------------------------------------------------------------------------
// One measured run: seed, request the migration as the admin API does, run the worker child, read the log.

interface Figures extends WorkerOutput {
  label: string;
  n: number;
  latencyMs: number;
  /** Requests the sandbox answered (every attempt). */
  logged: number;
  maxConcurrency: number;
}

async function runOnce(
  sandbox: RemoteSandbox,
  connectionString: string,
  n: number,
  latencyMs: number,
  label: string,
  /**
   * Exchange's per-mailbox budget for this run, set on both sides (the sandbox and the worker's limiter); default
   * Outlook's 10,000 requests per 10 minutes.
   */
  budget: { requests: number; windowMs: number } = OUTLOOK_BUDGET,
): Promise<Figures> {
  let seed: BenchSeed | undefined = benchSeed(n);
  const { organizerId, organizerUpn } = seed;
  await sandbox.control('POST', '/tenant', JSON.stringify(seed.input), z.unknown());
  const tablesPrefix = `bm${randomBytes(5).toString('hex')}`;
  const repos = createRepositories({ tables: { kind: 'connectionString', connectionString }, tablesPrefix });
  await loadLocalData(
    repos,
    { ...seed.input, events: [] },
    { audioConferencingPlanIds: [AUDIO_PLAN], now: new Date() },
  );
  seed = undefined;

  let run: RunKey | undefined;
  let status: MigrationStatus | undefined;
  let notBefore = new Date();
  await repos.status.mutate(organizerId, (current) => {
    const o = requestMigration(
      current,
      {
        userId: organizerId,
        userPrincipalName: organizerUpn,
        trigger: 'manualStart',
        correlationId: randomUUID(),
        delayMs: 0,
        sourceMeetingType: 'All',
        targetMeetingType: 'Current',
      },
      new Date(),
    );
    status = o.status;
    if (o.kind === 'queued') {
      run = o.run;
      notBefore = o.notBefore;
    }
    return o.status;
  });
  if (!run || !status) throw new Error('the request did not queue a run');
  const out = migrationMessage(status, run, notBefore, new Date());

  await sandbox.control(
    'PUT',
    '/throttling',
    { latencyMs, requestsPerWindow: budget.requests, windowMs: budget.windowMs },
    z.unknown(),
  );
  await sandbox.control('DELETE', '/requests', undefined, z.unknown());
  const figures = await runWorker({
    sandboxUrl: sandbox.url,
    token: sandbox.token,
    connectionString,
    tablesPrefix,
    mailboxConcurrency: MAILBOX_CONCURRENCY,
    mailboxBudget: budget,
    message: {
      messageId: out.messageId,
      ...(out.sessionId !== undefined ? { sessionId: out.sessionId } : {}),
      ...(out.correlationId !== undefined ? { correlationId: out.correlationId } : {}),
      body: JSON.parse(JSON.stringify(out.body)) as unknown,
    },
  });
  const log = (await sandbox.control('GET', '/requests', undefined, requestLog)).value;
  await sandbox.control(
    'PUT',
    '/throttling',
    { latencyMs: 0, requestsPerWindow: OUTLOOK_BUDGET.requests, windowMs: OUTLOOK_BUDGET.windowMs },
    z.unknown(),
  );
  return {
    ...figures,
    label,
    n,
    latencyMs,
    logged: log.length,
    maxConcurrency: log.reduce((m, r) => Math.max(m, r.concurrency), 0),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Printing

const MiB = 1024 * 1024;
const mib = (b: number) => (b / MiB).toFixed(1);
const cpuMs = (f: Figures) => (f.cpuUserUs + f.cpuSystemUs) / 1000;

type Column = [title: string, unit: string, width: number, value: (f: Figures) => string];

function table(columns: Column[], rows: Figures[]): void {
  const pad = (s: string, width: number, i: number) => (i === 0 ? s.padEnd(width) : s.padStart(width));
  console.log(columns.map(([title, , w], i) => pad(title, w, i)).join('  '));
  console.log(columns.map(([, unit, w], i) => pad(unit, w, i)).join('  '));
  for (const f of rows) console.log(columns.map(([, , w, value], i) => pad(value(f), w, i)).join('  '));
}

/** R requests at L ms each, 4 at a time: the least time the mailbox allows. */
const slotLimitMs = (f: Figures) => (f.slotRequests * f.latencyMs) / MAILBOX_CONCURRENCY;

const common: Column[] = [
  ['run', '', 16, (f) => f.label],
  ['N', '', 6, (f) => String(f.n)],
  ['updated', '', 7, (f) => String(f.updated)],
  ['skip/fail', '', 9, (f) => `${f.skipped}/${f.failed}`],
  ['Graph', 'requests', 8, (f) => String(f.requests)],
  ['mailbox', 'requests', 8, (f) => String(f.slotRequests)],
  ['429', '', 3, (f) => String(f.throttled)],
  ['max', 'in flight', 9, (f) => String(f.maxConcurrency)],
  ['wall', 's', 7, (f) => (f.wallMs / 1000).toFixed(2)],
];

async function main(): Promise<void> {
  if (!process.env['NODE_EXTRA_CA_CERTS'])
    throw new Error(
      'NODE_EXTRA_CA_CERTS is not set (dev/sandbox/certs/sandbox-dev-only.crt): run through `npm run bench`',
    );
  const only = process.env['BENCH_SECTIONS']?.split(',');
  const want = (s: string) => only === undefined || only.includes(s);
  console.log(
    `${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ` +
      `${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; Node ${process.version}`,
  );
  const azurite = await startAzurite();
  const sandbox = await startRemoteSandbox();
  try {
    console.log(
      `migrateUser, one organizer, N future meetings (Teams/Skype blocks, HTML and text), page 50, ` +
        `${MAILBOX_CONCURRENCY} Graph requests in flight per mailbox; each run in a fresh worker process, ` +
        `started as the deployed app starts its Node worker: node ${WORKER_ARGUMENTS.join(' ')} ` +
        '(infra/node-worker.json, the app setting languageWorkers__node__arguments)',
    );
    await runOnce(sandbox, azurite.connectionString, 50, 0, 'warm-up'); // Azurite tables, sandbox JIT

    if (want('limit')) {
      const latency = 100;
      console.log(
        `\n1. The 4-slot limit, ${latency} ms sandbox latency per Graph request (held inside the mailbox slot)`,
      );
      console.log(
        '   limit = mailbox requests × latency ÷ 4 (the least time 4 busy slots need; the 4-request limit is ' +
          "Exchange's, for the mailbox's calendar: the directory and Teams requests do not take a slot); wall ÷ " +
          'limit = 1.00 when no slot ever idles; speed-up = all requests × latency ÷ wall, over a client sending ' +
          'one request at a time; slots busy = share of the time the 4 slots held a request; Graph req = mean ' +
          'time a mailbox request held its slot',
      );
      const rows: Figures[] = [];
      for (const n of [200, 1_000])
        rows.push(await runOnce(sandbox, azurite.connectionString, n, latency, `latency ${latency} ms`));
      table(
        [
          ...common,
          ['limit', 's', 6, (f) => (slotLimitMs(f) / 1000).toFixed(2)],
          ['wall ÷ limit', '', 12, (f) => (f.wallMs / slotLimitMs(f)).toFixed(2)],
          ['slots busy', '', 10, (f) => (f.slotBusyMs / (MAILBOX_CONCURRENCY * f.wallMs)).toFixed(2)],
          ['Graph req', 'ms', 9, (f) => (f.slotBusyMs / Math.max(1, f.slotRequests)).toFixed(0)],
          ['speed-up', '× seq', 8, (f) => ((f.requests * f.latencyMs) / f.wallMs).toFixed(2)],
          ['CPU', 'ms/mtg', 6, (f) => (cpuMs(f) / Math.max(1, f.total)).toFixed(2)],
        ],
        rows,
      );
    }

    if (want('cpu')) {
      console.log('\n2. CPU per meeting of the worker process (process.cpuUsage), no latency: CPU-bound');
      const rows: Figures[] = [];
      for (const n of [1_000])
        rows.push(await runOnce(sandbox, azurite.connectionString, n, 0, 'no latency'));
      table(
        [
          ...common,
          ['mtg/s', '', 6, (f) => (f.total / (f.wallMs / 1000)).toFixed(0)],
          ['CPU', 's', 6, (f) => (cpuMs(f) / 1000).toFixed(2)],
          ['CPU ÷ wall', '', 10, (f) => (cpuMs(f) / f.wallMs).toFixed(2)],
          ['CPU', 'ms/mtg', 6, (f) => (cpuMs(f) / Math.max(1, f.total)).toFixed(2)],
          ['CPU', 'ms/req', 6, (f) => (cpuMs(f) / Math.max(1, f.requests)).toFixed(2)],
        ],
        rows,
      );
    }

    if (want('memory')) {
      console.log(
        '\n3. Memory: peak RSS of the worker process (its high-water mark), no latency; the per-mailbox budget ' +
          `raised from ${OUTLOOK_BUDGET.requests.toLocaleString('en-US')} to ` +
          `${MEMORY_RUN_BUDGET.requests.toLocaleString('en-US')} requests per 10 minutes for these runs (sandbox ` +
          "and worker), so that 20,000 meetings go through in one run; the service keeps Exchange's budget and " +
          'continues a larger mailbox in a re-queued run after the window. heap used = the V8 heap in use; heap ' +
          'held = the V8 heap committed (heapTotal: in use, or kept for the next allocations); the rest of the RSS ' +
          "is node's own code (its binary, ~50 MiB) and native memory",
      );
      const rows: Figures[] = [];
      const large = Number(process.env['BENCH_MEMORY_MEETINGS'] ?? 20_000);
      for (const n of [1_000, large])
        rows.push(await runOnce(sandbox, azurite.connectionString, n, 0, 'no latency', MEMORY_RUN_BUDGET));
      table(
        [
          ...common,
          ['idle RSS', 'MiB', 8, (f) => mib(f.idleRss)],
          ['peak RSS', 'MiB', 8, (f) => mib(f.peakRss)],
          ['peak − idle', 'MiB', 11, (f) => mib(f.peakRss - f.idleRss)],
          ['heap used', 'peak MiB', 9, (f) => mib(f.peakHeapUsed)],
          ['heap held', 'peak MiB', 9, (f) => mib(f.peakHeapTotal)],
          ['buffers', 'peak MiB', 8, (f) => mib(f.peakExternal)],
          ['CPU', 'ms/mtg', 6, (f) => (cpuMs(f) / Math.max(1, f.total)).toFixed(2)],
        ],
        rows,
      );
      const [small, big] = rows;
      if (small && big)
        console.log(
          `peak RSS at N=${big.n.toLocaleString('en-US')}: ${(big.peakRss / 1e6).toFixed(1)} MB (goal: under ` +
            `200 MB); ÷ at N=1,000: ${(big.peakRss / small.peakRss).toFixed(2)} (the worker holds a page, not the ` +
            'calendar)',
        );
    }
  } finally {
    await sandbox.stop();
    await azurite.stop();
  }
}

const mode = process.argv[2];
const entry = mode === 'sandbox-child' ? sandboxChild : main;
entry().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

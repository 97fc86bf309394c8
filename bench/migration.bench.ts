/**
 * The migration worker end to end (`npm run bench -- migration`): one user with N future meetings (N = 200,
 * 1,000, 4,000) in the sandbox tenant, dial-in data in Azurite, and one run of shared/services/migrate-user.ts
 * through handleMigrationMessage, as test/integration/migrate-user/fixture.ts drives it. Shows throughput and
 * that memory does not grow with the number of meetings (the worker holds a page, not the calendar), then a
 * run with 20 ms of sandbox latency per Graph request where the 4-concurrent-per-mailbox limit bounds the rate.
 *
 * The sandbox runs in a child process (this file with the argument `sandbox-child`), so the memory figures are
 * the worker's alone; Azurite is a child process too. Needs NODE_EXTRA_CA_CERTS=dev/sandbox/certs/
 * sandbox-dev-only.crt (bench/run.ts sets it). Prints figures; never fails on a slow machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { startAzurite } from '../dev/azurite';
import { loadLocalData } from '../dev/local-data';
import { startSandbox } from '../dev/sandbox';
import { generateTenant, parseSandboxCase } from '../dev/sandbox/generator';
import type { TenantSeedInput } from '../dev/sandbox/seed';
import type { Config } from '../shared/config';
import { requestMigration, type MigrationStatus, type RunKey } from '../shared/domain/status';
import { createGraphClient, createGraphGateways } from '../shared/graph';
import { validateOutgoing } from '../shared/queue/messages';
import type { OutgoingMessage, QueueName, QueuePublisher, ReceivedMessage } from '../shared/queue/port';
import { createRepositories } from '../shared/storage/repositories';
import { handleMigrationMessage, type MigrateUserDeps } from '../shared/services/migrate-user';
import { migrationMessage } from '../shared/services/migration-messages';

const AUDIO_PLAN = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';
const MAILBOX_CONCURRENCY = 4;
const SAMPLE_MS = 50;
/** Every this many samples (1 s), a forced GC and a reading of the live heap (only with --expose-gc). */
const LIVE_EVERY = 20;

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

const base = generateTenant({ users: 6, meetings: 40, seed: 7 });

function benchSeed(n: number): BenchSeed {
  const organizer = base.users.find(
    (u) =>
      u.sandboxMailboxLocation !== 'onPremises' &&
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

// ---------------------------------------------------------------------------------------------------------
// The run

class RecordingPublisher implements QueuePublisher {
  readonly sent: { queue: QueueName; message: OutgoingMessage }[] = [];
  send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    this.sent.push({ queue, message: validateOutgoing(queue, message) });
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const exposedGc = global.gc;
/** A full, synchronous GC (called without options, global.gc does not return a promise). */
const gc: (() => void) | undefined = exposedGc
  ? () => {
      void exposedGc();
    }
  : undefined;

function settle(): void {
  gc?.();
  gc?.();
}

interface Figures {
  label: string;
  n: number;
  updated: number;
  skipped: number;
  failed: number;
  wallMs: number;
  requests: number;
  patches: number;
  throttled: number;
  maxConcurrency: number;
  /** Requests by how many of the mailbox's requests were in flight when each arrived (itself included). */
  byConcurrency: Record<number, number>;
  baseRss: number;
  peakRss: number;
  baseHeap: number;
  peakHeap: number;
  /** Highest heap used right after a forced GC during the run (the live set). */
  peakLive: number;
  afterHeap: number;
}

async function runOnce(
  sandbox: RemoteSandbox,
  tables: Config['tables'],
  n: number,
  latencyMs: number,
  label: string,
): Promise<Figures> {
  let seed: BenchSeed | undefined = benchSeed(n);
  const { organizerId, organizerUpn } = seed;
  await sandbox.control('POST', '/tenant', JSON.stringify(seed.input), z.unknown());
  const repos = createRepositories({ tables, tablesPrefix: `bm${randomBytes(5).toString('hex')}` });
  await loadLocalData(
    repos,
    { ...seed.input, events: [] },
    { audioConferencingPlanIds: [AUDIO_PLAN], now: new Date() },
  );
  seed = undefined;

  const client = createGraphClient({
    graph: { baseUrl: sandbox.url, credential: { kind: 'sandbox', token: sandbox.token } },
    mailboxConcurrency: MAILBOX_CONCURRENCY,
  });
  const queue = new RecordingPublisher();
  const deps: MigrateUserDeps = {
    repositories: repos,
    graph: createGraphGateways(client),
    queue: () => queue,
    clock: () => new Date(),
    config: { migrationMaxRetries: 2, mailboxConcurrency: MAILBOX_CONCURRENCY },
  };

  // The run requested as the admin API does.
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
  const message: ReceivedMessage = {
    messageId: out.messageId,
    ...(out.sessionId !== undefined ? { sessionId: out.sessionId } : {}),
    ...(out.correlationId !== undefined ? { correlationId: out.correlationId } : {}),
    body: JSON.parse(JSON.stringify(out.body)) as unknown,
    deliveryCount: 1,
    enqueuedTime: new Date(),
  };

  await sandbox.control('PUT', '/throttling', { latencyMs }, z.unknown());
  await sandbox.control('DELETE', '/requests', undefined, z.unknown());

  settle();
  const base0 = process.memoryUsage();
  let peakRss = base0.rss;
  let peakHeap = base0.heapUsed;
  let peakLive = base0.heapUsed;
  let ticks = 0;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    if (gc && ++ticks % LIVE_EVERY === 0) {
      gc();
      const live = process.memoryUsage().heapUsed;
      if (live > peakLive) peakLive = live;
    }
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const t0 = performance.now();
  const outcome = await handleMigrationMessage(deps, message);
  const wallMs = performance.now() - t0;
  sample();
  clearInterval(timer);
  settle();
  const afterHeap = process.memoryUsage().heapUsed;

  if (outcome.kind !== 'finished') throw new Error(`the run did not finish: ${JSON.stringify(outcome)}`);
  if (outcome.result.kind !== 'completed')
    throw new Error(`the run stopped: ${JSON.stringify(outcome.result)}`);
  const counts = outcome.result.counts;
  const log = (await sandbox.control('GET', '/requests', undefined, requestLog)).value;
  await sandbox.control('PUT', '/throttling', { latencyMs: 0 }, z.unknown());
  return {
    label,
    n,
    updated: counts.succeededMeeting,
    skipped: counts.skippedMeeting,
    failed: counts.failedMeeting,
    wallMs,
    requests: log.length,
    patches: log.filter((r) => r.method === 'PATCH' && r.status < 300).length,
    throttled: log.filter((r) => r.status === 429).length,
    maxConcurrency: log.reduce((m, r) => Math.max(m, r.concurrency), 0),
    byConcurrency: log.reduce<Record<number, number>>((m, r) => {
      m[r.concurrency] = (m[r.concurrency] ?? 0) + 1;
      return m;
    }, {}),
    baseRss: base0.rss,
    peakRss,
    baseHeap: base0.heapUsed,
    peakHeap,
    peakLive,
    afterHeap,
  };
}

const MiB = 1024 * 1024;
const mib = (b: number) => (b / MiB).toFixed(1);

/** Table columns: title, unit, width, value. */
const columns: [string, string, number, (f: Figures) => string][] = [
  ['run', '', 14, (f) => f.label],
  ['N', '', 5, (f) => String(f.n)],
  ['updated', '', 7, (f) => String(f.updated)],
  ['skip/fail', '', 9, (f) => `${f.skipped}/${f.failed}`],
  ['wall', 's', 6, (f) => (f.wallMs / 1000).toFixed(2)],
  ['mtg/s', '', 5, (f) => (f.updated / (f.wallMs / 1000)).toFixed(0)],
  ['Graph', 'requests', 8, (f) => String(f.requests)],
  ['PATCH', '', 5, (f) => String(f.patches)],
  ['429', '', 3, (f) => String(f.throttled)],
  ['max', 'in flight', 9, (f) => String(f.maxConcurrency)],
  ['peak RSS', 'MiB', 8, (f) => mib(f.peakRss)],
  ['ΔRSS', 'MiB', 6, (f) => mib(f.peakRss - f.baseRss)],
  ['peak heap', 'MiB', 9, (f) => mib(f.peakHeap)],
  ['Δheap', 'MiB', 6, (f) => mib(f.peakHeap - f.baseHeap)],
  ['Δlive', 'MiB', 6, (f) => mib(f.peakLive - f.baseHeap)],
  ['kept', 'MiB', 5, (f) => mib(f.afterHeap - f.baseHeap)],
  ['kept/1k', 'KiB', 7, (f) => (((f.afterHeap - f.baseHeap) / 1024 / f.n) * 1000).toFixed(0)],
];

function pad(s: string, width: number, i: number): string {
  return i === 0 ? s.padEnd(width) : s.padStart(width);
}

function header(): void {
  console.log(columns.map(([title, , w], i) => pad(title, w, i)).join('  '));
  console.log(columns.map(([, unit, w], i) => pad(unit, w, i)).join('  '));
}

function row(f: Figures): void {
  console.log(columns.map(([, , w, value], i) => pad(value(f), w, i)).join('  '));
}

/** Growth per 1,000 meetings of a figure between the smallest and the largest N. */
function slope(runs: Figures[], figure: (f: Figures) => number): string {
  const first = runs[0];
  const last = runs[runs.length - 1];
  if (!first || !last || last.n === first.n) return '-';
  return mib(((figure(last) - figure(first)) / (last.n - first.n)) * 1000);
}

async function main(): Promise<void> {
  if (!process.env['NODE_EXTRA_CA_CERTS'])
    throw new Error(
      'NODE_EXTRA_CA_CERTS is not set (dev/sandbox/certs/sandbox-dev-only.crt): run through `npm run bench`',
    );
  if (!gc) console.log('(no --expose-gc: baselines are taken without a forced GC)');
  const azurite = await startAzurite();
  const sandbox = await startRemoteSandbox();
  const tables: Config['tables'] = { kind: 'connectionString', connectionString: azurite.connectionString };
  try {
    console.log(
      `migrateUser, one organizer, N future meetings (Teams/Skype blocks, HTML and text), page 50, ` +
        `${MAILBOX_CONCURRENCY} per mailbox; memory sampled every ${SAMPLE_MS} ms in the worker process ` +
        `(sandbox and Azurite run in child processes)`,
    );
    console.log(
      'Δ = peak during the run minus the baseline (heap after GC before the run); live = heap right after a ' +
        `forced GC every ${(SAMPLE_MS * LIVE_EVERY) / 1000} s; kept = heap after GC at the end`,
    );
    await runOnce(sandbox, tables, 50, 0, 'warm-up'); // JIT, TLS session, tables
    header();
    const flat: Figures[] = [];
    for (const n of [200, 1_000, 4_000]) {
      const f = await runOnce(sandbox, tables, n, 0, 'no latency');
      flat.push(f);
      row(f);
    }
    console.log(
      `growth per 1,000 meetings from N=200 to N=4,000: peak RSS ${slope(flat, (f) => f.peakRss - f.baseRss)} MiB, ` +
        `peak heap ${slope(flat, (f) => f.peakHeap - f.baseHeap)} MiB, live heap ${slope(flat, (f) => f.peakLive - f.baseHeap)} MiB, ` +
        `kept ${slope(flat, (f) => f.afterHeap - f.baseHeap)} MiB`,
    );

    const latency = 20;
    console.log(
      `\nwith ${latency} ms sandbox latency per Graph request (held inside the mailbox slot): at most ` +
        `${MAILBOX_CONCURRENCY} in flight, so at most ${((MAILBOX_CONCURRENCY * 1000) / latency).toFixed(0)} requests/s`,
    );
    header();
    const f = await runOnce(sandbox, tables, 1_000, latency, `latency ${latency} ms`);
    row(f);
    console.log(
      `Graph requests/s: ${(f.requests / (f.wallMs / 1000)).toFixed(0)} of the ${((MAILBOX_CONCURRENCY * 1000) / latency).toFixed(0)} the limit allows; ` +
        `max concurrency seen by the sandbox ${f.maxConcurrency}, 429 answers ${f.throttled}`,
    );
    console.log(
      `requests by in-flight count on arrival: ${Object.entries(f.byConcurrency)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}`,
    );
  } finally {
    await sandbox.stop();
    await azurite.stop();
  }
}

if (process.argv[2] === 'sandbox-child') {
  sandboxChild().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

/**
 * The migration benchmark's worker (bench/migration.bench.ts spawns one per run): reads one JSON line (the run's
 * settings and its meeting-migrations message) on stdin, runs handleMigrationMessage once, as the queue function
 * does, and prints its figures as one JSON line. It loads only the service's modules and a recording queue
 * publisher (no sandbox, no Azurite helper, no generator), so its CPU time and peak RSS are the worker's own. The bench starts it with the deployed
 * worker's Node arguments and no others (no --expose-gc: nothing here changes how its heap is collected).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { createGraphClient, createGraphGateways } from '../shared/graph';
import type { ReceivedMessage } from '../shared/queue/port';
import { createRepositories } from '../shared/storage/repositories';
import { handleMigrationMessage, type MigrateUserDeps } from '../shared/services/migrate-user';
import { RecordingPublisher } from '../test/support/recording-publisher';

export const workerInput = z.object({
  sandboxUrl: z.string(),
  token: z.string(),
  connectionString: z.string(),
  tablesPrefix: z.string(),
  mailboxConcurrency: z.number().int().min(1),
  /** Requests per mailbox and window of the worker's limiter (default Outlook's 10,000 per 10 minutes). */
  mailboxBudget: z
    .object({ requests: z.number().int().min(1), windowMs: z.number().int().min(1) })
    .optional(),
  message: z.object({
    messageId: z.string(),
    sessionId: z.string().optional(),
    correlationId: z.string().optional(),
    body: z.unknown(),
  }),
});
export type WorkerInput = z.infer<typeof workerInput>;

export const workerOutput = z.object({
  wallMs: z.number(),
  cpuUserUs: z.number(),
  cpuSystemUs: z.number(),
  idleRss: z.number(),
  /** The worker's own RSS high-water mark (VmHWM; where there is none, the highest RSS sampled every 50 ms). */
  peakRss: z.number(),
  /**
   * Highest V8 heap in use, highest V8 heap committed (what the heap holds from the system, in use or not), and
   * highest memory outside it (Buffers, ArrayBuffers), sampled every 50 ms.
   */
  peakHeapUsed: z.number(),
  peakHeapTotal: z.number(),
  peakExternal: z.number(),
  updated: z.number(),
  skipped: z.number(),
  failed: z.number(),
  total: z.number(),
  requests: z.number(),
  /** Requests that held a mailbox slot (Exchange: calendar, mailbox settings); the rest (directory, Teams) did not. */
  slotRequests: z.number(),
  throttled: z.number(),
  budgetWaits: z.number(),
  /** Time Graph requests held a mailbox slot, summed, ms. */
  slotBusyMs: z.number(),
});
export type WorkerOutput = z.infer<typeof workerOutput>;

/**
 * The kernel's RSS high-water mark of this process's own memory (Linux: VmHWM in /proc/self/status), in bytes;
 * undefined where there is no /proc. Not process.resourceUsage().maxRSS: Linux carries the maxRSS of the process
 * image an exec replaced over to the new one, so a child's maxRSS starts at its parent's RSS when it was spawned
 * (the bench parent holds the seeded meetings), and would measure the parent.
 */
function ownPeakRss(): number | undefined {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

async function workerChild(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const first = await new Promise<string>((resolve) => lines.once('line', resolve));
  lines.close();
  const input: WorkerInput = workerInput.parse(JSON.parse(first));
  const repos = createRepositories({
    tables: { kind: 'connectionString', connectionString: input.connectionString },
    tablesPrefix: input.tablesPrefix,
  });
  const client = createGraphClient(
    {
      graph: { baseUrl: input.sandboxUrl, credential: { kind: 'sandbox', token: input.token } },
      mailboxConcurrency: input.mailboxConcurrency,
    },
    input.mailboxBudget ? { mailboxBudget: input.mailboxBudget } : {},
  );
  const queue = new RecordingPublisher();
  const deps: MigrateUserDeps = {
    repositories: repos,
    graph: createGraphGateways(client),
    queue: () => queue,
    clock: () => new Date(),
    config: { migrationMaxRetries: 2, mailboxConcurrency: input.mailboxConcurrency },
  };
  const message: ReceivedMessage = {
    ...input.message,
    deliveryCount: 1,
    enqueuedTime: new Date(),
  };
  const idleRss = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  let peakRss = idleRss;
  let peakHeapUsed = 0;
  let peakHeapTotal = 0;
  let peakExternal = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
    peakHeapTotal = Math.max(peakHeapTotal, m.heapTotal);
    peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers);
  }, 50);
  const t0 = performance.now();
  const outcome = await handleMigrationMessage(deps, message);
  const wallMs = performance.now() - t0;
  clearInterval(sample);
  const cpu = process.cpuUsage(cpu0);
  if (outcome.kind !== 'finished') throw new Error(`the run did not finish: ${JSON.stringify(outcome)}`);
  if (outcome.result.kind !== 'completed')
    throw new Error(`the run stopped: ${JSON.stringify(outcome.result)}`);
  const counts = outcome.result.counts;
  const out: WorkerOutput = {
    wallMs,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    idleRss,
    peakRss: Math.max(peakRss, ownPeakRss() ?? 0),
    peakHeapUsed,
    peakHeapTotal,
    peakExternal,
    updated: counts.succeededMeeting,
    skipped: counts.skippedMeeting,
    failed: counts.failedMeeting,
    total: counts.totalMeeting,
    requests: client.stats().requests,
    slotRequests: client.limiter.stats().tasks,
    throttled: client.stats().throttled,
    budgetWaits: client.limiter.stats().budgetWaits,
    slotBusyMs: client.limiter.stats().busyMs,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (require.main === module) {
  workerChild().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

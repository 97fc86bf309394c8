/**
 * A whole tenant and a webhook burst through the local host (`npm run bench -- tenant`): `npm start` as a black
 * box (dist/dev/start.js: Azurite, the sandbox tenant, the function host with the embedded queue and host.json's
 * queue concurrency), driven only through its HTTP API, as an admin and Graph would.
 *
 * 1. Webhook burst: 1,000 change notifications POSTed to /api/notifications at once (one per request, a quarter
 *    of them redeliveries of another): p50 / p99 answer time (Graph waits 3 s), and from the host's log the
 *    directory-changes messages processed: every distinct notification once, the redeliveries collapsed. Then,
 *    labelled as such, a Graph-batched variant: the same 1,000 (new changes) 50 per POST, as Graph may batch them.
 * 2. Tenant: 200 users × 50 meetings at 100 ms of sandbox latency per Graph request, every user started through
 *    the admin API (POST /api/migrations), then the queue and the worker as deployed. Users per minute against
 *    the throttle bound, and the share of Graph answers that were 429. The bound: a user's R requests need at
 *    least R × latency ÷ 4 (4 in flight per mailbox), and at most `maxConcurrentSessions` users run at once, so
 *    the tenant needs at least max(longest user, sum over users ÷ sessions).
 * The host process's CPU time and peak RSS come from /proc (Linux).
 *
 *   BENCH_TENANT_USERS=200 BENCH_TENANT_MEETINGS=50 BENCH_SESSIONS=8 npm run bench -- tenant
 *
 * BENCH_SESSIONS overrides host.json's maxConcurrentSessions (AzureFunctionsJobHost__extensions__serviceBus__…,
 * as an app setting does in Azure), to compare settings. Prints figures; never fails on a slow machine.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { z } from 'zod';
import { hasExchangeLicence } from '../dev/sandbox/tenant';
import { ROOT, startLocalHost, type LocalHost } from '../test/support/local-host';

const LATENCY_MS = 100;
const MAILBOX_SLOTS = 4;
const BURST = 1_000;
const REDELIVERED_SHARE = 0.25;
/** Notifications per POST in the Graph-batched variant of the burst. */
const GRAPH_BATCH = 50;

const intEnv = (name: string, dflt: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got "${v}"`);
  return n;
};

const hostJson = z
  .object({
    extensions: z.object({
      serviceBus: z.object({ maxConcurrentSessions: z.number().int(), maxConcurrentCalls: z.number().int() }),
    }),
  })
  .parse(JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')));

// ---------------------------------------------------------------------------------------------------------
// HTTP helpers

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

interface Answer {
  status: number;
  body: string;
  ms: number;
}

function call(url: string, method: string, body?: unknown, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const t0 = performance.now();
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(text !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
            : {}),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, ms: performance.now() - t0 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function json<T>(
  url: string,
  method: string,
  schema: z.ZodType<T>,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  const a = await call(url, method, body, headers);
  if (a.status >= 300) throw new Error(`${method} ${url}: ${a.status} ${a.body.slice(0, 300)}`);
  return schema.parse(a.body === '' ? {} : JSON.parse(a.body));
}

/** Sandbox control URLs are HTTPS with the dev certificate: fetch (trusts NODE_EXTRA_CA_CERTS). */
async function control<T>(
  host: LocalHost,
  method: string,
  path: string,
  schema: z.ZodType<T>,
  body?: unknown,
) {
  const res = await fetch(`${host.sandboxControlUrl ?? ''}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /_sandbox${path}: ${res.status} ${text.slice(0, 300)}`);
  return schema.parse(JSON.parse(text));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

// ---------------------------------------------------------------------------------------------------------
// The host process (the worker): CPU and peak RSS from /proc

interface ProcFigures {
  cpuMs: number;
  peakRss: number;
  rss: number;
}

function procFigures(pid: number): ProcFigures | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = 100; // USER_HZ on Linux
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) / ticks) * 1000;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { cpuMs, peakRss: kib('VmHWM'), rss: kib('VmRSS') };
  } catch {
    return undefined;
  }
}

/** The processes of `npm start`: the parent (it serves the sandbox tenant), Azurite and the function host. */
function startProcesses(host: LocalHost, hostPid: number | undefined): { name: string; pid: number }[] {
  const parent = host.child.pid;
  if (parent === undefined) return [];
  const out = [{ name: 'sandbox tenant (npm start process)', pid: parent }];
  let children: string[] = [];
  try {
    children = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const d of children) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const pid = Number(d);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      out.push({ name: pid === hostPid ? 'function host' : cmd.includes('azurite') ? 'Azurite' : cmd, pid });
    } catch {
      /* gone */
    }
  }
  return out;
}

const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------
// 1. Webhook burst

const subscriptionsSchema = z.object({
  value: z.array(z.object({ id: z.string(), resource: z.string(), clientState: z.string().nullable() })),
});
const usersSchema = z.object({
  value: z.array(
    z.object({
      id: z.string(),
      userPrincipalName: z.string(),
      sandboxMailboxLocation: z.string().optional(),
      assignedPlans: z
        .array(
          z.object({
            assignedDateTime: z.string(),
            capabilityStatus: z.enum(['Enabled', 'Warning', 'Suspended', 'LockedOut', 'Deleted']),
            service: z.string(),
            servicePlanId: z.string(),
          }),
        )
        .default([]),
      assignedLicenses: z
        .array(z.object({ skuId: z.string(), disabledPlans: z.array(z.string()).default([]) }))
        .default([]),
    }),
  ),
});
type BenchUser = z.infer<typeof usersSchema>['value'][number];

/** A user the generated tenant gives no Exchange Online mailbox Graph can reach: on-premises, or no licence. */
const withoutOnlineMailbox = (u: BenchUser) =>
  u.sandboxMailboxLocation !== 'exchangeOnline' || !hasExchangeLicence(u);

function executedCount(host: LocalHost, fn: string): number {
  const re = new RegExp(`Executed '${fn}' \\(Succeeded`, 'g');
  return host.output().match(re)?.length ?? 0;
}

async function until(what: string, timeoutMs: number, test: () => boolean | Promise<boolean>, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function webhookBurst(host: LocalHost, users: { id: string }[]): Promise<void> {
  let sub: z.infer<typeof subscriptionsSchema>['value'][number] | undefined;
  await until('the Graph subscription', 60_000, async () => {
    sub = (await control(host, 'GET', '/subscriptions', subscriptionsSchema)).value[0];
    return sub !== undefined;
  });
  if (!sub) throw new Error('no subscription');
  // The start-up delta sweep (a full sync of the tenant) is done before the burst: at least one directory-changes
  // message processed, and none for 3 s.
  let seen = -1;
  let quietSince = Date.now();
  await until('the start-up delta sweep', 600_000, () => {
    const n = executedCount(host, 'processDirectoryChanges');
    if (n !== seen) {
      seen = n;
      quietSince = Date.now();
    }
    return n >= 1 && Date.now() - quietSince >= 3000;
  });
  const hostPid = Number(/Function host API .*\(pid (\d+)\)/.exec(host.output())?.[1] ?? NaN);
  const subscription = sub;
  await burst(host, hostPid, subscription, users, {
    perPost: 1,
    seqBase: 1_000_000,
    heading: `1. Webhook burst: ${BURST} change notifications POSTed to /api/notifications at once, one per request`,
  });
  // Graph may deliver several notifications in one POST (its `value` array): the same burst, batched, shows what
  // a notification costs once the request's own cost is shared. New sequence numbers: new changes.
  await burst(host, hostPid, subscription, users, {
    perPost: GRAPH_BATCH,
    seqBase: 2_000_000,
    heading:
      `1b. Graph-batched variant (not the worst case above): the same ${BURST} notifications, ` +
      `${GRAPH_BATCH} per POST (${BURST / GRAPH_BATCH} POSTs at once, each on its own connection)`,
  });
}

async function burst(
  host: LocalHost,
  hostPid: number,
  sub: z.infer<typeof subscriptionsSchema>['value'][number],
  users: { id: string }[],
  options: { perPost: number; seqBase: number; heading: string },
): Promise<void> {
  const before = executedCount(host, 'processDirectoryChanges');
  const distinct = Math.round(BURST * (1 - REDELIVERED_SHARE));
  const notification = (i: number) => {
    const user = users[i % users.length] ?? { id: 'x' };
    return {
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
      changeType: 'updated',
      resource: `Users/${user.id}`,
      clientState: sub.clientState,
      tenantId: 'bench',
      resourceData: {
        '@odata.type': '#Microsoft.Graph.User',
        '@odata.id': `Users/${user.id}`,
        id: user.id,
        organizationId: 'bench',
        sequenceNumber: String(options.seqBase + i),
      },
    };
  };
  // Notification k (k ≥ distinct) is a redelivery of notification k - distinct: same sequence number.
  const all = Array.from({ length: BURST }, (_, k) => notification(k < distinct ? k : k - distinct));
  const bodies: { value: ReturnType<typeof notification>[] }[] = [];
  for (let k = 0; k < all.length; k += options.perPost)
    bodies.push({ value: all.slice(k, k + options.perPost) });
  // Each on its own connection, as Graph's deliveries arrive; a request that fails at the connection level is
  // sent again afterwards, as Graph redelivers a notification it could not deliver.
  const post = (b: unknown) =>
    call(`${host.apiUrl}/api/notifications`, 'POST', b, { connection: 'close' }).then(
      (a) => a,
      (e: unknown) => ({ status: 0, body: e instanceof Error ? e.message : String(e), ms: NaN }),
    );
  const cpuBefore = procFigures(hostPid)?.cpuMs;
  const t0 = performance.now();
  const mono0 = process.hrtime.bigint();
  const answers = await Promise.all(bodies.map(post));
  const burstMs = performance.now() - t0;
  const mono1 = process.hrtime.bigint();
  const cpuAfter = procFigures(hostPid)?.cpuMs;
  const failedIdx = answers.flatMap((a, i) => (a.status === 202 ? [] : [i]));
  const retried = await Promise.all(failedIdx.map((i) => post(bodies[i])));
  // A notification's answer time is that of the POST that carried it.
  const times = answers
    .flatMap((a, i) => (a.status === 202 ? Array<number>(bodies[i]?.value.length ?? 0).fill(a.ms) : []))
    .sort((a, b) => a - b);
  const accepted = times.length;
  const errors = answers.filter((a) => a.status !== 202);

  let processed = 0;
  await until(
    'the directory-changes messages',
    300_000,
    () => {
      processed = executedCount(host, 'processDirectoryChanges') - before;
      return processed >= distinct;
    },
    50,
  ).catch(() => undefined);
  const drainedMs = performance.now() - t0;
  const cpuDrained = procFigures(hostPid)?.cpuMs;
  // Anything beyond the distinct count would be a duplicate that was not collapsed: give it a moment to show.
  await new Promise((r) => setTimeout(r, 3000));
  processed = executedCount(host, 'processDirectoryChanges') - before;

  console.log(`\n${options.heading} (${distinct} distinct, ${BURST - distinct} redeliveries of one of them)`);
  if (process.env['BENCH_CPU_PROF'])
    console.log(
      `   CPU profiles in ${process.env['BENCH_CPU_PROF']}; this burst on their clock (monotonic, µs): ` +
        `${mono0 / 1000n} to ${mono1 / 1000n}`,
    );
  if (errors.length > 0)
    console.log(
      `   POSTs not answered 202 at first: ${errors.length} (${[...new Set(errors.map((e) => `${e.status} ${e.body.slice(0, 60)}`))].join('; ')}); ` +
        `sent again: ${retried.filter((a) => a.status === 202).length} answered 202`,
    );
  console.log(
    `   notifications answered 202: ${accepted} of ${BURST}; answer time p50 ${percentile(times, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(times, 99).toFixed(0)} ms, max ${percentile(times, 100).toFixed(0)} ms ` +
      `(p99 ÷ Graph's 3 s: ${(percentile(times, 99) / 3000).toFixed(3)}); whole burst ${burstMs.toFixed(0)} ms`,
  );
  if (cpuBefore !== undefined && cpuAfter !== undefined) {
    // Every request is in the host at once, so each waits for (nearly) all of them: the p99 answer time is at
    // least BURST × the host's CPU per notification (one Node process, one core).
    const perNotification = (cpuAfter - cpuBefore) / BURST;
    console.log(
      `   function host CPU from the first request to the last answer: ${(cpuAfter - cpuBefore).toFixed(0)} ms, ` +
        `${perNotification.toFixed(2)} ms per notification (whatever the queue's consumers did meanwhile included): ` +
        `${BURST} at once need at least ${((perNotification * BURST) / 1000).toFixed(1)} s of one core`,
    );
  }
  if (cpuBefore !== undefined && cpuDrained !== undefined)
    console.log(
      `   function host CPU until the last directory-changes message was processed (${(drainedMs / 1000).toFixed(1)} s ` +
        `after the first request): ${(cpuDrained - cpuBefore).toFixed(0)} ms, ` +
        `${((cpuDrained - cpuBefore) / BURST).toFixed(2)} ms per notification, answer and processing`,
    );
  const within = (ms: number) => times.filter((t) => t <= ms).length;
  console.log(
    `   answered within 0.3 s: ${within(300)}, 1 s: ${within(1000)}, 2 s: ${within(2000)}, 3 s: ${within(3000)}; ` +
      `first answer after ${percentile(times, 0.1).toFixed(0)} ms`,
  );
  console.log(
    `   directory-changes messages processed: ${processed} for ${distinct} distinct notifications ` +
      `(lost ${Math.max(0, distinct - processed)}, duplicates not collapsed ${Math.max(0, processed - distinct)})`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// 2. Tenant run

const summarySchema = z.array(z.object({ state: z.string(), userCount: z.number() }));
const recordsPage = z.object({
  value: z.array(
    z.object({
      userId: z.string(),
      state: z.string(),
      totalMeeting: z.number(),
      succeededMeeting: z.number(),
      modifiedDate: z.string(),
      lastMessageCode: z.string().optional(),
    }),
  ),
  continuationToken: z.string().optional(),
});
const requestLog = z.object({
  value: z.array(
    z.object({
      time: z.string(),
      method: z.string(),
      path: z.string(),
      mailbox: z.string().nullable(),
      status: z.number(),
      route: z.string().optional(),
    }),
  ),
});

async function tenantRun(host: LocalHost, users: BenchUser[], sessions: number) {
  const api = host.apiUrl;
  const key = { 'x-functions-key': host.functionKey };
  await control(host, 'PUT', '/throttling', z.unknown(), { latencyMs: LATENCY_MS });
  await control(host, 'DELETE', '/requests', z.unknown());
  const pid = /Function host API .*\(pid (\d+)\)/.exec(host.output())?.[1];
  const proc0 = pid ? procFigures(Number(pid)) : undefined;
  const processes = startProcesses(host, pid ? Number(pid) : undefined);
  const cpu0 = processes.map((p) => procFigures(p.pid)?.cpuMs ?? NaN);

  const startedAt = Date.now();
  const t0 = performance.now();
  // An admin script starting every user, a few requests at a time.
  const limit = pLimit(8);
  const started = await Promise.all(
    users.map((u) =>
      limit(() => call(`${api}/api/migrations`, 'POST', { identity: u.userPrincipalName }, key)),
    ),
  );
  const refused = started.filter((a) => a.status !== 202);
  if (refused.length > 0) throw new Error(`${refused.length} starts refused: ${refused[0]?.body ?? ''}`);
  const triggeredMs = performance.now() - t0;

  // The wall time comes from the records' own modifiedDate, not from this poll: asked every 2 s, the summary (a
  // read of every status record) takes little of the host's CPU from the run it measures.
  await until(
    'every migration to end',
    3 * 3600_000,
    async () => {
      const summary = await json(
        `${api}/api/migrations?summaryOnly=true`,
        'GET',
        summarySchema,
        undefined,
        key,
      );
      const open = summary
        .filter((s) => s.state === 'Pending' || s.state === 'InProgress')
        .reduce((n, s) => n + s.userCount, 0);
      return open === 0;
    },
    2000,
  );
  const proc1 = pid ? procFigures(Number(pid)) : undefined;
  const cpu1 = processes.map((p) => procFigures(p.pid)?.cpuMs ?? NaN);

  const records: z.infer<typeof recordsPage>['value'] = [];
  let token: string | undefined;
  do {
    const q = `pageSize=1000${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`;
    const page = await json(`${api}/api/migrations?${q}`, 'GET', recordsPage, undefined, key);
    records.push(...page.value);
    token = page.continuationToken;
  } while (token);
  const endedAt = Math.max(...records.map((r) => Date.parse(r.modifiedDate)));
  const wallMs = endedAt - startedAt;

  const log = (await control(host, 'GET', '/requests', requestLog)).value;
  // BENCH_REQUEST_LOG=<file>: the sandbox's request log of the run (time, route, mailbox), to see a user's timeline.
  const logFile = process.env['BENCH_REQUEST_LOG'];
  if (logFile) writeFileSync(logFile, JSON.stringify(log));
  await control(host, 'PUT', '/throttling', z.unknown(), { latencyMs: 0 });
  // Per user: the requests that held one of the mailbox's 4 slots (Exchange's limit, on the calendar and mailbox
  // settings; directory and Teams requests do not take one), which make the bound.
  const byUser = new Map<string, number>();
  // Per user: when its first Graph request started and its last one ended (the log records the answer time).
  const spans = new Map<string, { first: number; last: number }>();
  const byRoute = new Map<string, number>();
  const ids = new Set(users.map((u) => u.id.toLowerCase()));
  for (const r of log) {
    const fromPath = /\/users\/([^/?]+)/i.exec(r.path)?.[1];
    const owner = (r.mailbox ?? (fromPath ? decodeURIComponent(fromPath) : '')).toLowerCase();
    if (!ids.has(owner)) continue;
    if (r.mailbox !== null) byUser.set(owner, (byUser.get(owner) ?? 0) + 1);
    const route = `${r.method} ${r.route ?? '?'}`;
    byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
    const at = Date.parse(r.time);
    const span = spans.get(owner);
    if (!span) spans.set(owner, { first: at - LATENCY_MS, last: at });
    else {
      span.first = Math.min(span.first, at - LATENCY_MS);
      span.last = Math.max(span.last, at);
    }
  }
  const slotRequests = [...byUser.values()].reduce((a, b) => a + b, 0);
  const perUserMs = [...byUser.values()].map((r) => (r * LATENCY_MS) / MAILBOX_SLOTS);
  const boundMs = Math.max(Math.max(0, ...perUserMs), perUserMs.reduce((a, b) => a + b, 0) / sessions);
  const throttled = log.filter((r) => r.status === 429).length;
  const meetings = records.reduce((n, r) => n + r.totalMeeting, 0);
  const states = records.reduce<Record<string, number>>(
    (m, r) => ({ ...m, [r.state]: (m[r.state] ?? 0) + 1 }),
    {},
  );

  console.log(
    `\n2. Tenant: ${users.length} users (${meetings} meetings in all) started through POST /api/migrations, ` +
      `${LATENCY_MS} ms sandbox latency per Graph request, ${sessions} concurrent sessions ` +
      `(maxConcurrentSessions), ${MAILBOX_SLOTS} requests in flight per mailbox`,
  );
  console.log(
    `   ended: ${Object.entries(states)
      .map(([s, n]) => `${s} ${n}`)
      .join(
        ', ',
      )}; starts sent in ${(triggeredMs / 1000).toFixed(1)} s; wall ${(wallMs / 1000).toFixed(1)} s ` +
      `(first start to last record written)`,
  );
  // Who failed, and whether the tenant says they should: users without an Exchange Online mailbox end Failed
  // with mailboxOnPremises or mailboxUnlicensed (docs/status-codes.md); anyone else failing is a finding.
  const failedCodes = records
    .filter((r) => r.state === 'Failed')
    .reduce<Record<string, number>>((m, r) => {
      const code = r.lastMessageCode ?? '?';
      return { ...m, [code]: (m[code] ?? 0) + 1 };
    }, {});
  const expectedFailures = users.filter(withoutOnlineMailbox).map((u) => u.id);
  const unexpected = records.filter(
    (r) => r.state === 'Failed' && !expectedFailures.includes(r.userId),
  ).length;
  console.log(
    `   Failed by code: ${JSON.stringify(failedCodes)}; the generated tenant has ${expectedFailures.length} ` +
      `users without an Exchange Online mailbox (on-premises or no Exchange licence); failed otherwise: ${unexpected}`,
  );
  console.log(
    `   users/min ${((users.length / wallMs) * 60_000).toFixed(0)}; throttle bound ` +
      `${((users.length / boundMs) * 60_000).toFixed(0)} users/min (${(boundMs / 1000).toFixed(1)} s: ` +
      `${slotRequests} mailbox requests × ${LATENCY_MS} ms ÷ ${MAILBOX_SLOTS} slots ÷ ${sessions} sessions, or the longest user; ` +
      `${log.length} Graph requests in all); ` +
      `wall ÷ bound ${(wallMs / boundMs).toFixed(2)}`,
  );
  console.log(
    `   Graph answers 429: ${throttled} of ${log.length} (${((throttled / Math.max(1, log.length)) * 100).toFixed(2)} %)`,
  );
  // Where the time goes: a user's Graph span (first request to last answer) against its own 4-slot bound, and
  // the share of the sessions' time that some user's Graph work covered (the rest: runs starting and ending,
  // storage, the queue).
  const ratios = [...spans].map(
    ([id, sp]) => (sp.last - sp.first) / (((byUser.get(id) ?? 1) * LATENCY_MS) / MAILBOX_SLOTS),
  );
  ratios.sort((a, b) => a - b);
  const spanSum = [...spans.values()].reduce((n, sp) => n + (sp.last - sp.first), 0);
  console.log(
    `   per user: ${(log.length / Math.max(1, byUser.size)).toFixed(1)} Graph requests ` +
      `(${[...byRoute]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([route, n]) => `${route} ${(n / Math.max(1, byUser.size)).toFixed(1)}`)
        .join(', ')}); Graph span ÷ the user's 4-slot bound p50 ${percentile(ratios, 50).toFixed(2)}, ` +
      `p90 ${percentile(ratios, 90).toFixed(2)}; Graph spans cover ${(spanSum / (sessions * wallMs)).toFixed(2)} ` +
      `of the sessions' time`,
  );
  if (proc0 && proc1) {
    // What that means for maxConcurrentSessions: a session keeps 4 requests in flight, so at latency L it makes
    // 4 ÷ L requests per second, each costing the host this much CPU.
    const cpuPerRequest = (proc1.cpuMs - proc0.cpuMs) / Math.max(1, log.length);
    const perCore = (latency: number) => (latency / (cpuPerRequest * MAILBOX_SLOTS)).toFixed(1);
    console.log(
      `   host CPU per Graph request ${cpuPerRequest.toFixed(2)} ms: one core keeps ${perCore(100)} sessions ` +
        `busy at 100 ms per Graph request, ${perCore(250)} at 250 ms`,
    );
  }
  if (proc0 && proc1)
    console.log(
      `   function host process: CPU ${((proc1.cpuMs - proc0.cpuMs) / 1000).toFixed(1)} s ` +
        `(${((proc1.cpuMs - proc0.cpuMs) / Math.max(1, meetings)).toFixed(2)} ms per meeting, ` +
        `CPU ÷ wall ${((proc1.cpuMs - proc0.cpuMs) / wallMs).toFixed(2)}), peak RSS ${(proc1.peakRss / MiB).toFixed(0)} MiB`,
    );
  // Whether the machine itself was the limit: every process of `npm start`, in cores used over the run.
  const used = processes.map((p, i) => ({ ...p, cores: ((cpu1[i] ?? NaN) - (cpu0[i] ?? NaN)) / wallMs }));
  const total = used.reduce((n, p) => n + (Number.isFinite(p.cores) ? p.cores : 0), 0);
  console.log(
    `   CPU of npm start's processes (cores over the run; the machine has ${cpus().length}): ` +
      `${used.map((p) => `${p.name} ${p.cores.toFixed(2)}`).join(', ')}; together ${total.toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  const userCount = intEnv('BENCH_TENANT_USERS', 200);
  const meetings = intEnv('BENCH_TENANT_MEETINGS', 50);
  const sessions = intEnv('BENCH_SESSIONS', hostJson.extensions.serviceBus.maxConcurrentSessions);
  console.log(
    `${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ` +
      `${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; Node ${process.version}`,
  );
  const host = await startLocalHost(
    ['--users', String(userCount), '--meetings', String(meetings), '--no-demo'],
    {
      env: {
        MMS_DEMO: '0',
        MIGRATION_DELAY_SECONDS: '0',
        // BENCH_CPU_PROF=<dir>: every process of npm start writes a V8 CPU profile there when it ends.
        ...(process.env['BENCH_CPU_PROF']
          ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env['BENCH_CPU_PROF']}` }
          : {}),
        AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentSessions: String(sessions),
      },
      readyTimeoutMs: 300_000,
      tmpPrefix: 'mms-bench-',
    },
  );
  try {
    console.log(`local host ${host.apiUrl}; sandbox tenant ${userCount} users × ${meetings} meetings`);
    const users = (await control(host, 'GET', '/users', usersSchema)).value;
    if (process.env['BENCH_SECTIONS']?.split(',').includes('webhook') ?? true)
      await webhookBurst(host, users);
    if (process.env['BENCH_SECTIONS']?.split(',').includes('tenant') ?? true)
      await tenantRun(host, users, sessions);
  } finally {
    // BENCH_HOST_LOG=<file>: the local host's whole output, to see where the time went.
    const logFile = process.env['BENCH_HOST_LOG'];
    if (logFile) writeFileSync(logFile, host.output());
    await host.stop();
    agent.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

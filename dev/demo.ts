/**
 * The `npm start` demo: once the local host is ready against the sandbox tenant, it migrates the meetings of every
 * sandbox user through the admin API (what an admin would do with `npm run mms -- start <upn>`), prints the
 * summary and the users still in progress every couple of seconds, then the final status table
 * (`Get-CsMeetingMigrationStatus | Format-Table`), one result line and where to look next.
 *
 *   const result = await runDemo({ apiUrl, functionKey, identities, sandboxControlUrl, log: console.log });
 *   // result?.line === '25 users: 23 Succeeded, 2 Failed (on-premises mailboxes), 118 meetings updated, ...'
 *
 * It never throws: whatever goes wrong is logged (`Demo stopped: ...`) and the promise answers null, so that a
 * failing demo never takes `npm start` down. It only talks to the admin API (cli/api.ts), so it shows the service
 * exactly as an admin sees it.
 */
import pLimit from 'p-limit';
import { ApiError, ConnectionError, MmsApi, type StatusRecord } from '../cli/api';
import { resultLine, statusTable, summaryLine } from '../cli/views';
import { summarizeStates } from '../shared/domain/status';

export interface DemoOptions {
  /** Function host root, e.g. http://127.0.0.1:7071. */
  apiUrl: string;
  functionKey: string;
  /** The users to migrate (UPNs or object ids): the sandbox tenant's users. */
  identities: readonly string[];
  /**
   * Of those, users who go TeamsOnly (`PUT users/{id}/teams-upgrade`, Grant-CsTeamsUpgradePolicy) and users whose
   * move from Skype for Business on premises is reported (`PUT users/{id}/homing` online): their Skype meetings
   * are converted to Teams instead of refreshed.
   */
  teamsOnly?: readonly string[];
  movedOnline?: readonly string[];
  /** Where the sandbox's control API is, for the hints (raw events, update log) and the leavers. */
  sandboxControlUrl?: string;
  /**
   * Users (of `identities`) who have just left the company: the demo soft-deletes them in the sandbox tenant
   * (control API) before it starts the migrations. The service still lists them (its user profiles), so their
   * migration is requested and the run ends Failed `userSoftDeleted`, told apart from an unlicensed or on-premises
   * mailbox.
   */
  leavers?: readonly string[];
  log: (line: string) => void;
  /** Between two progress prints (default 2000 ms). */
  intervalMs?: number;
  /** Give up waiting after this long (default 5 minutes): the final table is printed as it stands. */
  timeoutMs?: number;
  /** Terminal width for the tables (undefined: nothing is cut). */
  columns?: number;
  /** POSTs in flight at once (default 8). */
  concurrency?: number;
  fetch?: typeof fetch;
}

export interface DemoResult {
  /** The final status records of the users the demo started. */
  records: StatusRecord[];
  /** `N users: X Succeeded, Y Failed (...), Z meetings updated, W invites sent`. */
  line: string;
  /** Whether every user reached Succeeded or Failed before the timeout. */
  finished: boolean;
}

/** Users listed in a progress print (the final table lists everyone). */
const MAX_PROGRESS_ROWS = 10;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function describe(e: unknown): string {
  if (e instanceof ApiError) return `error ${e.code}: ${e.message}`;
  if (e instanceof ConnectionError) return `${e.message} (${e.hint})`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs the demo; answers its result, or null when it could not run (the reason is logged). */
export async function runDemo(options: DemoOptions): Promise<DemoResult | null> {
  const { log } = options;
  try {
    return await demo(options);
  } catch (e) {
    log(
      `Demo stopped: ${describe(e)}. The service keeps running; \`npm run mms -- status\` shows where it is.`,
    );
    return null;
  }
}

async function demo(options: DemoOptions): Promise<DemoResult> {
  const { log, identities } = options;
  const api = new MmsApi({
    baseUrl: options.apiUrl,
    functionKey: options.functionKey,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const intervalMs = options.intervalMs ?? 2000;
  const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
  const width = options.columns;

  log('');
  log(
    `Demo: migrating the meetings of the ${identities.length} sandbox users ` +
      '(POST /api/migrations for each, like `npm run mms -- start <upn>`; `npm start -- --no-demo` skips this).',
  );
  const teamsOnly = new Set(options.teamsOnly ?? []);
  const movedOnline = new Set(options.movedOnline ?? []);
  if (teamsOnly.size + movedOnline.size > 0) {
    log(
      `Demo: ${teamsOnly.size} user(s) go TeamsOnly (npm run mms -- upgrade <upn> TeamsOnly) and ${movedOnline.size} ` +
        'move from Skype for Business on premises (npm run mms -- homing <upn> online): their Skype meetings become Teams meetings.',
    );
  }
  const leavers = options.sandboxControlUrl ? (options.leavers ?? []) : [];
  for (const leaver of leavers) {
    const fetchFn = options.fetch ?? fetch;
    const res = await fetchFn(`${options.sandboxControlUrl}/users/${encodeURIComponent(leaver)}?mode=soft`, {
      method: 'DELETE',
    });
    log(
      res.ok
        ? `Demo: ${leaver} has left the company (soft-deleted in the sandbox tenant); the service still knows them, so their migration is requested too.`
        : `Demo: could not delete ${leaver} in the sandbox tenant (HTTP ${res.status}).`,
    );
  }
  const limit = pLimit(options.concurrency ?? 8);
  const started = new Set<string>();
  const refused: string[] = [];
  await Promise.all(
    identities.map((identity) =>
      limit(async () => {
        try {
          if (teamsOnly.has(identity) || movedOnline.has(identity)) {
            const r = teamsOnly.has(identity)
              ? await api.grantTeamsUpgrade(identity, 'TeamsOnly')
              : await api.reportHoming(identity, 'online');
            const m = r.value.migration;
            if (m.outcome === 'none') refused.push(`${identity}: ${m.why ?? 'no migration'}`);
            else started.add(r.value.userId);
            return;
          }
          const r = await api.startMigration({ identity });
          started.add(r.value.userId);
        } catch (e) {
          if (e instanceof ConnectionError) throw e;
          refused.push(`${identity}: ${describe(e)}`);
        }
      }),
    ),
  );
  for (const r of refused) log(`Demo: not started for ${r}`);
  if (started.size === 0) throw new Error('no migration could be started');

  const ours = async (): Promise<StatusRecord[]> =>
    (await api.listMigrations()).value.filter((s) => started.has(s.userId));

  let records: StatusRecord[] = [];
  let finished = false;
  for (;;) {
    records = await ours();
    const active = records.filter((s) => s.state === 'Pending' || s.state === 'InProgress');
    if (active.length === 0 && records.length === started.size) {
      finished = true;
      break;
    }
    log('');
    log(`Demo ${new Date().toISOString().slice(11, 19)}Z  ${summaryLine(summarizeStates(records))}`);
    // The running ones first; a long queue is summed up rather than listed.
    const shown = [...active]
      .sort((a, b) => Number(b.state === 'InProgress') - Number(a.state === 'InProgress'))
      .slice(0, MAX_PROGRESS_ROWS);
    if (shown.length > 0) log(statusTable(shown, width));
    if (active.length > shown.length) log(`… and ${active.length - shown.length} more Pending or InProgress`);
    if (Date.now() > deadline) {
      log(
        `Demo: still ${active.length === 1 ? '1 user' : `${active.length} users`} in progress; \`npm run mms -- watch\` follows them.`,
      );
      break;
    }
    await sleep(intervalMs);
  }

  const line = resultLine(records);
  log('');
  log('Get-CsMeetingMigrationStatus | Format-Table   (npm run mms -- status)');
  log('');
  log(statusTable(records, width));
  log('');
  log(`Demo result: ${line}`);
  const example =
    records.find((s) => s.state === 'Succeeded' && s.succeededMeeting > 0) ??
    records.find((s) => s.state === 'Succeeded') ??
    records[0];
  log('Next:');
  log('  npm run mms -- status                 the table above, any time (--summary, --state Failed, ...)');
  log(`  npm run mms -- meetings ${example?.userPrincipalName ?? '<upn>'}   what happened to each meeting`);
  log(
    '  npm run mms -- start <upn>            migrate one user again (meetings already updated are left alone)',
  );
  if (options.sandboxControlUrl) {
    log(`  ${options.sandboxControlUrl}/events?mailbox=<upn>   the raw events in the sandbox tenant`);
    log(`  ${options.sandboxControlUrl}/updates                 every update attendees received`);
    if (teamsOnly.size + movedOnline.size > 0) {
      log(
        `  ${options.sandboxControlUrl}/online-meetings         the Teams meetings the conversions created`,
      );
    }
  }
  return { records, line, finished };
}

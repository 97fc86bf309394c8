/**
 * `npm run mms -- <command>`: the admin CLI over the HTTP admin API (DESIGN.md "Admin HTTP API"), with commands
 * that mirror the Microsoft cmdlets:
 *
 *   status [--identity X] [--state S] [--migration-type T] [--start-time ISO] [--end-time ISO] [--summary]
 *                                             Get-CsMeetingMigrationStatus (| Format-Table); reads the
 *                                             records 500 a page, following the API's continuation tokens
 *   start <identity> [--source All|SfB|Teams] [--target Current|Teams]
 *                                             Start-CsExMeetingMigration
 *   start --file users.csv | --group <groupId> | --service-plan <id>
 *                                             a bulk start (POST /api/migrations/batch); prints the batch id
 *   batch <batchId> [--wait]                  the bulk start's progress by state
 *   meetings <identity> [--correlation-id ID] the per-meeting results of the user's migration
 *   preview <identity> [--source T] [--target T] [--meeting N|eventId]
 *                                             dry run: what a migration would do with each meeting (nothing is
 *                                             sent or written); --meeting shows that meeting's block diff
 *   watch [--interval 2]                      summary + users in progress, redrawn until nothing is Pending or
 *                                             InProgress (exit 0); Ctrl-C stops it
 *   settings [get|set] [--meeting-migration-enabled B] [--automatically-migrate-user-meetings B]
 *                      [--automatically-replace-acp-provider B]
 *                                             Get/Set-CsTenantMigrationConfiguration and
 *                                             Get/Set-CsOnlineDialInConferencingTenantSettings
 *   dial-in <identity> [get|set] [--conference-id N | --reset-conference-id] [--bridge ID] [--toll N|default]
 *                      [--toll-free N|default] [--enabled B] [--provider Microsoft|ThirdParty]
 *                                             Get/Set-CsOnlineDialInConferencingUser
 *   bridges [list]                            Get-CsOnlineDialInConferencingBridge (numbers included)
 *   bridges add <bridgeId> <number> --type toll|tollFree --city C --country C [--languages en-US,fr-FR]
 *                                             Register-CsOnlineDialInConferencingServiceNumber
 *   bridges remove <bridgeId> <number>        Unregister-CsOnlineDialInConferencingServiceNumber: prints the
 *                                             users re-pointed to the bridge default and their migrations
 *   upgrade <identity> <mode>                 Grant-CsTeamsUpgradePolicy -Identity
 *   homing <identity> online|onPremises       reports Move-CsUser (Graph does not show Skype for Business
 *                                             homing); a move to online converts the Skype meetings to Teams
 *
 * Global options: `--url` (default env MMS_API_URL, else http://127.0.0.1:7071), `--key` (default env
 * MMS_FUNCTION_KEY, else local-dev-key; sent as x-functions-key), `--json` (print the API's JSON as is).
 *
 * Exit codes: 0 done; 1 the API refused (`error <code>: <message>`, the API's own error), nothing answered (with
 * a hint to run `npm start`), or a bad command line (commander names the option or argument).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Argument, CommanderError, Option } from 'commander';
import { MmsCommand } from './command';
import {
  ApiError,
  ConnectionError,
  MmsApi,
  ResponseShapeError,
  type StatusRecord,
  type SummaryRow,
} from './api';
import {
  parseBoolean,
  parseBridgeId,
  parseHomingLocation,
  parseConferenceId,
  parseInstant,
  parseInterval,
  parseLanguages,
  parseMigrationType,
  parseObjectId,
  parseNumberType,
  parsePhoneNumber,
  parsePlace,
  parseProvider,
  parseServiceNumber,
  parseSourceMeetingType,
  parseState,
  parseTargetMeetingType,
  parseUpgradeMode,
  phoneNumberValue,
} from './options';
import { blockDiff, readableLines } from './block-diff';
import { IdentitiesFileError, parseIdentitiesFile } from './identities-file';
import { formatList, formatTable } from './table';
import type { PreflightCheck, PreflightReport } from '../shared/domain/preflight';
import {
  batchLine,
  batchTable,
  bridgesTable,
  dialInList,
  eventTypeLabel,
  formatDate,
  NON_TTY_FLEX_WIDTH,
  type Fit,
  formatMinute,
  meetingsTable,
  meetingWhen,
  outcomeCounts,
  outcomeLine,
  previewSummary,
  previewTable,
  rejectedTable,
  statusTable,
  summaryTable,
  unregisterReport,
} from './views';

export const DEFAULT_API_URL = 'http://127.0.0.1:7071';
export const DEFAULT_FUNCTION_KEY = 'local-dev-key';

/** Where the CLI writes and what it knows about the terminal (tests pass their own). */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Terminal width; undefined when not a terminal (nothing is cut). */
  columns: number | undefined;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  sleep: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** Reads a file (--file); default node:fs. */
  readFile?: (path: string) => Promise<string>;
}

export function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

interface GlobalOptions {
  url: string;
  key: string;
  json?: boolean;
}

/** Whether two spellings (+E.164, E.164, tel:+E.164) are the same number. */
function sameNumber(a: string, b: string): boolean {
  const digits = (n: string) => n.replace(/^tel:/i, '').replace(/^\+/, '');
  return digits(a) === digits(b);
}

const ACTIVE_STATES = new Set<StatusRecord['state']>(['Pending', 'InProgress']);

/** Whether a summary still has users Pending or InProgress. */
export function stillRunning(summary: readonly SummaryRow[]): boolean {
  return summary.some((r) => ACTIVE_STATES.has(r.state) && r.userCount > 0);
}

/** A command whose output already says what failed (the preflight): exit code 1, nothing more printed. */
class ChecksFailed extends Error {}

/** The preflight as a table (pass/fail per check), then each failure with its fix. */
export function preflightView(report: PreflightReport, width?: number): string {
  const table = formatTable(
    [
      { header: 'Check', value: (c: PreflightCheck) => c.id },
      { header: 'Target', value: (c: PreflightCheck) => c.target, shrink: true, minWidth: 20 },
      { header: 'Result', value: (c: PreflightCheck) => (c.status === 'pass' ? 'PASS' : 'FAIL') },
      { header: 'Detail', value: (c: PreflightCheck) => c.detail, flex: true, minWidth: 20 },
    ],
    report.checks,
    width !== undefined ? { maxWidth: width } : {},
  );
  const failed = report.checks.filter((c) => c.status === 'fail');
  const head = `Preflight against ${report.graph}${report.user ? ` (user ${report.user})` : ''}: ${
    failed.length === 0 ? 'every check passed' : `${failed.length} of ${report.checks.length} checks failed`
  }.`;
  const fixes = failed.map((c) => `FAIL ${c.id} ${c.target}: ${c.detail}\n  fix: ${c.fix ?? '(none known)'}`);
  return [head, '', table, ...(fixes.length ? ['', ...fixes] : [])].join('\n');
}

/** The CLI program; `run` actions write to `io`. Exposed for tests. */
export function buildProgram(io: CliIo): Command {
  const program = new MmsCommand('mms');
  program
    .description('Admin CLI of the Meeting Migration Service (over its HTTP admin API).')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(add --help for the commands and their options)')
    .addOption(
      new Option('--url <url>', 'function host root URL (env MMS_API_URL)').default(
        io.env.MMS_API_URL?.trim() || DEFAULT_API_URL,
      ),
    )
    .addOption(
      new Option('--key <key>', 'function key, sent as x-functions-key (env MMS_FUNCTION_KEY)').default(
        io.env.MMS_FUNCTION_KEY?.trim() || DEFAULT_FUNCTION_KEY,
      ),
    )
    .option('--json', "print the API's JSON answer as is");

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const api = (): MmsApi => {
    const g = globals();
    return new MmsApi({ baseUrl: g.url, functionKey: g.key, ...(io.fetch ? { fetch: io.fetch } : {}) });
  };
  const line = (text = '') => io.out(`${text}\n`);
  // A terminal: fit its width. Not a terminal (a pipe, a file, a CI log): cut the long free-text columns.
  const fit: Fit = io.columns ?? { flexMax: NON_TTY_FLEX_WIDTH };
  const json = (value: unknown) => line(JSON.stringify(value, null, 2));

  program
    .command('status')
    .description('Get-CsMeetingMigrationStatus: the migration status of users, as a table')
    .option('--identity <upnOrId>', "one user's status (a UPN or an object id)")
    .option('--state <state>', 'Pending, InProgress, Succeeded or Failed', parseState)
    .option(
      '--migration-type <type>',
      'SfbToTeams, TeamsToTeams, AllToTeams, ToSameType or SfbToSfb',
      parseMigrationType,
    )
    .option(
      '--start-time <iso>',
      'migrations changed at or after this time (ISO-8601 or a date)',
      parseInstant,
    )
    .option(
      '--end-time <iso>',
      'migrations created at or before this time (ISO-8601 or a date)',
      parseInstant,
    )
    .option('--summary', 'the number of users in each state only (-SummaryOnly)')
    .action(
      async (o: {
        identity?: string;
        state?: string;
        migrationType?: string;
        startTime?: string;
        endTime?: string;
        summary?: boolean;
      }) => {
        const q = {
          ...(o.identity !== undefined ? { identity: o.identity } : {}),
          ...(o.state !== undefined ? { state: o.state } : {}),
          ...(o.migrationType !== undefined ? { migrationType: o.migrationType } : {}),
          ...(o.startTime !== undefined ? { startTime: o.startTime } : {}),
          ...(o.endTime !== undefined ? { endTime: o.endTime } : {}),
        };
        if (o.summary) {
          const r = await api().summary(q);
          if (globals().json) return json(r.json);
          return line(summaryTable(r.value));
        }
        const r = await api().listMigrations(q);
        if (globals().json) return json(r.json);
        if (r.value.length === 0) return line('No migration matches.');
        line(statusTable(r.value, fit));
      },
    );

  program
    .command('preflight')
    .description(
      'Read-only readiness checks against the configured Graph (permissions, mailbox scope, Teams access policy, subscription, handshake), each failure with its fix; exit code 1 when any fails',
    )
    .option('--user <upnOrId>', 'the user whose mailbox to check (default: a sample user)')
    .action(async (o: { user?: string }) => {
      const r = await api().preflight(o.user);
      if (globals().json) json(r.json);
      else line(preflightView(r.value, io.columns));
      if (!r.value.ok) throw new ChecksFailed();
    });

  program
    .command('start')
    .description(
      'Start-CsExMeetingMigration: migrate the meetings of one user now, or of many (--file, --group, --service-plan)',
    )
    .argument('[identity]', 'the user (a UPN or an object id)')
    .option('--source <type>', 'which meetings: All, SfB or Teams (default All)', parseSourceMeetingType)
    .option('--target <type>', 'into what: Current or Teams (default Current)', parseTargetMeetingType)
    .option(
      '--file <path>',
      'a bulk start: the users listed in a CSV (UserPrincipalName column) or one per line',
    )
    .option(
      '--group <groupId>',
      'a bulk start: the members of a group (nested groups included)',
      parseObjectId,
    )
    .option(
      '--service-plan <servicePlanId>',
      'a bulk start: every user holding the service plan',
      parseObjectId,
    )
    .action(
      async (
        identity: string | undefined,
        o: { source?: string; target?: string; file?: string; group?: string; servicePlan?: string },
        cmd: Command,
      ) => {
        const types = {
          ...(o.source !== undefined ? { sourceMeetingType: o.source } : {}),
          ...(o.target !== undefined ? { targetMeetingType: o.target } : {}),
        };
        const bulk = o.file !== undefined || o.group !== undefined || o.servicePlan !== undefined;
        if (identity !== undefined && bulk) {
          cmd.error(
            'error: give one <identity>, or --file / --group / --service-plan for a bulk start, not both',
          );
        }
        if (!bulk) {
          if (identity === undefined) {
            cmd.error('error: give the <identity> to migrate, or --file, --group or --service-plan');
            return;
          }
          const r = await api().startMigration({ identity, ...types });
          if (globals().json) return json(r.json);
          const what: Record<string, string> = {
            queued: 'Migration queued',
            merged: 'Merged into the pending migration',
            takenOver: 'The running migration had stalled; taken over, it runs again now',
            followUpRecorded: 'A migration is running; this one runs after it',
          };
          line(
            `${what[r.outcome] ?? r.outcome} for ${r.value.userPrincipalName} (correlation id ${r.value.correlationId}).`,
          );
          line(statusTable([r.value], fit));
          return;
        }
        let identities: string[] | undefined;
        if (o.file !== undefined) {
          let text: string;
          try {
            text = await (io.readFile ?? ((p: string) => readFile(p, 'utf8')))(o.file);
          } catch (e) {
            cmd.error(`error: --file ${o.file}: ${e instanceof Error ? e.message : String(e)}`);
            return;
          }
          try {
            identities = parseIdentitiesFile(text);
          } catch (e) {
            if (!(e instanceof IdentitiesFileError)) throw e;
            cmd.error(`error: --file ${o.file}: ${e.message}`);
            return;
          }
        }
        const r = await api().startBatch({
          ...(identities !== undefined ? { identities } : {}),
          ...(o.group !== undefined ? { groupId: o.group } : {}),
          ...(o.servicePlan !== undefined ? { servicePlanId: o.servicePlan } : {}),
          ...types,
        });
        if (globals().json) return json(r.json);
        const b = r.value;
        line(
          `Batch ${b.batchId} started: ${b.accepted} user${b.accepted === 1 ? '' : 's'} accepted, ` +
            `${b.rejected.length} rejected. They are queued a few at a time; follow it with \`batch ${b.batchId}\`.`,
        );
        if (b.rejected.length > 0) line(rejectedTable(b.rejected, fit));
      },
    );

  program
    .command('batch')
    .description('The progress of a bulk start, by state')
    .argument('<batchId>', 'the batch id `start --file/--group` printed')
    .option('--wait', 'redraw until every member has finished')
    .option('--interval <seconds>', 'seconds between redraws with --wait', parseInterval, 2)
    .action(async (batchId: string, o: { wait?: boolean; interval: number }) => {
      for (;;) {
        const r = await api().getBatch(batchId);
        if (globals().json) line(JSON.stringify(r.json));
        else {
          const frame = [batchLine(r.value), '', batchTable(r.value), ''];
          if (r.value.rejected.length > 0) frame.push(rejectedTable(r.value.rejected, fit), '');
          io.out((o.wait && io.isTTY ? '\x1b[H\x1b[2J' : '') + frame.join('\n'));
        }
        if (!o.wait || r.value.complete) return;
        await io.sleep(o.interval * 1000);
      }
    });

  program
    .command('meetings')
    .description("The per-meeting results of a user's migration")
    .argument('<identity>', 'the user (a UPN or an object id)')
    .option('--correlation-id <id>', 'an earlier migration of the user (default: the current one)')
    .action(async (identity: string, o: { correlationId?: string }) => {
      const r = await api().allMeetings(
        identity,
        o.correlationId !== undefined ? { correlationId: o.correlationId } : {},
      );
      if (globals().json) return json(r.json);
      const p = r.value;
      line(`${p.userPrincipalName}: ${p.state}, migration ${p.correlationId}: ${outcomeCounts(p.meetings)}.`);
      if (p.meetings.length === 0) return line('No meeting results recorded for this migration.');
      line(meetingsTable(p.meetings, fit));
    });

  program
    .command('preview')
    .description(
      'Dry run: what a migration of the user would do with each meeting; nothing is sent or written',
    )
    .argument('<identity>', 'the user (a UPN or an object id)')
    .option('--source <type>', 'which meetings: All, SfB or Teams (default All)', parseSourceMeetingType)
    .option('--target <type>', 'into what: Current or Teams (default Current)', parseTargetMeetingType)
    .option('--meeting <n|eventId>', 'show the block before and after for this meeting (its # or event id)')
    .action(
      async (identity: string, o: { source?: string; target?: string; meeting?: string }, cmd: Command) => {
        const r = await api().preview({
          identity,
          ...(o.source !== undefined ? { sourceMeetingType: o.source } : {}),
          ...(o.target !== undefined ? { targetMeetingType: o.target } : {}),
        });
        const p = r.value;
        if (o.meeting === undefined) {
          if (globals().json) return json(r.json);
          line(previewSummary(p));
          if (p.meetings.length === 0) return line('No future meetings organized by this user.');
          line(previewTable(p.meetings, fit));
          const example = p.meetings.findIndex((m) => m.decision === 'update');
          if (example >= 0) {
            line();
            line(`The block of one meeting, before and after: add --meeting ${example + 1}`);
          }
          return;
        }
        const n = /^\d{1,6}$/.test(o.meeting) ? Number(o.meeting) : NaN;
        const m = Number.isInteger(n) ? p.meetings[n - 1] : p.meetings.find((x) => x.eventId === o.meeting);
        if (m === undefined) {
          cmd.error(
            `error: --meeting ${o.meeting}: no such meeting; give a # from 1 to ${p.meetings.length} or an event id`,
          );
          return;
        }
        if (globals().json) return json(m);
        line(
          `${m.subject} (${eventTypeLabel(m.eventType)}, ${formatMinute(meetingWhen(m))} UTC): ${m.decision}` +
            (m.reason !== undefined ? ` (${m.reason})` : '') +
            '.',
        );
        if (m.error !== undefined) line(m.error);
        if (m.note !== undefined) line(m.note);
        if (m.blockBefore === undefined) return line('The body holds no online-meeting block.');
        if (m.blockAfter === undefined) {
          line('The block stays as it is:');
          for (const l of readableLines(m.blockBefore, m.contentType ?? 'html')) line(`  ${l}`);
          return;
        }
        line('The block, as attendees read it (- now, + after the migration):');
        for (const l of blockDiff(m.blockBefore, m.blockAfter, m.contentType ?? 'html')) line(l);
      },
    );

  program
    .command('watch')
    .description('Redraw the summary and the users in progress until nothing is Pending or InProgress')
    .option('--interval <seconds>', 'seconds between redraws', parseInterval, 2)
    .action(async (o: { interval: number }) => {
      const client = api();
      for (;;) {
        const [summary, pending, running] = await Promise.all([
          client.summary(),
          client.listMigrations({ state: 'Pending' }),
          client.listMigrations({ state: 'InProgress' }),
        ]);
        const active = [...running.value, ...pending.value];
        const done = !stillRunning(summary.value) && active.length === 0;
        if (globals().json) {
          line(JSON.stringify({ summary: summary.json, inProgress: running.json, pending: pending.json }));
        } else {
          const frame = [
            `Meeting migration status at ${formatDate(new Date().toISOString())}` +
              (done ? '' : ` (every ${o.interval} s; Ctrl-C to stop)`),
            '',
            summaryTable(summary.value),
            '',
            active.length > 0
              ? `Users in progress (${active.length}):\n${statusTable(active, fit)}`
              : 'Nothing is Pending or InProgress.',
            '',
          ].join('\n');
          io.out((io.isTTY ? '\x1b[H\x1b[2J' : '') + frame);
        }
        if (done) return;
        await io.sleep(o.interval * 1000);
      }
    });

  program
    .command('settings')
    .description(
      'Get/Set-CsTenantMigrationConfiguration and Get/Set-CsOnlineDialInConferencingTenantSettings',
    )
    .addArgument(new Argument('[action]', 'get or set').choices(['get', 'set']).default('get'))
    .option('--meeting-migration-enabled <bool>', 'migrate meetings at all (true/false)', parseBoolean)
    .option(
      '--automatically-migrate-user-meetings <bool>',
      "migrate when a user's dial-in changes (true/false)",
      parseBoolean,
    )
    .option(
      '--automatically-replace-acp-provider <bool>',
      'move third-party audio-conferencing users to Microsoft (true/false)',
      parseBoolean,
    )
    .action(
      async (
        action: 'get' | 'set',
        o: {
          meetingMigrationEnabled?: boolean;
          automaticallyMigrateUserMeetings?: boolean;
          automaticallyReplaceAcpProvider?: boolean;
        },
        cmd: Command,
      ) => {
        const client = api();
        const given = Object.values(o).some((v) => v !== undefined);
        if (action === 'get' && given)
          cmd.error('error: to change settings, use `settings set --<setting> <value>`');
        if (action === 'set') {
          if (!given) {
            cmd.error(
              'error: `settings set` needs at least one of --meeting-migration-enabled, ' +
                '--automatically-migrate-user-meetings, --automatically-replace-acp-provider',
            );
          }
          if (o.meetingMigrationEnabled !== undefined) {
            await client.patchMigrationSettings({ meetingMigrationEnabled: o.meetingMigrationEnabled });
          }
          if (
            o.automaticallyMigrateUserMeetings !== undefined ||
            o.automaticallyReplaceAcpProvider !== undefined
          ) {
            await client.patchDialInSettings({
              ...(o.automaticallyMigrateUserMeetings !== undefined
                ? { automaticallyMigrateUserMeetings: o.automaticallyMigrateUserMeetings }
                : {}),
              ...(o.automaticallyReplaceAcpProvider !== undefined
                ? { automaticallyReplaceAcpProvider: o.automaticallyReplaceAcpProvider }
                : {}),
            });
          }
        }
        const [migration, dialIn] = await Promise.all([
          client.getMigrationSettings(),
          client.getDialInSettings(),
        ]);
        if (globals().json) return json({ migration: migration.json, dialIn: dialIn.json });
        const b = (v: boolean) => (v ? 'True' : 'False');
        line(
          formatList([
            ['MeetingMigrationEnabled', b(migration.value.meetingMigrationEnabled)],
            ['AutomaticallyMigrateUserMeetings', b(dialIn.value.automaticallyMigrateUserMeetings)],
            ['AutomaticallyReplaceAcpProvider', b(dialIn.value.automaticallyReplaceAcpProvider)],
          ]),
        );
      },
    );

  program
    .command('dial-in')
    .description("Get/Set-CsOnlineDialInConferencingUser: a user's audio-conferencing settings")
    .argument('<identity>', 'the user (a UPN or an object id)')
    .addArgument(new Argument('[action]', 'get or set').choices(['get', 'set']).default('get'))
    .option('--conference-id <digits>', 'a new conference id (5 to 10 digits)', parseConferenceId)
    .option('--reset-conference-id', 'pick a new conference id')
    .option('--bridge <bridgeId>', 'move the user to this bridge (see `bridges`)', parseBridgeId)
    .option(
      '--toll <number>',
      'default toll number (E.164), or "default" for the bridge default',
      parsePhoneNumber,
    )
    .option(
      '--toll-free <number>',
      'default toll-free number (E.164), or "default" for the bridge default',
      parsePhoneNumber,
    )
    .option('--enabled <bool>', 'enable or disable dial-in (true/false)', parseBoolean)
    .option('--provider <provider>', 'Microsoft or ThirdParty', parseProvider)
    .action(
      async (
        identity: string,
        action: 'get' | 'set',
        o: {
          conferenceId?: string;
          resetConferenceId?: boolean;
          bridge?: string;
          toll?: string;
          tollFree?: string;
          enabled?: boolean;
          provider?: string;
        },
        cmd: Command,
      ) => {
        const patch: Record<string, unknown> = {};
        if (o.conferenceId !== undefined) patch.conferenceId = o.conferenceId;
        if (o.resetConferenceId) patch.resetConferenceId = true;
        if (o.bridge !== undefined) patch.bridgeId = o.bridge;
        if (o.toll !== undefined) patch.tollNumber = phoneNumberValue(o.toll);
        if (o.tollFree !== undefined) patch.tollFreeNumber = phoneNumberValue(o.tollFree);
        if (o.enabled !== undefined) patch.enabled = o.enabled;
        if (o.provider !== undefined) patch.provider = o.provider;
        const given = Object.keys(patch).length > 0;
        if (action === 'get' && given)
          cmd.error('error: to change the dial-in, use `dial-in <identity> set --<option> ...`');
        if (action === 'set' && !given)
          cmd.error('error: `dial-in <identity> set` needs at least one option to change');
        if (o.conferenceId !== undefined && o.resetConferenceId) {
          cmd.error('error: give --conference-id or --reset-conference-id, not both');
        }
        if (action === 'get') {
          const r = await api().getUserDialIn(identity);
          if (globals().json) return json(r.json);
          return line(dialInList(r.value));
        }
        const r = await api().patchUserDialIn(identity, patch);
        if (globals().json) return json(r.json);
        line(dialInList(r.value.dialIn));
        line();
        line(
          r.value.changes.length > 0
            ? `Changed: ${r.value.changes.join(', ')}.`
            : 'Nothing that invitations show changed.',
        );
        line(outcomeLine(r.value.migration));
      },
    );

  const bridges = program
    .command('bridges')
    .description(
      'Get-CsOnlineDialInConferencingBridge (list, the default), ' +
        'Register-/Unregister-CsOnlineDialInConferencingServiceNumber (add, remove)',
    );

  bridges
    .command('list', { isDefault: true })
    .description('Get-CsOnlineDialInConferencingBridge: the audio-conferencing bridges and their numbers')
    .action(async () => {
      const r = await api().listBridges();
      if (globals().json) return json(r.json);
      if (r.value.length === 0) return line('No bridges.');
      line(bridgesTable(r.value, fit));
    });

  bridges
    .command('add')
    .description('Register-CsOnlineDialInConferencingServiceNumber: add a service number to a bridge')
    .argument('<bridgeId>', 'the bridge (a GUID; `bridges` lists them)', parseBridgeId)
    .argument('<number>', 'the number, E.164 (+14255550123)', parseServiceNumber)
    .addOption(
      new Option('--type <type>', 'toll or tollFree').argParser(parseNumberType).makeOptionMandatory(),
    )
    .addOption(new Option('--city <city>', 'where the number is').argParser(parsePlace).makeOptionMandatory())
    .addOption(
      new Option('--country <country>', 'the country of the number')
        .argParser(parsePlace)
        .makeOptionMandatory(),
    )
    .option('--languages <tags>', 'languages of the number, comma-separated (en-US,fr-FR)', parseLanguages)
    .action(
      async (
        bridgeId: string,
        number: string,
        o: { type: 'toll' | 'tollFree'; city: string; country: string; languages?: string[] },
      ) => {
        const r = await api().registerBridgeNumber(bridgeId, number, {
          type: o.type,
          city: o.city,
          country: o.country,
          ...(o.languages !== undefined ? { languages: o.languages } : {}),
        });
        if (globals().json) return json(r.json);
        const b = r.value;
        const added = b.numbers.find((n) => sameNumber(n.number, number));
        line(
          `Added ${added?.number ?? number} (${o.type}, ${o.city}, ${o.country}) to bridge "${b.name}" (${b.id}).`,
        );
        line(bridgesTable([b], fit));
      },
    );

  bridges
    .command('remove')
    .description(
      'Unregister-CsOnlineDialInConferencingServiceNumber: remove a number from a bridge; its users move to ' +
        'the bridge default and their meetings are migrated',
    )
    .argument('<bridgeId>', 'the bridge (a GUID; `bridges` lists them)', parseBridgeId)
    .argument('<number>', 'the number, E.164 (+14255550123)', parseServiceNumber)
    .action(async (bridgeId: string, number: string) => {
      const r = await api().unregisterBridgeNumber(bridgeId, number);
      if (globals().json) return json(r.json);
      line(unregisterReport(r.value));
    });

  program
    .command('upgrade')
    .description("Grant-CsTeamsUpgradePolicy -Identity: set one user's Teams upgrade mode")
    .argument('<identity>', 'the user (a UPN or an object id)')
    .argument(
      '<mode>',
      'Islands, SfBOnly, SfBWithTeamsCollab, SfBWithTeamsCollabAndMeetings or TeamsOnly',
      parseUpgradeMode,
    )
    .action(async (identity: string, mode: string) => {
      const r = await api().grantTeamsUpgrade(identity, mode);
      if (globals().json) return json(r.json);
      const v = r.value;
      line(`${v.userPrincipalName}: Teams upgrade mode ${v.previousMode ?? '(none)'} → ${v.mode}.`);
      line(outcomeLine(v.migration));
      if (v.note) line(v.note);
    });

  program
    .command('homing')
    .description(
      'Report a Move-CsUser: where the user is homed for Skype for Business (a move to online converts their Skype meetings to Teams)',
    )
    .argument('<identity>', 'the user (a UPN or an object id)')
    .argument('<location>', 'online or onPremises', parseHomingLocation)
    .action(async (identity: string, location: string) => {
      const r = await api().reportHoming(identity, location);
      if (globals().json) return json(r.json);
      const v = r.value;
      line(`${v.userPrincipalName}: homed ${v.previousLocation} → ${v.location}.`);
      line(outcomeLine(v.migration));
    });

  return program;
}

/** Runs the CLI; answers the exit code (never throws). */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof ChecksFailed) return 1;
    if (e instanceof ApiError) {
      io.err(`error ${e.code}: ${e.message}\n`);
      return 1;
    }
    if (e instanceof ConnectionError) {
      io.err(`error: ${e.message}\nhint: ${e.hint}\n`);
      return 1;
    }
    if (e instanceof ResponseShapeError) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    io.err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

/**
 * `npm run mms -- <command>`: the admin CLI over the HTTP admin API (DESIGN.md "Admin HTTP API"), with commands
 * that mirror the Microsoft cmdlets:
 *
 *   status [--identity X] [--state S] [--migration-type T] [--start-time ISO] [--end-time ISO] [--summary]
 *                                             Get-CsMeetingMigrationStatus (| Format-Table); reads the
 *                                             records 500 a page, following the API's continuation tokens
 *   start <identity> [--source All|SfB|Teams] [--target Current|Teams]
 *                                             Start-CsExMeetingMigration
 *   meetings <identity> [--correlation-id ID] the per-meeting results of the user's migration
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
import { Argument, Command, CommanderError, Option } from 'commander';
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
import { formatList } from './table';
import {
  bridgesTable,
  dialInList,
  formatDate,
  meetingsTable,
  outcomeCounts,
  outcomeLine,
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

/** The CLI program; `run` actions write to `io`. Exposed for tests. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('mms');
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
        line(statusTable(r.value, io.columns));
      },
    );

  program
    .command('start')
    .description('Start-CsExMeetingMigration: migrate the meetings of one user now')
    .argument('<identity>', 'the user (a UPN or an object id)')
    .option('--source <type>', 'which meetings: All, SfB or Teams (default All)', parseSourceMeetingType)
    .option('--target <type>', 'into what: Current or Teams (default Current)', parseTargetMeetingType)
    .action(async (identity: string, o: { source?: string; target?: string }) => {
      const r = await api().startMigration({
        identity,
        ...(o.source !== undefined ? { sourceMeetingType: o.source } : {}),
        ...(o.target !== undefined ? { targetMeetingType: o.target } : {}),
      });
      if (globals().json) return json(r.json);
      const what: Record<string, string> = {
        queued: 'Migration queued',
        merged: 'Merged into the pending migration',
        followUpRecorded: 'A migration is running; this one runs after it',
      };
      line(
        `${what[r.outcome] ?? r.outcome} for ${r.value.userPrincipalName} (correlation id ${r.value.correlationId}).`,
      );
      line(statusTable([r.value], io.columns));
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
      line(meetingsTable(p.meetings, io.columns));
    });

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
              ? `Users in progress (${active.length}):\n${statusTable(active, io.columns)}`
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
      line(bridgesTable(r.value, io.columns));
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
        line(bridgesTable([b], io.columns));
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

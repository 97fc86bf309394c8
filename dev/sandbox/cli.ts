/**
 * `npm run sandbox -- --users N --meetings M [--seed S] [--port P] [--host H] [--token T] [--out FILE]`
 *
 * Generates a sandbox tenant (dev/sandbox/generator). With --out, writes the seed as JSON and exits; otherwise
 * starts the sandbox tenant with it and prints where Graph and the control API answer, the token, and what the
 * tenant holds, until Ctrl-C / SIGTERM.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { generateTenant, summarizeSeed, type SeedSummary } from './generator';
import type { SandboxHandle, SandboxOptions } from './index';
import { tenantSeed, type TenantSeedInput } from './seed';

export interface CliOptions {
  users: number;
  meetings: number;
  seed: number;
  port: number;
  host: string;
  token?: string;
  out?: string;
}

function wholeNumber(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const v = value.trim();
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number, got '${value}'.`);
    const n = Number(v);
    if (n < min || n > max)
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

export function buildProgram(): Command {
  return new Command('sandbox')
    .description(
      'Generate a sandbox tenant and serve it as a Microsoft Graph v1.0 stand-in (or write it with --out).',
    )
    .option('--users <n>', 'number of users', wholeNumber('--users', 1, 100_000), 50)
    .option(
      '--meetings <n>',
      'meetings each user organizes (roughly)',
      wholeNumber('--meetings', 0, 1_000),
      10,
    )
    .option(
      '--seed <n>',
      'seed of the generator (same seed, same tenant)',
      wholeNumber('--seed', 0, 2 ** 32 - 1),
      1,
    )
    .option('--port <n>', 'HTTPS port (0 picks a free one)', wholeNumber('--port', 0, 65_535), 0)
    .option('--host <host>', 'loopback address to listen on', '127.0.0.1')
    .option('--token <token>', 'bearer token Graph routes require (default: the sandbox default)')
    .option('--out <file>', 'write the generated seed as JSON to this file and exit')
    .showHelpAfterError()
    .allowExcessArguments(false);
}

/** Writes the seed as JSON piece by piece, so a large tenant does not need one giant string. */
export function writeSeedJson(path: string, seed: TenantSeedInput): void {
  const fd = openSync(path, 'w');
  try {
    const { users, events, bridges, ...head } = seed;
    const headJson = JSON.stringify(head);
    writeSync(fd, `${headJson.slice(0, -1)},"bridges":${JSON.stringify(bridges ?? [])},"users":[\n`);
    users.forEach((u, i) => writeSync(fd, `${i ? ',\n' : ''}${JSON.stringify(u)}`));
    writeSync(fd, '\n],"events":[\n');
    events.forEach((e, i) => writeSync(fd, `${i ? ',\n' : ''}${JSON.stringify(e)}`));
    writeSync(fd, '\n]}\n');
  } finally {
    closeSync(fd);
  }
}

function summaryLines(s: SeedSummary): string[] {
  const width = Math.max(...Object.keys(s.byCase).map((k) => k.length), 4);
  return [
    `  Users:    ${s.users}`,
    `  Events:   ${s.events} (${s.organizerEvents} organizer copies, ${s.attendeeCopies} attendee copies)`,
    `  Bridges:  ${s.bridges}`,
    '  Organizer copies by case:',
    ...Object.entries(s.byCase)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `    ${k.padEnd(width)}  ${v}`),
  ];
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.parse(argv);
  const opts = program.opts<CliOptions>();
  const seed = generateTenant({ users: opts.users, meetings: opts.meetings, seed: opts.seed });
  const summary = summarizeSeed(seed);

  if (opts.out) {
    const checked = tenantSeed.safeParse(seed);
    if (!checked.success) {
      throw new Error(`generated seed is invalid: ${checked.error.issues[0]?.message ?? 'unknown'}`);
    }
    const file = resolve(opts.out);
    writeSeedJson(file, seed);
    console.log(`Wrote the sandbox tenant seed (seed ${opts.seed}) to ${file}`);
    for (const line of summaryLines(summary)) console.log(line);
    return;
  }

  // Loaded only when serving, so --out works without the server's dependencies.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sandbox = require('./index') as { startSandbox(o: SandboxOptions): Promise<SandboxHandle> };
  const handle = await sandbox.startSandbox({
    port: opts.port,
    host: opts.host,
    seed,
    ...(opts.token !== undefined ? { token: opts.token } : {}),
  });
  console.log(
    'Sandbox tenant (Microsoft Graph v1.0 stand-in), dev-only TLS certificate dev/sandbox/certs/sandbox-dev-only.crt',
  );
  console.log(`  Graph:    ${handle.url}/v1.0`);
  console.log(`  Token:    ${handle.token}   (Authorization: Bearer ${handle.token})`);
  console.log(`  Control:  ${handle.url}/_sandbox/`);
  console.log(`  Tenant:   ${seed.domain} (${seed.tenantId}), generator seed ${opts.seed}`);
  for (const line of summaryLines(summary)) console.log(line);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping the sandbox tenant...`);
    handle.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    console.error(`sandbox: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

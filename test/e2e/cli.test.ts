/**
 * The admin CLI (dist/cli/mms.js) as a black box against the local host (`npm start` with a small sandbox tenant
 * and the demo off), and the `npm start` demo itself:
 *
 * - `start <upn>` queues the user's migration; `watch` ends with exit 0 once nothing is Pending/InProgress;
 *   `status` shows the user Succeeded in the Format-Table; `status --summary` lists the four states;
 *   `meetings <upn>` lists every meeting with its outcome; `--json` prints the API's JSON.
 * - a wrong function key and an unknown user exit 1 with the error; a bad option exits 1 naming it.
 * - `npm start --demo` migrates every sandbox user and prints the result line with everyone done.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalHost, type LocalHost } from '../support/local-host';
import { mms, showRun as show } from '../support/mms-cli';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The local host on free ports with its own data folder; the sandbox control URL must be printed (https). */
async function startLocal(args: string[]): Promise<LocalHost & { sandboxControlUrl: string }> {
  const local = await startLocalHost(args, {
    env: { MIGRATION_DELAY_SECONDS: '0' },
    readyTimeoutMs: 120_000,
    tmpPrefix: 'mms-e2e-cli-',
  });
  const control = local.sandboxControlUrl;
  if (!control?.startsWith('https://')) {
    local.cleanup();
    throw new Error(`the start-up table lacks the Sandbox control row:\n${local.output()}`);
  }
  return { ...local, sandboxControlUrl: control };
}

interface RawUser {
  userPrincipalName: string;
  sandboxMailboxLocation?: string;
}

describe('mms CLI against the local host', () => {
  it('start, watch, status, summary, meetings; errors exit 1 with the message', async () => {
    const local = await startLocal(['--no-demo', '--users', '6', '--meetings', '3']);
    try {
      const res = await fetch(`${local.sandboxControlUrl}/users`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as RawUser[] | { value: RawUser[] };
      const users = Array.isArray(body) ? body : body.value;
      const user = users.find((u) => (u.sandboxMailboxLocation ?? 'exchangeOnline') === 'exchangeOnline');
      assert.ok(user, 'the sandbox tenant has a user with an Exchange Online mailbox');
      const upn = user.userPrincipalName;
      const g = ['--url', local.apiUrl, '--key', local.functionKey];

      // Nothing was started (the demo is off).
      const before = await mms([...g, 'status']);
      assert.equal(before.code, 0, show(before));
      assert.match(before.stdout, /^No migration matches\.$/m);

      const start = await mms([...g, 'start', upn]);
      assert.equal(start.code, 0, show(start));
      assert.match(start.stdout, new RegExp(`^Migration queued for ${upn.replace(/[.$]/g, '\\$&')}`, 'm'));
      assert.match(start.stdout, /^UserPrincipalName\s+State\s+MigrationType/m);

      const watch = await mms([...g, 'watch', '--interval', '0.5']);
      assert.equal(watch.code, 0, show(watch));
      assert.match(watch.stdout, /Nothing is Pending or InProgress\.\s*$/);

      const status = await mms([...g, 'status']);
      assert.equal(status.code, 0, show(status));
      const lines = status.stdout.trimEnd().split('\n');
      assert.deepEqual(lines[0]?.split(/\s+/), [
        'UserPrincipalName',
        'State',
        'MigrationType',
        'RetryCount',
        'TotalMeeting',
        'SucceededMeeting',
        'FailedMeeting',
        'InvitesUpdate',
        'LastMessage',
        'ModifiedDate',
      ]);
      assert.equal(lines.length, 3, `one user in the table:\n${status.stdout}`);
      const row = lines[2] ?? '';
      assert.ok(row.startsWith(`${upn} `), row);
      assert.match(row, /\sSucceeded\s+ToSameType\s+0\s+(\d+)\s+(\d+)\s+0\s+(\d+)\s+Done: /);
      assert.match(row, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);

      const summary = await mms([...g, 'status', '--summary']);
      assert.equal(summary.code, 0, show(summary));
      assert.match(
        summary.stdout,
        /^State\s+UserCount\n-----\s+---------\nPending\s+0\nInProgress\s+0\nSucceeded\s+1\nFailed\s+0\n$/,
      );

      const json = await mms([...g, '--json', 'status', '--identity', upn]);
      assert.equal(json.code, 0, show(json));
      const records = JSON.parse(json.stdout) as {
        userPrincipalName: string;
        state: string;
        succeededMeeting: number;
      }[];
      assert.equal(records.length, 1);
      assert.equal(records[0]?.state, 'Succeeded');

      const meetings = await mms([...g, 'meetings', upn]);
      assert.equal(meetings.code, 0, show(meetings));
      const head = new RegExp(
        `^${upn.replace(/[.$]/g, '\\$&')}: Succeeded, migration [0-9a-f-]+: (.+)\\.$`,
        'm',
      ).exec(meetings.stdout);
      assert.ok(head?.[1], show(meetings));
      const listed = head[1].split(', ').reduce((n, part) => n + Number(part.split(' ')[0]), 0);
      const rows = meetings.stdout.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} /.test(l));
      assert.ok(rows.length > 0, `the user's meetings are listed:\n${meetings.stdout}`);
      assert.equal(rows.length, listed, 'one row per meeting counted in the header');
      for (const r of rows) assert.match(r, /\s(teams|skype|none)\s+(updated|skipped|failed)(\s|$)/);
      assert.equal(
        rows.filter((r) => /\supdated(\s|$)/.test(r)).length,
        records[0]?.succeededMeeting,
        'the updated meetings listed are the ones the status record counts',
      );

      const badKey = await mms(['--url', local.apiUrl, '--key', 'not-the-key', 'status']);
      assert.equal(badKey.code, 1, show(badKey));
      assert.match(badKey.stderr, /^error unauthorized: the function key was refused/);
      assert.equal(badKey.stdout, '');

      const unknownUser = await mms([...g, 'status', '--identity', 'nobody@contoso.onmicrosoft.com']);
      assert.equal(unknownUser.code, 1, show(unknownUser));
      assert.match(unknownUser.stderr, /^error userNotFound: .*nobody@contoso\.onmicrosoft\.com/);

      const badOption = await mms([...g, 'status', '--colour', 'blue']);
      assert.equal(badOption.code, 1, show(badOption));
      assert.match(badOption.stderr, /unknown option '--colour'/);

      const badValue = await mms([...g, 'start', upn, '--source', 'Skype']);
      assert.equal(badValue.code, 1, show(badValue));
      assert.match(
        badValue.stderr,
        /option '--source <type>' argument 'Skype' is invalid\. Must be one of All, SfB, Teams/,
      );
    } finally {
      await local.stop();
    }
  });

  it('says to run `npm start` when nothing listens at --url', async () => {
    // A port that was free a moment ago: bind, read, close.
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const r = await mms(['--url', `http://127.0.0.1:${port}`, 'status']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /ECONNREFUSED/);
    assert.match(r.stderr, /hint: is `npm start` running\?/);
  });
});

describe('npm start demo', () => {
  it('migrates every sandbox user and prints the result line with everyone done', async () => {
    const local = await startLocal(['--demo', '--users', '5', '--meetings', '2']);
    try {
      const deadline = Date.now() + 180_000;
      let m: RegExpExecArray | null = null;
      while (
        !(m =
          /^Demo result: (\d+) users?: (\d+) Succeeded, (\d+) Failed\b.*, (\d+) meetings updated, (\d+) invites sent$/m.exec(
            local.output(),
          ))
      ) {
        assert.ok(!/^Demo stopped:/m.test(local.output()), `the demo failed:\n${local.output()}`);
        assert.ok(Date.now() < deadline, `no demo result line:\n${local.output()}`);
        assert.equal(local.child.exitCode, null, `npm start exited:\n${local.output()}`);
        await sleep(200);
      }
      const [, users, succeeded, failed, updated] = m.map(Number);
      assert.equal(users, 5, 'every sandbox user was migrated');
      assert.equal((succeeded ?? 0) + (failed ?? 0), users, `every user is done:\n${m[0]}`);
      assert.ok((updated ?? 0) > 0, 'some meetings were updated');
      const out = local.output();
      assert.ok(out.indexOf('MMS_HOST_READY') < out.indexOf('Demo:'), 'the ready line comes before the demo');
      assert.match(out, /^Get-CsMeetingMigrationStatus \| Format-Table/m);
      assert.match(out, /npm run mms -- meetings \S+@\S+/);

      // What the demo reported is what the API says.
      const r = await mms([
        '--url',
        local.apiUrl,
        '--key',
        local.functionKey,
        'status',
        '--summary',
        '--json',
      ]);
      assert.equal(r.code, 0, show(r));
      const summary = JSON.parse(r.stdout) as { state: string; userCount: number }[];
      assert.deepEqual(
        summary.map((s) => [s.state, s.userCount]),
        [
          ['Pending', 0],
          ['InProgress', 0],
          ['Succeeded', succeeded],
          ['Failed', failed],
        ],
      );
    } finally {
      await local.stop();
    }
  });
});

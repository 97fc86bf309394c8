/**
 * The admin's preview and bulk start, end to end through the local host (`npm start` on a small sandbox tenant,
 * demo off) and the CLI:
 *
 * - `POST /api/migrations/preview` before a migration lists every future meeting with a decision (some
 *   `update`), and after the migration (every meeting already carries the block) none is `update`; either way the
 *   sandbox's update log, the user's status record and per-meeting results are exactly as they were: nothing was
 *   sent or written. `mms preview <user>` prints the table and `--meeting <n>` the block's diff.
 * - `mms start --file users.csv` and `mms start --group <id>` start a batch; `GET /api/migrations/batches/{id}`
 *   shows it by state until every member has Succeeded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalHost, type LocalHost } from '../support/local-host';
import { mms, showRun as show } from '../support/mms-cli';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface RawUser {
  id: string;
  userPrincipalName: string;
  sandboxMailboxLocation?: string;
}

interface PreviewAnswer {
  userId: string;
  userPrincipalName: string;
  counts: { totalMeeting: number; updateMeeting: number; skippedMeeting: number };
  meetings: {
    eventId: string;
    decision: string;
    reason?: string;
    blockBefore?: string;
    blockAfter?: string;
  }[];
  continuationToken?: string;
}

async function api(
  local: LocalHost,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${local.apiUrl}/api/${path}`, {
    method,
    headers: { 'x-functions-key': local.functionKey, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function control(local: LocalHost, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${local.sandboxControlUrl ?? ''}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

async function updateLog(local: LocalHost): Promise<unknown[]> {
  const r = (await control(local, 'GET', '/updates')) as { value: unknown[] };
  return r.value;
}

async function waitForState(
  local: LocalHost,
  identity: string,
  state: string,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await api(local, 'GET', `migrations/${encodeURIComponent(identity)}`);
    const rec = r.json as Record<string, unknown>;
    if (r.status === 200 && rec.state === state) return rec;
    if (Date.now() > deadline)
      throw new Error(`${identity} never reached ${state}: ${JSON.stringify(r.json)}`);
    await sleep(300);
  }
}

describe('preview and bulk start through the local host', () => {
  it('a preview sends and writes nothing; a batch from a file and from a group runs', async () => {
    const local = await startLocalHost(['--no-demo', '--users', '8', '--meetings', '3'], {
      env: { MIGRATION_DELAY_SECONDS: '0', BATCH_RELEASE_SIZE: '2', BATCH_RELEASE_INTERVAL_SECONDS: '1' },
      readyTimeoutMs: 120_000,
      tmpPrefix: 'mms-e2e-admin-',
    });
    const dir = mkdtempSync(join(tmpdir(), 'mms-e2e-batch-'));
    try {
      assert.ok(local.sandboxControlUrl?.startsWith('https://'), local.output());
      const g = ['--url', local.apiUrl, '--key', local.functionKey];
      const users = ((await control(local, 'GET', '/users')) as { value: RawUser[] }).value.filter(
        (u) => (u.sandboxMailboxLocation ?? 'exchangeOnline') === 'exchangeOnline',
      );
      assert.ok(users.length >= 6, 'enough users with Exchange Online mailboxes');
      const [first, ...rest] = users as [RawUser, ...RawUser[]];
      const upn = first.userPrincipalName;

      // --- Preview before any migration: decisions, some updates, nothing sent, no status record.
      const pre = await api(local, 'POST', 'migrations/preview', { identity: upn });
      assert.equal(pre.status, 200, JSON.stringify(pre.json));
      const before = pre.json as PreviewAnswer;
      assert.equal(before.userPrincipalName, upn);
      assert.ok(before.meetings.length > 0, 'the user has future meetings');
      assert.equal(before.counts.totalMeeting, before.meetings.length);
      for (const m of before.meetings) assert.match(m.decision, /^(update|skip|fail)$/);
      const updates = before.meetings.filter((m) => m.decision === 'update');
      assert.ok(updates.length > 0, 'a fresh user has meetings to update');
      for (const m of updates) assert.ok(m.blockBefore && m.blockAfter, 'an update shows both blocks');
      assert.deepEqual(await updateLog(local), [], 'the preview sent no update');
      const none = await api(local, 'GET', `migrations/${encodeURIComponent(upn)}`);
      assert.equal(none.status, 404, 'the preview created no status record');

      // Paged: one meeting a page, the same meetings in the same order.
      const paged: string[] = [];
      let token: string | undefined;
      do {
        const p = await api(local, 'POST', 'migrations/preview', {
          identity: upn,
          pageSize: 1,
          ...(token ? { continuationToken: token } : {}),
        });
        assert.equal(p.status, 200, JSON.stringify(p.json));
        const page = p.json as PreviewAnswer;
        paged.push(...page.meetings.map((m) => m.eventId));
        token = page.continuationToken;
      } while (token !== undefined);
      assert.deepEqual(
        paged,
        before.meetings.map((m) => m.eventId),
      );

      // The CLI: the table, and one meeting's block diff.
      const table = await mms([...g, 'preview', upn]);
      assert.equal(table.code, 0, show(table));
      assert.match(table.stdout, /^Preview of .+: \d+ meetings?: \d+ would be updated/m);
      assert.match(table.stdout, /^\s*#\s+Start\s+Type\s+Subject\s+Kind\s+Decision\s+Reason/m);
      const n = before.meetings.findIndex((m) => m.decision === 'update') + 1;
      const diff = await mms([...g, 'preview', upn, '--meeting', String(n)]);
      assert.equal(diff.code, 0, show(diff));
      assert.match(diff.stdout, /: update\.\n/);
      assert.match(diff.stdout, /^The block, as attendees read it/m);
      assert.match(diff.stdout, /^[-+] /m, 'the diff shows what changes');

      // --- Migrate, then preview again: nothing left to update, and nothing sent or written by the preview.
      assert.equal((await api(local, 'POST', 'migrations', { identity: upn })).status, 202);
      const done = await waitForState(local, upn, 'Succeeded');
      const sent = await updateLog(local);
      assert.ok(sent.length > 0, 'the migration sent updates');
      const results = await api(local, 'GET', `migrations/${encodeURIComponent(upn)}/meetings`);

      const post = await api(local, 'POST', 'migrations/preview', { identity: upn });
      assert.equal(post.status, 200, JSON.stringify(post.json));
      const after = post.json as PreviewAnswer;
      assert.equal(after.meetings.length, before.meetings.length, 'the same meetings are listed');
      assert.equal(after.counts.updateMeeting, 0, 'a migrated user has nothing left to update');
      assert.ok(after.meetings.some((m) => m.reason === 'upToDate'));
      const cli = await mms([...g, 'preview', upn]);
      assert.equal(cli.code, 0, show(cli));

      assert.deepEqual(await updateLog(local), sent, 'the previews sent no update');
      const still = await api(local, 'GET', `migrations/${encodeURIComponent(upn)}`);
      assert.deepEqual(still.json, done, 'the status record is unchanged');
      const stillResults = await api(local, 'GET', `migrations/${encodeURIComponent(upn)}/meetings`);
      assert.deepEqual(stillResults.json, results.json, 'the per-meeting results are unchanged');

      const unknown = await api(local, 'POST', 'migrations/preview', { identity: 'nobody@contoso.com' });
      assert.equal(unknown.status, 404);
      const bad = await api(local, 'POST', 'migrations/preview', { identity: upn, pageSize: 0 });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.json), /pageSize/);

      // --- Bulk start from a file: a CSV export with a header; a bad and a repeated identity are rejected.
      const fromFile = rest.slice(0, 3);
      const csv = join(dir, 'users.csv');
      writeFileSync(
        csv,
        'displayName,userPrincipalName\n' +
          fromFile.map((u) => `"Someone, ${u.id.slice(0, 4)}",${u.userPrincipalName}`).join('\n') +
          `\nNobody,not an identity\nAgain,${fromFile[0]?.userPrincipalName.toUpperCase() ?? ''}\n`,
      );
      const fileStart = await mms([...g, 'start', '--file', csv]);
      assert.equal(fileStart.code, 0, show(fileStart));
      const fileBatch = /^Batch ([0-9a-f-]{36}) started: 3 users accepted, 2 rejected\./m.exec(
        fileStart.stdout,
      );
      assert.ok(fileBatch?.[1], show(fileStart));
      assert.match(fileStart.stdout, /not an identity\s+invalidIdentity/);
      assert.match(fileStart.stdout, /\sduplicate\s/);

      // --- Bulk start from a group with a nested group: its members once each, the file's users included.
      const fromGroup = rest.slice(2, 6);
      const inner = '00000000-0000-4000-8000-0000000000b2';
      const outer = '00000000-0000-4000-8000-0000000000b1';
      await control(local, 'POST', '/groups', {
        id: inner,
        displayName: 'Pilot (nested)',
        members: fromGroup.slice(2).map((u) => u.id),
      });
      await control(local, 'POST', '/groups', {
        id: outer,
        displayName: 'Pilot',
        members: [...fromGroup.slice(0, 2).map((u) => u.id), inner],
      });
      const groupStart = await mms([...g, 'start', '--group', outer]);
      assert.equal(groupStart.code, 0, show(groupStart));
      const groupBatch = new RegExp(
        `^Batch ([0-9a-f-]{36}) started: ${fromGroup.length} users accepted, 0 rejected\\.`,
        'm',
      ).exec(groupStart.stdout);
      assert.ok(groupBatch?.[1], show(groupStart));

      const missing = await mms([...g, 'start', '--group', '00000000-0000-4000-8000-0000000000ff']);
      assert.equal(missing.code, 1, show(missing));
      assert.match(missing.stderr, /^error groupNotFound: /);

      // Both batches run to the end (released two users a second), every member Succeeded.
      for (const [id, count] of [
        [fileBatch[1], fromFile.length],
        [groupBatch[1], fromGroup.length],
      ] as const) {
        const wait = await mms([...g, 'batch', id, '--wait', '--interval', '0.5'], 180_000);
        assert.equal(wait.code, 0, show(wait));
        const r = await api(local, 'GET', `migrations/batches/${id}`);
        assert.equal(r.status, 200);
        const b = r.json as {
          accepted: number;
          released: number;
          complete: boolean;
          progress: Record<string, number>;
        };
        assert.equal(b.accepted, count);
        assert.equal(b.released, count);
        assert.equal(b.complete, true);
        assert.equal(b.progress.Succeeded, count, JSON.stringify(b));
        assert.match(wait.stdout, new RegExp(`^Succeeded\\s+${count}$`, 'm'));
      }
      for (const u of [...fromFile, ...fromGroup]) {
        const rec = await api(local, 'GET', `migrations/${encodeURIComponent(u.userPrincipalName)}`);
        assert.equal((rec.json as { state: string }).state, 'Succeeded', u.userPrincipalName);
      }
      const unknownBatch = await api(local, 'GET', 'migrations/batches/00000000-0000-4000-8000-000000000000');
      assert.equal(unknownBatch.status, 404);

      // `npm start` prints the demo tenant's pilot group (half the users, a nested group inside) to try it with.
      const pilot = /^\s*Sandbox group\s+([0-9a-f-]{36})\s/m.exec(local.output());
      assert.ok(pilot?.[1], local.output());
      const pilotBatch = await api(local, 'POST', 'migrations/batch', { groupId: pilot[1] });
      assert.equal(pilotBatch.status, 202, JSON.stringify(pilotBatch.json));
      assert.equal((pilotBatch.json as { accepted: number }).accepted, 4, 'half of the 8 users');
    } finally {
      await local.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

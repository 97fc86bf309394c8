/**
 * dev/demo.ts against a fake admin API: one POST /api/migrations per sandbox user, progress prints until nothing
 * is Pending or InProgress, then the final table and the result line; a refused user is reported and the others
 * go on; an unreachable API or a failure never throws (the demo must not take `npm start` down).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../../dev/demo';

const record = (upn: string, state: string, over: Record<string, unknown> = {}) => ({
  userId: `id-${upn}`,
  userPrincipalName: upn,
  state,
  migrationType: 'ToSameType',
  retryCount: 0,
  lastMessage: state === 'Failed' ? 'mailbox on premises' : 'ok',
  totalMeeting: 4,
  succeededMeeting: state === 'Succeeded' ? 3 : 0,
  failedMeeting: 0,
  invitesUpdate: state === 'Succeeded' ? 3 : 0,
  correlationId: 'c',
  createDate: '2026-11-21T21:00:00.000Z',
  modifiedDate: '2026-11-21T21:00:01.000Z',
  ...(state === 'Failed' ? { lastMessageCode: 'mailboxOnPremises' } : {}),
  ...over,
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

describe('runDemo', () => {
  it('starts every user, prints progress until all are done, then the table and the result line', async () => {
    const posted: unknown[] = [];
    let polls = 0;
    const fake = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      assert.equal(new Headers(init?.headers).get('x-functions-key'), 'k');
      if (init?.method === 'POST') {
        assert.equal(typeof init.body, 'string');
        const body = JSON.parse(init.body as string) as { identity: string };
        posted.push(body);
        if (body.identity === 'ghost@x.y') {
          return Promise.resolve(json({ error: { code: 'userNotFound', message: 'No such user.' } }, 404));
        }
        return Promise.resolve(json(record(body.identity, 'Pending'), 202));
      }
      assert.equal(url.pathname, '/api/migrations');
      polls++;
      return Promise.resolve(
        json(
          polls < 2
            ? [record('a@x.y', 'InProgress'), record('b@x.y', 'Pending'), record('other@x.y', 'Succeeded')]
            : [record('a@x.y', 'Succeeded'), record('b@x.y', 'Failed'), record('other@x.y', 'Succeeded')],
        ),
      );
    };
    const lines: string[] = [];
    const result = await runDemo({
      apiUrl: 'http://api.test',
      functionKey: 'k',
      identities: ['a@x.y', 'b@x.y', 'ghost@x.y'],
      sandboxControlUrl: 'https://127.0.0.1:1/_sandbox',
      intervalMs: 1,
      log: (l) => lines.push(l),
      fetch: fake,
    });
    assert.deepEqual(posted, [{ identity: 'a@x.y' }, { identity: 'b@x.y' }, { identity: 'ghost@x.y' }]);
    assert.ok(result, lines.join('\n'));
    assert.equal(result.finished, true);
    assert.equal(
      result.line,
      '2 users: 1 Succeeded, 1 Failed (on-premises mailbox), 3 meetings updated, 3 invites sent',
      'only the users the demo started count',
    );
    const out = lines.join('\n');
    assert.match(out, /Demo: not started for ghost@x\.y: error userNotFound: No such user\./);
    assert.match(out, /Demo \d\d:\d\d:\d\dZ {2}Pending 1 · InProgress 1 · Succeeded 0 · Failed 0/);
    assert.match(out, /^Demo result: 2 users: 1 Succeeded, 1 Failed/m);
    assert.match(out, /npm run mms -- meetings a@x\.y/);
    assert.match(out, /https:\/\/127\.0\.0\.1:1\/_sandbox\/events\?mailbox=<upn>/);
    const final = out.slice(out.indexOf('Get-CsMeetingMigrationStatus'));
    assert.match(final, /^a@x\.y\s+Succeeded/m);
    assert.match(final, /^b@x\.y\s+Failed/m);
    assert.doesNotMatch(final, /other@x\.y/);
  });

  it('grants TeamsOnly and reports moves online for the users it names, and starts the others', async () => {
    const calls: string[] = [];
    const fake = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const method = init?.method ?? 'GET';
      if (method === 'GET') {
        return Promise.resolve(
          json([
            record('a@x.y', 'Succeeded', { migrationType: 'SfbToTeams' }),
            record('b@x.y', 'Succeeded', { migrationType: 'SfbToTeams' }),
            record('c@x.y', 'Succeeded'),
          ]),
        );
      }
      const text = typeof init?.body === 'string' ? init.body : '';
      calls.push(`${method} ${decodeURIComponent(url.pathname)} ${text}`);
      if (method === 'PUT') {
        const upn = decodeURIComponent(url.pathname.split('/')[3] ?? '');
        return Promise.resolve(
          json({
            userId: `id-${upn}`,
            userPrincipalName: upn,
            mode: 'TeamsOnly',
            previousMode: null,
            location: 'online',
            previousLocation: 'onPremises',
            migration: { outcome: 'queued', migrationType: 'SfbToTeams', state: 'Pending' },
          }),
        );
      }
      const body = JSON.parse(text) as { identity: string };
      return Promise.resolve(json(record(body.identity, 'Pending'), 202));
    };
    const lines: string[] = [];
    const result = await runDemo({
      apiUrl: 'http://api.test',
      functionKey: 'k',
      identities: ['a@x.y', 'b@x.y', 'c@x.y'],
      teamsOnly: ['a@x.y'],
      movedOnline: ['b@x.y'],
      intervalMs: 1,
      concurrency: 1,
      log: (l) => lines.push(l),
      fetch: fake,
    });
    assert.deepEqual(calls, [
      'PUT /api/users/a@x.y/teams-upgrade {"mode":"TeamsOnly"}',
      'PUT /api/users/b@x.y/homing {"location":"online"}',
      'POST /api/migrations {"identity":"c@x.y"}',
    ]);
    assert.equal(result?.records.length, 3);
    assert.match(
      lines.join('\n'),
      /1 user\(s\) go TeamsOnly .* and 1 move from Skype for Business on premises/,
    );
  });

  it('soft-deletes the leavers in the sandbox before it requests the migrations', async () => {
    const calls: string[] = [];
    const fake = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      calls.push(`${init?.method ?? 'GET'} ${url}`);
      if (init?.method === 'POST') {
        const body = JSON.parse(init.body as string) as { identity: string };
        return Promise.resolve(json(record(body.identity, 'Pending'), 202));
      }
      if (init?.method === 'DELETE') return Promise.resolve(json({ ok: true }));
      return Promise.resolve(
        json([
          record('a@x.y', 'Succeeded'),
          record('gone@x.y', 'Failed', { lastMessageCode: 'userSoftDeleted', lastMessage: 'deleted' }),
        ]),
      );
    };
    const lines: string[] = [];
    const result = await runDemo({
      apiUrl: 'http://api.test',
      functionKey: 'k',
      identities: ['a@x.y', 'gone@x.y'],
      leavers: ['gone@x.y'],
      sandboxControlUrl: 'https://127.0.0.1:1/_sandbox',
      intervalMs: 1,
      log: (l) => lines.push(l),
      fetch: fake,
    });
    assert.ok(result, lines.join('\n'));
    const del = calls.indexOf('DELETE https://127.0.0.1:1/_sandbox/users/gone%40x.y?mode=soft');
    assert.equal(del, 0, `deleted before any migration was requested: ${calls.join(', ')}`);
    assert.equal(calls.filter((c) => c.startsWith('POST')).length, 2, 'the leaver is started too');
    assert.match(lines.join('\n'), /Demo: gone@x\.y has left the company \(soft-deleted/);
    assert.match(result.line, /^2 users: 1 Succeeded, 1 Failed \(user deleted\)/);
  });

  it('logs and answers null when the API cannot be reached, without throwing', async () => {
    const lines: string[] = [];
    const refused = () =>
      Promise.reject(
        Object.assign(new TypeError('fetch failed'), { cause: new Error('connect ECONNREFUSED') }),
      );
    const result = await runDemo({
      apiUrl: 'http://127.0.0.1:9',
      functionKey: 'k',
      identities: ['a@x.y'],
      log: (l) => lines.push(l),
      fetch: refused,
    });
    assert.equal(result, null);
    assert.match(lines.join('\n'), /^Demo stopped: cannot reach http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/m);
  });

  it('stops waiting at the timeout and still prints the table as it stands', async () => {
    const lines: string[] = [];
    const fake = (_input: string | URL | Request, init?: RequestInit): Promise<Response> =>
      Promise.resolve(
        init?.method === 'POST'
          ? json(record('a@x.y', 'Pending'), 202)
          : json([record('a@x.y', 'InProgress')]),
      );
    const result = await runDemo({
      apiUrl: 'http://api.test',
      functionKey: 'k',
      identities: ['a@x.y'],
      intervalMs: 1,
      timeoutMs: 0,
      log: (l) => lines.push(l),
      fetch: fake,
    });
    assert.equal(result?.finished, false);
    assert.match(lines.join('\n'), /Demo: still 1 user in progress; `npm run mms -- watch` follows them\./);
    assert.match(result?.line ?? '', /^1 user: 0 Succeeded, 0 Failed, 1 InProgress, /);
  });
});

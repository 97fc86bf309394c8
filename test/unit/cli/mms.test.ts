/**
 * cli/mms.ts with a fake fetch: what each command sends (route, query, body, x-functions-key), argument
 * validation (bad values and unknown options exit 1 naming them, before any request), how API errors,
 * a refused key and an unreachable service are reported, and `watch` ending once nothing is Pending/InProgress.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, type CliIo } from '../../../cli/mms';
import {
  parseBoolean,
  parseConferenceId,
  parseInstant,
  parseInterval,
  parsePhoneNumber,
  parseState,
  phoneNumberValue,
} from '../../../cli/options';

interface Call {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

type Reply = { status?: number; json?: unknown; text?: string; headers?: Record<string, string> } | Error;

function fakeIo(replies: (call: Call) => Reply, env: Record<string, string> = {}) {
  const calls: Call[] = [];
  let out = '';
  let err = '';
  let sleeps = 0;
  const fetchFake = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const call: Call = { method: init?.method ?? 'GET', url, headers, body };
    calls.push(call);
    const r = replies(call);
    if (r instanceof Error) return Promise.reject(r);
    const text = r.text ?? (r.json !== undefined ? JSON.stringify(r.json) : '');
    return Promise.resolve(new Response(text, { status: r.status ?? 200, headers: r.headers ?? {} }));
  };
  const io: CliIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    columns: undefined,
    isTTY: false,
    env,
    sleep: () => {
      sleeps++;
      return Promise.resolve();
    },
    fetch: fetchFake,
  };
  return { io, calls, out: () => out, err: () => err, sleeps: () => sleeps };
}

const record = (over: Record<string, unknown> = {}) => ({
  userId: '47d8f558-4697-4149-8239-50e01d22b9b3',
  userPrincipalName: 'aino.makinen@contoso.onmicrosoft.com',
  state: 'Succeeded',
  migrationType: 'ToSameType',
  retryCount: 0,
  lastMessage: 'Done: 8 of 11 meetings updated.',
  totalMeeting: 11,
  succeededMeeting: 8,
  failedMeeting: 0,
  invitesUpdate: 8,
  correlationId: '3b2b6715-9551-4e6f-a42f-fad333301de2',
  createDate: '2026-11-21T21:23:17.514Z',
  modifiedDate: '2026-11-21T21:23:18.029Z',
  lastMessageCode: 'succeeded',
  ...over,
});

const BRIDGE_ID = '6b0e2f0a-1111-4111-8111-111111111111';

const bridge = (numbers: { number: string; type: string }[] = []) => ({
  id: BRIDGE_ID,
  name: 'Contoso main',
  isDefault: true,
  defaultTollNumber: '+14255550100',
  defaultTollFreeNumber: '+18005550100',
  numbers: [
    { number: '+14255550100', type: 'toll', city: 'Redmond', country: 'US', languages: ['en-US'] },
    ...numbers.map((n) => ({ ...n, city: 'Seattle', country: 'US', languages: ['en-US', 'fr-FR'] })),
  ],
});

const summary = (p: number, i: number, s: number, f: number) => [
  { state: 'Pending', userCount: p },
  { state: 'InProgress', userCount: i },
  { state: 'Succeeded', userCount: s },
  { state: 'Failed', userCount: f },
];

describe('option parsers', () => {
  it('canonicalise enumerations case-insensitively and refuse others naming the choices', () => {
    assert.equal(parseState('failed'), 'Failed');
    assert.equal(parseState(' inprogress '), 'InProgress');
    assert.throws(() => parseState('Done'), /Must be one of Pending, InProgress, Succeeded, Failed/);
  });

  it('check dates, booleans, intervals, conference ids and phone numbers', () => {
    assert.equal(parseInstant('2026-11-20'), '2026-11-20');
    assert.equal(parseInstant('2026-11-20T08:00:00+02:00'), '2026-11-20T08:00:00+02:00');
    assert.throws(() => parseInstant('2026-02-30'), /ISO-8601/);
    assert.throws(() => parseInstant('yesterday'), /ISO-8601/);
    assert.throws(() => parseInstant('2026-11-20T08:00:00'), /with Z or an offset/);
    assert.equal(parseBoolean('TRUE'), true);
    assert.equal(parseBoolean('off'), false);
    assert.throws(() => parseBoolean('maybe'), /true or false/);
    assert.equal(parseInterval('0.5'), 0.5);
    assert.throws(() => parseInterval('0'), /0\.2 to 3600/);
    assert.throws(() => parseInterval('-1'), /0\.2 to 3600/);
    assert.equal(parseConferenceId('123456789'), '123456789');
    assert.throws(() => parseConferenceId('0123456'), /not starting with 0/);
    assert.throws(() => parseConferenceId('9999999999'), /at most 2147483647/);
    assert.equal(phoneNumberValue(parsePhoneNumber('Default')), null);
    assert.equal(phoneNumberValue(parsePhoneNumber('+14255550123')), '+14255550123');
    assert.equal(parsePhoneNumber('tel:+14255550123'), 'tel:+14255550123');
    assert.throws(() => parsePhoneNumber('425-555-0123'), /E\.164/);
  });
});

describe('mms CLI (fake API)', () => {
  it('status: GET /api/migrations with the filters, the key header, and a Format-Table', async () => {
    const f = fakeIo(() => ({ json: [record()] }), {
      MMS_API_URL: 'http://api.test:9',
      MMS_FUNCTION_KEY: 'k1',
    });
    const code = await runCli(
      ['status', '--state', 'succeeded', '--migration-type', 'tosametype', '--start-time', '2026-11-20'],
      f.io,
    );
    assert.equal(code, 0, f.err());
    assert.equal(f.calls.length, 1);
    const call = f.calls[0];
    assert.equal(call?.url.origin + (call?.url.pathname ?? ''), 'http://api.test:9/api/migrations');
    assert.deepEqual(Object.fromEntries(call?.url.searchParams ?? []), {
      state: 'Succeeded',
      migrationType: 'ToSameType',
      startTime: '2026-11-20',
      pageSize: '500',
    });
    assert.equal(call?.headers['x-functions-key'], 'k1');
    const lines = f.out().split('\n');
    assert.match(lines[0] ?? '', /^UserPrincipalName\s+State\s+MigrationType\s+RetryCount/);
    assert.match(
      lines[2] ?? '',
      /^aino\.makinen@contoso\.onmicrosoft\.com\s+Succeeded\s+ToSameType\s+0\s+11\s+8\s+0\s+8\s/,
    );
  });

  it('status --summary and --json print the summary table, and the raw JSON', async () => {
    const f = fakeIo(() => ({ json: summary(0, 1, 2, 3) }));
    assert.equal(
      await runCli(['--url', 'http://x.test', 'status', '--summary', '--identity', 'a@b.c'], f.io),
      0,
    );
    assert.equal(f.calls[0]?.url.searchParams.get('summaryOnly'), 'true');
    assert.equal(f.calls[0]?.url.searchParams.get('userId'), 'a@b.c');
    assert.match(
      f.out(),
      /^State\s+UserCount\n-----\s+---------\nPending\s+0\nInProgress\s+1\nSucceeded\s+2\nFailed\s+3\n$/,
    );
    const g = fakeIo(() => ({ json: summary(0, 1, 2, 3) }));
    assert.equal(await runCli(['status', '--summary', '--json'], g.io), 0);
    assert.deepEqual(JSON.parse(g.out()), summary(0, 1, 2, 3));
  });

  it('start: POST /api/migrations with the canonical meeting types; says what happened', async () => {
    const f = fakeIo(() => ({
      status: 202,
      json: record({ state: 'Pending', lastMessage: 'Migration requested (manualStart).' }),
      headers: { 'x-mms-request-outcome': 'merged' },
    }));
    assert.equal(
      await runCli(
        ['start', 'aino.makinen@contoso.onmicrosoft.com', '--source', 'sfb', '--target', 'current'],
        f.io,
      ),
      0,
    );
    assert.equal(f.calls[0]?.method, 'POST');
    assert.deepEqual(f.calls[0]?.body, {
      identity: 'aino.makinen@contoso.onmicrosoft.com',
      sourceMeetingType: 'SfB',
      targetMeetingType: 'Current',
    });
    assert.match(f.out(), /^Merged into the pending migration for aino\.makinen@contoso\.onmicrosoft\.com/);
    assert.match(f.out(), /Pending\s+ToSameType/);
  });

  it('meetings: pages through every result and lists outcome and reason', async () => {
    const page = (meetings: unknown[], token?: string) => ({
      userId: 'u',
      userPrincipalName: 'a@b.c',
      correlationId: 'c',
      state: 'Succeeded',
      meetings,
      ...(token ? { continuationToken: token } : {}),
    });
    const f = fakeIo((c) =>
      c.url.searchParams.get('continuationToken') === 'T2'
        ? {
            json: page([
              {
                eventId: '2',
                subject: 'Two',
                start: '2027-01-02T10:00:00Z',
                blockKind: 'skype',
                outcome: 'failed',
                errorCode: 'graphForbidden',
                errorMessage: 'denied',
              },
            ]),
          }
        : {
            json: page(
              [
                {
                  eventId: '1',
                  subject: 'One',
                  start: '2027-01-01T10:00:00Z',
                  blockKind: 'teams',
                  outcome: 'skipped',
                  reason: 'copiedBlock',
                },
              ],
              'T2',
            ),
          },
    );
    assert.equal(await runCli(['meetings', 'a@b.c'], f.io), 0, f.err());
    assert.equal(f.calls.length, 2);
    assert.equal(f.calls[0]?.url.pathname, '/api/migrations/a%40b.c/meetings');
    assert.match(f.out(), /^a@b\.c: Succeeded, migration c: 1 skipped, 1 failed\./);
    assert.match(f.out(), /2027-01-01 10:00 +One\s+teams skipped copiedBlock/);
    assert.match(f.out(), /2027-01-02 10:00 +Two\s+skype failed\s+graphForbidden: denied/);
  });

  it('watch: redraws until nothing is Pending or InProgress, then exits 0', async () => {
    let round = 0;
    const f = fakeIo((c) => {
      if (c.url.searchParams.get('summaryOnly')) {
        round++;
        return { json: round < 3 ? summary(1, 1, 0, 0) : summary(0, 0, 2, 0) };
      }
      const state = c.url.searchParams.get('state');
      if (round < 3 && state)
        return { json: [record({ state, userId: state, userPrincipalName: `${state}@x.y` })] };
      return { json: [] };
    });
    assert.equal(await runCli(['watch', '--interval', '0.2'], f.io), 0, f.err());
    assert.equal(round, 3);
    assert.equal(f.sleeps(), 2);
    assert.match(f.out(), /Users in progress \(2\):/);
    assert.match(f.out(), /InProgress@x\.y\s+InProgress/);
    assert.match(f.out(), /Nothing is Pending or InProgress\.\n$/);
  });

  it('settings set: PATCHes only the groups given, then shows every setting', async () => {
    const f = fakeIo((c) =>
      c.url.pathname.endsWith('/migration')
        ? { json: { meetingMigrationEnabled: false } }
        : { json: { automaticallyMigrateUserMeetings: true, automaticallyReplaceAcpProvider: false } },
    );
    assert.equal(await runCli(['settings', 'set', '--meeting-migration-enabled', 'false'], f.io), 0, f.err());
    const patches = f.calls.filter((c) => c.method === 'PATCH');
    assert.equal(patches.length, 1);
    assert.deepEqual(patches[0]?.body, { meetingMigrationEnabled: false });
    assert.match(f.out(), /MeetingMigrationEnabled\s+: False/);
    assert.match(f.out(), /AutomaticallyReplaceAcpProvider\s+: False/);
  });

  it('dial-in set: PATCH body from the options (default number → null)', async () => {
    const view = {
      userId: 'u',
      userPrincipalName: 'a@b.c',
      provider: 'Microsoft',
      enabled: true,
      bridgeId: null,
      bridgeName: null,
      tollNumber: '+14255550100',
      tollFreeNumber: null,
      conferenceId: '123456789',
    };
    const f = fakeIo(() => ({
      json: {
        dialIn: view,
        changes: ['conferenceIdChanged'],
        migration: { outcome: 'queued', state: 'Pending', migrationType: 'ToSameType', correlationId: 'c' },
      },
    }));
    assert.equal(
      await runCli(
        ['dial-in', 'a@b.c', 'set', '--reset-conference-id', '--toll', 'default', '--enabled', 'yes'],
        f.io,
      ),
      0,
      f.err(),
    );
    assert.equal(f.calls[0]?.method, 'PATCH');
    assert.deepEqual(f.calls[0]?.body, { resetConferenceId: true, tollNumber: null, enabled: true });
    assert.match(f.out(), /ConferenceId\s+: 123456789/);
    assert.match(f.out(), /Migration queued \(ToSameType, Pending, correlation id c\)/);
  });

  it('upgrade: PUT the mode in its canonical spelling', async () => {
    const f = fakeIo(() => ({
      json: {
        userId: 'u',
        userPrincipalName: 'a@b.c',
        mode: 'TeamsOnly',
        previousMode: null,
        migration: { outcome: 'none', why: 'not migrating' },
        note: 'Heads up.',
      },
    }));
    assert.equal(await runCli(['upgrade', 'a@b.c', 'teamsonly'], f.io), 0, f.err());
    assert.equal(f.calls[0]?.method, 'PUT');
    assert.deepEqual(f.calls[0]?.body, { mode: 'TeamsOnly' });
    assert.match(
      f.out(),
      /a@b\.c: Teams upgrade mode \(none\) → TeamsOnly\.\nNo migration: not migrating\nHeads up\./,
    );
  });

  it('help marks required arguments as required', async () => {
    const f = fakeIo(() => ({ json: [] }));
    await runCli(['upgrade', '--help'], f.io);
    assert.match(f.out() + f.err(), /identity\s+the user \(a UPN or an object id\) \(required\)/);
  });

  it('homing: PUT the location and print the migration it triggered', async () => {
    const f = fakeIo(() => ({
      json: {
        userId: 'u',
        userPrincipalName: 'a@b.c',
        location: 'online',
        previousLocation: 'onPremises',
        migration: {
          outcome: 'queued',
          trigger: 'homedOnline',
          state: 'Pending',
          migrationType: 'SfbToTeams',
          correlationId: 'c',
          notBefore: null,
          lastMessage: 'queued',
        },
      },
    }));
    assert.equal(await runCli(['homing', 'a@b.c', 'ONLINE'], f.io), 0, f.err());
    assert.equal(f.calls[0]?.method, 'PUT');
    assert.equal(f.calls[0]?.url.pathname, '/api/users/a%40b.c/homing');
    assert.deepEqual(f.calls[0]?.body, { location: 'online' });
    assert.match(f.out(), /a@b\.c: homed onPremises → online\.\nMigration queued \(SfbToTeams, Pending/);
    assert.equal(await runCli(['homing', 'a@b.c', 'cloud'], f.io), 1);
  });

  describe('bad command lines exit 1 naming the problem, without calling the API', () => {
    const cases: [string[], RegExp][] = [
      [['status', '--bogus'], /unknown option '--bogus'/],
      [
        ['status', '--state', 'Done'],
        /option '--state <state>' argument 'Done' is invalid\. Must be one of Pending/,
      ],
      [['status', '--start-time', 'monday'], /'--start-time <iso>' argument 'monday' is invalid/],
      [['start'], /give the <identity> to migrate, or --file, --group or --service-plan/],
      [
        ['start', 'a@b.c', '--target', 'Skype'],
        /'--target <type>' argument 'Skype' is invalid\. Must be one of Current, Teams/,
      ],
      [['watch', '--interval', 'fast'], /'--interval <seconds>' argument 'fast' is invalid/],
      [['settings', 'set'], /needs at least one of --meeting-migration-enabled/],
      [['settings', 'get', '--meeting-migration-enabled', 'true'], /use `settings set/],
      [
        ['settings', 'change'],
        /value 'change' is invalid for argument 'action'\. Allowed choices are get, set/,
      ],
      [['dial-in', 'a@b.c', '--enabled', 'false'], /use `dial-in <identity> set/],
      [['dial-in', 'a@b.c', 'set', '--conference-id', '12345', '--reset-conference-id'], /not both/],
      [['dial-in', 'a@b.c', 'set', '--bridge', 'nope'], /Must be a bridge id/],
      [
        ['upgrade', 'a@b.c', 'Teams'],
        /value 'Teams' is invalid for argument 'mode'\. Must be one of Islands/,
      ],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [
        ['bridges', 'add', BRIDGE_ID, '+14255550199', '--type', 'premium', '--city', 'A', '--country', 'B'],
        /option '--type <type>' argument 'premium' is invalid\. Must be one of toll, tollFree\./,
      ],
      [
        ['bridges', 'add', BRIDGE_ID, '555-0199', '--type', 'toll', '--city', 'A', '--country', 'B'],
        /value '555-0199' is invalid for argument 'number'\. Must be an E\.164 number/,
      ],
      [
        ['bridges', 'add', 'main-bridge', '+14255550199', '--type', 'toll', '--city', 'A', '--country', 'B'],
        /value 'main-bridge' is invalid for argument 'bridgeId'\. Must be a bridge id/,
      ],
      [
        ['bridges', 'add', BRIDGE_ID, '+14255550199', '--type', 'toll', '--country', 'B'],
        /required option '--city <city>' not specified/,
      ],
      [
        ['bridges', 'add', BRIDGE_ID, '+14255550199', '--type', 'toll', '--city', ' ', '--country', 'B'],
        /option '--city <city>' argument ' ' is invalid\. Must not be empty\./,
      ],
      [
        [
          'bridges',
          'add',
          BRIDGE_ID,
          '+1425555019',
          '--type',
          'toll',
          '--city',
          'A',
          '--country',
          'B',
          '--languages',
          'en_US',
        ],
        /option '--languages <tags>' argument 'en_US' is invalid\. Must be comma-separated language tags/,
      ],
      [['bridges', 'remove', BRIDGE_ID], /missing required argument 'number'/],
      [['bridges', 'remove'], /missing required arguments 'bridgeId', 'number'/],
      [['upgrade'], /missing required arguments 'identity', 'mode'/],
      [['bridges', 'remove', BRIDGE_ID, 'tel:12'], /value 'tel:12' is invalid for argument 'number'/],
    ];
    for (const [argv, expected] of cases) {
      it(argv.join(' '), async () => {
        const f = fakeIo(() => ({ json: [] }));
        assert.equal(await runCli(argv, f.io), 1);
        assert.match(f.err(), expected);
        assert.equal(f.calls.length, 0, 'no request was sent');
      });
    }
  });

  it("prints the API's error as `error <code>: <message>` and exits 1", async () => {
    const f = fakeIo(() => ({
      status: 404,
      json: { error: { code: 'userNotFound', message: 'No user "x@y.z" in the directory.' } },
    }));
    assert.equal(await runCli(['status', '--identity', 'x@y.z'], f.io), 1);
    assert.equal(f.err(), 'error userNotFound: No user "x@y.z" in the directory.\n');
    assert.equal(f.out(), '');
  });

  it('explains a refused function key (the host answers 401 with no body)', async () => {
    const f = fakeIo(() => ({ status: 401, text: '' }));
    assert.equal(await runCli(['status'], f.io), 1);
    assert.match(
      f.err(),
      /^error unauthorized: the function key was refused; pass the right one with --key or MMS_FUNCTION_KEY .*\(HTTP 401\)\n$/,
    );
  });

  it('hints at `npm start` when nothing answers', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7071'), { code: 'ECONNREFUSED' }),
    });
    const f = fakeIo(() => refused);
    assert.equal(await runCli(['bridges'], f.io), 1);
    assert.match(f.err(), /^error: cannot reach http:\/\/127\.0\.0\.1:7071: .*ECONNREFUSED/);
    assert.match(f.err(), /hint: is `npm start` running\?/);
  });

  it('refuses an answer it cannot rely on instead of printing nonsense', async () => {
    const f = fakeIo(() => ({ json: [{ userPrincipalName: 'a@b.c', state: 'Done' }] }));
    assert.equal(await runCli(['status'], f.io), 1);
    assert.match(
      f.err(),
      /^error: unexpected answer from http:\/\/127\.0\.0\.1:7071\/api\/migrations\?pageSize=500: value\.0\.userId/,
    );
  });
});

describe('mms status paging', () => {
  it('follows the continuation tokens (500 a page, filters on every page) and prints every record', async () => {
    // Tokens the CLI must send back exactly as received, whatever they contain.
    const tokens = ['t1+/=&x y', 't2%2B'];
    const f = fakeIo((c) => {
      const token = c.url.searchParams.get('continuationToken');
      const page =
        token === null
          ? { value: [record({ userId: 'u3', userPrincipalName: 'c@x.y' })], continuationToken: tokens[0] }
          : token === tokens[0]
            ? { value: [], continuationToken: tokens[1] }
            : token === tokens[1]
              ? { value: [record({ userId: 'u1', userPrincipalName: 'a@x.y' })] }
              : undefined;
      return page
        ? { json: page }
        : { status: 400, json: { error: { code: 'invalidParameter', message: token ?? '' } } };
    });
    assert.equal(await runCli(['status', '--state', 'failed'], f.io), 0, f.err());
    assert.equal(f.calls.length, 3);
    assert.deepEqual(
      f.calls.map((c) => Object.fromEntries(c.url.searchParams)),
      [
        { state: 'Failed', pageSize: '500' },
        { state: 'Failed', pageSize: '500', continuationToken: tokens[0] },
        { state: 'Failed', pageSize: '500', continuationToken: tokens[1] },
      ],
    );
    const rows = f
      .out()
      .split('\n')
      .slice(2)
      .filter((l) => l !== '')
      .map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(rows, ['a@x.y', 'c@x.y'], 'every page, sorted by UPN');

    const g = fakeIo((c) =>
      c.url.searchParams.get('continuationToken') === null
        ? { json: { value: [record({ userId: 'u2', userPrincipalName: 'b@x.y' })], continuationToken: 'n' } }
        : { json: { value: [record({ userId: 'u1', userPrincipalName: 'a@x.y', extra: 1 })] } },
    );
    assert.equal(await runCli(['status', '--json'], g.io), 0, g.err());
    const printed = JSON.parse(g.out()) as { userPrincipalName: string; extra?: number }[];
    assert.deepEqual(
      printed.map((r) => [r.userPrincipalName, r.extra]),
      [
        ['a@x.y', 1],
        ['b@x.y', undefined],
      ],
      '--json: one array of every record as the API sent it',
    );
  });

  it('stops with an error instead of looping when a token comes back twice', async () => {
    const f = fakeIo(() => ({ json: { value: [], continuationToken: 'same' } }));
    assert.equal(await runCli(['status'], f.io), 1);
    assert.match(f.err(), /a continuation token came back twice/);
    assert.equal(f.calls.length, 2);
  });

  it('an error on a later page is reported like any API error', async () => {
    const f = fakeIo((c) =>
      c.url.searchParams.get('continuationToken') === null
        ? { json: { value: [record()], continuationToken: 'old' } }
        : {
            status: 400,
            json: {
              error: { code: 'invalidParameter', message: 'Parameter "continuationToken": is not a token' },
            },
          },
    );
    assert.equal(await runCli(['status'], f.io), 1);
    assert.equal(f.err(), 'error invalidParameter: Parameter "continuationToken": is not a token\n');
    assert.equal(f.out(), '');
  });
});

describe('mms bridges add / remove', () => {
  it('add: POST /api/bridges/{id}/numbers/{number} with type, city, country and languages', async () => {
    const f = fakeIo(() => ({
      status: 201,
      json: bridge([{ number: '+14255550199', type: 'tollFree' }]),
    }));
    const code = await runCli(
      [
        'bridges',
        'add',
        BRIDGE_ID,
        '+14255550199',
        '--type',
        'TOLLFREE',
        '--city',
        ' Seattle ',
        '--country',
        'US',
        '--languages',
        'en-US, fr-FR',
      ],
      f.io,
    );
    assert.equal(code, 0, f.err());
    const call = f.calls[0];
    assert.equal(call?.method, 'POST');
    assert.equal(call?.url.pathname, `/api/bridges/${BRIDGE_ID}/numbers/%2B14255550199`);
    assert.equal(call?.headers['content-type'], 'application/json');
    assert.deepEqual(call?.body, {
      type: 'tollFree',
      city: 'Seattle',
      country: 'US',
      languages: ['en-US', 'fr-FR'],
    });
    assert.match(
      f.out(),
      /^Added \+14255550199 \(tollFree, Seattle, US\) to bridge "Contoso main" \(6b0e2f0a-/,
    );
    assert.match(f.out(), /\+14255550199\s+tollFree\s+Seattle\s+US\s+en-US, fr-FR/);
  });

  it('add without --languages sends none; a taken number shows the API error', async () => {
    const f = fakeIo(() => ({
      status: 409,
      json: {
        error: {
          code: 'numberAlreadyRegistered',
          message: '+14255550100 is already a number of bridge "Contoso main".',
        },
      },
    }));
    const code = await runCli(
      ['bridges', 'add', BRIDGE_ID, 'tel:+14255550100', '--type', 'toll', '--city', 'R', '--country', 'US'],
      f.io,
    );
    assert.equal(code, 1);
    assert.deepEqual(f.calls[0]?.body, { type: 'toll', city: 'R', country: 'US' });
    assert.equal(f.calls[0]?.url.pathname, `/api/bridges/${BRIDGE_ID}/numbers/tel%3A%2B14255550100`);
    assert.equal(
      f.err(),
      'error numberAlreadyRegistered: +14255550100 is already a number of bridge "Contoso main".\n',
    );
  });

  it('remove: DELETE, then the re-pointed users and their migration outcomes', async () => {
    const f = fakeIo(() => ({
      json: {
        bridge: bridge(),
        removedNumber: '+14255550199',
        users: [
          {
            userId: 'u1',
            userPrincipalName: 'ada@contoso.com',
            tollNumber: '+14255550100',
            migration: {
              outcome: 'queued',
              trigger: 'serviceNumberUnassigned',
              state: 'Pending',
              migrationType: 'ToSameType',
              correlationId: 'c-1',
              notBefore: null,
              lastMessage: 'Waiting to start.',
              decisions: [],
            },
          },
          {
            userId: 'u2',
            userPrincipalName: 'bob@contoso.com',
            tollFreeNumber: null,
            migration: { outcome: 'none', why: 'meeting migration is turned off for the tenant.' },
          },
        ],
        summary: { repointedUsers: 2, migrationsRequested: 1 },
      },
    }));
    assert.equal(await runCli(['bridges', 'remove', BRIDGE_ID, '14255550199'], f.io), 0, f.err());
    assert.equal(f.calls[0]?.method, 'DELETE');
    assert.equal(f.calls[0]?.url.pathname, `/api/bridges/${BRIDGE_ID}/numbers/14255550199`);
    assert.equal(f.calls[0]?.body, undefined);
    assert.equal(
      f.out(),
      [
        `Removed +14255550199 from bridge "Contoso main" (${BRIDGE_ID}).`,
        '2 users re-pointed to the bridge default; 1 migration requested.',
        '  ada@contoso.com → toll +14255550100: Migration queued (ToSameType, Pending, correlation id c-1). Waiting to start.',
        '  bob@contoso.com → toll-free (none): No migration: meeting migration is turned off for the tenant.',
        '',
      ].join('\n'),
    );
  });

  it('remove: says so when nobody had the number; --json prints the answer as is', async () => {
    const answer = {
      bridge: bridge(),
      removedNumber: '+14255550199',
      users: [],
      summary: { repointedUsers: 0, migrationsRequested: 0 },
    };
    const f = fakeIo(() => ({ json: answer }));
    assert.equal(await runCli(['bridges', 'remove', BRIDGE_ID, '+14255550199'], f.io), 0, f.err());
    assert.match(f.out(), /\nNo user had it as a default number\.\n$/);
    const g = fakeIo(() => ({ json: answer }));
    assert.equal(await runCli(['--json', 'bridges', 'remove', BRIDGE_ID, '+14255550199'], g.io), 0);
    assert.deepEqual(JSON.parse(g.out()), answer);
  });

  it('remove: the default number refused (409) and an answer without outcomes are errors', async () => {
    const f = fakeIo(() => ({
      status: 409,
      json: { error: { code: 'defaultNumber', message: '+14255550100 is the default toll number.' } },
    }));
    assert.equal(await runCli(['bridges', 'remove', BRIDGE_ID, '+14255550100'], f.io), 1);
    assert.equal(f.err(), 'error defaultNumber: +14255550100 is the default toll number.\n');
    const g = fakeIo(() => ({
      json: {
        bridge: bridge(),
        removedNumber: '+14255550199',
        users: [{ userId: 'u1', userPrincipalName: 'a@b.c' }],
        summary: { repointedUsers: 1, migrationsRequested: 1 },
      },
    }));
    assert.equal(await runCli(['bridges', 'remove', BRIDGE_ID, '+14255550199'], g.io), 1);
    assert.match(g.err(), /^error: unexpected answer from .*\/numbers\/%2B14255550199: users\.0\.migration/);
    assert.equal(g.out(), '');
  });

  it('bridges alone still lists (GET /api/bridges)', async () => {
    const f = fakeIo(() => ({ json: [bridge()] }));
    assert.equal(await runCli(['bridges'], f.io), 0, f.err());
    assert.equal(f.calls[0]?.method, 'GET');
    assert.equal(f.calls[0]?.url.pathname, '/api/bridges');
    assert.match(f.out(), /Contoso main \(default\)\s+6b0e2f0a-1111-4111-8111-111111111111\s+\+14255550100/);
  });
});

/**
 * The admin API's input checking, through the function handlers themselves: every bad body, query string or
 * route parameter answers 400 with `{ error: { code, message } }` naming the
 * parameter, before any service runs (the world's stores stay untouched).
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrations, startMigrationBodySchema } from '../../../functions/migrations';
import { migrationStatus } from '../../../functions/migration-status';
import { migrationMeetings } from '../../../functions/migration-meetings';
import {
  resetInfrastructureForTests,
  setInfrastructureForTests,
} from '../../../shared/services/infrastructure';
import {
  meetingResultsQuerySchema,
  migrationListQuerySchema,
} from '../../../shared/services/migration-queries';
import { migrationTypeFor } from '../../../shared/domain/migration-type';
import { identitySchema } from '../../../shared/services/request-migration';
import { context, errorOf, request, World } from './fakes';

let world: World;
beforeEach(() => {
  world = new World();
  setInfrastructureForTests(world.infrastructure());
});
afterEach(() => resetInfrastructureForTests());

async function post(body: string) {
  return migrations(request('POST', '/api/migrations', { body }), context());
}
async function list(query: string) {
  return migrations(request('GET', `/api/migrations${query}`), context());
}

function assertUntouched(): void {
  assert.equal(world.statuses.mutateCalls, 0, 'no status was written');
  assert.equal(world.publisher.sent.length, 0, 'nothing was queued');
  assert.equal(world.directory.calls.length, 0, 'the directory was not asked');
}

describe('POST /api/migrations body', () => {
  const cases: [string, string, string, RegExp][] = [
    ['not JSON', '{"identity": "ada@contoso.com"', 'invalidJson', /not valid JSON/],
    ['empty', '', 'invalidJson', /empty/],
    ['an array', '[{"identity":"ada@contoso.com"}]', 'invalidParameter', /"body": must be a JSON object/],
    ['null', 'null', 'invalidParameter', /"body": must be a JSON object/],
    ['missing identity', '{}', 'invalidParameter', /^Parameter "identity": is required$/],
    ['identity not a string', '{"identity": 42}', 'invalidParameter', /"identity"/],
    ['identity blank', '{"identity": "  "}', 'invalidParameter', /"identity".*empty/],
    [
      'identity a display name',
      '{"identity": "Ada Lovelace"}',
      'invalidParameter',
      /"identity".*UPN|"identity".*principal name/,
    ],
    ['identity domain\\logon', '{"identity": "CONTOSO\\\\ada"}', 'invalidParameter', /"identity"/],
    ['identity a SIP address', '{"identity": "sip:ada@contoso.com"}', 'invalidParameter', /"identity"/],
    [
      'identity with a right-to-left override',
      JSON.stringify({ identity: 'ada\u202Emoc.osotnoc@evil.com' }),
      'invalidParameter',
      /^Parameter "identity": must not contain control or bidirectional-formatting characters \(U\+202E at position 4\)$/,
    ],
    [
      'identity with a control character',
      JSON.stringify({ identity: 'ada\u0007@contoso.com' }),
      'invalidParameter',
      /"identity": must not contain control .*U\+0007/,
    ],
    [
      'identity too long',
      JSON.stringify({ identity: `${'a'.repeat(300)}@contoso.com` }),
      'invalidParameter',
      /^Parameter "identity": is too long \(312 characters\); at most 256 characters$/,
    ],
    [
      'unknown field',
      '{"identity": "ada@contoso.com", "whatIf": true}',
      'invalidParameter',
      /^Parameter "whatIf": is not a known parameter$/,
    ],
    [
      'bad source type',
      '{"identity": "ada@contoso.com", "sourceMeetingType": "Skype"}',
      'invalidParameter',
      /"sourceMeetingType": must be one of All, SfB, Teams, got "Skype"/,
    ],
    [
      'bad target type',
      '{"identity": "ada@contoso.com", "targetMeetingType": "Same"}',
      'invalidParameter',
      /"targetMeetingType": must be one of Current, Teams/,
    ],
    [
      'source type not a string',
      '{"identity": "ada@contoso.com", "sourceMeetingType": ["All"]}',
      'invalidParameter',
      /"sourceMeetingType"/,
    ],
  ];
  for (const [name, body, code, message] of cases) {
    it(`answers 400 for ${name}`, async () => {
      const res = await post(body);
      assert.equal(res.status, 400);
      const error = errorOf(res);
      assert.equal(error.code, code);
      assert.match(error.message, message);
      assertUntouched();
    });
  }

  it('accepts a Teams target, whatever the case, and reports the migration type MMS would', () => {
    for (const [source, type] of [
      ['SfB', 'SfbToTeams'],
      ['all', 'AllToTeams'],
      ['TEAMS', 'TeamsToTeams'],
    ] as const) {
      const r = startMigrationBodySchema.parse({
        identity: 'ada@contoso.com',
        sourceMeetingType: source,
        targetMeetingType: 'teams',
      });
      assert.equal(r.targetMeetingType, 'Teams');
      assert.equal(migrationTypeFor(r.sourceMeetingType ?? 'All', r.targetMeetingType), type);
    }
  });

  it('accepts the meeting types case-insensitively and answers them canonically', () => {
    const r = startMigrationBodySchema.parse({
      identity: 'Ada@Contoso.com',
      sourceMeetingType: 'sfb',
      targetMeetingType: 'CURRENT',
    });
    assert.deepEqual(r, {
      identity: { kind: 'userPrincipalName', value: 'Ada@Contoso.com' },
      sourceMeetingType: 'SfB',
      targetMeetingType: 'Current',
    });
  });
});

describe('identity forms', () => {
  it('takes a UPN as given and an object id in lower case', () => {
    assert.deepEqual(identitySchema.parse(' ada@contoso.com '), {
      kind: 'userPrincipalName',
      value: 'ada@contoso.com',
    });
    assert.deepEqual(identitySchema.parse('AAAAAAAA-1111-4111-8111-111111111111'), {
      kind: 'objectId',
      value: 'aaaaaaaa-1111-4111-8111-111111111111',
    });
    assert.deepEqual(identitySchema.parse("o'brien+x@sub.contoso.co.uk"), {
      kind: 'userPrincipalName',
      value: "o'brien+x@sub.contoso.co.uk",
    });
  });
  it('refuses everything else', () => {
    for (const bad of [
      '',
      'ada',
      'ada@',
      '@contoso.com',
      'ada@contoso',
      'a da@contoso.com',
      'ada@@contoso.com',
      'ada@contoso.com/x',
      '11111111-1111-4111-8111-11111111111',
      `${'a'.repeat(250)}@contoso.com`,
    ]) {
      assert.equal(identitySchema.safeParse(bad).success, false, `"${bad}" is refused`);
    }
  });
  it('answers 400 naming the route parameter', async () => {
    for (const [handler, path] of [
      [migrationStatus, '/api/migrations/not-a-user'],
      [migrationMeetings, '/api/migrations/not-a-user/meetings'],
    ] as const) {
      const res = await handler(request('GET', path, { params: { identity: 'not a user' } }), context());
      assert.equal(res.status, 400);
      const error = errorOf(res);
      assert.equal(error.code, 'invalidParameter');
      assert.match(error.message, /^Parameter "identity": must be a user principal name/);
    }
    assertUntouched();
  });
});

describe('GET /api/migrations query string', () => {
  const cases: [string, RegExp][] = [
    ['?state=Done', /^Parameter "state": must be one of Pending, InProgress, Succeeded, Failed, got "Done"$/],
    ['?migrationType=SkypeToTeams', /^Parameter "migrationType": must be one of SfbToTeams, TeamsToTeams/],
    ['?startTime=yesterday', /^Parameter "startTime": must be an ISO-8601 date-time/],
    ['?endTime=2026-13-01', /^Parameter "endTime": must be an ISO-8601/],
    ['?startTime=2026-02-30', /^Parameter "startTime"/],
    ['?startTime=2026-11-20T10:00:00', /^Parameter "startTime".*with Z or an offset/],
    [
      '?startTime=2026-11-21T00:00:00Z&endTime=2026-11-20T00:00:00Z',
      /^Parameter "startTime": must not be after endTime/,
    ],
    ['?startTime=2026-11-21&endTime=2026-11-20', /^Parameter "startTime": must not be after endTime/],
    ['?summaryOnly=yes', /^Parameter "summaryOnly": must be true or false/],
    ['?userid=ada@contoso.com', /^Parameter "userid": is not a known parameter$/],
    ['?identity=ada@contoso.com', /^Parameter "identity": is not a known parameter$/],
    ['?userId=Ada%20Lovelace', /^Parameter "userId": must be a user principal name/],
    ['?state=Failed&state=Pending', /^Parameter "state": is given more than once/],
  ];
  for (const [query, message] of cases) {
    it(`answers 400 for ${query}`, async () => {
      const res = await list(query);
      assert.equal(res.status, 400);
      const error = errorOf(res);
      assert.equal(error.code, 'invalidParameter');
      assert.match(error.message, message);
      assertUntouched();
    });
  }

  it('reads the summaryOnly forms like a PowerShell switch', () => {
    const forms: [string, boolean][] = [
      ['', true],
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['false', false],
      ['False', false],
      ['0', false],
    ];
    for (const [value, expected] of forms) {
      assert.equal(
        migrationListQuerySchema.parse({ summaryOnly: value }).summaryOnly,
        expected,
        `"${value}"`,
      );
    }
  });

  it('reads dates: offsets, Z, and whole days (start of day for startTime, end of day for endTime)', () => {
    const q = migrationListQuerySchema.parse({ startTime: '2026-11-20', endTime: '2026-11-20' });
    assert.equal(q.startTime?.toISOString(), '2026-11-20T00:00:00.000Z');
    assert.equal(q.endTime?.toISOString(), '2026-11-20T23:59:59.999Z');
    const o = migrationListQuerySchema.parse({ startTime: '2026-11-20T10:00:00+02:00' });
    assert.equal(o.startTime?.toISOString(), '2026-11-20T08:00:00.000Z');
    const s = migrationListQuerySchema.parse({ state: 'inprogress', migrationType: 'tosametype' });
    assert.equal(s.state, 'InProgress');
    assert.equal(s.migrationType, 'ToSameType');
  });

  it('ignores the function key passed as ?code=', async () => {
    const res = await list('?code=local-dev-key&summaryOnly');
    assert.equal(res.status, 200);
  });
});

describe('GET /api/migrations/{identity}/meetings query string', () => {
  const cases: [string, RegExp][] = [
    ['?pageSize=0', /^Parameter "pageSize": must be at least 1$/],
    ['?pageSize=1001', /^Parameter "pageSize": must be at most 1000$/],
    ['?pageSize=ten', /^Parameter "pageSize": must be a whole number/],
    ['?pageSize=-5', /^Parameter "pageSize": must be a whole number/],
    ['?continuationToken=garbage', /^Parameter "continuationToken": is not a token this API handed out/],
    ['?correlationId=a%20b', /^Parameter "correlationId"/],
    ['?top=5', /^Parameter "top": is not a known parameter$/],
  ];
  for (const [query, message] of cases) {
    it(`answers 400 for ${query}`, async () => {
      const res = await migrationMeetings(
        request('GET', `/api/migrations/ada@contoso.com/meetings${query}`, {
          params: { identity: 'ada@contoso.com' },
        }),
        context(),
      );
      assert.equal(res.status, 400);
      const error = errorOf(res);
      assert.equal(error.code, 'invalidParameter');
      assert.match(error.message, message);
      assertUntouched();
    });
  }

  it('takes a token it handed out', () => {
    const handed = { u: 'user-1', c: 'abc', q: false, k: 'abc|next' };
    const token = Buffer.from(JSON.stringify(handed)).toString('base64url');
    assert.deepEqual(meetingResultsQuerySchema.parse({ continuationToken: token, pageSize: '25' }), {
      continuationToken: handed,
      pageSize: 25,
    });
  });

  it('refuses query parameters on GET /api/migrations/{identity}', async () => {
    const res = await migrationStatus(
      request('GET', '/api/migrations/ada@contoso.com?state=Failed', {
        params: { identity: 'ada@contoso.com' },
      }),
      context(),
    );
    assert.equal(res.status, 400);
    assert.match(errorOf(res).message, /^Parameter "state": is not a known parameter$/);
  });
});

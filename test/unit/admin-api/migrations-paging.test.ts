/**
 * `GET /api/migrations` paging, through the function handler against the in-memory status store (whose
 * continuation tokens are deliberately URL-hostile): without pageSize/continuationToken the answer stays the
 * plain array; with them, `{ value, continuationToken? }` pages that, followed to the end, hold every matching
 * record exactly once; filters apply to every page; bad tokens and summaryOnly with paging answer 400 naming
 * the parameter.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrations } from '../../../functions/migrations';
import { migrationStatusSchema, type MigrationStatus } from '../../../shared/domain/status';
import {
  resetInfrastructureForTests,
  setInfrastructureForTests,
} from '../../../shared/services/infrastructure';
import { ADA, context, errorOf, request, World } from './fakes';

let world: World;
beforeEach(() => {
  world = new World();
  setInfrastructureForTests(world.infrastructure());
});
afterEach(() => resetInfrastructureForTests());

function status(i: number, over: Partial<MigrationStatus> = {}): MigrationStatus {
  const hex = i.toString(16).padStart(12, '0');
  return migrationStatusSchema.parse({
    userId: `aaaaaaaa-0000-4000-8000-${hex}`,
    // UPN order is the reverse of id order, so that the two orders can be told apart.
    userPrincipalName: `user${String(999 - i).padStart(3, '0')}@contoso.com`,
    state: i % 3 === 0 ? 'Failed' : 'Succeeded',
    migrationType: 'ToSameType',
    retryCount: 0,
    lastMessage: 'Done.',
    totalMeeting: 1,
    succeededMeeting: 1,
    failedMeeting: 0,
    invitesUpdate: 1,
    correlationId: `c-${i}`,
    createDate: '2026-11-10T08:00:00.000Z',
    modifiedDate: '2026-11-10T09:00:00.000Z',
    trigger: 'manualStart',
    triggers: ['manualStart'],
    sourceMeetingType: 'All',
    targetMeetingType: 'Current',
    notBefore: null,
    startDate: '2026-11-10T08:00:00.000Z',
    endDate: '2026-11-10T09:00:00.000Z',
    skippedMeeting: 0,
    skipReasons: {},
    failureCodes: {},
    progress: null,
    lastMessageCode: 'succeeded',
    followUp: null,
    ...over,
  });
}

function seed(n: number): MigrationStatus[] {
  const all = Array.from({ length: n }, (_, i) => status(i));
  for (const s of all) world.statuses.rows.set(s.userId, s);
  return all;
}

interface PageBody {
  value: MigrationStatus[];
  continuationToken?: string;
}

function pageOf(body: unknown): PageBody {
  assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), 'a page object');
  const keys = Object.keys(body).sort();
  assert.ok(
    keys.join() === 'value' || keys.join() === 'continuationToken,value',
    `page keys: ${keys.join()}`,
  );
  return body as PageBody;
}

async function get(query: string) {
  return migrations(request('GET', `/api/migrations${query}`), context());
}

/** Follows the tokens from `query` to the end; the token is passed through encodeURIComponent. */
async function allPages(query: string): Promise<PageBody[]> {
  const pages: PageBody[] = [];
  let token: string | undefined;
  do {
    const sep = query === '' ? '?' : '&';
    const res = await get(
      token === undefined ? query : `${query}${sep}continuationToken=${encodeURIComponent(token)}`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.jsonBody));
    const page = pageOf(res.jsonBody);
    pages.push(page);
    token = page.continuationToken;
    assert.ok(pages.length < 100, 'paging ends');
  } while (token !== undefined);
  return pages;
}

describe('GET /api/migrations paging', () => {
  it('without pageSize or continuationToken answers the plain array of every record, by UPN', async () => {
    const all = seed(25);
    const res = await get('');
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.jsonBody), 'a plain array, as Get-CsMeetingMigrationStatus');
    const body = res.jsonBody as MigrationStatus[];
    assert.equal(body.length, 25);
    assert.deepEqual(
      body.map((s) => s.userPrincipalName),
      all.map((s) => s.userPrincipalName).sort(),
    );
    assert.equal(world.statuses.listCalls.length, 0, 'the unpaged answer does not page');
  });

  it('pageSize pages through every record exactly once with a URL-safe token', async () => {
    const all = seed(25);
    const pages = await allPages('?pageSize=10');
    assert.deepEqual(
      pages.map((p) => p.value.length),
      [10, 10, 5],
    );
    for (const p of pages.slice(0, -1)) {
      assert.match(p.continuationToken ?? '', /^[A-Za-z0-9_-]+$/, 'needs no URL encoding');
    }
    const ids = pages.flatMap((p) => p.value.map((s) => s.userId));
    assert.equal(new Set(ids).size, ids.length, 'no record twice');
    assert.deepEqual([...ids].sort(), all.map((s) => s.userId).sort(), 'every record');
    assert.deepEqual(pages[0]?.value[0], all[0], 'records as stored, in storage (user id) order');
    assert.deepEqual(
      world.statuses.listCalls.map((c) => c.pageSize),
      [10, 10, 10],
      'the page size reaches the store',
    );
  });

  it('the token also works passed raw (it is URL-safe) and alone, without pageSize', async () => {
    seed(5);
    const first = pageOf((await get('?pageSize=2')).jsonBody);
    assert.ok(first.continuationToken);
    const next = await get(`?continuationToken=${first.continuationToken}`);
    assert.equal(next.status, 200);
    const rest = pageOf(next.jsonBody);
    assert.equal(rest.value.length, 3, 'the default page size (1000) holds the rest');
    assert.equal(rest.continuationToken, undefined);
    assert.deepEqual(
      [...first.value, ...rest.value].map((s) => s.correlationId),
      ['c-0', 'c-1', 'c-2', 'c-3', 'c-4'],
    );
  });

  it('filters apply to every page: state and startTime go to the store, endTime is applied after', async () => {
    const all = seed(30);
    const late = status(100, {
      createDate: '2026-11-25T08:00:00.000Z',
      modifiedDate: '2026-11-25T09:00:00.000Z',
    });
    world.statuses.rows.set(late.userId, late);
    const failed = all.filter((s) => s.state === 'Failed').map((s) => s.userId);
    const pages = await allPages('?state=failed&pageSize=4&startTime=2026-11-01&endTime=2026-11-20');
    const ids = pages.flatMap((p) => p.value.map((s) => s.userId));
    assert.deepEqual(ids.sort(), failed.sort());
    assert.ok(ids.length === 10 && pages.length === 3);
    const call = world.statuses.listCalls[0];
    assert.equal(call?.state, 'Failed');
    assert.equal(call?.modifiedFrom?.toISOString(), '2026-11-01T00:00:00.000Z');

    const endOnly = await allPages('?pageSize=10&endTime=2026-11-20');
    const endIds = endOnly.flatMap((p) => p.value.map((s) => s.userId));
    assert.equal(endIds.length, 30);
    assert.ok(!endIds.includes(late.userId), 'created after endTime');
  });

  it('userId with pageSize answers one page without a token', async () => {
    seed(3);
    world.statuses.rows.set(ADA.userId, status(50, { ...ADA }));
    world.profiles.add(ADA);
    const res = await get('?userId=ada@contoso.com&pageSize=1');
    assert.equal(res.status, 200);
    assert.deepEqual(
      pageOf(res.jsonBody).value.map((s) => s.userId),
      [ADA.userId],
    );
    assert.equal(pageOf(res.jsonBody).continuationToken, undefined);
  });

  it('summaryOnly=false pages like no summaryOnly', async () => {
    seed(3);
    const res = await get('?summaryOnly=false&pageSize=2');
    assert.equal(res.status, 200);
    assert.equal(pageOf(res.jsonBody).value.length, 2);
  });

  const bad: [string, string, RegExp][] = [
    ['?pageSize=0', 'pageSize', /must be at least 1$/],
    ['?pageSize=1001', 'pageSize', /must be at most 1000$/],
    ['?pageSize=10.5', 'pageSize', /must be a whole number/],
    ['?pageSize=', 'pageSize', /must be a whole number/],
    ['?continuationToken=garbage', 'continuationToken', /is not a token this API handed out/],
    ['?continuationToken=', 'continuationToken', /is not a token this API handed out/],
    [
      // A meetings token ({ c, t }) is not a status-list token.
      `?continuationToken=${Buffer.from(JSON.stringify({ c: 'x', t: 'y' })).toString('base64url')}`,
      'continuationToken',
      /is not a token this API handed out/,
    ],
    [
      // Our wrapper, intact, around a table token the store cannot decode.
      `?continuationToken=${Buffer.from(JSON.stringify({ s: 'forged' })).toString('base64url')}`,
      'continuationToken',
      /is not a token this API handed out/,
    ],
    ['?summaryOnly&pageSize=10', 'pageSize', /cannot be combined with summaryOnly/],
    [
      `?summaryOnly=true&continuationToken=${Buffer.from(JSON.stringify({ s: 'x' })).toString('base64url')}`,
      'continuationToken',
      /cannot be combined with summaryOnly/,
    ],
    ['?pageSize=5&pageSize=6', 'pageSize', /is given more than once/],
  ];
  for (const [query, parameter, message] of bad) {
    it(`answers 400 naming ${parameter} for ${query}`, async () => {
      seed(3);
      const res = await get(query);
      assert.equal(res.status, 400);
      const error = errorOf(res);
      assert.equal(error.code, 'invalidParameter');
      assert.ok(error.message.startsWith(`Parameter "${parameter}": `), error.message);
      assert.match(error.message, message);
    });
  }

  it('summaryOnly still counts every record', async () => {
    seed(1200);
    const res = await get('?summaryOnly');
    assert.equal(res.status, 200);
    assert.deepEqual(res.jsonBody, [
      { state: 'Pending', userCount: 0 },
      { state: 'InProgress', userCount: 0 },
      { state: 'Succeeded', userCount: 800 },
      { state: 'Failed', userCount: 400 },
    ]);
  });
});

/**
 * `GET /api/migrations?pageSize=` against Azurite (the real StatusRepository and Table Storage continuation
 * tokens, under a fresh table prefix): following the tokens through the query string yields every record
 * exactly once, filters hold on every page, and the unpaged answer is still the plain array of them all.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { migrations } from '../../../functions/migrations';
import { requestMigration, type MigrationStatus } from '../../../shared/domain/status';
import {
  resetInfrastructureForTests,
  setInfrastructureForTests,
} from '../../../shared/services/infrastructure';
import { createRepositories } from '../../../shared/storage/repositories';
import { context, request, World } from '../../unit/admin-api/fakes';
import { testTables } from '../../support/tables';

const RECORDS = 23;

describe('GET /api/migrations paging (Azurite)', () => {
  const repositories = createRepositories(testTables('p'));
  const ids: string[] = [];

  before(async () => {
    const now = new Date();
    for (let i = 0; i < RECORDS; i++) {
      const userId = randomUUID();
      ids.push(userId);
      await repositories.status.mutate(userId, (current) => {
        const s = requestMigration(
          current,
          {
            userId,
            userPrincipalName: `u${i}@contoso.com`,
            trigger: 'manualStart',
            correlationId: randomUUID(),
            delayMs: 0,
            sourceMeetingType: 'All',
            targetMeetingType: 'Current',
          },
          now,
        ).status;
        // Every third one Failed, to check a filter across pages.
        return i % 3 === 0 ? { ...s, state: 'Failed' } : s;
      });
    }
    setInfrastructureForTests({ ...new World().infrastructure(), repositories });
  });
  after(() => resetInfrastructureForTests());

  async function follow(query: string): Promise<{ pages: number; records: MigrationStatus[] }> {
    const records: MigrationStatus[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const params = new URLSearchParams(query);
      if (token !== undefined) params.set('continuationToken', token);
      const res = await migrations(request('GET', `/api/migrations?${params.toString()}`), context());
      assert.equal(res.status, 200, JSON.stringify(res.jsonBody));
      const body = res.jsonBody as { value: MigrationStatus[]; continuationToken?: string };
      assert.ok(Array.isArray(body.value), 'a page');
      records.push(...body.value);
      token = body.continuationToken;
      pages++;
      assert.ok(pages <= RECORDS + 1, 'paging ends');
    } while (token !== undefined);
    return { pages, records };
  }

  it('pages over more records than a page holds, yielding each exactly once', async () => {
    const { pages, records } = await follow('pageSize=7');
    assert.ok(pages >= 4, `at least ${Math.ceil(RECORDS / 7)} pages, got ${pages}`);
    const seen = records.map((s) => s.userId);
    assert.equal(new Set(seen).size, seen.length, 'no record twice');
    assert.deepEqual([...seen].sort(), [...ids].sort(), 'every record');
  });

  it('keeps a filter on every page', async () => {
    const { records } = await follow('pageSize=3&state=Failed');
    const expected = ids.filter((_, i) => i % 3 === 0);
    assert.deepEqual(records.map((s) => s.userId).sort(), [...expected].sort());
  });

  it('answers 400 naming continuationToken for a token whose table part was tampered with', async () => {
    const forged = Buffer.from(JSON.stringify({ s: 'not-a-table-token' })).toString('base64url');
    const res = await migrations(
      request('GET', `/api/migrations?pageSize=5&continuationToken=${forged}`),
      context(),
    );
    assert.equal(res.status, 400, JSON.stringify(res.jsonBody));
    const { error } = res.jsonBody as { error: { code: string; message: string } };
    assert.equal(error.code, 'invalidParameter');
    assert.match(error.message, /^Parameter "continuationToken": /);
  });

  it('without paging parameters still answers the plain array of every record', async () => {
    const res = await migrations(request('GET', '/api/migrations'), context());
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.jsonBody));
    assert.equal((res.jsonBody as MigrationStatus[]).length, RECORDS);
  });

  it('search and orderBy: pages of the sorted result with totalCount, each record once, in order', async () => {
    // u1, u10..u19: the 11 records whose UPN contains "u1" (case-insensitive), by UPN descending.
    const { pages, records } = await follow('pageSize=4&search=U1&orderBy=userPrincipalName%20desc');
    const expected = Array.from({ length: RECORDS }, (_, i) => `u${i}@contoso.com`)
      .filter((u) => u.includes('u1'))
      .sort((a, b) => b.localeCompare(a));
    assert.deepEqual(
      records.map((s) => s.userPrincipalName),
      expected,
    );
    assert.equal(pages, Math.ceil(expected.length / 4));
    const first = await migrations(request('GET', '/api/migrations?pageSize=4&search=u1'), context());
    assert.equal((first.jsonBody as { totalCount: number }).totalCount, expected.length);
  });

  it('orderBy state puts states in their lifecycle order, ties by UPN; unpaged it is the plain array', async () => {
    const res = await migrations(request('GET', '/api/migrations?orderBy=STATE'), context());
    assert.equal(res.status, 200, JSON.stringify(res.jsonBody));
    const list = res.jsonBody as MigrationStatus[];
    assert.ok(Array.isArray(list));
    assert.equal(list.length, RECORDS);
    const order = ['Pending', 'InProgress', 'Succeeded', 'Failed'];
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1];
      const b = list[i];
      assert.ok(a && b);
      const c = order.indexOf(a.state) - order.indexOf(b.state);
      assert.ok(c < 0 || (c === 0 && a.userPrincipalName.localeCompare(b.userPrincipalName) < 0), `${i}`);
    }
  });

  it('refuses an unknown sort field, a token of the other kind, and orderBy with summaryOnly (400 naming it)', async () => {
    const offsetToken = Buffer.from(JSON.stringify({ o: 4 })).toString('base64url');
    const tableToken = Buffer.from(JSON.stringify({ s: 'x' })).toString('base64url');
    for (const [query, parameter] of [
      ['orderBy=colour', 'orderBy'],
      ['orderBy=state%20sideways', 'orderBy'],
      [`pageSize=2&continuationToken=${offsetToken}`, 'continuationToken'],
      [`pageSize=2&orderBy=state&continuationToken=${tableToken}`, 'continuationToken'],
      ['summaryOnly&orderBy=state', 'orderBy'],
      ['search=', 'search'],
    ] as const) {
      const res = await migrations(request('GET', `/api/migrations?${query}`), context());
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.jsonBody)}`);
      const { error } = res.jsonBody as { error: { code: string; message: string } };
      assert.match(error.message, new RegExp(`^Parameter "${parameter}": `), query);
    }
  });
});

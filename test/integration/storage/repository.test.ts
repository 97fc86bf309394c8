/**
 * The repository base against Azurite (TEST_TABLES_CONNECTION_STRING from test/run.ts). Every run uses its own
 * random table prefix, so this file can run next to any other.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { z } from 'zod';
import type { Config } from '../../../shared/config';
import {
  ConcurrencyError,
  ConflictError,
  decodeKey,
  encodeKey,
  EntityNotFoundError,
  EntitySchemaError,
  filter,
  InvalidKeyError,
  jsonColumn,
  TableRepository,
  validateKey,
} from '../../../shared/storage/repository';
import {
  createTableClient,
  isInsecureConnectionString,
  TableNameError,
  tableName,
} from '../../../shared/storage/tables';
import { testTables, testTablesConnectionString } from '../../support/tables';

const connectionString = testTablesConnectionString();

const settings: Pick<Config, 'tables' | 'tablesPrefix'> = testTables('t');

const itemSchema = z.object({
  name: z.string(),
  count: z.number().int(),
  tags: jsonColumn(z.array(z.string())).optional(),
  note: z.string().optional(),
  big: z.number().int().optional(),
  at: z.iso.datetime().optional(),
});
type Item = z.output<typeof itemSchema>;

class ItemRepository extends TableRepository<typeof itemSchema> {
  constructor(logicalName: string) {
    super({ settings, logicalName, schema: itemSchema });
  }
}

let seq = 0;
/** A fresh table per test, so tests are independent. */
function freshRepo(): ItemRepository {
  seq += 1;
  return new ItemRepository(`Items${seq}`);
}

async function rejectsWith<E extends Error>(
  p: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

describe('table repository (Azurite)', () => {
  const cleanup: TableClient[] = [];
  after(async () => {
    await Promise.all(cleanup.map((c) => c.deleteTable().catch(() => undefined)));
  });
  const repo = () => {
    const r = freshRepo();
    cleanup.push(
      TableClient.fromConnectionString(connectionString, r.tableName, { allowInsecureConnection: true }),
    );
    return r;
  };

  it('creates, reads, replaces, merges, upserts and deletes entities', async () => {
    const r = repo();
    assert.equal(await r.tryGet('p', 'missing'), undefined);
    await rejectsWith(r.get('p', 'missing'), EntityNotFoundError);

    const created = await r.insert('p', 'r1', { name: 'first', count: 1, tags: ['a', 'b'] });
    assert.ok(created.etag.length > 0);
    const read = await r.get('p', 'r1');
    assert.equal(read.partitionKey, 'p');
    assert.equal(read.rowKey, 'r1');
    assert.equal(read.name, 'first');
    assert.deepEqual(read.tags, ['a', 'b']);
    assert.equal(read.etag, created.etag);
    assert.ok(read.timestamp && !Number.isNaN(Date.parse(read.timestamp)), 'timestamp is an ISO string');

    const replaced = await r.replace('p', 'r1', { name: 'second', count: 2 }, read.etag);
    assert.notEqual(replaced.etag, read.etag);
    const afterReplace = await r.get('p', 'r1');
    assert.equal(afterReplace.name, 'second');
    assert.equal(afterReplace.tags, undefined, 'replace drops properties not given');

    const merged = await r.merge('p', 'r1', { note: 'kept name' }, afterReplace.etag);
    const afterMerge = await r.get('p', 'r1');
    assert.equal(afterMerge.etag, merged.etag);
    assert.deepEqual(
      { name: afterMerge.name, count: afterMerge.count, note: afterMerge.note },
      { name: 'second', count: 2, note: 'kept name' },
    );

    await r.upsert('p', 'r2', { name: 'up', count: 5 });
    await r.upsert('p', 'r2', { name: 'up again', count: 6 });
    assert.equal((await r.get('p', 'r2')).name, 'up again');

    assert.equal(await r.delete('p', 'r2'), true);
    assert.equal(await r.delete('p', 'r2'), false);
    assert.equal(await r.tryGet('p', 'r2'), undefined);
    await rejectsWith(r.replace('p', 'r2', { name: 'x', count: 0 }, '*'), EntityNotFoundError);
  });

  it('writeBatch upserts and deletes rows of one partition in one transaction, all or nothing', async () => {
    const r = repo();
    await r.upsert('p', 'old', { name: 'old', count: 0 });
    await r.writeBatch('p', [
      { kind: 'upsert', rowKey: 'a', value: { name: 'a', count: 1 } },
      { kind: 'upsert', rowKey: 'b', value: { name: 'b', count: 2, tags: ['x'] } },
      { kind: 'delete', rowKey: 'old' },
    ]);
    assert.deepEqual((await r.get('p', 'b')).tags, ['x']);
    assert.equal((await r.get('p', 'a')).count, 1);
    assert.equal(await r.tryGet('p', 'old'), undefined);
    // A delete of a missing row fails the transaction, and nothing of it is written.
    await assert.rejects(
      r.writeBatch('p', [
        { kind: 'upsert', rowKey: 'c', value: { name: 'c', count: 3 } },
        { kind: 'delete', rowKey: 'never-there' },
      ]),
    );
    assert.equal(await r.tryGet('p', 'c'), undefined, 'all or nothing');
    // Alone, it is no error (as delete()).
    await r.writeBatch('p', [{ kind: 'delete', rowKey: 'never-there' }]);
    await assert.rejects(
      r.writeBatch('p', [
        { kind: 'delete', rowKey: 'a' },
        { kind: 'delete', rowKey: 'a' },
      ]),
      /twice/,
    );
  });

  it('rejects a second insert of the same keys with ConflictError', async () => {
    const r = repo();
    await r.insert('p', 'dup', { name: 'one', count: 1 });
    const e = await rejectsWith(r.insert('p', 'dup', { name: 'two', count: 2 }), ConflictError);
    assert.equal(e.table, r.tableName);
    assert.equal((await r.get('p', 'dup')).name, 'one', 'the first value is kept');
  });

  it('detects a lost update: two writers with the same etag, the second gets ConcurrencyError', async () => {
    const r = repo();
    await r.insert('p', 'x', { name: 'base', count: 0 });
    const a = await r.get('p', 'x');
    const b = await r.get('p', 'x');
    await r.replace('p', 'x', { name: 'writer A', count: 1 }, a.etag);
    await rejectsWith(r.replace('p', 'x', { name: 'writer B', count: 1 }, b.etag), ConcurrencyError);
    await rejectsWith(r.merge('p', 'x', { note: 'B' }, b.etag), ConcurrencyError);
    await rejectsWith(r.delete('p', 'x', { etag: b.etag }), ConcurrencyError);
    const now = await r.get('p', 'x');
    assert.equal(now.name, 'writer A');
    assert.equal(now.note, undefined);
    assert.equal(await r.delete('p', 'x', { etag: now.etag }), true);
  });

  it('mutate() retries on conflicts so that every concurrent change lands', async () => {
    const r = repo();
    await r.insert('p', 'counter', { name: 'c', count: 0, tags: [] });
    const writers = 8;
    await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        r.mutate(
          'p',
          'counter',
          (cur) => ({ ...cur, count: cur.count + 1, tags: [...(cur.tags ?? []), `w${i}`] }),
          { maxAttempts: 50 },
        ),
      ),
    );
    const final = await r.get('p', 'counter');
    assert.equal(final.count, writers);
    assert.deepEqual(
      [...(final.tags ?? [])].sort(),
      Array.from({ length: writers }, (_, i) => `w${i}`).sort(),
    );
  });

  it('mutate() creates a missing entity only when asked, and concurrent creators both land', async () => {
    const r = repo();
    await rejectsWith(
      r.mutate('p', 'none', (cur) => cur),
      EntityNotFoundError,
    );
    const bump = (cur: Item): Item => ({ ...cur, count: cur.count + 1 });
    await Promise.all([
      r.mutate('p', 'new', bump, { create: { name: 'n', count: 0 }, maxAttempts: 20 }),
      r.mutate('p', 'new', bump, { create: () => ({ name: 'n', count: 0 }), maxAttempts: 20 }),
    ]);
    assert.equal((await r.get('p', 'new')).count, 2);

    const unchanged = await r.get('p', 'new');
    const same = await r.mutate('p', 'new', () => undefined);
    assert.equal(same.etag, unchanged.etag, 'answering undefined writes nothing');
  });

  it('pages through more than one page with continuation tokens, every item exactly once', async () => {
    const r = repo();
    const total = 23;
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        r.insert(i % 2 === 0 ? 'even' : 'odd', `row${String(i).padStart(3, '0')}`, {
          name: `n${i}`,
          count: i,
        }),
      ),
    );
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await r.listPage({ pageSize: 5, ...(token ? { continuationToken: token } : {}) });
      assert.ok(page.items.length <= 5);
      seen.push(...page.items.map((e) => `${e.partitionKey}/${e.rowKey}`));
      token = page.continuationToken;
      pages += 1;
    } while (token);
    assert.ok(pages >= 5, `expected at least 5 pages, got ${pages}`);
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total, 'no item twice');

    const odd: number[] = [];
    for await (const e of r.list({ filter: filter`PartitionKey eq ${'odd'}`, pageSize: 3 }))
      odd.push(e.count);
    assert.deepEqual(
      odd.sort((a, b) => a - b),
      Array.from({ length: total }, (_, i) => i).filter((i) => i % 2 === 1),
    );
  });

  it('rejects bad keys before calling the service, and encodeKey makes any input safe', async () => {
    const r = repo();
    const bad = [
      'a/b',
      'a\\b',
      'a#b',
      'a?b',
      'tab\there',
      'nul\u0000',
      'del\u007f',
      'c1\u0085',
      'x'.repeat(513),
    ];
    for (const key of bad) {
      await rejectsWith(r.insert('p', key, { name: 'k', count: 0 }), InvalidKeyError);
      await rejectsWith(r.get(key, 'r'), InvalidKeyError);
      await rejectsWith(r.delete('p', key), InvalidKeyError);
      assert.throws(() => validateKey(key), InvalidKeyError);
    }
    const e = await rejectsWith(r.get('p', 'a/b'), InvalidKeyError);
    assert.match(e.message, /RowKey/);
    assert.match(e.message, /U\+002F/);
    validateKey('x'.repeat(512));
    validateKey('accents-é-中文-🙂');

    const outside = "user/name#1?x\\y 'quoted' é🙂\u0001";
    const key = encodeKey(outside);
    assert.doesNotThrow(() => validateKey(key));
    assert.equal(decodeKey(key), outside);
    await r.insert(key, key, { name: outside, count: 1 });
    assert.equal((await r.get(key, key)).name, outside);

    const long = encodeKey('z'.repeat(5000));
    assert.doesNotThrow(() => validateKey(long));
    assert.equal(decodeKey(long), undefined);
    assert.notEqual(long, encodeKey('z'.repeat(5001)));
  });

  it('reports a row that does not match the schema with the table, keys and field', async () => {
    const r = repo();
    await r.ensureTable();
    const raw = TableClient.fromConnectionString(connectionString, r.tableName, {
      allowInsecureConnection: true,
    });
    await raw.createEntity({ partitionKey: 'p', rowKey: 'bad', name: 'ok', count: 'not a number' });
    const e = await rejectsWith(r.get('p', 'bad'), EntitySchemaError);
    assert.equal(e.table, r.tableName);
    assert.equal(e.partitionKey, 'p');
    assert.equal(e.rowKey, 'bad');
    assert.equal(e.field, 'count');
    assert.equal(e.operation, 'read');
    assert.match(e.message, new RegExp(`${r.tableName}.*"p".*"bad".*field "count"`));
    await rejectsWith(r.listPage(), EntitySchemaError);

    // Writes are checked with the same schema.
    const w = await rejectsWith(r.insert('p', 'w', { name: 'x', count: 1.5 }), EntitySchemaError);
    assert.equal(w.field, 'count');
    assert.equal(w.operation, 'write');
    const bogus = { name: 'x', count: 1, tags: [1] } as unknown as Item;
    assert.equal((await rejectsWith(r.upsert('p', 'w', bogus), EntitySchemaError)).field, 'tags.0');
    assert.equal(await r.tryGet('p', 'w'), undefined);
  });

  it('converts Int64 and dates to JSON-safe values and stores large integers as Int64', async () => {
    const r = repo();
    await r.ensureTable();
    const raw = TableClient.fromConnectionString(connectionString, r.tableName, {
      allowInsecureConnection: true,
    });
    const when = new Date('2026-03-04T05:06:07.000Z');
    await raw.createEntity({
      partitionKey: 'p',
      rowKey: 'typed',
      name: 'n',
      count: 1,
      big: 9_007_199_254n,
      at: when,
    });
    const read = await r.get('p', 'typed');
    assert.equal(read.big, 9_007_199_254);
    assert.equal(read.at, when.toISOString());
    assert.doesNotThrow(() => JSON.stringify(read));

    await r.insert('p', 'large', { name: 'n', count: 1, big: 2 ** 40 });
    const stored = await raw.getEntity<{ big: unknown }>('p', 'large');
    assert.equal(stored.big, BigInt(2 ** 40), 'stored as Int64');
    assert.equal((await r.get('p', 'large')).big, 2 ** 40);
  });

  it('escapes filter values (a quote in a value matches exactly, no injection)', async () => {
    const r = repo();
    await r.insert('p', '1', { name: "O'Brien", count: 1 });
    await r.insert('p', '2', { name: 'OBrien', count: 2 });
    await r.insert('p', '3', { name: "x' or name ne 'y", count: 3 });
    const byName = async (name: string) =>
      (await r.listPage({ filter: filter`PartitionKey eq ${'p'} and name eq ${name}` })).items.map(
        (e) => e.count,
      );
    assert.deepEqual(await byName("O'Brien"), [1]);
    assert.deepEqual(await byName("x' or name ne 'y"), [3]);
    assert.deepEqual(await byName("nobody' or name ne '"), []);

    const inP = filter`PartitionKey eq ${'p'}`;
    const nested = filter`${inP} and count ge ${2} and count lt ${3}`;
    assert.equal(nested.text, "(PartitionKey eq 'p') and count ge 2 and count lt 3");
    assert.deepEqual(
      (await r.listPage({ filter: nested })).items.map((e) => e.count),
      [2],
    );
    // Int64 literals (Azurite answers 500 when they are compared with Int32 properties, so text only).
    assert.equal(filter`big eq ${9_007_199_254_740_993n}`.text, 'big eq 9007199254740993L');
  });
});

describe('table clients', () => {
  it('prefixes and validates table names', () => {
    assert.equal(tableName('mms', 'MigrationStatus'), 'mmsMigrationStatus');
    assert.throws(() => tableName('m', 'x'), TableNameError);
    assert.throws(() => tableName('mms', 'bad-name'), TableNameError);
    assert.throws(() => tableName('1mms', 'Status'), TableNameError);
    assert.throws(() => tableName('mms', 'x'.repeat(61)), TableNameError);
    assert.throws(() => createTableClient(settings, 'with_underscore'), TableNameError);
  });

  it('tells http (Azurite) connection strings from https ones', () => {
    assert.equal(isInsecureConnectionString('UseDevelopmentStorage=true'), true);
    assert.equal(isInsecureConnectionString(connectionString), true);
    assert.equal(
      isInsecureConnectionString(
        'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      ),
      false,
    );
  });

  it('builds an identity-based client for an endpoint without calling the network', () => {
    let asked = 0;
    const credential: TokenCredential = {
      getToken: (): Promise<AccessToken> => {
        asked += 1;
        return Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 60_000 });
      },
    };
    const client = createTableClient(
      { tables: { kind: 'endpoint', endpoint: 'https://acct.table.core.windows.net' }, tablesPrefix: 'mms' },
      'Profiles',
      { credential },
    );
    assert.equal(client.tableName, 'mmsProfiles');
    assert.equal(client.url, 'https://acct.table.core.windows.net');
    assert.equal(asked, 0);
    // Without an explicit credential the process-wide DefaultAzureCredential is used (no token asked yet).
    const viaDefault = createTableClient(
      { tables: { kind: 'endpoint', endpoint: 'https://acct.table.core.windows.net' }, tablesPrefix: 'mms' },
      'Bridges',
    );
    assert.equal(viaDefault.tableName, 'mmsBridges');
  });
});

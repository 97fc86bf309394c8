/**
 * Repository base for every Table Storage table the service keeps (migration status, per-meeting ledger, user
 * profiles, bridges, tenant settings, Graph subscriptions). A concrete repository extends `TableRepository` with a
 * zod object schema for its entity and adds its own key scheme and queries:
 *
 *   const statusSchema = z.object({ state: z.enum([...]), retryCount: z.number().int(), ... });
 *   export class MigrationStatusRepository extends TableRepository<typeof statusSchema> {
 *     constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
 *       super({ settings: config, logicalName: 'MigrationStatus', schema: statusSchema });
 *     }
 *   }
 *
 * What it guarantees:
 * - **Schema on read and on write.** Every row read is normalised (below) and parsed with the schema; a row
 *   that does not match throws `EntitySchemaError` naming the table, keys and field. Values written are parsed
 *   with the same schema first, so a bad write fails here with the same error instead of later on read.
 * - **JSON-safe entities.** Reads turn Int64 (`bigint`) into `number` when it is a safe integer (a decimal
 *   string otherwise), `Date` (Edm.DateTime) into an ISO-8601 string, Binary into base64 and Guid into its
 *   string. Keep timestamps in schemas as ISO strings (`z.iso.datetime()`). Writes store integers outside the
 *   Int32 range as Int64, drop `undefined`/`null` properties (Tables has no null), and store objects and
 *   arrays as JSON text: declare such fields with `jsonColumn(schema)` so they are parsed back on read.
 * - **Keys.** PartitionKey/RowKey must not contain `/ \ # ?` or control characters U+0000–U+001F,
 *   U+007F–U+009F and are at most 1 KiB (512 UTF-16 code units, as the service stores them). Bad keys are
 *   rejected with `InvalidKeyError` before any call (Azurite answers 500 for '/'). Keys derived from outside
 *   input (UPNs, Graph ids with odd characters, URLs) go through `encodeKey()` first. An empty key is allowed
 *   (Azure accepts it), e.g. for a singleton row.
 * - **Limits** (Azure's): a string property holds at most 64 KiB (32 768 UTF-16 code units, checked here),
 *   an entity at most 1 MiB and 252 properties; a page at most 1 000 entities.
 * - **Errors are typed:** 404 → `EntityNotFoundError` (`get` only; `tryGet` answers undefined),
 *   409 → `ConflictError` (insert of an existing row), 412 → `ConcurrencyError` (stale etag).
 * - **Optimistic concurrency.** `replace`/`merge`/`delete` take the etag read earlier (`'*'` means
 *   unconditional). `mutate(pk, rk, fn)` re-reads and re-applies `fn` on 412 (and on 409/404 races), at most
 *   `maxMutateAttempts` times (default 8) with a short jittered back-off, then throws ConcurrencyError. `fn` may
 *   run several times, so it must be a pure function of the current value.
 * - **Paging.** `listPage({ filter, pageSize, continuationToken })` answers one page and the token of the next
 *   (a page may be empty while a token is still present: keep going until the token is absent); `list()` is an
 *   async iterator over every page. Filters are `ODataFilter`s, built only with the `filter` tag (which escapes
 *   values through the SDK's `odata` tag), never by string concatenation.
 * - **The table exists.** The table is created on first use, once per process and table (`createTable` is
 *   idempotent, so concurrent processes are fine).
 */
import { createHash } from 'node:crypto';
import {
  odata,
  RestError,
  type TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import { z } from 'zod';
import type { Config } from '../config';
import { createTableClient } from './tables';

// ---------------------------------------------------------------------------------------------------------
// Errors

export class StorageError extends Error {
  constructor(
    message: string,
    readonly table: string,
    readonly partitionKey?: string,
    readonly rowKey?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

function where(table: string, pk?: string, rk?: string): string {
  return pk === undefined ? `table ${table}` : `${table} (PartitionKey "${pk}", RowKey "${rk ?? ''}")`;
}

/** 404: the entity does not exist. */
export class EntityNotFoundError extends StorageError {
  constructor(table: string, pk: string, rk: string, cause?: unknown) {
    super(`Entity not found: ${where(table, pk, rk)}`, table, pk, rk, { cause });
    this.name = 'EntityNotFoundError';
  }
}

/** 409: insert of an entity that already exists. */
export class ConflictError extends StorageError {
  constructor(table: string, pk: string, rk: string, cause?: unknown) {
    super(`Entity already exists: ${where(table, pk, rk)}`, table, pk, rk, { cause });
    this.name = 'ConflictError';
  }
}

/** 412: the entity changed since it was read (stale etag), or mutate() ran out of attempts. */
export class ConcurrencyError extends StorageError {
  constructor(table: string, pk: string, rk: string, detail: string, cause?: unknown) {
    super(`Concurrent update of ${where(table, pk, rk)}: ${detail}`, table, pk, rk, { cause });
    this.name = 'ConcurrencyError';
  }
}

/** A PartitionKey or RowKey the table service would reject (or, for '/', answer 500 to). */
export class InvalidKeyError extends Error {
  constructor(
    readonly keyName: 'PartitionKey' | 'RowKey',
    readonly key: string,
    reason: string,
  ) {
    super(`Invalid ${keyName} ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}: ${reason}`);
    this.name = 'InvalidKeyError';
  }
}

/** A row read (or a value about to be written) does not match the repository's schema. */
export class EntitySchemaError extends StorageError {
  constructor(
    table: string,
    pk: string,
    rk: string,
    readonly operation: 'read' | 'write',
    /** Dotted path of the first offending field, e.g. `state` or `meetings.0.id`. */
    readonly field: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    const first = issues[0];
    super(
      `Entity ${operation === 'read' ? 'read from' : 'to write to'} ${where(table, pk, rk)} does not match ` +
        `its schema: field "${field}": ${first?.message ?? 'invalid'}` +
        (issues.length > 1 ? ` (and ${issues.length - 1} more issue(s))` : ''),
      table,
      pk,
      rk,
    );
    this.name = 'EntitySchemaError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Keys

// eslint-disable-next-line no-control-regex -- control characters are exactly what keys must not contain
const FORBIDDEN_KEY_CHARS = /[/\\#?\u0000-\u001F\u007F-\u009F]/;
/** 1 KiB of UTF-16 (the service's string encoding). */
export const MAX_KEY_LENGTH = 512;

/** Throws InvalidKeyError when `key` cannot be a PartitionKey/RowKey. */
export function validateKey(key: string, keyName: 'PartitionKey' | 'RowKey' = 'RowKey'): void {
  if (typeof key !== 'string') throw new InvalidKeyError(keyName, String(key), 'must be a string');
  const bad = FORBIDDEN_KEY_CHARS.exec(key);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new InvalidKeyError(
      keyName,
      key,
      `contains U+${code} at index ${bad.index}; keys cannot contain / \\ # ? or control characters ` +
        '(use encodeKey() for keys derived from outside input)',
    );
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidKeyError(
      keyName,
      key,
      `is ${key.length} UTF-16 code units long; at most ${MAX_KEY_LENGTH} (1 KiB) are allowed (use encodeKey())`,
    );
  }
}

const HASHED_PREFIX = '~';
const MAX_PLAIN_ENCODED = 256;

/**
 * A safe key for any input string: base64url of its UTF-8 (reversible with `decodeKey`, same input → same
 * key), or, when that would be longer than 256 characters, `~` + base64url(SHA-256) (not reversible). The two
 * forms cannot collide: base64url never contains `~`. Encoded keys do not sort like their inputs.
 */
export function encodeKey(input: string): string {
  const plain = Buffer.from(input, 'utf8').toString('base64url');
  if (plain.length <= MAX_PLAIN_ENCODED) return plain;
  return HASHED_PREFIX + createHash('sha256').update(input, 'utf8').digest('base64url');
}

/** The input of `encodeKey`, or undefined when the key holds a hash (long input). */
export function decodeKey(key: string): string | undefined {
  if (key.startsWith(HASHED_PREFIX)) return undefined;
  return Buffer.from(key, 'base64url').toString('utf8');
}

// ---------------------------------------------------------------------------------------------------------
// Filters

/** An OData filter built by the `filter` tag (values escaped). Construct only through `filter`. */
export class ODataFilter {
  private constructor(readonly text: string) {}
  /** @internal */
  static fromEscaped(text: string): ODataFilter {
    return new ODataFilter(text);
  }
  toString(): string {
    return this.text;
  }
}

export type FilterValue = string | number | boolean | Date | bigint | ODataFilter;

/**
 * Tagged template for table filters: values are escaped by the SDK's `odata` tag (strings quoted with `''`,
 * Dates as datetime'…'); bigints become Int64 literals (`123L`); a nested ODataFilter is spliced in parentheses.
 *
 *   filter`PartitionKey eq ${pk} and state eq ${state}`
 *   filter`${byPartition} and retryCount ge ${3}`
 */
export function filter(strings: TemplateStringsArray, ...values: FilterValue[]): ODataFilter {
  const parts: string[] = [strings[0] ?? ''];
  const escaped: unknown[] = [];
  values.forEach((v, i) => {
    const next = strings[i + 1] ?? '';
    if (v instanceof ODataFilter || typeof v === 'bigint') {
      const raw = v instanceof ODataFilter ? `(${v.text})` : `${v.toString()}L`;
      parts[parts.length - 1] += raw + next;
    } else {
      escaped.push(v);
      parts.push(next);
    }
  });
  const tsa = Object.assign([...parts], { raw: [...parts] }) as unknown as TemplateStringsArray;
  return ODataFilter.fromEscaped(odata(tsa, ...escaped));
}

// ---------------------------------------------------------------------------------------------------------
// Value conversion

/**
 * A schema field stored as JSON text (Tables has no nested values). On read the text is parsed, then checked
 * with `inner`; on write the repository stringifies objects and arrays.
 */
export function jsonColumn<T extends z.ZodType>(inner: T) {
  return z.preprocess((v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'stored JSON text does not parse' });
      return z.NEVER;
    }
  }, inner);
}

const META_FIELDS = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata']);
const MAX_STRING_LENGTH = 32_768;
/** Operations in one entity group transaction (Table Storage's limit; all in one partition, 4 MiB at most). */
export const MAX_TRANSACTION_ROWS = 100;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function fromTableValue(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object' && v !== null && 'value' in v && 'type' in v) {
    // Guid (always returned as { value, type }), or any typed value.
    return (v as { value: unknown }).value;
  }
  return v;
}

/** One row's write in a transaction: create or wholly replace it, or delete it. */
export type RowWrite<T> = { kind: 'upsert'; rowKey: string; value: T } | { kind: 'delete'; rowKey: string };

export interface EntityMeta {
  partitionKey: string;
  rowKey: string;
  etag: string;
  /** Last-modified time the service keeps (ISO-8601), present on entities read from the table. */
  timestamp?: string;
}

/** An entity as read: the schema's data plus keys, etag and timestamp. */
export type Stored<T> = T & EntityMeta;

export type EntitySchema = z.ZodObject;
export type EntityOf<S extends EntitySchema> = z.output<S>;

// ---------------------------------------------------------------------------------------------------------
// Table creation, once per process

const ensured = new Map<string, Promise<void>>();

function ensureTable(client: TableClient): Promise<void> {
  const key = `${client.url}|${client.tableName}`;
  let p = ensured.get(key);
  if (!p) {
    p = client.createTable().then(
      () => undefined,
      (e: unknown) => {
        ensured.delete(key);
        throw e;
      },
    );
    ensured.set(key, p);
  }
  return p;
}

function statusOf(e: unknown): number | undefined {
  if (e instanceof RestError) return e.statusCode;
  if (typeof e === 'object' && e !== null && 'statusCode' in e && typeof e.statusCode === 'number') {
    return e.statusCode;
  }
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------
// The repository base

export type RepositoryOptions<S extends EntitySchema> = {
  schema: S;
  /** Attempts mutate() makes before giving up with ConcurrencyError. Default 8. */
  maxMutateAttempts?: number;
} & ({ client: TableClient } | { settings: Pick<Config, 'tables' | 'tablesPrefix'>; logicalName: string });

export interface ListOptions {
  filter?: ODataFilter;
  /** Entities per page, 1–1000 (the service's maximum). Default 1000. */
  pageSize?: number;
}

export interface ListPageOptions extends ListOptions {
  /** Token from the previous page; absent for the first page. */
  continuationToken?: string;
}

export interface Page<T> {
  items: Stored<T>[];
  /** Present when there may be more entities; pass it back to read the next page. */
  continuationToken?: string;
}

export interface MutateOptions<T> {
  /** Initial value when the entity does not exist (fn is applied to it). Without it, a missing entity throws. */
  create?: T | (() => T);
  maxAttempts?: number;
}

export class TableRepository<S extends EntitySchema> {
  protected readonly client: TableClient;
  readonly schema: S;
  readonly tableName: string;
  private readonly maxMutateAttempts: number;
  private readonly partialSchema: z.ZodObject;

  constructor(options: RepositoryOptions<S>) {
    this.client =
      'client' in options ? options.client : createTableClient(options.settings, options.logicalName);
    this.tableName = this.client.tableName;
    this.schema = options.schema;
    this.partialSchema = options.schema.partial();
    this.maxMutateAttempts = options.maxMutateAttempts ?? 8;
    for (const field of Object.keys(options.schema.shape)) {
      if (
        META_FIELDS.has(field) ||
        field.toLowerCase() === 'partitionkey' ||
        field.toLowerCase() === 'rowkey'
      ) {
        throw new Error(
          `Schema of table ${this.tableName} must not declare the reserved property "${field}"`,
        );
      }
    }
  }

  /** Creates the table if needed (once per process). Every operation calls it; call it early to fail fast. */
  ensureTable(): Promise<void> {
    return ensureTable(this.client);
  }

  // ----- reads

  async get(partitionKey: string, rowKey: string): Promise<Stored<EntityOf<S>>> {
    const found = await this.tryGet(partitionKey, rowKey);
    if (!found) throw new EntityNotFoundError(this.tableName, partitionKey, rowKey);
    return found;
  }

  async tryGet(partitionKey: string, rowKey: string): Promise<Stored<EntityOf<S>> | undefined> {
    this.checkKeys(partitionKey, rowKey);
    await this.ensureTable();
    let raw: TableEntityResult<Record<string, unknown>>;
    try {
      raw = await this.client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
    return this.fromRow(raw, partitionKey, rowKey);
  }

  async listPage(options: ListPageOptions = {}): Promise<Page<EntityOf<S>>> {
    const pageSize = options.pageSize ?? 1000;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      throw new RangeError(`pageSize must be a whole number from 1 to 1000, got ${pageSize}`);
    }
    await this.ensureTable();
    const iterator = this.client
      .listEntities<Record<string, unknown>>(
        options.filter ? { queryOptions: { filter: options.filter.text } } : {},
      )
      .byPage({
        maxPageSize: pageSize,
        ...(options.continuationToken ? { continuationToken: options.continuationToken } : {}),
      });
    const result = await iterator.next();
    if (result.done) return { items: [] };
    const page = result.value;
    const items = page.map((row) => this.fromRow(row));
    return page.continuationToken ? { items, continuationToken: page.continuationToken } : { items };
  }

  /** Every entity matching the filter, page by page. */
  async *list(options: ListOptions = {}): AsyncGenerator<Stored<EntityOf<S>>, void, undefined> {
    let continuationToken: string | undefined;
    do {
      const page: Page<EntityOf<S>> = await this.listPage({
        ...options,
        ...(continuationToken ? { continuationToken } : {}),
      });
      yield* page.items;
      continuationToken = page.continuationToken;
    } while (continuationToken);
  }

  // ----- writes

  /** Creates the entity; ConflictError (409) when it exists. */
  async insert(partitionKey: string, rowKey: string, value: EntityOf<S>): Promise<Stored<EntityOf<S>>> {
    this.checkKeys(partitionKey, rowKey);
    const data = this.validateForWrite(partitionKey, rowKey, value, this.schema);
    await this.ensureTable();
    try {
      const res = await this.client.createEntity({ partitionKey, rowKey, ...this.toRow(data) });
      return { ...(data as EntityOf<S>), partitionKey, rowKey, etag: res.etag ?? '' };
    } catch (e) {
      if (statusOf(e) === 409) throw new ConflictError(this.tableName, partitionKey, rowKey, e);
      throw e;
    }
  }

  /** Creates or wholly replaces the entity, whatever its state. */
  async upsert(partitionKey: string, rowKey: string, value: EntityOf<S>): Promise<Stored<EntityOf<S>>> {
    this.checkKeys(partitionKey, rowKey);
    const data = this.validateForWrite(partitionKey, rowKey, value, this.schema);
    await this.ensureTable();
    const res = await this.client.upsertEntity({ partitionKey, rowKey, ...this.toRow(data) }, 'Replace');
    return { ...(data as EntityOf<S>), partitionKey, rowKey, etag: res.etag ?? '' };
  }

  /**
   * Creates or replaces up to MAX_TRANSACTION_ROWS entities of ONE partition in one entity group transaction:
   * all are written or none is, in one request. Row keys must be distinct (the service refuses a transaction that
   * touches an entity twice).
   */
  async upsertBatch(partitionKey: string, items: { rowKey: string; value: EntityOf<S> }[]): Promise<void> {
    if (items.length === 0) return;
    if (items.length > MAX_TRANSACTION_ROWS) {
      throw new RangeError(`a transaction holds at most ${MAX_TRANSACTION_ROWS} rows, got ${items.length}`);
    }
    const keys = new Set<string>();
    const actions: TransactionAction[] = items.map(({ rowKey, value }) => {
      this.checkKeys(partitionKey, rowKey);
      if (keys.has(rowKey)) throw new RangeError(`row ${rowKey} appears twice in one transaction`);
      keys.add(rowKey);
      const data = this.validateForWrite(partitionKey, rowKey, value, this.schema);
      return ['upsert', { partitionKey, rowKey, ...this.toRow(data) }, 'Replace'];
    });
    await this.ensureTable();
    if (actions.length === 1) {
      const [, entity] = actions[0] as ['upsert', TableEntity];
      await this.client.upsertEntity(entity, 'Replace');
      return;
    }
    await this.client.submitTransaction(actions);
  }

  /**
   * Upserts (create or wholly replace) and deletes of up to MAX_TRANSACTION_ROWS rows of ONE partition in one
   * entity group transaction: all happen or none does. Row keys must be distinct. A delete of a row that does not
   * exist fails the whole transaction (the service answers 404 for it); alone, it is no error.
   */
  async writeBatch(partitionKey: string, writes: readonly RowWrite<EntityOf<S>>[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length > MAX_TRANSACTION_ROWS) {
      throw new RangeError(`a transaction holds at most ${MAX_TRANSACTION_ROWS} rows, got ${writes.length}`);
    }
    const [only] = writes;
    if (writes.length === 1 && only) {
      if (only.kind === 'delete') await this.delete(partitionKey, only.rowKey);
      else await this.upsert(partitionKey, only.rowKey, only.value);
      return;
    }
    const keys = new Set<string>();
    const actions: TransactionAction[] = writes.map((w) => {
      this.checkKeys(partitionKey, w.rowKey);
      if (keys.has(w.rowKey)) throw new RangeError(`row ${w.rowKey} appears twice in one transaction`);
      keys.add(w.rowKey);
      if (w.kind === 'delete') return ['delete', { partitionKey, rowKey: w.rowKey }];
      const data = this.validateForWrite(partitionKey, w.rowKey, w.value, this.schema);
      return ['upsert', { partitionKey, rowKey: w.rowKey, ...this.toRow(data) }, 'Replace'];
    });
    await this.ensureTable();
    await this.client.submitTransaction(actions);
  }

  /**
   * Creates or wholly replaces any number of entities of ONE partition, MAX_TRANSACTION_ROWS per entity group
   * transaction (each group all or nothing, groups one after another).
   */
  async upsertMany(
    partitionKey: string,
    rows: readonly { rowKey: string; value: EntityOf<S> }[],
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += MAX_TRANSACTION_ROWS) {
      await this.upsertBatch(partitionKey, rows.slice(i, i + MAX_TRANSACTION_ROWS));
    }
  }

  /**
   * Replaces the whole entity if its etag is still `etag` ('*': whatever it is). ConcurrencyError (412) when it
   * changed, EntityNotFoundError (404) when it is gone.
   */
  async replace(
    partitionKey: string,
    rowKey: string,
    value: EntityOf<S>,
    etag: string,
  ): Promise<Stored<EntityOf<S>>> {
    this.checkKeys(partitionKey, rowKey);
    const data = this.validateForWrite(partitionKey, rowKey, value, this.schema);
    const newEtag = await this.update(partitionKey, rowKey, this.toRow(data), 'Replace', etag);
    return { ...(data as EntityOf<S>), partitionKey, rowKey, etag: newEtag };
  }

  /**
   * Merges the given properties into the entity if its etag is still `etag` ('*': whatever it is); other
   * properties are kept. Answers the new etag. Same errors as replace.
   */
  async merge(
    partitionKey: string,
    rowKey: string,
    changes: Partial<EntityOf<S>>,
    etag: string,
  ): Promise<{ etag: string }> {
    this.checkKeys(partitionKey, rowKey);
    const data = this.validateForWrite(partitionKey, rowKey, changes, this.partialSchema);
    return { etag: await this.update(partitionKey, rowKey, this.toRow(data), 'Merge', etag) };
  }

  /**
   * Read-modify-write with optimistic concurrency. `fn` gets a copy of the current value (or of `create` when
   * the entity is missing) and answers the new value, or undefined to leave the entity as it is (no write).
   * Retries from a fresh read on 412/409/404 races, at most `maxAttempts` times; `fn` may therefore run more
   * than once. Answers the entity as stored.
   */
  async mutate(
    partitionKey: string,
    rowKey: string,
    fn: (current: EntityOf<S>) => EntityOf<S> | undefined | Promise<EntityOf<S> | undefined>,
    options: MutateOptions<EntityOf<S>> = {},
  ): Promise<Stored<EntityOf<S>>> {
    const attempts = options.maxAttempts ?? this.maxMutateAttempts;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(Math.random() * Math.min(200, 10 * 2 ** attempt));
      const current = await this.tryGet(partitionKey, rowKey);
      try {
        if (!current) {
          if (options.create === undefined) {
            throw new EntityNotFoundError(this.tableName, partitionKey, rowKey);
          }
          const initial = typeof options.create === 'function' ? options.create() : options.create;
          const next = (await fn(structuredClone(initial))) ?? initial;
          return await this.insert(partitionKey, rowKey, next);
        }
        const { partitionKey: _pk, rowKey: _rk, etag, timestamp: _ts, ...data } = current;
        const next = await fn(structuredClone(data) as EntityOf<S>);
        if (next === undefined) return current;
        return await this.replace(partitionKey, rowKey, next, etag);
      } catch (e) {
        const race =
          e instanceof ConcurrencyError ||
          e instanceof ConflictError ||
          (e instanceof EntityNotFoundError && current !== undefined);
        if (!race) throw e;
        lastError = e;
      }
    }
    throw new ConcurrencyError(
      this.tableName,
      partitionKey,
      rowKey,
      `gave up after ${attempts} attempts`,
      lastError,
    );
  }

  /**
   * Deletes the entity; with `etag`, only if it is unchanged (ConcurrencyError otherwise). Answers false when
   * it did not exist.
   */
  async delete(partitionKey: string, rowKey: string, options: { etag?: string } = {}): Promise<boolean> {
    this.checkKeys(partitionKey, rowKey);
    await this.ensureTable();
    try {
      await this.client.deleteEntity(partitionKey, rowKey, options.etag ? { etag: options.etag } : {});
      return true;
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) return false;
      if (status === 412) {
        throw new ConcurrencyError(this.tableName, partitionKey, rowKey, 'etag no longer matches', e);
      }
      throw e;
    }
  }

  // ----- helpers for subclasses

  protected checkKeys(partitionKey: string, rowKey: string): void {
    validateKey(partitionKey, 'PartitionKey');
    validateKey(rowKey, 'RowKey');
  }

  private async update(
    partitionKey: string,
    rowKey: string,
    row: Record<string, unknown>,
    mode: 'Replace' | 'Merge',
    etag: string,
  ): Promise<string> {
    await this.ensureTable();
    try {
      const res = await this.client.updateEntity({ partitionKey, rowKey, ...row }, mode, { etag });
      return res.etag ?? '';
    } catch (e) {
      const status = statusOf(e);
      if (status === 412) {
        throw new ConcurrencyError(this.tableName, partitionKey, rowKey, 'etag no longer matches', e);
      }
      if (status === 404) throw new EntityNotFoundError(this.tableName, partitionKey, rowKey, e);
      throw e;
    }
  }

  private schemaError(
    pk: string,
    rk: string,
    operation: 'read' | 'write',
    issues: readonly z.core.$ZodIssue[],
  ): EntitySchemaError {
    const field = issues[0]?.path.map((p) => String(p)).join('.') || '(entity)';
    return new EntitySchemaError(this.tableName, pk, rk, operation, field, issues);
  }

  private validateForWrite<T>(
    pk: string,
    rk: string,
    value: T,
    schema: z.ZodObject,
  ): Record<string, unknown> {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw this.schemaError(pk, rk, 'write', parsed.error.issues);
    const data = parsed.data;
    for (const [name, v] of Object.entries(data)) {
      const text = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : '';
      if (text.length > MAX_STRING_LENGTH) {
        throw new EntitySchemaError(this.tableName, pk, rk, 'write', name, [
          {
            code: 'custom',
            path: [name],
            message: `is ${text.length} UTF-16 code units; a table property holds at most ${MAX_STRING_LENGTH} (64 KiB)`,
            input: undefined,
          },
        ]);
      }
    }
    return data;
  }

  /** Table row properties from validated, JSON-safe data. */
  private toRow(data: Record<string, unknown>): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(data)) {
      if (v === undefined || v === null) continue;
      if (typeof v === 'number' && Number.isInteger(v) && (v < INT32_MIN || v > INT32_MAX)) {
        row[name] = BigInt(v);
      } else if (v instanceof Date) {
        row[name] = v;
      } else if (typeof v === 'object') {
        row[name] = JSON.stringify(v);
      } else {
        row[name] = v;
      }
    }
    return row;
  }

  private fromRow(
    raw: TableEntityResult<Record<string, unknown>>,
    pk?: string,
    rk?: string,
  ): Stored<EntityOf<S>> {
    const partitionKey = raw.partitionKey ?? pk ?? '';
    const rowKey = raw.rowKey ?? rk ?? '';
    const data: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(raw)) {
      if (META_FIELDS.has(name)) continue;
      const converted = fromTableValue(v);
      if (converted !== undefined) data[name] = converted;
    }
    const parsed = this.schema.safeParse(data);
    if (!parsed.success) throw this.schemaError(partitionKey, rowKey, 'read', parsed.error.issues);
    const timestamp = fromTableValue(raw.timestamp);
    return {
      ...parsed.data,
      partitionKey,
      rowKey,
      etag: raw.etag,
      ...(typeof timestamp === 'string' ? { timestamp } : {}),
    };
  }
}

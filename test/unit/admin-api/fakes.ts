/**
 * In-memory stand-ins for what the admin API services read and write: status records (with the same
 * "fn gets null when missing" mutate contract as StatusRepository), profiles, a directory, a ledger with
 * paging, and a recording queue publisher. Plus `adminInfrastructure()` to hand them to the function files.
 */
import { randomUUID } from 'node:crypto';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { loadConfig } from '../../../shared/config';
import type { MigrationStatus } from '../../../shared/domain/status';
import type { DirectoryUser } from '../../../shared/graph/ports';
import type { Infrastructure } from '../../../shared/services/infrastructure';
import type { MigrationQueryPorts } from '../../../shared/services/migration-queries';
import type { RequestMigrationPorts } from '../../../shared/services/request-migration';
import type { LedgerEntry } from '../../../shared/storage/repositories/ledger-repository';
import type { Repositories } from '../../../shared/storage/repositories';
import type { GraphGateways } from '../../../shared/graph';
import type { StatusListOptions } from '../../../shared/storage/repositories/status-repository';
import { RecordingPublisher } from '../../support/recording-publisher';

export { RecordingPublisher };

export const ADA = { userId: '11111111-1111-4111-8111-111111111111', userPrincipalName: 'ada@contoso.com' };
export const BOB = { userId: '22222222-2222-4222-8222-222222222222', userPrincipalName: 'bob@contoso.com' };
export const EVE = { userId: '33333333-3333-4333-8333-333333333333', userPrincipalName: 'eve@contoso.com' };

export class FakeStatuses {
  readonly rows = new Map<string, MigrationStatus>();
  mutateCalls = 0;
  get(userId: string): Promise<MigrationStatus | null> {
    return Promise.resolve(structuredClone(this.rows.get(userId) ?? null));
  }
  mutate(
    userId: string,
    fn: (current: MigrationStatus | null) => MigrationStatus | undefined,
  ): Promise<MigrationStatus | null> {
    this.mutateCalls++;
    const next = fn(structuredClone(this.rows.get(userId) ?? null));
    if (next !== undefined) this.rows.set(userId, structuredClone(next));
    return Promise.resolve(structuredClone(this.rows.get(userId) ?? null));
  }
  /** Every list() call's options, to check what the service asked for. */
  readonly listCalls: StatusListOptions[] = [];
  private selected(options: StatusListOptions): MigrationStatus[] {
    return [...this.rows.values()]
      .filter(
        (s) =>
          !(options.userIds && !options.userIds.includes(s.userId)) &&
          !(options.state && s.state !== options.state) &&
          !(options.migrationType && s.migrationType !== options.migrationType) &&
          !(options.modifiedFrom && s.modifiedDate < options.modifiedFrom.toISOString()) &&
          !(options.modifiedTo && s.modifiedDate > options.modifiedTo.toISOString()),
      )
      .sort((a, b) => a.userId.localeCompare(b.userId));
  }
  /**
   * One page in user id order, like the table. The token is deliberately URL-hostile (`+`, `/`, `=`, `&`, a
   * space) so that a caller that does not encode it breaks; an unknown token throws SyntaxError as the SDK does.
   */
  list(options: StatusListOptions = {}): Promise<{ items: MigrationStatus[]; continuationToken?: string }> {
    this.listCalls.push(options);
    const all = this.selected(options);
    if (options.userIds) return Promise.resolve({ items: structuredClone(all) });
    let start = 0;
    if (options.continuationToken !== undefined) {
      const m = /^pos=(\d+)&x\+\/= $/.exec(options.continuationToken);
      if (!m) return Promise.reject(new SyntaxError(`Unexpected token in ${options.continuationToken}`));
      start = Number(m[1]);
    }
    const size = options.pageSize ?? 1000;
    const items = structuredClone(all.slice(start, start + size));
    return Promise.resolve(
      start + size < all.length ? { items, continuationToken: `pos=${start + size}&x+/= ` } : { items },
    );
  }
  async *all(options: Omit<StatusListOptions, 'continuationToken'> = {}): AsyncGenerator<MigrationStatus> {
    await Promise.resolve();
    for (const s of this.selected(options)) yield structuredClone(s);
  }
}

export class FakeProfiles {
  readonly byId = new Map<string, { userId: string; userPrincipalName: string }>();
  calls = 0;
  add(u: { userId: string; userPrincipalName: string }): this {
    this.byId.set(u.userId, u);
    return this;
  }
  get(userId: string) {
    this.calls++;
    return Promise.resolve(this.byId.get(userId) ?? null);
  }
  getByUpn(upn: string) {
    this.calls++;
    const found = [...this.byId.values()].find(
      (p) => p.userPrincipalName.toLowerCase() === upn.toLowerCase(),
    );
    return Promise.resolve(found ?? null);
  }
}

export class FakeDirectory {
  readonly users = new Map<string, { userId: string; userPrincipalName: string }>();
  calls: string[] = [];
  failWith: Error | undefined;
  add(u: { userId: string; userPrincipalName: string }): this {
    this.users.set(u.userId, u);
    return this;
  }
  getUser(idOrUpn: string): Promise<DirectoryUser | null> {
    this.calls.push(idOrUpn);
    if (this.failWith) return Promise.reject(this.failWith);
    const u = [...this.users.values()].find(
      (x) =>
        x.userId === idOrUpn.toLowerCase() || x.userPrincipalName.toLowerCase() === idOrUpn.toLowerCase(),
    );
    if (!u) return Promise.resolve(null);
    return Promise.resolve({
      id: u.userId,
      userPrincipalName: u.userPrincipalName,
      displayName: null,
      mail: null,
      preferredLanguage: null,
      assignedLicenses: [],
      assignedPlans: [],
      accountEnabled: true,
    });
  }
}

export class FakeLedger {
  readonly rows: LedgerEntry[] = [];
  listForUser(
    userId: string,
    options: { correlationId?: string; pageSize?: number; continuationToken?: string } = {},
  ) {
    const all = this.rows.filter(
      (r) =>
        r.userId === userId &&
        (options.correlationId === undefined || r.correlationId === options.correlationId),
    );
    const start = options.continuationToken ? Number(options.continuationToken) : 0;
    if (!Number.isInteger(start) || start < 0) {
      return Promise.reject(new RangeError('the continuation token does not belong to this migration'));
    }
    const size = options.pageSize ?? 1000;
    const items = all.slice(start, start + size);
    const next = start + size < all.length ? String(start + size) : undefined;
    return Promise.resolve(next ? { items, continuationToken: next } : { items });
  }
  /** Migrations the user had (besides those with rows). */
  readonly runs = new Set<string>();
  hasRun(userId: string, correlationId: string): Promise<boolean> {
    return Promise.resolve(
      this.runs.has(`${userId}|${correlationId}`) ||
        this.rows.some((r) => r.userId === userId && r.correlationId === correlationId),
    );
  }
}

export const NOW = new Date('2026-11-20T10:00:00.000Z');

export class World {
  statuses = new FakeStatuses();
  profiles = new FakeProfiles();
  directory = new FakeDirectory();
  ledger = new FakeLedger();
  publisher = new RecordingPublisher();
  now = NOW;
  delaySeconds = 120;

  requestPorts(): RequestMigrationPorts {
    return {
      statuses: this.statuses,
      profiles: this.profiles,
      directory: this.directory,
      publisher: this.publisher,
      now: () => this.now,
      newId: () => randomUUID(),
      config: { migrationDelaySeconds: this.delaySeconds },
    };
  }

  queryPorts(): MigrationQueryPorts {
    return {
      statuses: this.statuses,
      profiles: this.profiles,
      directory: this.directory,
      ledger: this.ledger,
    };
  }

  /** The world as the function files see it (through getInfrastructure()). */
  infrastructure(): Partial<Infrastructure> {
    const config = loadConfig({
      TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      QUEUE_TRANSPORT: 'embedded',
      MIGRATION_DELAY_SECONDS: String(this.delaySeconds),
    });
    return {
      config,
      repositories: {
        status: this.statuses,
        profiles: this.profiles,
        ledger: this.ledger,
      } as unknown as Repositories,
      graph: { directory: this.directory } as unknown as GraphGateways,
      queue: () => this.publisher,
      clock: () => this.now,
      newId: () => randomUUID(),
    };
  }
}

export function context(): InvocationContext {
  return new InvocationContext({ invocationId: 'test-invocation', functionName: 'test' });
}

export function request(
  method: 'GET' | 'POST',
  path: string,
  init: { body?: string; params?: Record<string, string> } = {},
): HttpRequest {
  return new HttpRequest({
    method,
    url: `http://127.0.0.1:7071${path}`,
    ...(init.body !== undefined ? { body: { string: init.body } } : {}),
    ...(init.params ? { params: init.params } : {}),
  });
}

export interface ErrorShape {
  error: { code: string; message: string };
}

/** The response's JSON error body, checked to have exactly the contract's shape. */
export function errorOf(res: HttpResponseInit): ErrorShape['error'] {
  const body = res.jsonBody as ErrorShape;
  if (
    typeof body !== 'object' ||
    body === null ||
    Object.keys(body).join() !== 'error' ||
    Object.keys(body.error).sort().join() !== 'code,message' ||
    typeof body.error.code !== 'string' ||
    typeof body.error.message !== 'string'
  ) {
    throw new Error(`not the error shape: ${JSON.stringify(res.jsonBody)}`);
  }
  return body.error;
}

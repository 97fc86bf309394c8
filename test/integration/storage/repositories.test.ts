/**
 * The service's repositories (shared/storage/repositories) against Azurite, each run under its own table
 * prefix: status records through the domain's transitions with etag retry and every list filter, the ledger,
 * profiles with their UPN lookup (including after a UPN change), bridges, and tenant settings with MMS's
 * defaults.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { requestMigration, startMigration, type MigrationStatus } from '../../../shared/domain/status';
import { DEFAULT_TENANT_SETTINGS } from '../../../shared/domain/trigger-rules';
import { createRepositories } from '../../../shared/storage/repositories';
import type { UserProfileInput } from '../../../shared/storage/repositories/profile-repository';
import { testTables } from '../../support/tables';

const fresh = () => createRepositories(testTables('r'));

function request(userId: string, now: Date, targetMeetingType: 'Current' | 'Teams' = 'Current') {
  return (current: MigrationStatus | null) =>
    requestMigration(
      current,
      {
        userId,
        userPrincipalName: `${userId.slice(0, 8)}@contoso.com`,
        trigger: 'manualStart',
        correlationId: randomUUID(),
        delayMs: 1000,
        sourceMeetingType: 'All',
        targetMeetingType,
      },
      now,
    ).status;
}

describe('StatusRepository', () => {
  it('stores a record through the domain transitions and reads it back equal (nulls, nested values)', async () => {
    const { status } = fresh();
    const id = randomUUID();
    assert.equal(await status.get(id), null);
    const created = await status.mutate(id, request(id, new Date()));
    assert.ok(created);
    assert.deepEqual(await status.get(id), created);
    assert.equal(created.notBefore !== null, true);
    assert.equal(created.progress, null);
    assert.equal(created.followUp, null);
    const run = { correlationId: created.correlationId, retryCount: 0 };
    const started = await status.mutate(id, (cur) => {
      const o = startMigration(cur, run, new Date());
      return o.kind === 'stale' ? undefined : o.status;
    });
    assert.equal(started?.state, 'InProgress');
    assert.deepEqual(started.progress, { discoveredMeeting: 0, processedMeeting: 0 });
    assert.deepEqual(await status.get(id), started);
  });

  it('mutate with create false does not create, and fn answering undefined writes nothing', async () => {
    const { status } = fresh();
    const id = randomUUID();
    assert.equal(await status.mutate(id, request(id, new Date()), { create: false }), null);
    assert.equal(await status.get(id), null);
    assert.equal(await status.mutate(id, () => undefined), null);
    assert.equal(await status.get(id), null);
  });

  it('concurrent mutations all apply (etag retry)', async () => {
    const { status } = fresh();
    const id = randomUUID();
    await status.mutate(id, request(id, new Date()));
    await Promise.all(
      Array.from({ length: 6 }, () =>
        status.mutate(id, (cur) => (cur ? { ...cur, totalMeeting: cur.totalMeeting + 1 } : undefined)),
      ),
    );
    assert.equal((await status.get(id))?.totalMeeting, 6);
  });

  it('lists with state, migrationType, userIds and modified-date filters, page by page', async () => {
    const { status } = fresh();
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const t0 = new Date('2026-01-01T00:00:00Z');
    for (const [i, id] of ids.entries()) {
      await status.mutate(
        id,
        request(id, new Date(t0.getTime() + i * 60_000), i === 4 ? 'Teams' : 'Current'),
      );
    }
    await status.mutate(ids[0]!, (cur) => (cur ? { ...cur, state: 'Failed' } : undefined));
    assert.deepEqual(
      (await status.list({ state: 'Failed' })).items.map((s) => s.userId),
      [ids[0]],
    );
    assert.equal((await status.list({ migrationType: 'AllToTeams' })).items.length, 1);
    assert.equal((await status.list({ migrationType: 'ToSameType' })).items.length, 4);
    const some = await status.list({ userIds: [ids[1]!, ids[2]!, randomUUID()] });
    assert.deepEqual(new Set(some.items.map((s) => s.userId)), new Set([ids[1], ids[2]]));
    const window = await status.list({
      modifiedFrom: new Date(t0.getTime() + 60_000),
      modifiedTo: new Date(t0.getTime() + 3 * 60_000),
    });
    assert.deepEqual(new Set(window.items.map((s) => s.userId)), new Set([ids[1], ids[2], ids[3]]));
    const first = await status.list({ pageSize: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.continuationToken);
    const seen: string[] = [];
    for await (const s of status.all({ pageSize: 2 })) seen.push(s.userId);
    assert.deepEqual(new Set(seen), new Set(ids));
    assert.equal(await status.delete(ids[0]!), true);
    assert.equal(await status.get(ids[0]!), null);
  });
});

describe('MeetingLedgerRepository', () => {
  it('keys rows by event id (any characters), filters by migration, cuts long error messages', async () => {
    const { ledger } = fresh();
    const userId = randomUUID();
    const row = (eventId: string, correlationId: string) => ({
      userId,
      eventId,
      eventType: 'singleInstance',
      subject: 'Sync — café',
      start: '2026-12-01T09:00:00.000Z',
      blockKind: 'teams' as const,
      outcome: 'failed' as const,
      errorCode: 'graphRejected',
      errorMessage: 'x'.repeat(5000),
      correlationId,
      retryCount: 0,
      at: new Date().toISOString(),
    });
    const weird = 'AAMkAD/+x==?#\\';
    await ledger.upsert(row(weird, 'c1'));
    await ledger.upsert(row('other', 'c2'));
    const got = await ledger.get(userId, weird);
    assert.equal(got?.eventId, weird);
    assert.ok((got.errorMessage?.length ?? 0) <= 2000);
    assert.deepEqual(
      (await ledger.listForUser(userId, { correlationId: 'c2' })).items.map((r) => r.eventId),
      ['other'],
    );
    assert.equal((await ledger.listForUser(userId)).items.length, 2);
  });
});

describe('UserProfileRepository', () => {
  const profile = (userId: string, upn: string): UserProfileInput => ({
    userId,
    userPrincipalName: upn,
    audioConferencing: true,
    assignedPlanIds: ['3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40'],
    homing: 'online',
    dialIn: { provider: 'Microsoft', enabled: true, conferenceId: '123456' },
    updatedAt: new Date().toISOString(),
  });

  it('finds a profile by object id and by UPN (any case), and follows a UPN change', async () => {
    const { profiles } = fresh();
    const id = randomUUID();
    await profiles.upsert(profile(id, 'Alice@Contoso.com'));
    assert.equal((await profiles.get(id))?.dialIn.conferenceId, '123456');
    assert.equal((await profiles.getByUpn('alice@contoso.com'))?.userId, id);
    assert.equal((await profiles.getByIdentity('ALICE@contoso.com'))?.userId, id);
    assert.equal((await profiles.getByIdentity(id))?.userId, id);
    await profiles.mutate(id, (cur) =>
      cur ? { ...cur, userPrincipalName: 'alice.smith@contoso.com' } : undefined,
    );
    assert.equal(await profiles.getByUpn('alice@contoso.com'), null, 'old UPN no longer resolves');
    assert.equal((await profiles.getByUpn('alice.smith@contoso.com'))?.userId, id);
    assert.equal(await profiles.getByUpn('nobody@contoso.com'), null);
  });

  it('falls back to a scan when the UPN index misses', async () => {
    const { profiles } = fresh();
    const id = randomUUID();
    await profiles.upsert(profile(id, 'bob@contoso.com'));
    await profiles.upnIndex.delete('upn', (await profiles.upnIndex.list().next()).value?.rowKey ?? '');
    assert.equal((await profiles.getByUpn('bob@contoso.com'))?.userId, id);
  });
});

describe('BridgeRepository and TenantSettingsRepository', () => {
  it('resolves a bridge by id, else the default one', async () => {
    const { bridges } = fresh();
    const mk = (id: string, isDefault: boolean) => ({
      id,
      name: id,
      isDefault,
      dialInUrl: `https://dialin.teams.microsoft.com/${id}`,
      defaultTollNumber: '+14255550100',
      numbers: [{ number: '+14255550100', type: 'toll' as const, city: 'Seattle', country: 'US' }],
    });
    await bridges.upsert(mk('b1', false));
    await bridges.upsert(mk('b2', true));
    assert.equal((await bridges.resolve('b1'))?.id, 'b1');
    assert.equal((await bridges.resolve('missing'))?.id, 'b2');
    assert.equal((await bridges.resolve(undefined))?.id, 'b2');
    assert.deepEqual((await bridges.get('b1'))?.numbers[0]?.languages, []);
  });

  it("answers MMS's defaults until set, then keeps what was set", async () => {
    const { settings } = fresh();
    assert.deepEqual(await settings.get(), DEFAULT_TENANT_SETTINGS);
    const after = await settings.update({ automaticallyReplaceAcpProvider: true });
    assert.deepEqual(after, { ...DEFAULT_TENANT_SETTINGS, automaticallyReplaceAcpProvider: true });
    await settings.update({ meetingMigrationEnabled: false });
    assert.deepEqual(await settings.get(), {
      meetingMigrationEnabled: false,
      automaticallyMigrateUserMeetings: true,
      automaticallyReplaceAcpProvider: true,
    });
  });
});

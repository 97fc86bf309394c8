/**
 * The admin actions that trigger migrations, against Azurite: the function handlers (settings, user dial-in,
 * bridges, Teams upgrade) called with real HttpRequests, profiles and bridges seeded through the repositories,
 * and the one request path (request-migration) observed through the status table and the messages sent to an
 * EmbeddedQueue installed with setInfrastructureForTests. The clock is injected, so "a minute later" is exact.
 * MIGRATION_DELAY_SECONDS is 120: messages stay scheduled, nothing consumes them.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { bridgeNumbers, bridges } from '../../../functions/bridges';
import { settingsDialIn } from '../../../functions/settings-dial-in';
import { settingsMigration } from '../../../functions/settings-migration';
import { teamsUpgrade } from '../../../functions/teams-upgrade';
import { userDialIn } from '../../../functions/user-dial-in';
import type { Config } from '../../../shared/config';
import { runKeyOf, startMigration } from '../../../shared/domain/status';
import { EmbeddedQueue } from '../../../shared/queue/embedded';
import type { MigrateUserBody } from '../../../shared/queue/messages';
import {
  QUEUES,
  type OutgoingMessage,
  type QueueName,
  type QueuePublisher,
} from '../../../shared/queue/port';
import {
  resetInfrastructureForTests,
  setInfrastructureForTests,
} from '../../../shared/services/infrastructure';
import {
  createRepositories,
  PROFILE_PARTITION,
  type Bridge,
  type Repositories,
  type UserProfileInput,
} from '../../../shared/storage/repositories';
import { adminTestConfig, ADA, BOB, CARL, DORA, BRIDGE_A, BRIDGE_B } from '../../support/admin-fixtures';

const A = BRIDGE_A;
const B = BRIDGE_B;

function user(userId: string, alias: string, extra: Partial<UserProfileInput> = {}): UserProfileInput {
  return {
    userId,
    userPrincipalName: `${alias}@contoso.com`,
    audioConferencing: true,
    assignedPlanIds: [],
    homing: 'online',
    dialIn: {
      provider: 'Microsoft',
      enabled: true,
      bridgeId: A.id,
      tollNumber: '+12065550111',
      conferenceId: '7654321',
    },
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

/** Records what is published, then hands it to the embedded queue. */
class RecordingPublisher implements QueuePublisher {
  readonly sent: { queue: QueueName; message: OutgoingMessage }[] = [];
  constructor(private readonly inner: EmbeddedQueue) {}
  async send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    await this.inner.send(queue, message);
    // A second send of one run (same messageId) is dropped by duplicate detection: record what is delivered.
    if (!this.sent.some((s) => s.queue === queue && s.message.messageId === message.messageId)) {
      this.sent.push({ queue, message });
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  migrations(userId?: string): MigrateUserBody[] {
    return this.sent
      .filter((s) => s.queue === QUEUES.meetingMigrations)
      .map((s) => s.message.body as MigrateUserBody)
      .filter((b) => userId === undefined || b.userId === userId);
  }
}

interface Env {
  config: Config;
  repos: Repositories;
  queue: EmbeddedQueue;
  publisher: RecordingPublisher;
  clock: { now: Date };
}

let env: Env;

beforeEach(async () => {
  const config = adminTestConfig('adm');
  const repos = createRepositories(config);
  const queue = new EmbeddedQueue({ redeliveryDelayMs: 10 });
  const publisher = new RecordingPublisher(queue);
  const clock = { now: new Date('2026-03-02T09:00:00.000Z') };
  setInfrastructureForTests({
    config,
    repositories: repos,
    queue: () => publisher,
    clock: () => new Date(clock.now),
  });
  await repos.bridges.upsert(A);
  await repos.bridges.upsert(B);
  await repos.profiles.upsert(user(ADA, 'ada'));
  await repos.profiles.upsert(
    user(BOB, 'bob', {
      dialIn: { provider: 'Microsoft', enabled: true, bridgeId: A.id, conferenceId: '1234567' },
    }),
  );
  await repos.profiles.upsert(
    user(CARL, 'carl', {
      dialIn: {
        provider: 'ThirdParty',
        enabled: true,
        tollNumber: '+15125550199',
        conferenceId: '7777777',
        thirdPartyProviderName: 'InterCall',
      },
    }),
  );
  await repos.profiles.upsert(user(DORA, 'dora', { homing: 'onPremises' }));
  env = { config, repos, queue, publisher, clock };
});

afterEach(async () => {
  await env.queue.close();
  resetInfrastructureForTests();
});

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

async function call(
  fn: Handler,
  method: string,
  path: string,
  params: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const request = new HttpRequest({
    method,
    url: `http://127.0.0.1/api/${path}`,
    params,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined
      ? { body: { string: typeof body === 'string' ? body : JSON.stringify(body) } }
      : {}),
  });
  const res = await fn(request, new InvocationContext({ logHandler: () => undefined }));
  return { status: res.status ?? 200, json: (res.jsonBody ?? {}) as Record<string, unknown> };
}

const patchDialIn = (identity: string, body: unknown) =>
  call(userDialIn, 'PATCH', `users/${identity}/dial-in`, { identity }, body);

function errorOf(json: Record<string, unknown>): { code: string; message: string } {
  return json.error as { code: string; message: string };
}

function migrationOf(json: Record<string, unknown>): Record<string, unknown> {
  return json.migration as Record<string, unknown>;
}

describe('tenant settings', () => {
  it('GET answers MMS defaults, PATCH changes only what it names, and GET shows it', async () => {
    assert.deepEqual((await call(settingsMigration, 'GET', 'settings/migration')).json, {
      meetingMigrationEnabled: true,
      teamsDialInFromStoredProfile: false,
    });
    assert.deepEqual((await call(settingsDialIn, 'GET', 'settings/dial-in')).json, {
      automaticallyMigrateUserMeetings: true,
      automaticallyReplaceAcpProvider: false,
    });
    const patched = await call(
      settingsDialIn,
      'PATCH',
      'settings/dial-in',
      {},
      { automaticallyReplaceAcpProvider: true },
    );
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.json, {
      automaticallyMigrateUserMeetings: true,
      automaticallyReplaceAcpProvider: true,
    });
    assert.deepEqual(await env.repos.settings.get(), {
      meetingMigrationEnabled: true,
      automaticallyMigrateUserMeetings: true,
      automaticallyReplaceAcpProvider: true,
    });
  });

  it('refuses an unknown field, a non-boolean and malformed JSON with a 400 naming the problem', async () => {
    const unknown = await call(
      settingsMigration,
      'PATCH',
      'settings/migration',
      {},
      { meetingMigrationEnable: false },
    );
    assert.equal(unknown.status, 400);
    assert.equal(errorOf(unknown.json).code, 'invalidParameter');
    assert.match(errorOf(unknown.json).message, /"meetingMigrationEnable"/);
    const notBool = await call(
      settingsMigration,
      'PATCH',
      'settings/migration',
      {},
      { meetingMigrationEnabled: 'no' },
    );
    assert.equal(notBool.status, 400);
    assert.match(errorOf(notBool.json).message, /"meetingMigrationEnabled": must be true or false/);
    const broken = await call(
      settingsDialIn,
      'PATCH',
      'settings/dial-in',
      {},
      '{"automaticallyMigrateUserMeetings": tru',
    );
    assert.equal(broken.status, 400);
    assert.equal(errorOf(broken.json).code, 'invalidJson');
    assert.equal((await env.repos.settings.get()).meetingMigrationEnabled, true);
  });
});

describe('PATCH /api/users/{identity}/dial-in', () => {
  it('a conference id reset stores a new unique id and queues one migration after the delay', async () => {
    const res = await patchDialIn('ada@contoso.com', { resetConferenceId: true });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const dialIn = res.json.dialIn as Record<string, unknown>;
    assert.notEqual(dialIn.conferenceId, '7654321');
    assert.match(String(dialIn.conferenceId), /^[1-9]\d{8}$/);
    assert.deepEqual(res.json.changes, ['conferenceIdReset']);
    const migration = migrationOf(res.json);
    assert.equal(migration.outcome, 'queued');
    assert.equal(migration.state, 'Pending');
    assert.equal(migration.migrationType, 'ToSameType');

    const status = await env.repos.status.get(ADA);
    assert.equal(status?.state, 'Pending');
    assert.equal(status?.trigger, 'conferenceIdReset');
    assert.equal(status?.notBefore, '2026-03-02T09:02:00.000Z');
    const sent = env.publisher.migrations(ADA);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.trigger, 'conferenceIdReset');
    assert.equal(
      env.publisher.sent[0]?.message.scheduledEnqueueTime?.toISOString(),
      '2026-03-02T09:02:00.000Z',
    );

    const got = await call(userDialIn, 'GET', `users/${ADA}/dial-in`, { identity: ADA });
    assert.equal(got.json.conferenceId, dialIn.conferenceId);
    assert.equal((await env.repos.profiles.get(ADA))?.dialIn.conferenceId, dialIn.conferenceId);
  });

  it('several fields in one PATCH make one request', async () => {
    const res = await patchDialIn(ADA, { bridgeId: B.id, conferenceId: '2468024', enabled: true });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.changes, ['bridgeChanged', 'conferenceIdChanged']);
    assert.equal(migrationOf(res.json).outcome, 'queued');
    assert.equal(env.publisher.migrations().length, 1);
    assert.deepEqual(res.json.dialIn, {
      userId: ADA,
      userPrincipalName: 'ada@contoso.com',
      provider: 'Microsoft',
      enabled: true,
      bridgeId: B.id,
      bridgeName: B.name,
      tollNumber: '+442071234567',
      tollFreeNumber: null,
      conferenceId: '2468024',
      thirdPartyProviderName: null,
    });
  });

  it('coalesces: a number change, then a bridge move a minute later for the Pending user → one migration (merged)', async () => {
    const first = await patchDialIn(ADA, { tollFreeNumber: '+18885550199' });
    assert.equal(migrationOf(first.json).outcome, 'queued');
    env.clock.now = new Date('2026-03-02T09:01:00.000Z');
    const second = await patchDialIn(ADA, { bridgeId: B.id });
    assert.equal(second.status, 200, JSON.stringify(second.json));
    assert.equal(migrationOf(second.json).outcome, 'merged');

    assert.equal(env.publisher.migrations(ADA).length, 1, 'one message for both triggers');
    const status = await env.repos.status.get(ADA);
    assert.equal(status?.state, 'Pending');
    assert.deepEqual(status?.triggers, ['defaultNumberChanged', 'bridgeChanged']);
    assert.equal(status?.notBefore, '2026-03-02T09:02:00.000Z', 'the first schedule stands');
  });

  it('a change while the migration runs records exactly one follow-up', async () => {
    await patchDialIn(ADA, { resetConferenceId: true });
    const pending = await env.repos.status.get(ADA);
    assert.ok(pending);
    env.clock.now = new Date('2026-03-02T09:02:00.000Z');
    await env.repos.status.mutate(ADA, (cur) => {
      const started = startMigration(cur, runKeyOf(pending), env.clock.now);
      return started.kind === 'start' ? started.status : undefined;
    });

    env.clock.now = new Date('2026-03-02T09:03:00.000Z');
    const during = await patchDialIn(ADA, { tollNumber: '+14255550100' });
    assert.equal(migrationOf(during.json).outcome, 'followUpRecorded');
    env.clock.now = new Date('2026-03-02T09:04:00.000Z');
    const again = await patchDialIn(ADA, { resetConferenceId: true });
    assert.equal(migrationOf(again.json).outcome, 'followUpRecorded');

    assert.equal(
      env.publisher.migrations(ADA).length,
      1,
      'follow-ups are queued by the worker when the run ends',
    );
    const status = await env.repos.status.get(ADA);
    assert.equal(status?.state, 'InProgress');
    assert.deepEqual(status?.followUp?.triggers, ['defaultNumberChanged', 'conferenceIdReset']);
  });

  it('meetingMigrationEnabled false: the change is stored and nothing is triggered', async () => {
    await call(settingsMigration, 'PATCH', 'settings/migration', {}, { meetingMigrationEnabled: false });
    const res = await patchDialIn(ADA, { conferenceId: '1357913' });
    assert.equal(res.status, 200);
    const migration = migrationOf(res.json);
    assert.equal(migration.outcome, 'none');
    assert.match(String(migration.why), /meetingMigrationEnabled false/);
    assert.equal((await env.repos.profiles.get(ADA))?.dialIn.conferenceId, '1357913');
    assert.equal(await env.repos.status.get(ADA), null);
    assert.equal(env.publisher.sent.length, 0);
  });

  it('a third-party user is not migrated by dial-in changes; becoming Microsoft is T3 (gated)', async () => {
    const res = await patchDialIn(CARL, { enabled: false });
    assert.equal(migrationOf(res.json).outcome, 'none');
    const toMs = await patchDialIn(CARL, { provider: 'Microsoft' });
    assert.equal(toMs.status, 200);
    assert.equal(migrationOf(toMs.json).outcome, 'none');
    assert.deepEqual(
      (migrationOf(toMs.json).decisions as { reason: string }[])[0]?.reason,
      'acpReplacementDisabled',
    );
    const stored = await env.repos.profiles.get(CARL);
    assert.equal(stored?.dialIn.bridgeId, A.id);
    assert.equal(stored?.dialIn.thirdPartyProviderName, undefined);
    assert.equal(env.publisher.sent.length, 0);
  });

  it('conflicts and bad values: taken conference id 409, number off the bridge 400, unknown user 404', async () => {
    const taken = await patchDialIn(ADA, { conferenceId: '1234567' });
    assert.equal(taken.status, 409);
    assert.equal(errorOf(taken.json).code, 'conferenceIdInUse');
    const offBridge = await patchDialIn(ADA, { tollNumber: '+442071234567' });
    assert.equal(offBridge.status, 400);
    assert.match(errorOf(offBridge.json).message, /"tollNumber": \+442071234567 is not a number of bridge/);
    const both = await patchDialIn(ADA, { conferenceId: '2222222', resetConferenceId: true });
    assert.equal(both.status, 400);
    const nobody = await patchDialIn('nobody@contoso.com', { enabled: false });
    assert.equal(nobody.status, 404);
    assert.equal(errorOf(nobody.json).code, 'userNotFound');
    const badIdentity = await patchDialIn('not an identity', { enabled: false });
    assert.equal(badIdentity.status, 400);
    assert.equal((await env.repos.profiles.get(ADA))?.dialIn.conferenceId, '7654321');
    assert.equal(env.publisher.sent.length, 0);
  });
});

describe('bridges', () => {
  it('GET lists the bridges with their numbers, default first', async () => {
    const res = await call(bridges, 'GET', 'bridges');
    const list = res.json as unknown as Bridge[];
    assert.deepEqual(
      list.map((b) => b.id),
      [A.id, B.id],
    );
    assert.equal(list[0]?.numbers.length, 4);
  });

  it('POST registers a number (any accepted form); a duplicate on any bridge is 409', async () => {
    const params = { bridgeId: B.id, number: 'tel:+33170000000' };
    const res = await call(bridgeNumbers, 'POST', 'bridges/x/numbers/y', params, {
      type: 'toll',
      city: 'Paris',
      country: 'France',
      languages: ['fr-FR'],
    });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.ok(
      (await env.repos.bridges.get(B.id))?.numbers.some(
        (n) => n.number === '+33170000000' && n.city === 'Paris',
      ),
    );
    const again = await call(
      bridgeNumbers,
      'POST',
      'bridges/x/numbers/y',
      { bridgeId: B.id, number: '33170000000' },
      { type: 'toll', city: 'Paris', country: 'France' },
    );
    assert.equal(again.status, 409);
    const elsewhere = await call(
      bridgeNumbers,
      'POST',
      'bridges/x/numbers/y',
      { bridgeId: B.id, number: '+14255550100' },
      { type: 'toll', city: 'x', country: 'y' },
    );
    assert.equal(elsewhere.status, 409);
    const noBridge = await call(
      bridgeNumbers,
      'POST',
      'bridges/x/numbers/y',
      { bridgeId: randomUUID(), number: '+33170000001' },
      { type: 'toll', city: 'x', country: 'y' },
    );
    assert.equal(noBridge.status, 404);
    assert.equal(errorOf(noBridge.json).code, 'bridgeNotFound');
  });

  it("DELETE of the bridge's default number is refused with a clear 409", async () => {
    const res = await call(bridgeNumbers, 'DELETE', 'bridges/x/numbers/y', {
      bridgeId: A.id,
      number: '+14255550100',
    });
    assert.equal(res.status, 409);
    assert.equal(errorOf(res.json).code, 'defaultNumber');
    assert.match(
      errorOf(res.json).message,
      /default toll number of bridge "Conference Bridge" and cannot be removed/,
    );
    assert.equal((await env.repos.bridges.get(A.id))?.numbers.length, 4);
  });

  it('DELETE re-points every holder to the bridge default and requests their migrations (T7), across pages', async () => {
    // More than one page of profiles (1 000 per page): the holders sort after the filler.
    const filler = Array.from(
      { length: 1000 },
      (_, i) => `20000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const lateHolder = 'ffffffff-0000-4000-8000-000000000001';
    const rows = [
      ...filler.map((id) =>
        user(id, `filler${id.slice(-4)}`, {
          dialIn: { provider: 'Microsoft', enabled: true, bridgeId: B.id },
        }),
      ),
      user(lateHolder, 'zed'),
    ];
    for (let i = 0; i < rows.length; i += 50) {
      await Promise.all(
        rows
          .slice(i, i + 50)
          .map((p) => env.repos.profiles.table.upsert(PROFILE_PARTITION, p.userId, p as never)),
      );
    }

    const res = await call(bridgeNumbers, 'DELETE', 'bridges/x/numbers/y', {
      bridgeId: A.id,
      number: '12065550111',
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const users = res.json.users as { userId: string; tollNumber?: string; migration: { outcome: string } }[];
    assert.deepEqual(users.map((u) => u.userId).sort(), [ADA, DORA, lateHolder].sort());
    assert.ok(users.every((u) => u.tollNumber === '+14255550100' && u.migration.outcome === 'queued'));
    assert.deepEqual(res.json.summary, { repointedUsers: 3, migrationsRequested: 3 });

    for (const id of [ADA, DORA, lateHolder]) {
      assert.equal((await env.repos.profiles.get(id))?.dialIn.tollNumber, '+14255550100');
      const status = await env.repos.status.get(id);
      assert.equal(status?.state, 'Pending');
      assert.equal(status?.trigger, 'serviceNumberUnassigned');
    }
    assert.equal(env.publisher.migrations().length, 3);
    assert.equal(await env.repos.status.get(BOB), null, 'bob shows the default already');
    assert.ok(!(await env.repos.bridges.get(A.id))?.numbers.some((n) => n.number === '+12065550111'));
    const gone = await call(bridgeNumbers, 'DELETE', 'bridges/x/numbers/y', {
      bridgeId: A.id,
      number: '+12065550111',
    });
    assert.equal(gone.status, 404);
  });
});

describe('PUT /api/users/{identity}/teams-upgrade', () => {
  const put = (identity: string, body: unknown) =>
    call(teamsUpgrade, 'PUT', `users/${identity}/teams-upgrade`, { identity }, body);

  it('Islands is stored and triggers nothing', async () => {
    const res = await put('ada@contoso.com', { mode: 'Islands' });
    assert.equal(res.status, 200);
    assert.equal(migrationOf(res.json).outcome, 'none');
    assert.equal((await env.repos.profiles.get(ADA))?.teamsUpgradeMode, 'Islands');
    assert.equal(env.publisher.sent.length, 0);
    assert.equal(await env.repos.status.get(ADA), null);
  });

  it('TeamsOnly for a user homed on premises is refused and not stored', async () => {
    const res = await put(DORA, { mode: 'TeamsOnly' });
    assert.equal(res.status, 409);
    assert.equal(errorOf(res.json).code, 'teamsOnlyRequiresOnlineHoming');
    assert.match(errorOf(res.json).message, /homed in Skype for Business on premises/);
    assert.equal((await env.repos.profiles.get(DORA))?.teamsUpgradeMode, undefined);
    assert.equal(env.publisher.sent.length, 0);
  });

  it('TeamsOnly is stored and requests an SfbToTeams migration (Skype meetings converted to Teams)', async () => {
    const res = await put(ADA, { mode: 'TeamsOnly' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal((await env.repos.profiles.get(ADA))?.teamsUpgradeMode, 'TeamsOnly');
    const migration = migrationOf(res.json);
    assert.equal(
      migration.outcome,
      'queued',
      `request-migration must record T8's SfbToTeams request: ${JSON.stringify(migration)}`,
    );
    assert.equal(migration.migrationType, 'SfbToTeams');
    assert.equal(res.json.note, undefined);
    const status = await env.repos.status.get(ADA);
    assert.equal(status?.trigger, 'teamsUpgradeGranted');
    assert.equal(status?.targetMeetingType, 'Teams');
  });

  it('with meetingMigrationEnabled false a migrating mode is stored and triggers nothing', async () => {
    await env.repos.settings.update({ meetingMigrationEnabled: false });
    const res = await put(ADA, { mode: 'SfBWithTeamsCollabAndMeetings' });
    assert.equal(res.status, 200);
    assert.equal(migrationOf(res.json).outcome, 'none');
    assert.equal((await env.repos.profiles.get(ADA))?.teamsUpgradeMode, 'SfBWithTeamsCollabAndMeetings');
    assert.equal(env.publisher.sent.length, 0);
  });
});

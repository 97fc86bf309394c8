/**
 * Triggers against Azurite and a sandbox tenant started here: the real subscription handshake (a tiny HTTP server
 * on loopback serves the notification functions), the timer's renewal and recreation, a lifecycle
 * reauthorization, and processDirectoryChanges reading /users/delta and requesting migrations through
 * request-migration. Every test has its own tables (prefix), sandbox and embedded queue.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { notifications } from '../../../functions/notifications';
import { notificationsLifecycle } from '../../../functions/notifications-lifecycle';
import { processLifecycleEvent } from '../../../shared/services/subscriptions';
import { loadConfig } from '../../../shared/config';
import { EmbeddedQueue } from '../../../shared/queue/embedded';
import { bodyOf, directoryChangeBody } from '../../../shared/queue/messages';
import {
  QUEUES,
  type OutgoingMessage,
  type QueueName,
  type QueuePublisher,
} from '../../../shared/queue/port';
import {
  directoryChangeDeps,
  processDirectoryChange,
  type DirectoryChangeReport,
} from '../../../shared/services/directory-changes';
import {
  getInfrastructure,
  resetInfrastructureForTests,
  setInfrastructureForTests,
} from '../../../shared/services/infrastructure';
import { triggerStores, type ServiceLog } from '../../../shared/services/notifications';
import { ensureSubscriptions, subscriptionDeps } from '../../../shared/services/subscriptions';
import { testTablesConnectionString } from '../../support/tables';

const connectionString = testTablesConnectionString();

const TENANT = '9a8b7c6d-0000-4000-8000-000000000001';
const USERS = [
  '11111111-aaaa-4aaa-8aaa-000000000001',
  '11111111-aaaa-4aaa-8aaa-000000000002',
  '11111111-aaaa-4aaa-8aaa-000000000003',
] as const;
const [ADA, BOB, CY] = USERS;
const SKU_MCOMEETADV = '0c266dff-15dd-4b49-8397-2bb16070ed52';
const SKU_MCOEV = 'e43b5b99-8dfb-405f-9987-dc307f34bcbd';

const quiet: ServiceLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A publisher that records what it sends before passing it to the embedded queue. */
class Recording implements QueuePublisher {
  sent: { queue: QueueName; message: OutgoingMessage }[] = [];
  constructor(private readonly inner: QueuePublisher) {}
  async send(queue: QueueName, message: OutgoingMessage) {
    await this.inner.send(queue, message);
    this.sent.push({ queue, message });
  }
  close() {
    return Promise.resolve();
  }
  migrations() {
    return this.sent.filter((s) => s.queue === QUEUES.meetingMigrations);
  }
  userNotifications() {
    return this.sent.filter(
      (s) =>
        s.queue === QUEUES.directoryChanges &&
        directoryChangeBody.parse(s.message.body).kind === 'userNotification',
    );
  }
}

interface Env {
  sandbox: SandboxHandle;
  server: Server;
  hookUrl: string;
  queue: EmbeddedQueue;
  publisher: Recording;
  reports: DirectoryChangeReport[];
  clientState: string;
  stop(): Promise<void>;
}

let current: Env | undefined;

/** Sandbox + hook server + infrastructure; `consume` runs processDirectoryChanges on the queue. */
async function start(options: { consume?: boolean } = {}): Promise<Env> {
  const sandbox = await startSandbox({
    token: 'trigger-test-token',
    notificationRetryDelaysMs: [50, 200],
    seed: {
      tenantId: TENANT,
      domain: 'contoso.example',
      users: USERS.map((id, i) => ({
        id,
        userPrincipalName: `user${i}@contoso.example`,
        displayName: `User ${i}`,
        sandboxSipAddress: `sip:user${i}@contoso.example`,
      })),
      events: [],
    },
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = `http://127.0.0.1${req.url ?? '/'}`;
      const path = new URL(url).pathname;
      const fn =
        path === '/api/notifications'
          ? notifications
          : path === '/api/notifications/lifecycle'
            ? notificationsLifecycle
            : null;
      if (!fn || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const request = new HttpRequest({
        method: 'POST',
        url,
        body: { string: Buffer.concat(chunks).toString('utf8') },
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
      });
      fn(request, new InvocationContext({ logHandler: () => undefined })).then(
        (out) => {
          res.writeHead(out.status ?? 200, (out.headers as Record<string, string> | undefined) ?? {});
          res.end(typeof out.body === 'string' ? out.body : out.jsonBody ? JSON.stringify(out.jsonBody) : '');
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/notifications`;
  const clientState = randomBytes(24).toString('base64url');
  const config = loadConfig({
    TABLES_CONNECTION_STRING: connectionString,
    TABLES_PREFIX: `trg${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    QUEUE_TRANSPORT: 'embedded',
    GRAPH_BASE_URL: sandbox.url,
    GRAPH_CREDENTIAL: 'sandbox',
    GRAPH_SANDBOX_TOKEN: sandbox.token,
    NOTIFICATION_URL: hookUrl,
    GRAPH_CLIENT_STATE: clientState,
    MIGRATION_DELAY_SECONDS: '0',
  });
  const queue = new EmbeddedQueue({ redeliveryDelayMs: 10 });
  const publisher = new Recording(queue);
  setInfrastructureForTests({ config, queue: () => publisher });
  const reports: DirectoryChangeReport[] = [];
  const subs = [
    // Nothing migrates here: the worker is not under test. Take its messages so that the queue goes idle.
    queue.subscribe(QUEUES.meetingMigrations, { sessions: true }, () => Promise.resolve()),
  ];
  if (options.consume !== false) {
    subs.push(
      queue.subscribe(QUEUES.directoryChanges, { sessions: false }, async (m) => {
        reports.push(
          await processDirectoryChange(directoryChangeDeps(quiet), bodyOf(QUEUES.directoryChanges, m)),
        );
      }),
    );
  }
  const env: Env = {
    sandbox,
    server,
    hookUrl,
    queue,
    publisher,
    reports,
    clientState,
    async stop() {
      await Promise.all(subs.map((s) => s.close()));
      await queue.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await sandbox.stop();
      resetInfrastructureForTests();
    },
  };
  current = env;
  return env;
}

afterEach(async () => {
  await current?.stop();
  current = undefined;
});
after(() => resetInfrastructureForTests());

/** Sandbox deliveries done, then the queue idle. */
async function settle(env: Env): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await env.sandbox.tenant.subscriptions.settled();
    await env.queue.waitForIdle(20_000);
  }
}

async function subscribeAndBaseline(env: Env): Promise<string> {
  const report = await ensureSubscriptions(subscriptionDeps(quiet));
  assert.ok(report.created, 'a subscription was created');
  await settle(env);
  const baseline = env.reports.at(-1);
  assert.equal(baseline?.baselines, USERS.length, 'the first sweep saw every user for the first time');
  return report.created;
}

async function statusOf(userId: string) {
  return getInfrastructure().repositories.status.get(userId);
}

describe('subscriptions against the sandbox', () => {
  it('creates the users subscription through the real validation handshake and stores it', async () => {
    const env = await start({ consume: false });
    const report = await ensureSubscriptions(subscriptionDeps(quiet));
    assert.ok(report.created);
    const live = env.sandbox.tenant.subscriptions.list();
    assert.equal(live.length, 1, 'the sandbox accepted the handshakes');
    const sub = live[0];
    assert.equal(sub?.id, report.created);
    assert.equal(sub?.clientState, env.clientState);
    assert.equal(sub?.notificationUrl, env.hookUrl);
    assert.equal(sub?.lifecycleNotificationUrl, `${env.hookUrl}/lifecycle`);
    assert.equal(sub?.changeType, 'updated,deleted');
    const stored = await triggerStores().subscriptions.get(report.created);
    // Graph (and the sandbox) answer whole seconds.
    assert.ok(Math.abs(Date.parse(stored?.expirationDateTime ?? '') - (sub?.expirationMs ?? 0)) < 1000);
    // A second run keeps it.
    const again = await ensureSubscriptions(subscriptionDeps(quiet));
    assert.equal(again.kept, report.created);
    assert.equal(env.sandbox.tenant.subscriptions.list().length, 1);
  });

  it('the timer renews a subscription that expires soon', async () => {
    const env = await start({ consume: false });
    const id = (await ensureSubscriptions(subscriptionDeps(quiet))).created ?? '';
    // As after four weeks: Graph lists it as expiring within the hour (the table still says 29 days).
    env.sandbox.tenant.subscriptions.setExpiry(id, Date.now() + 3600_000);
    const repo = triggerStores().subscriptions;
    const report = await ensureSubscriptions(subscriptionDeps(quiet));
    assert.equal(report.renewed, id);
    const expiry = env.sandbox.tenant.subscriptions.get(id).expirationMs;
    assert.ok(expiry > Date.now() + 28 * 24 * 3600_000, 'renewed to (almost) the 41,760-minute maximum');
    assert.ok(Math.abs(Date.parse((await repo.get(id))?.expirationDateTime ?? '') - expiry) < 1000);
  });

  it('a subscription Graph no longer has is recreated', async () => {
    const env = await start({ consume: false });
    const id = (await ensureSubscriptions(subscriptionDeps(quiet))).created ?? '';
    env.sandbox.tenant.subscriptions.delete(id);
    const repo = triggerStores().subscriptions;
    const report = await ensureSubscriptions(subscriptionDeps(quiet));
    assert.ok(report.created && report.created !== id);
    assert.deepEqual(
      env.sandbox.tenant.subscriptions.list().map((s) => s.id),
      [report.created],
    );
    assert.equal(await repo.get(id), null, 'the lost one is forgotten');
  });

  it('lifecycle reauthorizationRequired: delivery resumes after our endpoint reauthorizes', async () => {
    const env = await start({ consume: false });
    const id = (await ensureSubscriptions(subscriptionDeps(quiet))).created ?? '';
    const delivery = env.sandbox.tenant.subscriptions.sendLifecycleEvent(id, 'reauthorizationRequired');
    await env.sandbox.tenant.subscriptions.settled();
    assert.equal(delivery.state, 'delivered');
    assert.equal(delivery.attempts.at(-1)?.status, 202);
    // The endpoint only queued the work (Graph gives a delivery 3 s): still paused until it is done.
    assert.equal(env.sandbox.tenant.subscriptions.get(id).paused, true, 'nothing done in the request');
    const queued = env.publisher.sent
      .map((s) => directoryChangeBody.parse(s.message.body))
      .filter((b) => b.kind === 'lifecycleEvent');
    assert.equal(queued.length, 1);
    for (const b of queued) await processLifecycleEvent(subscriptionDeps(quiet), b);
    assert.equal(env.sandbox.tenant.subscriptions.get(id).paused, false, 'reauthorized');
    const sweeps = env.publisher.sent.filter(
      (s) => directoryChangeBody.parse(s.message.body).kind === 'deltaSweep',
    );
    assert.ok(sweeps.length >= 2, 'a sweep after the pause (besides the timer one)');
  });

  it('a forged notification (wrong clientState) is answered 202 and not enqueued; malformed JSON is 400', async () => {
    const env = await start({ consume: false });
    const id = (await ensureSubscriptions(subscriptionDeps(quiet))).created ?? '';
    const before = env.publisher.sent.length;
    const forged = await fetch(env.hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          {
            subscriptionId: id,
            changeType: 'updated',
            clientState: 'guessed',
            tenantId: TENANT,
            resource: `Users/${ADA}`,
            resourceData: { id: ADA, sequenceNumber: '1' },
          },
        ],
      }),
    });
    assert.equal(forged.status, 202);
    const bad = await fetch(env.hookUrl, { method: 'POST', body: '{"value":' });
    assert.equal(bad.status, 400);
    assert.equal(env.publisher.sent.length, before, 'nothing enqueued');
  });
});

describe('processDirectoryChanges against the sandbox', () => {
  it('licence change → notification → delta → one migration request with the right type', async () => {
    const env = await start();
    await subscribeAndBaseline(env);
    env.sandbox.tenant.assignLicense(ADA, { addLicenses: [{ skuId: SKU_MCOMEETADV }], removeLicenses: [] });
    await settle(env);
    assert.equal(env.publisher.userNotifications().length, 1, 'the sandbox notified, the webhook enqueued');
    const migrations = env.publisher.migrations();
    assert.equal(migrations.length, 1);
    const status = await statusOf(ADA);
    assert.equal(status?.state, 'Pending');
    assert.equal(status?.migrationType, 'ToSameType');
    assert.equal(status?.trigger, 'audioConferencingLicenceAssigned');
    const last = env.reports.at(-1);
    assert.equal(last?.usersSeen, 1, 'the stored deltaLink was reused: only the changed user came back');
    const state = await triggerStores().deltaState.read();
    assert.ok(state.deltaLink?.startsWith(`${env.sandbox.url}/v1.0/users/delta?$deltatoken=`));
    assert.equal(state.leaseHolder, null);
    assert.ok(state.rounds >= 2);

    // Removing it again is a change too (a second request; the first is still Pending, so it merges).
    env.sandbox.tenant.assignLicense(ADA, { addLicenses: [], removeLicenses: [SKU_MCOMEETADV] });
    await settle(env);
    assert.deepEqual((await statusOf(ADA))?.triggers, [
      'audioConferencingLicenceAssigned',
      'audioConferencingLicenceRemoved',
    ]);
    assert.equal(
      env.publisher.migrations().length,
      1,
      'merged into the pending migration: no second message',
    );
  });

  it('an unrelated licence, a SIP change and a UPN change migrate nothing', async () => {
    const env = await start();
    await subscribeAndBaseline(env);
    env.sandbox.tenant.assignLicense(ADA, { addLicenses: [{ skuId: SKU_MCOEV }], removeLicenses: [] });
    env.sandbox.tenant.updateUser(BOB, { sandboxSipAddress: 'sip:bob.new@contoso.example' });
    env.sandbox.tenant.updateUser(CY, { userPrincipalName: 'cy.renamed@contoso.example' });
    await settle(env);
    assert.ok(env.publisher.userNotifications().length >= 3);
    assert.equal(env.publisher.migrations().length, 0);
    for (const u of USERS) assert.equal(await statusOf(u), null);
    const profiles = getInfrastructure().repositories.profiles;
    assert.equal((await profiles.get(BOB))?.directorySnapshot?.sipAddress, 'bob.new@contoso.example');
    assert.equal((await profiles.get(CY))?.userPrincipalName, 'cy.renamed@contoso.example');
  });

  it('meetingMigrationEnabled false → a licence change migrates nothing', async () => {
    const env = await start();
    await subscribeAndBaseline(env);
    await getInfrastructure().repositories.settings.update({ meetingMigrationEnabled: false });
    env.sandbox.tenant.assignLicense(ADA, { addLicenses: [{ skuId: SKU_MCOMEETADV }], removeLicenses: [] });
    await settle(env);
    assert.equal(env.publisher.userNotifications().length, 1);
    assert.equal(env.publisher.migrations().length, 0);
    assert.equal(await statusOf(ADA), null);
    assert.equal((await getInfrastructure().repositories.profiles.get(ADA))?.audioConferencing, true);
  });

  it('a deleted user → nothing migrated; their status stays readable', async () => {
    const env = await start();
    await subscribeAndBaseline(env);
    env.sandbox.tenant.assignLicense(BOB, { addLicenses: [{ skuId: SKU_MCOMEETADV }], removeLicenses: [] });
    await settle(env);
    assert.equal(env.publisher.migrations().length, 1);
    env.sandbox.tenant.deleteUser(BOB, 'permanent');
    await settle(env);
    assert.equal(env.publisher.migrations().length, 1, 'no migration for the deletion');
    assert.equal((await statusOf(BOB))?.state, 'Pending', 'the status record is still there');
    assert.equal(
      (await getInfrastructure().repositories.profiles.get(BOB))?.directorySnapshot?.deleted,
      true,
    );
  });
});

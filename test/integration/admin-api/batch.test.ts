/**
 * The bulk start against Azurite, with a recording queue and a fake directory: the request keeps each user once,
 * rejects malformed and repeated identities, takes group members and service-plan holders, answers at once; each
 * release step requests the next BATCH_RELEASE_SIZE members and schedules the next step later (the pace), a
 * redelivered or out-of-turn step does nothing twice, an unknown user is rejected, and the progress counts
 * members by state. A Teams target is accepted like any other: each member is requested as a conversion.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { GraphRequestError } from '../../../shared/graph/errors';
import { migrateUserBody, releaseBatchBody, type ReleaseBatchBody } from '../../../shared/queue/messages';
import type { OutgoingMessage, QueueName, QueuePublisher } from '../../../shared/queue/port';
import {
  batchBodySchema,
  getBatch,
  releaseBatch,
  startBatch,
  type BatchPorts,
} from '../../../shared/services/batch';
import { createRepositories } from '../../../shared/storage/repositories';
import { testTables } from '../../support/tables';

const u = (n: number) => `20000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const PLAN = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';
const GROUP = '2a000000-0000-4000-8000-00000000002a';

function setup() {
  const repositories = createRepositories(testTables('batch'));
  const sent: { queue: QueueName; message: OutgoingMessage }[] = [];
  const publisher: QueuePublisher = {
    send: (queue, message) => {
      sent.push({ queue, message });
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  let now = new Date('2026-12-01T10:00:00.000Z');
  const directory = new Map(
    Array.from({ length: 12 }, (_, i) => [u(i + 1), `user${i + 1}@contoso.test`] as const),
  );
  const ports: BatchPorts = {
    repositories,
    groups: {
      async *transitiveUserMembers(groupId: string) {
        if (groupId !== GROUP) throw Object.assign(new Error('nope'), { status: 404 });
        await Promise.resolve();
        yield [
          { id: u(3), userPrincipalName: 'user3@contoso.test' },
          { id: u(4), userPrincipalName: 'user4@contoso.test' },
        ];
        yield [{ id: u(5), userPrincipalName: 'user5@contoso.test' }];
      },
    },
    publisher: () => publisher,
    requests: {
      profiles: repositories.profiles,
      directory: {
        getUser: (idOrUpn: string) => {
          for (const [id, upn] of directory) {
            if (id === idOrUpn.toLowerCase() || upn === idOrUpn.toLowerCase()) {
              return Promise.resolve({
                id,
                userPrincipalName: upn,
                displayName: null,
                mail: null,
                preferredLanguage: null,
                assignedLicenses: [],
                assignedPlans: [],
                accountEnabled: true,
              });
            }
          }
          return Promise.resolve(null);
        },
      },
      statuses: repositories.status,
      publisher,
      now: () => now,
      newId: () => randomUUID(),
      config: { migrationDelaySeconds: 0 },
    },
    clock: () => now,
    newId: () => randomUUID(),
    config: { batchReleaseSize: 3, batchReleaseIntervalSeconds: 60 },
  };
  return {
    ports,
    sent,
    repositories,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
  };
}

const releases = (sent: { message: OutgoingMessage }[]) =>
  sent.flatMap((s) => {
    const r = releaseBatchBody.safeParse(s.message.body);
    return r.success ? [{ body: r.data, message: s.message }] : [];
  });
const migrations = (sent: { message: OutgoingMessage }[]) =>
  sent.filter((s) => migrateUserBody.safeParse(s.message.body).success);

describe('bulk start', () => {
  it('validates the body: at least one source, at most 10,000 identities, GUIDs', () => {
    assert.equal(batchBodySchema.safeParse({}).success, false);
    assert.equal(batchBodySchema.safeParse({ identities: Array(10_001).fill('a@b.cd') }).success, false);
    assert.equal(batchBodySchema.safeParse({ groupId: 'sales' }).success, false);
    assert.equal(batchBodySchema.safeParse({ identities: ['a@b.cd'], extra: 1 }).success, false);
    assert.equal(batchBodySchema.safeParse({ identities: ['a@b.cd'], groupId: GROUP }).success, true);
  });

  it('collects, dedupes, rejects; then releases at the configured pace, once per step', async () => {
    const { ports, sent, repositories, advance } = setup();
    await repositories.profiles.upsert({
      userId: u(6),
      userPrincipalName: 'user6@contoso.test',
      audioConferencing: true,
      assignedPlanIds: [PLAN],
      homing: 'online',
      dialIn: { provider: 'Microsoft', enabled: true },
      updatedAt: '2026-11-01T00:00:00.000Z',
    });
    const started = await startBatch(
      ports,
      batchBodySchema.parse({
        identities: [
          'user1@contoso.test',
          'USER1@contoso.test',
          'not an identity',
          u(2),
          'user3@contoso.test',
          'ghost@contoso.test',
        ],
        groupId: GROUP,
        servicePlanId: PLAN,
      }),
    );
    // user1, u2, user3, ghost, then the group's 4 and 5 (3 already there), then the plan's user6.
    assert.equal(started.accepted, 7);
    assert.deepEqual(
      started.rejected.map((r) => [r.identity, r.code]),
      [
        ['not an identity', 'invalidIdentity'],
        ['USER1@contoso.test', 'duplicate'],
      ],
    );
    assert.equal(migrations(sent).length, 0, 'no user is requested within the request');
    const first = releases(sent);
    assert.equal(first.length, 1);
    assert.equal(first[0]?.message.sessionId, `batch:${started.batchId}`);
    assert.equal(first[0]?.message.scheduledEnqueueTime, undefined, 'the first step runs at once');

    let progress = await getBatch(ports, started.batchId);
    assert.deepEqual(progress.progress, {
      waiting: 7,
      rejected: 2,
      Pending: 0,
      InProgress: 0,
      Succeeded: 0,
      Failed: 0,
    });
    assert.equal(progress.complete, false);

    // Step 0: three members requested, step 1 scheduled a minute later.
    const step0 = first[0]?.body;
    assert.deepEqual(await releaseBatch(ports, step0), {
      kind: 'released',
      batchId: started.batchId,
      step: 0,
      requested: 3,
      rejected: 0,
      done: false,
    });
    assert.equal(migrations(sent).length, 3);
    const next = releases(sent)[1];
    assert.equal(next?.body.step, 1);
    assert.equal(next?.message.scheduledEnqueueTime?.toISOString(), '2026-12-01T10:01:00.000Z');
    // The same step again (a redelivery) does nothing.
    assert.equal((await releaseBatch(ports, step0)).kind, 'stale');
    assert.equal(migrations(sent).length, 3);

    advance(60_000);
    // Step 1: ghost is not in the directory → rejected; the others requested.
    const r1 = await releaseBatch(ports, next?.body);
    assert.equal(r1.kind === 'released' && r1.rejected, 1);
    advance(60_000);
    const r2 = await releaseBatch(ports, releases(sent)[2]?.body as ReleaseBatchBody);
    assert.equal(r2.kind === 'released' && r2.done, true);
    assert.equal(releases(sent).length, 3, 'no step after the last');
    assert.equal(migrations(sent).length, 6);

    progress = await getBatch(ports, started.batchId);
    assert.deepEqual(progress.progress, {
      waiting: 0,
      rejected: 3,
      Pending: 6,
      InProgress: 0,
      Succeeded: 0,
      Failed: 0,
    });
    assert.equal(progress.released, 7);
    assert.ok(
      progress.rejected.some((r) => r.identity === 'ghost@contoso.test' && r.code === 'userNotFound'),
    );
    assert.equal(progress.complete, false, 'members are still Pending');
  });

  it('a Teams target is accepted: each member is requested as a conversion to Teams', async () => {
    const { ports, sent, repositories } = setup();
    const started = await startBatch(
      ports,
      batchBodySchema.parse({
        identities: ['user7@contoso.test', 'user8@contoso.test'],
        sourceMeetingType: 'SfB',
        targetMeetingType: 'Teams',
      }),
    );
    assert.equal(started.accepted, 2);
    const step = releases(sent)[0]?.body;
    assert.ok(step);
    const released = await releaseBatch(ports, step);
    assert.equal(released.kind === 'released' && released.requested, 2);
    for (const id of [u(7), u(8)]) {
      const status = await repositories.status.get(id);
      assert.equal(status?.migrationType, 'SfbToTeams');
      assert.equal(status.targetMeetingType, 'Teams');
      assert.equal(status.sourceMeetingType, 'SfB');
    }
  });

  it('an unknown group is 404; an unknown batch is 404, a malformed id 400', async () => {
    const { ports } = setup();
    ports.groups = {
      // eslint-disable-next-line require-yield
      async *transitiveUserMembers() {
        await Promise.resolve();
        throw new GraphRequestError({
          status: 404,
          code: 'Request_ResourceNotFound',
          message: 'no',
          operation: 'x',
        });
      },
    };
    await assert.rejects(startBatch(ports, batchBodySchema.parse({ groupId: GROUP })), {
      code: 'groupNotFound',
    });
    await assert.rejects(getBatch(ports, u(99)), { code: 'batchNotFound' });
    await assert.rejects(getBatch(ports, 'x'), { code: 'invalidParameter' });
  });
});

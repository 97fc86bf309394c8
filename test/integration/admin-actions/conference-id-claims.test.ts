/**
 * Conference-id uniqueness per bridge under concurrency, against Azurite: the ConferenceIds claim table
 * (PartitionKey = bridge, RowKey = conference id, value = user) that PATCH /api/users/{identity}/dial-in claims
 * before writing the profile. Concurrent PATCHes to one free id, resets that meet taken ids, bridge moves that
 * release the old claim, repeated PATCHes, and the local loader filling claims for a generated tenant.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { loadLocalData } from '../../../dev/local-data';
import { generateTenant } from '../../../dev/sandbox/generator';
import { userDialIn } from '../../../functions/user-dial-in';
import { EmbeddedQueue } from '../../../shared/queue/embedded';
import { dialInDeps, MAX_DIAL_IN_PLAN_ATTEMPTS, patchUserDialIn } from '../../../shared/services/dial-in';
import { isServiceError } from '../../../shared/services/errors';
import {
  resetInfrastructureForTests,
  setInfrastructureForTests,
} from '../../../shared/services/infrastructure';
import {
  createRepositories,
  dialInSchema,
  type Repositories,
  type UserProfileInput,
} from '../../../shared/storage/repositories';
import { adminTestConfig, ADA, BOB, DORA, BRIDGE_A, BRIDGE_B } from '../../support/admin-fixtures';

const A = BRIDGE_A;
const B = BRIDGE_B;

function user(userId: string, alias: string, conferenceId: string): UserProfileInput {
  return {
    userId,
    userPrincipalName: `${alias}@contoso.com`,
    audioConferencing: true,
    assignedPlanIds: [],
    homing: 'online',
    dialIn: { provider: 'Microsoft', enabled: true, bridgeId: A.id, conferenceId },
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

let repos: Repositories;
let queue: EmbeddedQueue;

beforeEach(async () => {
  const config = adminTestConfig('cid');
  repos = createRepositories(config);
  queue = new EmbeddedQueue({ redeliveryDelayMs: 10 });
  setInfrastructureForTests({
    config,
    repositories: repos,
    queue: () => queue,
    clock: () => new Date('2026-03-02T09:00:00.000Z'),
  });
  await repos.bridges.upsert(A);
  await repos.bridges.upsert(B);
  // Profiles written directly (no claims): data from before claims existed.
  await repos.profiles.upsert(user(ADA, 'ada', '7654321'));
  await repos.profiles.upsert(user(BOB, 'bob', '1234567'));
  await repos.profiles.upsert(user(DORA, 'dora', '5555555'));
});

afterEach(async () => {
  await queue.close();
  resetInfrastructureForTests();
});

async function patch(
  identity: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const request = new HttpRequest({
    method: 'PATCH',
    url: `http://127.0.0.1/api/users/${identity}/dial-in`,
    params: { identity },
    headers: { 'content-type': 'application/json' },
    body: { string: JSON.stringify(body) },
  });
  const res = await userDialIn(request, new InvocationContext({ logHandler: () => undefined }));
  return { status: res.status ?? 200, json: (res.jsonBody ?? {}) as Record<string, unknown> };
}

const conferenceIdOf = (json: Record<string, unknown>) =>
  (json.dialIn as { conferenceId?: unknown }).conferenceId;
const errorCode = (json: Record<string, unknown>) => (json.error as { code?: unknown } | undefined)?.code;
const holder = async (bridgeId: string, id: string) => (await repos.conferenceIds.get(bridgeId, id))?.userId;
const storedId = async (userId: string) => (await repos.profiles.get(userId))?.dialIn.conferenceId;

describe('conference-id claims', () => {
  it('two concurrent PATCHes to the same free id on one bridge: exactly one succeeds, the other gets 409', async () => {
    for (const id of ['2000001', '2000002', '2000003', '2000004', '2000005']) {
      const [ada, dora] = await Promise.all([
        patch(ADA, { conferenceId: id }),
        patch(DORA, { conferenceId: id }),
      ]);
      const statuses = [ada.status, dora.status].sort();
      assert.deepEqual(statuses, [200, 409], `id ${id}: ${JSON.stringify([ada.json, dora.json])}`);
      const [winner, winnerRes, loser, loserRes] =
        ada.status === 200 ? [ADA, ada, DORA, dora] : [DORA, dora, ADA, ada];
      assert.equal(errorCode(loserRes.json), 'conferenceIdInUse');
      assert.equal(conferenceIdOf(winnerRes.json), id);
      assert.equal(await storedId(winner), id);
      assert.notEqual(await storedId(loser), id);
      assert.equal(await holder(A.id, id), winner);
    }
    // Each user ends with exactly their own id claimed: the ids they left were released.
    const claims = [];
    for await (const c of repos.conferenceIds.onBridge(A.id)) claims.push(c);
    for (const c of claims) assert.equal(await storedId(c.userId), c.conferenceId, JSON.stringify(c));
  });

  it('a reset never takes an id already held, by a claim or by an older profile without one', async () => {
    await repos.conferenceIds.insert(A.id, '300000001', BOB); // claimed, profile not written yet (in flight)
    await repos.profiles.upsert(user(DORA, 'dora', '300000002')); // held, no claim (old data)
    const picks = ['300000001', '300000002', '7654321', '300000003'];
    const deps = { ...dialInDeps(), randomInt: () => Number(picks.shift() ?? '399999999') };

    const res = await patchUserDialIn(ADA, { resetConferenceId: true }, deps);
    assert.equal(res.dialIn.conferenceId, '300000003');
    assert.deepEqual(res.changes, ['conferenceIdReset']);
    assert.equal(await storedId(ADA), '300000003');
    assert.equal(await holder(A.id, '300000003'), ADA);
    assert.equal(await holder(A.id, '300000001'), BOB);
    assert.equal(await storedId(DORA), '300000002');
    assert.equal(await holder(A.id, '300000002'), undefined, 'a failed pick leaves no claim behind');
  });

  it('a reset gives up after a bounded number of claim attempts when every pick is taken (503, nothing changed)', async () => {
    // PATCHes of Bob's in flight hold the ids the reset will pick, one after the other.
    const ids = Array.from({ length: MAX_DIAL_IN_PLAN_ATTEMPTS + 2 }, (_, i) => 400000001 + i);
    for (const id of ids) await repos.conferenceIds.insert(A.id, String(id), BOB);
    let calls = 0;
    const deps = { ...dialInDeps(), randomInt: () => ids[calls++] ?? 499999999 };
    await assert.rejects(patchUserDialIn(ADA, { resetConferenceId: true }, deps), (e: unknown) => {
      assert.ok(isServiceError(e), String(e));
      assert.equal(e.httpStatus, 503);
      return true;
    });
    assert.equal(calls, MAX_DIAL_IN_PLAN_ATTEMPTS, 'one pick per attempt, and no more attempts');
    assert.equal(await storedId(ADA), '7654321');
    for (const id of ids) assert.equal(await holder(A.id, String(id)), BOB);
  });

  it('moving bridges releases the old claim: the id becomes free on the old bridge', async () => {
    assert.equal((await patch(ADA, { conferenceId: '2468024' })).status, 200);
    assert.equal(await holder(A.id, '2468024'), ADA);
    assert.equal(await holder(A.id, '7654321'), undefined, 'the id left behind is not claimed');

    const moved = await patch(ADA, { bridgeId: B.id });
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    assert.equal(conferenceIdOf(moved.json), '2468024', 'free on the new bridge, so kept');
    assert.equal(await holder(B.id, '2468024'), ADA);
    assert.equal(await holder(A.id, '2468024'), undefined);

    const bob = await patch(BOB, { conferenceId: '2468024' });
    assert.equal(bob.status, 200, JSON.stringify(bob.json));
    assert.equal(await holder(A.id, '2468024'), BOB);
  });

  it('a move onto a bridge where the kept id is claimed picks a new one', async () => {
    assert.equal((await patch(ADA, { bridgeId: B.id, conferenceId: '8888888' })).status, 200);
    const dora = await patch(DORA, { bridgeId: B.id });
    assert.equal(dora.status, 200, JSON.stringify(dora.json));
    assert.equal(conferenceIdOf(dora.json), '5555555');
    const bob = await patch(BOB, { conferenceId: '5555555' }); // DORA released it on A
    assert.equal(bob.status, 200, JSON.stringify(bob.json));
    const moved = await patch(BOB, { bridgeId: B.id }); // 5555555 is DORA's on B
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    assert.match(String(conferenceIdOf(moved.json)), /^[1-9]\d{8}$/);
    assert.equal(await holder(B.id, '5555555'), DORA);
    assert.equal(await holder(B.id, String(conferenceIdOf(moved.json))), BOB);
    assert.equal(await holder(A.id, '5555555'), undefined);
  });

  it('the same PATCH twice (one after the other, or at once) answers 200 both times', async () => {
    const first = await patch(ADA, { conferenceId: '9090909' });
    const second = await patch(ADA, { conferenceId: '9090909' });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(second.status, 200, JSON.stringify(second.json));
    assert.deepEqual(second.json.changes, []);

    const both = await Promise.all([
      patch(ADA, { conferenceId: '9191919' }),
      patch(ADA, { conferenceId: '9191919' }),
    ]);
    assert.deepEqual(
      both.map((r) => r.status),
      [200, 200],
      JSON.stringify(both.map((r) => r.json)),
    );
    assert.equal(await storedId(ADA), '9191919');
    assert.equal(await holder(A.id, '9191919'), ADA);
    assert.equal(await holder(A.id, '9090909'), undefined);
  });

  it('a conference id another user holds is refused with 409 and changes nothing', async () => {
    assert.equal((await patch(BOB, { conferenceId: '6060606' })).status, 200);
    const res = await patch(ADA, { conferenceId: '6060606' });
    assert.equal(res.status, 409);
    assert.equal(errorCode(res.json), 'conferenceIdInUse');
    assert.equal(await storedId(ADA), '7654321');
    assert.equal(await holder(A.id, '6060606'), BOB);
  });

  it('loading a generated tenant claims every Microsoft user’s conference id on their bridge', async () => {
    const input = generateTenant({ users: 30, meetings: 0, seed: 7 });
    const loaded = await loadLocalData(repos, input, { audioConferencingPlanIds: [], now: new Date() });
    let expected = 0;
    for (const u of input.users) {
      const d = u.sandboxDialIn;
      if (d?.provider !== 'Microsoft' || d.bridgeId === undefined || d.conferenceId === undefined) continue;
      expected++;
      assert.equal(await holder(d.bridgeId, d.conferenceId), u.id);
    }
    assert.ok(expected > 0, 'the generated tenant has Microsoft dial-in users');
    assert.equal(loaded.conferenceIdClaims, expected);

    // A seed user's id is refused for another user through its claim.
    const someone = input.users.find(
      (u) => u.sandboxDialIn?.provider === 'Microsoft' && u.sandboxDialIn.conferenceId,
    );
    const d = dialInSchema.parse(someone?.sandboxDialIn);
    const other = input.users.find(
      (u) =>
        u.id !== someone?.id &&
        u.sandboxDialIn?.provider === 'Microsoft' &&
        u.sandboxDialIn.bridgeId === d.bridgeId,
    );
    if (other) {
      const res = await patch(other.id, { conferenceId: d.conferenceId });
      assert.equal(res.status, 409, JSON.stringify(res.json));
    }
  });
});

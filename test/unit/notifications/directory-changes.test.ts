/**
 * processDirectoryChange with an in-memory directory, profile store, delta state and request path: which delta
 * changes request a migration (and of which type), baselines, deletions, side effects, and the lease.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIO_CONFERENCING_PLAN_ID } from '../../../shared/config';
import { DEFAULT_TENANT_SETTINGS, type TenantMigrationSettings } from '../../../shared/domain/trigger-rules';
import type { DeltaItem, DeltaOptions, DeltaUser } from '../../../shared/graph/ports';
import {
  DELTA_SELECT,
  processDirectoryChange,
  snapshotFromDelta,
  type DirectoryChangeDeps,
} from '../../../shared/services/directory-changes';
import type {
  MigrationRequestInput,
  MigrationRequestResult,
} from '../../../shared/services/request-migration';
import type { DeltaState } from '../../../shared/storage/repositories/delta-state-repository';
import type { UserProfile, UserProfileInput } from '../../../shared/storage/repositories';
import { userProfileSchema } from '../../../shared/storage/repositories';

const AC = AUDIO_CONFERENCING_PLAN_ID;
const OTHER_PLAN = '57ff2da0-773e-42df-b2af-ffb7a2317929'; // TEAMS1
const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';

function plan(id: string, status = 'Enabled') {
  return {
    servicePlanId: id,
    capabilityStatus: status,
    service: 'MicrosoftCommunicationsOnline',
    assignedDateTime: null,
  };
}

function user(id: string, planIds: string[], extra: Partial<DeltaUser> = {}): DeltaUser {
  return {
    id,
    userPrincipalName: `${id.slice(0, 4)}@contoso.com`,
    accountEnabled: true,
    assignedLicenses: [],
    assignedPlans: planIds.map((p) => plan(p)),
    imAddresses: [`${id.slice(0, 4)}@contoso.com`],
    ...extra,
  };
}

/** A directory whose delta answers each round's users and a new link; `forget` makes it lose the sync state. */
class FakeDirectory {
  rounds: DeltaUser[][] = [];
  calls: DeltaOptions[] = [];
  forget = false;
  async *delta(options: DeltaOptions): AsyncGenerator<DeltaItem> {
    this.calls.push(options);
    await Promise.resolve();
    if (this.forget && options.deltaLink) {
      yield { kind: 'restart', reason: 'syncStateNotFound' };
    }
    const users = this.rounds.shift() ?? [];
    yield { kind: 'page', users: users.slice(0, 1) };
    yield {
      kind: 'page',
      users: users.slice(1),
      deltaLink: `https://graph/delta?token=${this.calls.length}`,
    };
  }
}

class FakeDeltaState {
  state: DeltaState = {
    deltaLink: null,
    select: null,
    linkUpdatedAt: null,
    leaseHolder: null,
    leaseUntil: null,
    rerunRequested: false,
    rounds: 0,
  };
  acquire(holder: string) {
    if (this.state.leaseHolder !== null && this.state.leaseHolder !== holder) {
      this.state.rerunRequested = true;
      return Promise.resolve({ acquired: false as const });
    }
    this.state = { ...this.state, leaseHolder: holder, rerunRequested: false };
    return Promise.resolve({ acquired: true as const, state: { ...this.state } });
  }
  saveLink(holder: string, link: string, select: string) {
    if (this.state.leaseHolder !== holder) return Promise.resolve(false);
    this.state = { ...this.state, deltaLink: link, select, rounds: this.state.rounds + 1 };
    return Promise.resolve(true);
  }
  release(holder: string) {
    if (this.state.leaseHolder !== holder) return Promise.resolve('notHeld' as const);
    if (this.state.rerunRequested) {
      this.state.rerunRequested = false;
      return Promise.resolve('rerun' as const);
    }
    this.state.leaseHolder = null;
    return Promise.resolve('released' as const);
  }
  abandon(holder: string) {
    if (this.state.leaseHolder === holder) this.state.leaseHolder = null;
    return Promise.resolve();
  }
}

function setup(settings: Partial<TenantMigrationSettings> = {}) {
  const directory = new FakeDirectory();
  const deltaState = new FakeDeltaState();
  const profiles = new Map<string, UserProfile>();
  const requests: MigrationRequestInput[] = [];
  let n = 0;
  const deps: DirectoryChangeDeps = {
    directory,
    deltaState,
    profiles: {
      get: (id) => Promise.resolve(profiles.get(id) ?? null),
      mutate: (id, fn) => {
        const next: UserProfileInput | undefined = fn(structuredClone(profiles.get(id) ?? null));
        if (next === undefined) return Promise.resolve(profiles.get(id) ?? null);
        const parsed = userProfileSchema.parse(next);
        profiles.set(id, parsed);
        return Promise.resolve(parsed);
      },
    },
    settings: { get: () => Promise.resolve({ ...DEFAULT_TENANT_SETTINGS, ...settings }) },
    requestMigration: (input) => {
      requests.push(input);
      return Promise.resolve({
        outcome: 'queued',
        status: {
          state: 'Pending',
          migrationType: 'ToSameType',
          correlationId: 'c',
          notBefore: null,
          lastMessage: '',
        },
        user: { userId: 'x', userPrincipalName: 'x', source: 'caller' },
      } as unknown as MigrationRequestResult);
    },
    config: { audioConferencingPlanIds: [AC] },
    now: () => new Date('2026-11-21T10:00:00Z'),
    newId: () => `holder-${++n}`,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  };
  const sweep = () =>
    processDirectoryChange(deps, { kind: 'deltaSweep', reason: 'test', requestedAt: '2026-11-21T10:00:00Z' });
  return { directory, deltaState, profiles, requests, deps, sweep };
}

/** Baseline round with both users, then `next` as the second round. */
async function baselineThen(s: ReturnType<typeof setup>, next: DeltaUser[]) {
  s.directory.rounds.push([user(U1, [OTHER_PLAN]), user(U2, [AC, OTHER_PLAN])], next);
  const first = await s.sweep();
  assert.equal(first.baselines, 2);
  assert.equal(s.requests.length, 0, 'first sight is the baseline: nothing migrated');
  return s.sweep();
}

describe('processDirectoryChange: trigger rules on delta', () => {
  it('first sight creates profiles with the snapshot and migrates nothing', async () => {
    const s = setup();
    s.directory.rounds.push([user(U1, [AC])]);
    const r = await s.sweep();
    assert.equal(r.baselines, 1);
    assert.equal(s.requests.length, 0);
    const p = s.profiles.get(U1);
    assert.equal(p?.audioConferencing, true);
    assert.equal(p?.dialIn.provider, 'Microsoft');
    assert.equal(p?.directorySnapshot?.sipAddress, `${U1.slice(0, 4)}@contoso.com`);
  });

  it('Audio Conferencing assigned → one migration request, ToSameType (All → Current)', async () => {
    const s = setup();
    const r = await baselineThen(s, [user(U1, [OTHER_PLAN, AC])]);
    assert.equal(s.requests.length, 1);
    const req = s.requests[0];
    assert.equal(req?.trigger, 'audioConferencingLicenceAssigned');
    assert.equal(req?.sourceMeetingType, 'All');
    assert.equal(req?.targetMeetingType, 'Current');
    assert.deepEqual(req?.identity, { userId: U1, userPrincipalName: `${U1.slice(0, 4)}@contoso.com` });
    assert.deepEqual(r.changed, [
      { userId: U1, changes: ['audioConferencingLicenceAssigned'], migration: 'queued' },
    ]);
    assert.equal(s.profiles.get(U1)?.audioConferencing, true);
  });

  it('Audio Conferencing removed (plan Deleted) → a migration; an unrelated plan change → nothing', async () => {
    const s = setup();
    await baselineThen(s, [user(U2, [OTHER_PLAN]), user(U1, [])]);
    assert.deepEqual(
      s.requests.map((r) => r.trigger),
      ['audioConferencingLicenceRemoved'],
    );
  });

  it('a suspended Audio Conferencing plan counts as removed', async () => {
    const s = setup();
    await baselineThen(s, [{ ...user(U2, []), assignedPlans: [plan(AC, 'Suspended')] }]);
    assert.deepEqual(
      s.requests.map((r) => r.trigger),
      ['audioConferencingLicenceRemoved'],
    );
  });

  it('SIP address or UPN change → no migration, snapshot updated', async () => {
    const s = setup();
    const r = await baselineThen(s, [
      user(U1, [OTHER_PLAN], { userPrincipalName: 'renamed@contoso.com' }),
      user(U2, [AC, OTHER_PLAN], { imAddresses: ['new.sip@contoso.com'] }),
    ]);
    assert.equal(s.requests.length, 0);
    assert.equal(r.changed.length, 2);
    assert.ok(r.changed.every((c) => c.migration === 'none'));
    assert.equal(s.profiles.get(U1)?.userPrincipalName, 'renamed@contoso.com');
    assert.equal(s.profiles.get(U2)?.directorySnapshot?.sipAddress, 'new.sip@contoso.com');
  });

  for (const settings of [
    { meetingMigrationEnabled: false },
    { automaticallyMigrateUserMeetings: false },
  ] as const) {
    it(`settings ${JSON.stringify(settings)} → no migration for a licence change`, async () => {
      const s = setup(settings);
      await baselineThen(s, [user(U1, [OTHER_PLAN, AC])]);
      assert.equal(s.requests.length, 0);
      assert.equal(s.profiles.get(U1)?.audioConferencing, true, 'the snapshot still moves on');
    });
  }

  it('third-party provider: licence assigned migrates only with automaticallyReplaceAcpProvider, which makes the provider Microsoft', async () => {
    for (const replace of [false, true]) {
      const s = setup({ automaticallyReplaceAcpProvider: replace });
      s.directory.rounds.push([user(U1, [OTHER_PLAN])]);
      await s.sweep();
      const p = s.profiles.get(U1);
      assert.ok(p);
      s.profiles.set(U1, {
        ...p,
        dialIn: { provider: 'ThirdParty', enabled: true, thirdPartyProviderName: 'ACME' },
      });
      s.directory.rounds.push([user(U1, [OTHER_PLAN, AC])]);
      await s.sweep();
      assert.equal(s.requests.length, replace ? 1 : 0);
      assert.equal(s.profiles.get(U1)?.dialIn.provider, replace ? 'Microsoft' : 'ThirdParty');
    }
  });

  it('deleted user (soft or permanent) → nothing migrated, profile kept and marked deleted', async () => {
    const s = setup();
    const r = await baselineThen(s, [
      { id: U1, removed: { reason: 'deleted' } },
      { id: U2, removed: { reason: 'changed' } },
    ]);
    assert.equal(s.requests.length, 0);
    assert.deepEqual(
      r.changed.map((c) => c.changes),
      [['userDeleted'], ['userDeleted']],
    );
    assert.equal(s.profiles.get(U1)?.directorySnapshot?.deleted, true);
  });

  it('a removed user never seen before leaves no profile behind', async () => {
    const s = setup();
    s.directory.rounds.push([{ id: U1, removed: { reason: 'deleted' } }]);
    await s.sweep();
    assert.equal(s.profiles.size, 0);
  });
});

describe('processDirectoryChange: delta link and lease', () => {
  it('persists the deltaLink with its $select and reuses it on the next round', async () => {
    const s = setup();
    s.directory.rounds.push([user(U1, [])], []);
    await s.sweep();
    assert.equal(s.directory.calls[0]?.deltaLink, undefined, 'the first round is a full sync');
    assert.deepEqual(s.directory.calls[0]?.select, DELTA_SELECT);
    assert.equal(s.deltaState.state.deltaLink, 'https://graph/delta?token=1');
    await s.sweep();
    assert.equal(s.directory.calls[1]?.deltaLink, 'https://graph/delta?token=1');
    assert.equal(s.deltaState.state.leaseHolder, null, 'the lease is released');
  });

  it('a link made with another $select is not reused (full sync)', async () => {
    const s = setup();
    s.deltaState.state = { ...s.deltaState.state, deltaLink: 'https://graph/old', select: 'id,displayName' };
    await s.sweep();
    assert.equal(s.directory.calls[0]?.deltaLink, undefined);
  });

  it('a restart (syncStateNotFound) diffs the full sync against the snapshots: real changes still migrate', async () => {
    const s = setup();
    s.directory.rounds.push([user(U1, [])]);
    await s.sweep();
    s.directory.forget = true;
    s.directory.rounds.push([user(U1, [AC]), user(U2, [])]);
    const r = await s.sweep();
    assert.equal(r.restarted, true);
    assert.deepEqual(
      s.requests.map((x) => x.trigger),
      ['audioConferencingLicenceAssigned'],
    );
  });

  it('while another run holds the lease: returns at once and asks the holder for one more round', async () => {
    const s = setup();
    s.deltaState.state.leaseHolder = 'someone-else';
    const r = await s.sweep();
    assert.equal(r.ran, false);
    assert.equal(s.directory.calls.length, 0);
    assert.equal(s.deltaState.state.rerunRequested, true);
  });

  it('a failure releases the lease and rethrows (the message is retried)', async () => {
    const s = setup();
    s.directory.rounds.push([user(U1, [])]);
    s.deps.profiles.get = () => Promise.reject(new Error('storage down'));
    await assert.rejects(s.sweep(), /storage down/);
    assert.equal(s.deltaState.state.leaseHolder, null);
    assert.equal(s.deltaState.state.deltaLink, null, 'the link did not advance');
  });
});

describe('snapshotFromDelta', () => {
  it('keeps previous values for properties the page left out', () => {
    const prev = snapshotFromDelta(user(U1, [AC]), null, null);
    assert.ok(prev);
    const next = snapshotFromDelta({ id: U1, userPrincipalName: 'x@contoso.com' }, prev, null);
    assert.deepEqual(next?.assignedPlans, prev.assignedPlans);
    assert.equal(next?.sipAddress, prev.sipAddress);
    assert.equal(next?.userPrincipalName, 'x@contoso.com');
  });
});

/**
 * Audio Conferencing detection by service plan (not SKU) and the diff of two directory snapshots of a user.
 * Plan and SKU ids: reference/graph-facts.md §3.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  audioConferencingEnabled,
  diffUserSnapshot,
  userSnapshotSchema,
  type AssignedPlan,
  type UserSnapshot,
} from '../../../shared/domain/trigger-rules';

const MCOMEETADV = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';
const MCOSTANDARD = '0feaeb32-d00e-4d66-bd5a-43b5b83db82c';
const TEAMS1 = '57ff2da0-773e-42df-b2af-ffb7a2317929';
const MCOEV = '4828c8ec-dc2e-4779-b502-87ac9ce28ab7';
const EXCHANGE_E5_PLAN = 'efb87545-963c-4e0d-99df-69c6916d9eb0';
const SKU_E5 = 'c7df2760-2c81-4ef7-b578-5b5392b571df';
const SKU_E5_NOPSTNCONF = '26d45bd9-adf1-46cd-a9e1-51e9a5524128';
const SKU_MCOMEETADV = '0c266dff-15dd-4b49-8397-2bb16070ed52';
const PLAN_IDS = [MCOMEETADV];

function plan(servicePlanId: string, capabilityStatus: string, service = 'MicrosoftCommunicationsOnline') {
  return { servicePlanId, capabilityStatus, service, assignedDateTime: '2026-01-01T00:00:00Z' };
}

/** Office 365 E5 as Entra shows it: Exchange, SfB Online, Teams, Phone System and Audio Conferencing plans. */
const E5_PLANS: AssignedPlan[] = [
  plan(EXCHANGE_E5_PLAN, 'Enabled', 'exchange'),
  plan(MCOSTANDARD, 'Enabled'),
  plan(TEAMS1, 'Enabled', 'TeamspaceAPI'),
  plan(MCOEV, 'Enabled'),
  plan(MCOMEETADV, 'Enabled'),
];
/** Office 365 E5 without Audio Conferencing: the same minus MCOMEETADV. */
const E5_NOPSTNCONF_PLANS: AssignedPlan[] = E5_PLANS.filter((p) => p.servicePlanId !== MCOMEETADV);
/** E5 with the Audio Conferencing plan turned off in the licence (disabledPlans): the plan shows as Deleted. */
const E5_AC_DISABLED_PLANS: AssignedPlan[] = E5_PLANS.map((p) =>
  p.servicePlanId === MCOMEETADV ? { ...p, capabilityStatus: 'Deleted' } : p,
);

function snapshot(over: Partial<UserSnapshot> = {}): UserSnapshot {
  return userSnapshotSchema.parse({
    id: '11111111-1111-1111-1111-111111111111',
    userPrincipalName: 'adele@contoso.com',
    homing: 'online',
    sipAddress: 'sip:adele@contoso.com',
    ...over,
  });
}

const e5 = snapshot({
  assignedLicenses: [{ skuId: SKU_E5, disabledPlans: [] }],
  assignedPlans: E5_PLANS,
});
const e5NoPstnConf = snapshot({
  assignedLicenses: [{ skuId: SKU_E5_NOPSTNCONF, disabledPlans: [] }],
  assignedPlans: E5_NOPSTNCONF_PLANS,
});
const e5AcDisabled = snapshot({
  assignedLicenses: [{ skuId: SKU_E5, disabledPlans: [MCOMEETADV] }],
  assignedPlans: E5_AC_DISABLED_PLANS,
});
const unlicensed = snapshot();

describe('audioConferencingEnabled', () => {
  it('is true for a bundle that includes the plan (E5), false for one that does not (E5 without PSTN conf)', () => {
    assert.equal(audioConferencingEnabled(E5_PLANS, PLAN_IDS), true);
    assert.equal(audioConferencingEnabled(E5_NOPSTNCONF_PLANS, PLAN_IDS), false);
  });

  it('is false when the plan is disabled in the licence (disabledPlans → Deleted)', () => {
    assert.equal(audioConferencingEnabled(E5_AC_DISABLED_PLANS, PLAN_IDS), false);
  });

  it('counts Enabled and Warning (grace period, still works); not Suspended, LockedOut or Deleted', () => {
    const status = (s: string) => audioConferencingEnabled([plan(MCOMEETADV, s)], PLAN_IDS);
    assert.equal(status('Enabled'), true);
    assert.equal(status('Warning'), true);
    assert.equal(status('Suspended'), false);
    assert.equal(status('LockedOut'), false);
    assert.equal(status('Deleted'), false);
  });

  it('looks at the plan id, never at the SKU or another plan', () => {
    assert.equal(
      audioConferencingEnabled([plan(MCOEV, 'Enabled'), plan(TEAMS1, 'Enabled')], PLAN_IDS),
      false,
    );
    assert.equal(audioConferencingEnabled([], PLAN_IDS), false);
  });

  it('is true when one of two licences still carries the plan (add-on SKU next to a disabled bundle plan)', () => {
    assert.equal(
      audioConferencingEnabled([plan(MCOMEETADV, 'Deleted'), plan(MCOMEETADV, 'Enabled')], PLAN_IDS),
      true,
    );
  });

  it('compares plan ids without regard to case, and honours a configured list', () => {
    assert.equal(audioConferencingEnabled([plan(MCOMEETADV.toUpperCase(), 'Enabled')], PLAN_IDS), true);
    const other = 'c2cda955-3359-44e5-989f-852ca0cfa02f';
    assert.equal(audioConferencingEnabled([plan(other, 'Enabled')], PLAN_IDS), false);
    assert.equal(audioConferencingEnabled([plan(other, 'Enabled')], [MCOMEETADV, other.toUpperCase()]), true);
  });
});

describe('diffUserSnapshot', () => {
  const kinds = (prev: UserSnapshot | null, cur: UserSnapshot) =>
    diffUserSnapshot(prev, cur, PLAN_IDS).map((c) => c.kind);

  it('reports a gained plan when a licence that includes it is assigned (none → E5, E5 w/o conf → E5)', () => {
    assert.deepEqual(kinds(unlicensed, e5), ['audioConferencingLicenceAssigned']);
    assert.deepEqual(kinds(e5NoPstnConf, e5), ['audioConferencingLicenceAssigned']);
  });

  it('reports nothing for a licence without the plan (none → E5 without PSTN conferencing)', () => {
    assert.deepEqual(kinds(unlicensed, e5NoPstnConf), []);
  });

  it('reports a lost plan when it is disabled in the licence, suspended, or the licence is removed', () => {
    assert.deepEqual(kinds(e5, e5AcDisabled), ['audioConferencingLicenceRemoved']);
    const suspended = snapshot({
      assignedPlans: E5_PLANS.map((p) => ({ ...p, capabilityStatus: 'Suspended' })),
    });
    assert.deepEqual(kinds(e5, suspended), ['audioConferencingLicenceRemoved']);
    assert.deepEqual(kinds(e5, unlicensed), ['audioConferencingLicenceRemoved']);
  });

  it('reports a gained plan when the plan is re-enabled in the licence', () => {
    assert.deepEqual(kinds(e5AcDisabled, e5), ['audioConferencingLicenceAssigned']);
  });

  it('reports nothing when the plan moves from a bundle to the add-on SKU (still enabled)', () => {
    const addOn = snapshot({
      assignedLicenses: [
        { skuId: SKU_E5_NOPSTNCONF, disabledPlans: [] },
        { skuId: SKU_MCOMEETADV, disabledPlans: [] },
      ],
      assignedPlans: [...E5_NOPSTNCONF_PLANS, plan(MCOMEETADV, 'Enabled')],
    });
    assert.deepEqual(kinds(e5, addOn), []);
  });

  it('reports nothing for an unchanged user, or a plan going Enabled → Warning', () => {
    assert.deepEqual(kinds(e5, e5), []);
    const warning = snapshot({ assignedPlans: E5_PLANS.map((p) => ({ ...p, capabilityStatus: 'Warning' })) });
    assert.deepEqual(kinds(e5, warning), []);
  });

  it('reports UPN and SIP changes (non-triggers) but not changes of case or the sip: prefix', () => {
    assert.deepEqual(kinds(e5, { ...e5, userPrincipalName: 'adele.vance@contoso.com' }), [
      'userPrincipalNameChanged',
    ]);
    assert.deepEqual(kinds(e5, { ...e5, userPrincipalName: 'Adele@Contoso.com' }), []);
    assert.deepEqual(kinds(e5, { ...e5, sipAddress: 'sip:adele@fabrikam.com' }), ['sipAddressChanged']);
    assert.deepEqual(kinds(e5, { ...e5, sipAddress: 'SIP:Adele@contoso.com' }), []);
  });

  it('reports homing changes in both directions, and nothing from unknown homing', () => {
    assert.deepEqual(kinds({ ...e5, homing: 'onPremises' }, e5), ['homedOnline']);
    assert.deepEqual(kinds(e5, { ...e5, homing: 'onPremises' }), ['homedOnPremises']);
    assert.deepEqual(kinds({ ...e5, homing: null }, e5), []);
  });

  it('reports a move and a licence in the same delta, the move first', () => {
    assert.deepEqual(kinds({ ...unlicensed, homing: 'onPremises' }, e5), [
      'homedOnline',
      'audioConferencingLicenceAssigned',
    ]);
  });

  it('reports only the deletion of a deleted user, once', () => {
    const gone = { ...unlicensed, deleted: true };
    assert.deepEqual(kinds(e5, gone), ['userDeleted']);
    assert.deepEqual(kinds(gone, gone), []);
  });

  it('treats the first sight of a user as the baseline', () => {
    assert.deepEqual(kinds(null, e5), []);
  });
});

/**
 * What a dial-in PATCH does to a profile (pure: applyDialInPatch), which changes it reports, and how those
 * become at most ONE migration request through triggerMigration (decided by decideTrigger under the tenant
 * settings). The request path is a recording fake here; the integration tests use the real one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TENANT_SETTINGS } from '../../../shared/domain/trigger-rules';
import { triggerMigration, type AdminActionDeps } from '../../../shared/services/admin-actions';
import {
  applyDialInPatch,
  dialInView,
  parseDialInPatch,
  type DialInPatchContext,
} from '../../../shared/services/dial-in';
import { ServiceError, unprocessable } from '../../../shared/services/errors';
import type { MigrationRequestInput } from '../../../shared/services/request-migration';
import type { Bridge, UserProfile } from '../../../shared/storage/repositories';

const A: Bridge = {
  id: 'aaaaaaaa-0000-4000-8000-000000000001',
  name: 'Conference Bridge',
  isDefault: true,
  dialInUrl: 'https://dialin.teams.microsoft.com/a',
  defaultTollNumber: '+14255550100',
  defaultTollFreeNumber: '+18005550100',
  numbers: [
    { number: '+14255550100', type: 'toll', city: 'Redmond', country: 'United States', languages: ['en-US'] },
    { number: '+12065550111', type: 'toll', city: 'Seattle', country: 'United States', languages: ['en-US'] },
    { number: '+18005550100', type: 'tollFree', city: 'Toll free', country: 'United States', languages: [] },
  ],
};
const B: Bridge = {
  id: 'bbbbbbbb-0000-4000-8000-000000000002',
  name: 'EMEA Conference Bridge',
  isDefault: false,
  dialInUrl: 'https://dialin.teams.microsoft.com/b',
  defaultTollNumber: '+442071234567',
  numbers: [
    {
      number: '+442071234567',
      type: 'toll',
      city: 'London',
      country: 'United Kingdom',
      languages: ['en-GB'],
    },
    { number: '+33170000000', type: 'toll', city: 'Paris', country: 'France', languages: ['fr-FR'] },
  ],
};

function profile(dialIn: UserProfile['dialIn']): UserProfile {
  return {
    userId: '11111111-1111-4111-8111-111111111111',
    userPrincipalName: 'ada@contoso.com',
    audioConferencing: true,
    assignedPlanIds: [],
    homing: 'online',
    dialIn,
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

const onA = profile({
  provider: 'Microsoft',
  enabled: true,
  bridgeId: A.id,
  tollNumber: '+12065550111',
  tollFreeNumber: '+18005550100',
  conferenceId: '7654321',
});

function ctx(bridge: Bridge | null, taken: string[] = []): DialInPatchContext {
  let n = 300000000;
  return { targetBridge: bridge, takenConferenceIds: new Set(taken), randomInt: () => n++ };
}

const kinds = (r: ReturnType<typeof applyDialInPatch>) => r.changes.map((c) => c.change.kind);

function serviceError(status: number, code: string, parameter?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof ServiceError, String(e));
    assert.equal(e.httpStatus, status);
    assert.equal(e.code, code);
    if (parameter) assert.equal(e.parameter, parameter);
    return true;
  };
}

describe('applyDialInPatch', () => {
  it('a bridge move takes the new bridge defaults and keeps a conference id that is free there', () => {
    const r = applyDialInPatch(onA, A, parseDialInPatch({ bridgeId: B.id }), ctx(B, ['1111111']));
    assert.deepEqual(r.dialIn, {
      provider: 'Microsoft',
      enabled: true,
      bridgeId: B.id,
      tollNumber: '+442071234567',
      conferenceId: '7654321',
    });
    assert.deepEqual(kinds(r), ['bridgeChanged']);
  });

  it('a bridge move keeps numbers given with it, and replaces a conference id taken on the new bridge', () => {
    const r = applyDialInPatch(
      onA,
      A,
      parseDialInPatch({ bridgeId: B.id, tollNumber: '33170000000' }),
      ctx(B, ['7654321']),
    );
    assert.equal(r.dialIn.tollNumber, '+33170000000');
    assert.equal(r.dialIn.tollFreeNumber, undefined);
    assert.equal(r.dialIn.conferenceId, '300000000');
    assert.deepEqual(kinds(r), ['bridgeChanged', 'conferenceIdChanged']);
  });

  it('default numbers must be on the bridge, with the right type', () => {
    assert.throws(
      () => applyDialInPatch(onA, A, parseDialInPatch({ tollNumber: '+442071234567' }), ctx(A)),
      serviceError(400, 'invalidParameter', 'tollNumber'),
    );
    assert.throws(
      () => applyDialInPatch(onA, A, parseDialInPatch({ tollNumber: '+18005550100' }), ctx(A)),
      (e: unknown) => {
        assert.ok(e instanceof ServiceError);
        assert.match(e.message, /toll-free number; tollNumber must be a toll number/);
        return true;
      },
    );
    assert.throws(
      () => applyDialInPatch(onA, A, parseDialInPatch({ tollFreeNumber: '+14255550100' }), ctx(A)),
      serviceError(400, 'invalidParameter', 'tollFreeNumber'),
    );
    // Moving to B, a number of A is no longer acceptable.
    assert.throws(
      () =>
        applyDialInPatch(onA, A, parseDialInPatch({ bridgeId: B.id, tollNumber: '+12065550111' }), ctx(B)),
      serviceError(400, 'invalidParameter', 'tollNumber'),
    );
  });

  it('a changed default number is a defaultNumberChanged; null goes back to the bridge default', () => {
    const r = applyDialInPatch(onA, A, parseDialInPatch({ tollNumber: 'tel:+14255550100' }), ctx(A));
    assert.equal(r.dialIn.tollNumber, '+14255550100');
    assert.deepEqual(kinds(r), ['defaultNumberChanged']);
    const back = applyDialInPatch(onA, A, parseDialInPatch({ tollNumber: null }), ctx(A));
    assert.equal(back.dialIn.tollNumber, undefined);
    assert.equal(dialInView({ ...onA, dialIn: back.dialIn }, A).tollNumber, '+14255550100');
    assert.deepEqual(kinds(back), ['defaultNumberChanged']);
    // Setting the number the user already shows changes nothing.
    assert.deepEqual(
      kinds(applyDialInPatch(onA, A, parseDialInPatch({ tollNumber: '+12065550111' }), ctx(A))),
      [],
    );
  });

  it('a conference id must be unique on the bridge (409); a reset picks a fresh unique one', () => {
    assert.throws(
      () => applyDialInPatch(onA, A, parseDialInPatch({ conferenceId: '5550001' }), ctx(A, ['5550001'])),
      serviceError(409, 'conferenceIdInUse', 'conferenceId'),
    );
    const changed = applyDialInPatch(
      onA,
      A,
      parseDialInPatch({ conferenceId: '5550002' }),
      ctx(A, ['5550001']),
    );
    assert.equal(changed.dialIn.conferenceId, '5550002');
    assert.deepEqual(kinds(changed), ['conferenceIdChanged']);

    const reset = applyDialInPatch(
      onA,
      A,
      parseDialInPatch({ resetConferenceId: true }),
      ctx(A, ['300000000']),
    );
    assert.equal(reset.dialIn.conferenceId, '300000001');
    assert.deepEqual(kinds(reset), ['conferenceIdReset']);
  });

  it('enable/disable are T4 changes and leave the coordinates alone', () => {
    const off = applyDialInPatch(onA, A, parseDialInPatch({ enabled: false }), ctx(A));
    assert.deepEqual(kinds(off), ['dialInDisabled']);
    assert.equal(off.dialIn.conferenceId, '7654321');
    const on = applyDialInPatch(
      { ...onA, dialIn: off.dialIn },
      A,
      parseDialInPatch({ enabled: true }),
      ctx(A),
    );
    assert.deepEqual(kinds(on), ['dialInEnabled']);
  });

  it('enabling a user who never had a bridge puts them on the default bridge with a new conference id', () => {
    const never = profile({ provider: 'Microsoft', enabled: false });
    const r = applyDialInPatch(never, null, parseDialInPatch({ enabled: true }), ctx(A));
    assert.equal(r.dialIn.bridgeId, A.id);
    assert.equal(r.dialIn.tollNumber, A.defaultTollNumber);
    assert.equal(r.dialIn.tollFreeNumber, A.defaultTollFreeNumber);
    assert.equal(r.dialIn.conferenceId, '300000000');
    assert.deepEqual(kinds(r), ['dialInEnabled', 'bridgeChanged', 'conferenceIdChanged']);
  });

  it('a switch from a third-party provider to Microsoft is ONE change, judged against the third-party user', () => {
    const acp = profile({
      provider: 'ThirdParty',
      enabled: true,
      tollNumber: '+15125550199',
      conferenceId: '7777777',
      thirdPartyProviderName: 'InterCall',
    });
    const r = applyDialInPatch(acp, null, parseDialInPatch({ provider: 'Microsoft' }), ctx(A));
    assert.deepEqual(r.dialIn, {
      provider: 'Microsoft',
      enabled: true,
      bridgeId: A.id,
      tollNumber: A.defaultTollNumber,
      tollFreeNumber: A.defaultTollFreeNumber,
      conferenceId: '300000000',
    });
    assert.deepEqual(kinds(r), ['providerChangedToMicrosoft']);
    assert.equal(r.changes[0]?.user.provider, 'ThirdParty');
  });

  it("a third-party user's bridge, numbers and conference id are the provider's (409)", () => {
    const acp = profile({
      provider: 'ThirdParty',
      enabled: true,
      conferenceId: '7777777',
      thirdPartyProviderName: 'InterCall',
    });
    assert.throws(
      () => applyDialInPatch(acp, null, parseDialInPatch({ conferenceId: '1234567' }), ctx(null)),
      serviceError(409, 'thirdPartyProvider', 'conferenceId'),
    );
    assert.throws(
      () => applyDialInPatch(onA, A, parseDialInPatch({ provider: 'ThirdParty', bridgeId: B.id }), ctx(null)),
      serviceError(409, 'thirdPartyProvider', 'bridgeId'),
    );
    const away = applyDialInPatch(onA, A, parseDialInPatch({ provider: 'ThirdParty' }), ctx(null));
    assert.deepEqual(kinds(away), ['providerChangedToThirdParty']);
  });
});

describe('triggerMigration: at most one request per admin action', () => {
  function recorder(fail?: Error) {
    const calls: MigrationRequestInput[] = [];
    const deps: Pick<AdminActionDeps, 'requestMigration'> = {
      requestMigration: (input) => {
        calls.push(input);
        if (fail) return Promise.reject(fail);
        return Promise.resolve({
          outcome: 'queued',
          user: { userId: onA.userId, userPrincipalName: onA.userPrincipalName, source: 'caller' },
          status: {
            state: 'Pending',
            migrationType: 'ToSameType',
            correlationId: 'c',
            notBefore: '2026-01-01T00:02:00.000Z',
            lastMessage: 'queued',
          } as never,
        });
      },
    };
    return { calls, deps };
  }

  it('several migrating changes make one request, triggered by the first', async () => {
    const { calls, deps } = recorder();
    const r = applyDialInPatch(onA, A, parseDialInPatch({ bridgeId: B.id, resetConferenceId: true }), ctx(B));
    const outcome = await triggerMigration(deps, onA, r.changes, DEFAULT_TENANT_SETTINGS);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0], {
      identity: { userId: onA.userId, userPrincipalName: onA.userPrincipalName },
      trigger: 'bridgeChanged',
      sourceMeetingType: 'All',
      targetMeetingType: 'Current',
      timing: 'coalesce',
    });
    assert.equal(outcome.outcome, 'queued');
    assert.deepEqual(
      outcome.decisions.map((d) => [d.change, d.migrate]),
      [
        ['bridgeChanged', true],
        ['conferenceIdReset', true],
      ],
    );
  });

  it('nothing is requested when the settings gate the changes off, and the answer says why', async () => {
    const { calls, deps } = recorder();
    const r = applyDialInPatch(onA, A, parseDialInPatch({ resetConferenceId: true }), ctx(A));
    const off = await triggerMigration(deps, onA, r.changes, {
      ...DEFAULT_TENANT_SETTINGS,
      meetingMigrationEnabled: false,
    });
    assert.equal(off.outcome, 'none');
    assert.match(off.outcome === 'none' ? off.why : '', /meetingMigrationEnabled false/);
    const manual = await triggerMigration(deps, onA, r.changes, {
      ...DEFAULT_TENANT_SETTINGS,
      automaticallyMigrateUserMeetings: false,
    });
    assert.equal(manual.decisions[0]?.reason, 'automaticMigrationDisabled');
    assert.equal(calls.length, 0);
  });

  it('T3 needs automaticallyReplaceAcpProvider (and the licence)', async () => {
    const acp = profile({ provider: 'ThirdParty', enabled: true, conferenceId: '7777777' });
    const r = applyDialInPatch(acp, null, parseDialInPatch({ provider: 'Microsoft' }), ctx(A));
    const { calls, deps } = recorder();
    const off = await triggerMigration(deps, acp, r.changes, DEFAULT_TENANT_SETTINGS);
    assert.equal(off.decisions[0]?.reason, 'acpReplacementDisabled');
    const noLicence = applyDialInPatch(
      { ...acp, audioConferencing: false },
      null,
      parseDialInPatch({ provider: 'Microsoft' }),
      ctx(A),
    );
    const unlicensed = await triggerMigration(deps, acp, noLicence.changes, {
      ...DEFAULT_TENANT_SETTINGS,
      automaticallyReplaceAcpProvider: true,
    });
    assert.equal(unlicensed.decisions[0]?.reason, 'noAudioConferencing');
    assert.equal(calls.length, 0);
    const on = await triggerMigration(deps, acp, r.changes, {
      ...DEFAULT_TENANT_SETTINGS,
      automaticallyReplaceAcpProvider: true,
    });
    assert.equal(on.outcome, 'queued');
    assert.equal(calls[0]?.trigger, 'providerChangedToMicrosoft');
  });

  it('no change → no request; a 422 from the request path is reported, not thrown', async () => {
    const { calls, deps } = recorder();
    const none = await triggerMigration(deps, onA, [], DEFAULT_TENANT_SETTINGS);
    assert.equal(none.outcome, 'none');
    assert.equal(calls.length, 0);

    const refused = recorder(unprocessable('teamsConversionNotAvailable', 'targetMeetingType', 'not yet'));
    const out = await triggerMigration(
      refused.deps,
      onA,
      [
        {
          change: { kind: 'teamsUpgradeGranted', mode: 'TeamsOnly', scope: 'user' },
          user: { provider: 'Microsoft', homing: 'online' },
        },
      ],
      DEFAULT_TENANT_SETTINGS,
    );
    assert.equal(refused.calls[0]?.targetMeetingType, 'Teams');
    assert.equal(out.outcome, 'none');
    assert.equal(out.outcome === 'none' ? out.refusedCode : '', 'teamsConversionNotAvailable');
  });
});

/**
 * Input validation of the admin actions: every body field and route parameter of the tenant settings, user
 * dial-in, bridge number and Teams upgrade endpoints, the E.164 forms the dial-in cmdlets accept, and the
 * conference id rules. Each bad input is a 400 `invalidParameter` naming the field.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBridgeRoute, parseRegisterNumberBody } from '../../../shared/services/bridges';
import {
  conferenceIdProblem,
  newConferenceId,
  normalizePhoneNumber,
  parseDialInPatch,
} from '../../../shared/services/dial-in';
import { ServiceError } from '../../../shared/services/errors';
import { parseTeamsUpgradeBody } from '../../../shared/services/teams-upgrade';
import {
  patchDialInSettings,
  patchMigrationSettings,
  type TenantSettingsDeps,
} from '../../../shared/services/tenant-settings';
import { DEFAULT_TENANT_SETTINGS, type TenantMigrationSettings } from '../../../shared/domain/trigger-rules';

function rejects400(fn: () => unknown, parameter: string, messagePart?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
    assert.equal(e.httpStatus, 400);
    assert.equal(e.code, 'invalidParameter');
    assert.equal(e.parameter, parameter);
    assert.match(e.message, new RegExp(`Parameter "${parameter.replace('.', '\\.')}"`));
    if (messagePart) assert.match(e.message, messagePart);
    return true;
  });
}

async function rejects400Async(p: Promise<unknown>, parameter: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError);
    assert.equal(e.httpStatus, 400);
    assert.equal(e.parameter, parameter);
    return true;
  });
}

describe('phone numbers (E.164, as the dial-in cmdlets take them)', () => {
  it('accepts +E.164, E.164 and tel:+E.164 / tel:E.164 and stores +E.164', () => {
    for (const form of [
      '+14255550123',
      '14255550123',
      'tel:+14255550123',
      'TEL:+14255550123',
      'tel:14255550123',
      ' +14255550123 ',
    ]) {
      assert.equal(normalizePhoneNumber(form), '+14255550123', form);
    }
    assert.equal(normalizePhoneNumber('+4930123456'), '+4930123456');
  });

  it('refuses separators, letters, a leading 0 country code, too short and too long numbers', () => {
    for (const bad of [
      '+1 425 555 0123',
      '+1-425-555-0123',
      '(425) 5550123',
      '+0123456789',
      '+12345',
      '+1234567890123456',
      'tel:',
      '',
      'sip:+14255550123',
      '+1425555012a',
    ]) {
      assert.equal(normalizePhoneNumber(bad), null, bad);
    }
  });
});

describe('conference ids', () => {
  it('are 5 to 10 digits, no leading zero, at most the Int32 maximum', () => {
    for (const ok of ['12345', '123456789', '2147483647']) assert.equal(conferenceIdProblem(ok), null, ok);
    assert.match(conferenceIdProblem('1234') ?? '', /5 to 10 digits/);
    assert.match(conferenceIdProblem('12345678901') ?? '', /5 to 10 digits/);
    assert.match(conferenceIdProblem('0123456') ?? '', /start with 0/);
    assert.match(conferenceIdProblem('2147483648') ?? '', /at most 2147483647/);
    assert.match(conferenceIdProblem('12a456') ?? '', /digits only/);
    assert.match(conferenceIdProblem('-123456') ?? '', /digits only/);
  });

  it('a new one is 9 digits and avoids every taken id', () => {
    const taken = new Set(['100000000', '100000001']);
    let n = 100000000;
    const id = newConferenceId(taken, () => n++);
    assert.equal(id, '100000002');
    assert.equal(conferenceIdProblem(id), null);
  });
});

describe('PATCH /api/users/{identity}/dial-in body', () => {
  it('parses every field, normalising numbers and conference ids', () => {
    const p = parseDialInPatch({
      enabled: true,
      provider: 'Microsoft',
      bridgeId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      tollNumber: 'tel:+14255550123',
      tollFreeNumber: '18005550100',
      conferenceId: 123456789,
    });
    assert.deepEqual(p, {
      enabled: true,
      provider: 'Microsoft',
      bridgeId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      tollNumber: '+14255550123',
      tollFreeNumber: '+18005550100',
      conferenceId: '123456789',
    });
    assert.deepEqual(parseDialInPatch({ tollFreeNumber: null }), { tollFreeNumber: null });
    assert.deepEqual(parseDialInPatch({ resetConferenceId: true }), { resetConferenceId: true });
    assert.deepEqual(parseDialInPatch({ conferenceId: ' 7654321 ' }), { conferenceId: '7654321' });
  });

  it('names the bad field', () => {
    rejects400(() => parseDialInPatch({ enabled: 'yes' }), 'enabled', /true or false/);
    rejects400(() => parseDialInPatch({ provider: 'Acme' }), 'provider', /Microsoft/);
    rejects400(() => parseDialInPatch({ bridgeId: 'not-a-guid' }), 'bridgeId', /GUID/);
    rejects400(() => parseDialInPatch({ tollNumber: '+1 425 555 0123' }), 'tollNumber', /E\.164/);
    rejects400(() => parseDialInPatch({ tollFreeNumber: 18005550100 }), 'tollFreeNumber');
    rejects400(() => parseDialInPatch({ conferenceId: '12' }), 'conferenceId', /5 to 10 digits/);
    rejects400(() => parseDialInPatch({ conferenceId: 12345.5 }), 'conferenceId', /whole number/);
    rejects400(() => parseDialInPatch({ conferenceId: true }), 'conferenceId');
    rejects400(() => parseDialInPatch({ resetConferenceId: 'true' }), 'resetConferenceId');
    rejects400(() => parseDialInPatch({ pin: '1234' }), 'pin', /not a known field/);
  });

  it('refuses conferenceId together with resetConferenceId, an empty body and a non-object', () => {
    rejects400(
      () => parseDialInPatch({ conferenceId: '1234567', resetConferenceId: true }),
      'resetConferenceId',
      /not both/,
    );
    rejects400(() => parseDialInPatch({}), 'body', /no dial-in setting/);
    rejects400(() => parseDialInPatch([]), 'body');
    rejects400(() => parseDialInPatch(null), 'body');
    // resetConferenceId false is no request for a new id: it may accompany conferenceId.
    assert.deepEqual(parseDialInPatch({ conferenceId: '1234567', resetConferenceId: false }), {
      conferenceId: '1234567',
      resetConferenceId: false,
    });
  });
});

describe('tenant settings PATCH bodies', () => {
  function memorySettings(): TenantSettingsDeps & { value: TenantMigrationSettings } {
    const state = { value: { ...DEFAULT_TENANT_SETTINGS }, teams: { teamsDialInFromStoredProfile: false } };
    return {
      get value() {
        return state.value;
      },
      settings: {
        get: () => Promise.resolve({ ...state.value }),
        update: (patch) => {
          state.value = { ...state.value, ...patch };
          return Promise.resolve({ ...state.value });
        },
        getTeamsConversion: () => Promise.resolve({ ...state.teams }),
        updateTeamsConversion: (patch) => {
          state.teams = { ...state.teams, ...patch };
          return Promise.resolve({ ...state.teams });
        },
      },
    };
  }

  it('takes a partial body and answers the group after the change', async () => {
    const deps = memorySettings();
    assert.deepEqual(await patchMigrationSettings(deps, { meetingMigrationEnabled: false }), {
      meetingMigrationEnabled: false,
      teamsDialInFromStoredProfile: false,
    });
    assert.deepEqual(await patchMigrationSettings(deps, { teamsDialInFromStoredProfile: true }), {
      meetingMigrationEnabled: false,
      teamsDialInFromStoredProfile: true,
    });
    assert.deepEqual(await patchDialInSettings(deps, { automaticallyReplaceAcpProvider: true }), {
      automaticallyMigrateUserMeetings: true,
      automaticallyReplaceAcpProvider: true,
    });
    assert.deepEqual(deps.value, {
      meetingMigrationEnabled: false,
      automaticallyMigrateUserMeetings: true,
      automaticallyReplaceAcpProvider: true,
    });
  });

  it("refuses unknown fields (including the other group's), non-booleans and empty bodies, changing nothing", async () => {
    const deps = memorySettings();
    await rejects400Async(
      patchMigrationSettings(deps, { meetingMigrationEnabled: 'false' }),
      'meetingMigrationEnabled',
    );
    await rejects400Async(
      patchMigrationSettings(deps, { automaticallyMigrateUserMeetings: false }),
      'automaticallyMigrateUserMeetings',
    );
    await rejects400Async(patchMigrationSettings(deps, {}), 'body');
    await rejects400Async(
      patchDialInSettings(deps, { automaticallyMigrateUserMeetings: 0 }),
      'automaticallyMigrateUserMeetings',
    );
    await rejects400Async(
      patchDialInSettings(deps, { meetingMigrationEnabled: true }),
      'meetingMigrationEnabled',
    );
    await rejects400Async(
      patchDialInSettings(deps, { automaticallyReplaceAcpProvider: null }),
      'automaticallyReplaceAcpProvider',
    );
    assert.deepEqual(deps.value, DEFAULT_TENANT_SETTINGS);
  });
});

describe('bridge number routes and body', () => {
  const BRIDGE = '0f8fad5b-d9cb-469f-a165-70867728950e';

  it('parses the bridge id and the number in every accepted form', () => {
    assert.deepEqual(parseBridgeRoute(BRIDGE.toUpperCase(), 'tel:+442071234567'), {
      bridgeId: BRIDGE,
      number: '+442071234567',
    });
    assert.deepEqual(parseBridgeRoute(BRIDGE, '442071234567'), { bridgeId: BRIDGE, number: '+442071234567' });
  });

  it('names the bad route parameter', () => {
    rejects400(() => parseBridgeRoute('bridge-1', '+442071234567'), 'bridgeId');
    rejects400(() => parseBridgeRoute(undefined, '+442071234567'), 'bridgeId');
    rejects400(() => parseBridgeRoute(BRIDGE, '020 7123 4567'), 'number', /E\.164/);
    rejects400(() => parseBridgeRoute(BRIDGE, undefined), 'number');
  });

  it('validates the registration body', () => {
    assert.deepEqual(
      parseRegisterNumberBody({ type: 'tollFree', city: 'London', country: 'United Kingdom' }),
      {
        type: 'tollFree',
        city: 'London',
        country: 'United Kingdom',
        languages: [],
      },
    );
    assert.deepEqual(
      parseRegisterNumberBody({ type: 'toll', city: 'Paris', country: 'France', languages: ['fr-FR', 'en'] })
        .languages,
      ['fr-FR', 'en'],
    );
    rejects400(() => parseRegisterNumberBody({ type: 'mobile', city: 'x', country: 'y' }), 'type', /toll/);
    rejects400(() => parseRegisterNumberBody({ type: 'toll', country: 'France' }), 'city', /required/);
    rejects400(
      () => parseRegisterNumberBody({ type: 'toll', city: ' ', country: 'France' }),
      'city',
      /empty/,
    );
    rejects400(
      () =>
        parseRegisterNumberBody({ type: 'toll', city: 'Paris', country: 'France', languages: ['french!'] }),
      'languages.0',
      /BCP-47/,
    );
    rejects400(
      () => parseRegisterNumberBody({ type: 'toll', city: 'Paris', country: 'France', isDefault: true }),
      'isDefault',
      /not a known field/,
    );
    rejects400(() => parseRegisterNumberBody('toll'), 'body');
  });
});

describe('PUT /api/users/{identity}/teams-upgrade body', () => {
  it('takes every Teams upgrade mode', () => {
    for (const mode of [
      'Islands',
      'SfBOnly',
      'SfBWithTeamsCollab',
      'SfBWithTeamsCollabAndMeetings',
      'TeamsOnly',
    ] as const) {
      assert.deepEqual(parseTeamsUpgradeBody({ mode }), { mode });
    }
  });

  it('names a missing, unknown or misspelt mode', () => {
    rejects400(() => parseTeamsUpgradeBody({}), 'mode', /required/);
    rejects400(() => parseTeamsUpgradeBody({ mode: 'teamsonly' }), 'mode', /TeamsOnly/);
    rejects400(
      () => parseTeamsUpgradeBody({ mode: 'TeamsOnly', migrateMeetingsToTeams: true }),
      'migrateMeetingsToTeams',
    );
    rejects400(() => parseTeamsUpgradeBody(['TeamsOnly']), 'body');
  });
});

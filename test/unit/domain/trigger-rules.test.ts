/**
 * THE RULE TABLE (issue 4): every trigger and non-trigger of mms-behaviour.md §1, under each of the 8
 * combinations of the three tenant settings, against an expected table written out by hand (not recomputed).
 *
 * Columns, in this order (M = meetingMigrationEnabled, A = automaticallyMigrateUserMeetings,
 * R = automaticallyReplaceAcpProvider; 0 = false, 1 = true):
 *
 *     M A R:  000   001   010   011   100   101   110   111
 *
 * Cells: a migration type (`same` = ToSameType from All/Current, `toTeams` = SfbToTeams from SfB/Teams), or
 * `-reason` for no migration; `+MS` = the user's provider becomes Microsoft as a side effect.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TENANT_SETTINGS,
  TRIGGER_RULES,
  decideTrigger,
  directoryOrAdminChangeSchema,
  type ChangeKind,
  type DirectoryOrAdminChange,
  type TenantMigrationSettings,
  type TriggerDecision,
  type TriggerUser,
} from '../../../shared/domain/trigger-rules';

const COMBOS: TenantMigrationSettings[] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({
  meetingMigrationEnabled: (i & 4) !== 0,
  automaticallyMigrateUserMeetings: (i & 2) !== 0,
  automaticallyReplaceAcpProvider: (i & 1) !== 0,
}));

const MS_ONLINE: TriggerUser = { provider: 'Microsoft', homing: 'online', audioConferencing: true };
const MS_ONPREM: TriggerUser = { provider: 'Microsoft', homing: 'onPremises', audioConferencing: true };
const ACP: TriggerUser = { provider: 'ThirdParty', homing: 'online', audioConferencing: true };
const ACP_NO_LICENCE: TriggerUser = { provider: 'ThirdParty', homing: 'online', audioConferencing: false };

function cell(d: TriggerDecision): string {
  const se = d.sideEffects?.provider === 'Microsoft' ? '+MS' : '';
  if (!d.migrate) return `-${d.reason}${se}`;
  const name =
    d.migrationType === 'ToSameType' && d.sourceMeetingType === 'All' && d.targetMeetingType === 'Current'
      ? 'same'
      : d.migrationType === 'SfbToTeams' && d.sourceMeetingType === 'SfB' && d.targetMeetingType === 'Teams'
        ? 'toTeams'
        : `${d.migrationType}(${d.sourceMeetingType}/${d.targetMeetingType})`;
  return `${name}${se}`;
}

const off = '-meetingMigrationDisabled';
const auto = '-automaticMigrationDisabled';

interface Row {
  name: string;
  mms: string;
  change: DirectoryOrAdminChange;
  user: TriggerUser;
  expected: [string, string, string, string, string, string, string, string];
}

// prettier-ignore
const TABLE: Row[] = [
  // ---- T1: homed on-premises → online: gated by M only -------------------------------------------------------
  { name: 'moved on-prem → online', mms: 'T1', change: { kind: 'homedOnline' }, user: MS_ONPREM,
    expected: [off, off, off, off, 'toTeams', 'toTeams', 'toTeams', 'toTeams'] },
  // ---- T2: Audio Conferencing plan assigned / removed ---------------------------------------------------------
  { name: 'licence assigned, Microsoft dial-in', mms: 'T2', change: { kind: 'audioConferencingLicenceAssigned' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  { name: 'licence removed, Microsoft dial-in', mms: 'T2', change: { kind: 'audioConferencingLicenceRemoved' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  { name: 'licence assigned, third-party provider', mms: 'T2/T3', change: { kind: 'audioConferencingLicenceAssigned' }, user: ACP,
    expected: [off, `${off}+MS`, off, `${off}+MS`, auto, `${auto}+MS`, '-acpReplacementDisabled', 'same+MS'] },
  { name: 'licence removed, third-party provider', mms: 'T2', change: { kind: 'audioConferencingLicenceRemoved' }, user: ACP,
    expected: [off, off, off, off, auto, auto, '-thirdPartyProvider', '-thirdPartyProvider'] },
  // ---- T3: provider changed to Microsoft --------------------------------------------------------------------
  { name: 'provider → Microsoft, holds licence', mms: 'T3', change: { kind: 'providerChangedToMicrosoft' }, user: ACP,
    expected: [off, off, off, off, auto, auto, '-acpReplacementDisabled', 'same'] },
  { name: 'provider → Microsoft, no licence', mms: 'T3', change: { kind: 'providerChangedToMicrosoft' }, user: ACP_NO_LICENCE,
    expected: [off, off, off, off, auto, auto, '-acpReplacementDisabled', '-noAudioConferencing'] },
  // ---- T4: dial-in enabled / disabled -----------------------------------------------------------------------
  { name: 'dial-in enabled', mms: 'T4', change: { kind: 'dialInEnabled' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  { name: 'dial-in disabled', mms: 'T4', change: { kind: 'dialInDisabled' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  { name: 'dial-in enabled, third-party provider', mms: 'T4', change: { kind: 'dialInEnabled' }, user: ACP,
    expected: [off, off, off, off, auto, auto, '-thirdPartyProvider', '-thirdPartyProvider'] },
  // ---- T5: conference id changed / reset --------------------------------------------------------------------
  { name: 'conference id changed', mms: 'T5', change: { kind: 'conferenceIdChanged' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  { name: 'conference id reset', mms: 'T5', change: { kind: 'conferenceIdReset' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  // ---- T6: moved to another bridge ----------------------------------------------------------------------------
  { name: 'bridge changed', mms: 'T6', change: { kind: 'bridgeChanged' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  { name: 'bridge changed, third-party provider', mms: 'T6', change: { kind: 'bridgeChanged' }, user: ACP,
    expected: [off, off, off, off, auto, auto, '-thirdPartyProvider', '-thirdPartyProvider'] },
  // ---- T7: a default number of the user unassigned from the bridge ---------------------------------------------
  { name: 'service number unassigned', mms: 'T7', change: { kind: 'serviceNumberUnassigned' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  // ---- default number changed: MMS non-trigger, ours triggers (documented deviation) ---------------------------
  { name: 'default number changed (deviation)', mms: '—', change: { kind: 'defaultNumberChanged' }, user: MS_ONLINE,
    expected: [off, off, off, off, auto, auto, 'same', 'same'] },
  // ---- T8: Teams upgrade ---------------------------------------------------------------------------------------
  { name: 'per-user TeamsOnly', mms: 'T8', change: { kind: 'teamsUpgradeGranted', mode: 'TeamsOnly', scope: 'user' }, user: MS_ONLINE,
    expected: [off, off, off, off, 'toTeams', 'toTeams', 'toTeams', 'toTeams'] },
  { name: 'per-user SfBWithTeamsCollabAndMeetings', mms: 'T8', change: { kind: 'teamsUpgradeGranted', mode: 'SfBWithTeamsCollabAndMeetings', scope: 'user' }, user: MS_ONLINE,
    expected: [off, off, off, off, 'toTeams', 'toTeams', 'toTeams', 'toTeams'] },
  { name: 'per-user SfBWithTeamsCollabAndMeetings, homed on-prem', mms: 'T8', change: { kind: 'teamsUpgradeGranted', mode: 'SfBWithTeamsCollabAndMeetings', scope: 'user' }, user: MS_ONPREM,
    expected: [off, off, off, off, 'toTeams', 'toTeams', 'toTeams', 'toTeams'] },
  { name: 'per-user TeamsOnly, homed on-prem (refused)', mms: 'T8', change: { kind: 'teamsUpgradeGranted', mode: 'TeamsOnly', scope: 'user' }, user: MS_ONPREM,
    expected: Array(8).fill('-teamsOnlyRequiresOnlineHoming') as Row['expected'] },
  { name: 'per-user Islands', mms: 'non', change: { kind: 'teamsUpgradeGranted', mode: 'Islands', scope: 'user' }, user: MS_ONLINE,
    expected: ['-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate'] },
  { name: 'per-user SfBOnly', mms: 'non', change: { kind: 'teamsUpgradeGranted', mode: 'SfBOnly', scope: 'user' }, user: MS_ONLINE,
    expected: ['-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate'] },
  { name: 'per-user SfBWithTeamsCollab', mms: 'non', change: { kind: 'teamsUpgradeGranted', mode: 'SfBWithTeamsCollab', scope: 'user' }, user: MS_ONLINE,
    expected: ['-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate', '-modeDoesNotMigrate'] },
  { name: 'tenant-wide TeamsOnly', mms: 'non', change: { kind: 'teamsUpgradeGranted', mode: 'TeamsOnly', scope: 'tenant' }, user: MS_ONLINE,
    expected: ['-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant'] },
  { name: 'group SfBWithTeamsCollabAndMeetings', mms: 'non', change: { kind: 'teamsUpgradeGranted', mode: 'SfBWithTeamsCollabAndMeetings', scope: 'group' }, user: MS_ONLINE,
    expected: ['-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant', '-notPerUserGrant'] },
  // ---- T9: CVI partner change: manual only ----------------------------------------------------------------------
  { name: 'CVI partner changed', mms: 'T9', change: { kind: 'cviPartnerChanged' }, user: MS_ONLINE,
    expected: ['-manualOnly', '-manualOnly', '-manualOnly', '-manualOnly', '-manualOnly', '-manualOnly', '-manualOnly', '-manualOnly'] },
  // ---- T10: manual start: always ----------------------------------------------------------------------------------
  { name: 'manual start All/Current', mms: 'T10', change: { kind: 'manualStart', sourceMeetingType: 'All', targetMeetingType: 'Current' }, user: MS_ONLINE,
    expected: ['same', 'same', 'same', 'same', 'same', 'same', 'same', 'same'] },
  { name: 'manual start SfB/Teams', mms: 'T10', change: { kind: 'manualStart', sourceMeetingType: 'SfB', targetMeetingType: 'Teams' }, user: ACP,
    expected: ['toTeams', 'toTeams', 'toTeams', 'toTeams', 'toTeams', 'toTeams', 'toTeams', 'toTeams'] },
  { name: 'manual start Teams/Current', mms: 'T10', change: { kind: 'manualStart', sourceMeetingType: 'Teams', targetMeetingType: 'Current' }, user: MS_ONLINE,
    expected: Array(8).fill('ToSameType(Teams/Current)') as Row['expected'] },
  // ---- non-triggers ---------------------------------------------------------------------------------------------
  { name: 'SIP address changed', mms: 'non', change: { kind: 'sipAddressChanged' }, user: MS_ONLINE,
    expected: ['-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger'] },
  { name: 'UPN changed', mms: 'non', change: { kind: 'userPrincipalNameChanged' }, user: MS_ONLINE,
    expected: ['-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger'] },
  { name: 'tenant meeting URL changed', mms: 'non', change: { kind: 'tenantMeetingUrlChanged' }, user: MS_ONLINE,
    expected: ['-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger'] },
  { name: 'leader PIN reset', mms: 'non', change: { kind: 'leaderPinReset' }, user: MS_ONLINE,
    expected: ['-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger', '-notATrigger'] },
  { name: 'user deleted', mms: 'non', change: { kind: 'userDeleted' }, user: MS_ONLINE,
    expected: ['-userDeleted', '-userDeleted', '-userDeleted', '-userDeleted', '-userDeleted', '-userDeleted', '-userDeleted', '-userDeleted'] },
  { name: 'moved online → on-prem', mms: 'non', change: { kind: 'homedOnPremises' }, user: MS_ONLINE,
    expected: ['-unsupportedDirection', '-unsupportedDirection', '-unsupportedDirection', '-unsupportedDirection', '-unsupportedDirection', '-unsupportedDirection', '-unsupportedDirection', '-unsupportedDirection'] },
  { name: 'provider → third party', mms: 'non', change: { kind: 'providerChangedToThirdParty' }, user: MS_ONLINE,
    expected: ['-thirdPartyProvider', '-thirdPartyProvider', '-thirdPartyProvider', '-thirdPartyProvider', '-thirdPartyProvider', '-thirdPartyProvider', '-thirdPartyProvider', '-thirdPartyProvider'] },
];

describe('trigger rules: the rule table', () => {
  for (const row of TABLE) {
    it(`${row.mms} ${row.name}`, () => {
      const actual = COMBOS.map((s) => cell(decideTrigger(row.change, s, row.user)));
      assert.deepEqual(actual, row.expected);
    });
  }

  it('covers every change kind the rules know', () => {
    const covered = new Set(TABLE.map((r) => r.change.kind));
    const missing = (Object.keys(TRIGGER_RULES) as ChangeKind[]).filter((k) => !covered.has(k));
    assert.deepEqual(missing, []);
  });

  it('names the change as the trigger of the migration it starts', () => {
    for (const row of TABLE) {
      const d = decideTrigger(row.change, COMBOS[7]!, row.user);
      if (d.migrate) assert.equal(d.trigger, row.change.kind);
    }
  });

  it('every rule row says what it is, and MMS non-triggers have no migration type', () => {
    for (const [kind, rule] of Object.entries(TRIGGER_RULES)) {
      assert.ok(rule.description.length > 10, kind);
      assert.equal(rule.gate === 'never', rule.migrationType === null, kind);
    }
  });

  it('defaults to MMS defaults: a dial-in change migrates, a third-party user is not converted', () => {
    assert.equal(cell(decideTrigger({ kind: 'bridgeChanged' }, DEFAULT_TENANT_SETTINGS, MS_ONLINE)), 'same');
    assert.equal(
      cell(decideTrigger({ kind: 'audioConferencingLicenceAssigned' }, DEFAULT_TENANT_SETTINGS, ACP)),
      '-acpReplacementDisabled',
    );
  });

  it('validates changes arriving from outside', () => {
    assert.ok(directoryOrAdminChangeSchema.safeParse({ kind: 'bridgeChanged' }).success);
    assert.ok(
      directoryOrAdminChangeSchema.safeParse({
        kind: 'teamsUpgradeGranted',
        mode: 'TeamsOnly',
        scope: 'user',
      }).success,
    );
    assert.ok(!directoryOrAdminChangeSchema.safeParse({ kind: 'licenceChanged' }).success);
    assert.ok(
      !directoryOrAdminChangeSchema.safeParse({ kind: 'teamsUpgradeGranted', mode: 'Teams', scope: 'user' })
        .success,
    );
  });
});

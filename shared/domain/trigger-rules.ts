/**
 * Trigger rules: which directory or admin change migrates a user's meetings, under which tenant settings, and
 * with which migration type (reference/mms-behaviour.md §1–2; issue 4).
 *
 * `TRIGGER_RULES` is the rule table as data (the README prints it); `decideTrigger(change, settings, user)`
 * applies it to one change. The directory side of the story is here too: `audioConferencingEnabled` (does a user
 * have Audio Conferencing, by service plan) and `diffUserSnapshot` (what changed between two directory
 * snapshots of a user, as changes `decideTrigger` understands).
 *
 * Gates, from the tenant settings:
 * - `always`              runs whatever the settings say (an admin asked explicitly: Start-CsExMeetingMigration).
 * - `migration`           needs `meetingMigrationEnabled` (MMS on).
 * - `dialIn`              needs `meetingMigrationEnabled` and `automaticallyMigrateUserMeetings`. A user on a
 *                         third-party audio-conferencing provider (ACP) is not migrated, except when the Audio
 *                         Conferencing licence is assigned and `automaticallyReplaceAcpProvider` is on: the provider
 *                         then becomes Microsoft (a side effect that happens even when the migration is gated off,
 *                         as in MMS, where the replacement is a dial-in setting, not part of MMS).
 * - `dialInAndAcp`        `dialIn` plus `automaticallyReplaceAcpProvider`.
 * - `never`               not a trigger.
 *
 * Where we differ from MMS, on purpose (each is in the table's `note`):
 * - A changed default toll or toll-free number is a trigger (gate `dialIn`). MMS leaves it to the admin to run
 *   Start-CsExMeetingMigration (or `-RescheduleMeetings`); issue 4 asks that every change that alters what an
 *   invitation shows triggers when the settings allow, and the invitations would otherwise show a number the
 *   user no longer has as default.
 * - Teams meetings are never converted back, a tenant-wide or group grant of an upgrade policy migrates nothing
 *   (as in MMS), and a grant of TeamsOnly to a user homed on premises is refused (Teams Only needs online homing).
 */
import { z } from 'zod';
import {
  migrationTypeFor,
  type MigrationType,
  type SourceMeetingType,
  type TargetMeetingType,
  sourceMeetingTypeSchema,
  targetMeetingTypeSchema,
} from './migration-type';

// ---------------------------------------------------------------------------------------------------------------
// Inputs

/** Tenant settings (Set-CsTenantMigrationConfiguration, Set-CsOnlineDialInConferencingTenantSettings). */
export interface TenantMigrationSettings {
  meetingMigrationEnabled: boolean;
  automaticallyMigrateUserMeetings: boolean;
  automaticallyReplaceAcpProvider: boolean;
}

/** MMS's defaults: MMS on, dial-in changes migrate, third-party providers are not replaced automatically. */
export const DEFAULT_TENANT_SETTINGS: Readonly<TenantMigrationSettings> = {
  meetingMigrationEnabled: true,
  automaticallyMigrateUserMeetings: true,
  automaticallyReplaceAcpProvider: false,
};

export const tenantMigrationSettingsSchema = z.object({
  meetingMigrationEnabled: z.boolean(),
  automaticallyMigrateUserMeetings: z.boolean(),
  automaticallyReplaceAcpProvider: z.boolean(),
});

export const TEAMS_UPGRADE_MODES = [
  'Islands',
  'SfBOnly',
  'SfBWithTeamsCollab',
  'SfBWithTeamsCollabAndMeetings',
  'TeamsOnly',
] as const;
export type TeamsUpgradeMode = (typeof TEAMS_UPGRADE_MODES)[number];
export const teamsUpgradeModeSchema = z.enum(TEAMS_UPGRADE_MODES);

/** Upgrade modes whose per-user grant migrates Skype meetings to Teams. */
export const MEETING_MIGRATING_UPGRADE_MODES: readonly TeamsUpgradeMode[] = [
  'TeamsOnly',
  'SfBWithTeamsCollabAndMeetings',
];

export type Homing = 'online' | 'onPremises';
export type DialInProviderKind = 'Microsoft' | 'ThirdParty';

/** The user a change concerns, as the profile store knows them just before the change. */
export interface TriggerUser {
  /** Who provides the user's dial-in: Microsoft, or a third-party audio-conferencing provider. */
  provider: DialInProviderKind;
  /** Where the user is homed for Skype for Business. */
  homing: Homing;
  /** Whether the user holds Audio Conferencing (T3 needs it). Unknown counts as yes. */
  audioConferencing?: boolean;
}

/** Every change the service hears about, from the directory (delta) or from the admin API. */
export type DirectoryOrAdminChange =
  | { kind: 'homedOnline' }
  | { kind: 'homedOnPremises' }
  | { kind: 'audioConferencingLicenceAssigned' }
  | { kind: 'audioConferencingLicenceRemoved' }
  | { kind: 'providerChangedToMicrosoft' }
  | { kind: 'providerChangedToThirdParty' }
  | { kind: 'dialInEnabled' }
  | { kind: 'dialInDisabled' }
  | { kind: 'conferenceIdChanged' }
  | { kind: 'conferenceIdReset' }
  | { kind: 'bridgeChanged' }
  | { kind: 'serviceNumberUnassigned' }
  | { kind: 'defaultNumberChanged' }
  | { kind: 'teamsUpgradeGranted'; mode: TeamsUpgradeMode; scope: 'user' | 'group' | 'tenant' }
  | { kind: 'sipAddressChanged' }
  | { kind: 'userPrincipalNameChanged' }
  | { kind: 'tenantMeetingUrlChanged' }
  | { kind: 'leaderPinReset' }
  | { kind: 'cviPartnerChanged' }
  | { kind: 'userDeleted' }
  | { kind: 'manualStart'; sourceMeetingType: SourceMeetingType; targetMeetingType: TargetMeetingType };

export type ChangeKind = DirectoryOrAdminChange['kind'];

export const directoryOrAdminChangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('homedOnline') }),
  z.object({ kind: z.literal('homedOnPremises') }),
  z.object({ kind: z.literal('audioConferencingLicenceAssigned') }),
  z.object({ kind: z.literal('audioConferencingLicenceRemoved') }),
  z.object({ kind: z.literal('providerChangedToMicrosoft') }),
  z.object({ kind: z.literal('providerChangedToThirdParty') }),
  z.object({ kind: z.literal('dialInEnabled') }),
  z.object({ kind: z.literal('dialInDisabled') }),
  z.object({ kind: z.literal('conferenceIdChanged') }),
  z.object({ kind: z.literal('conferenceIdReset') }),
  z.object({ kind: z.literal('bridgeChanged') }),
  z.object({ kind: z.literal('serviceNumberUnassigned') }),
  z.object({ kind: z.literal('defaultNumberChanged') }),
  z.object({
    kind: z.literal('teamsUpgradeGranted'),
    mode: teamsUpgradeModeSchema,
    scope: z.enum(['user', 'group', 'tenant']),
  }),
  z.object({ kind: z.literal('sipAddressChanged') }),
  z.object({ kind: z.literal('userPrincipalNameChanged') }),
  z.object({ kind: z.literal('tenantMeetingUrlChanged') }),
  z.object({ kind: z.literal('leaderPinReset') }),
  z.object({ kind: z.literal('cviPartnerChanged') }),
  z.object({ kind: z.literal('userDeleted') }),
  z.object({
    kind: z.literal('manualStart'),
    sourceMeetingType: sourceMeetingTypeSchema,
    targetMeetingType: targetMeetingTypeSchema,
  }),
]);

// ---------------------------------------------------------------------------------------------------------------
// The rule table

export type TriggerGate = 'always' | 'migration' | 'dialIn' | 'dialInAndAcp' | 'never';

export interface TriggerRule {
  /** MMS's trigger number (mms-behaviour.md §1), or null when MMS lists it as a non-trigger or not at all. */
  mms: `T${number}` | null;
  gate: TriggerGate;
  /** The migration type it asks for; `request` = the admin's own source/target; null = none. */
  migrationType: MigrationType | 'request' | null;
  /** One line for the README. */
  description: string;
  /** Conditions beyond the gate, and deviations from MMS. */
  note?: string;
}

export const TRIGGER_RULES: Readonly<Record<ChangeKind, TriggerRule>> = {
  manualStart: {
    mms: 'T10',
    gate: 'always',
    migrationType: 'request',
    description: 'An admin starts a migration (POST /api/migrations; Start-CsExMeetingMigration).',
  },
  homedOnline: {
    mms: 'T1',
    gate: 'migration',
    migrationType: 'SfbToTeams',
    description: 'The user moved from Skype for Business on premises to the cloud (Move-CsUser).',
    note:
      'Not gated by automaticallyMigrateUserMeetings. Meetings are converted to Teams, as MMS does today. ' +
      'Graph v1.0 does not show homing: the move is reported with PUT /api/users/{identity}/homing (CLI `homing`).',
  },
  audioConferencingLicenceAssigned: {
    mms: 'T2',
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: 'The Audio Conferencing service plan became enabled (any licence that includes it).',
    note:
      'Third-party provider users: only with automaticallyReplaceAcpProvider, and their provider becomes ' +
      'Microsoft (even when migrations are off).',
  },
  audioConferencingLicenceRemoved: {
    mms: 'T2',
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: 'The Audio Conferencing service plan is no longer enabled.',
    note: 'Not for third-party provider users: their invitations do not show Microsoft dial-in.',
  },
  providerChangedToMicrosoft: {
    mms: 'T3',
    gate: 'dialInAndAcp',
    migrationType: 'ToSameType',
    description: 'The dial-in provider was changed from a third party to Microsoft.',
    note: 'Only for a user who holds Audio Conferencing.',
  },
  dialInEnabled: {
    mms: 'T4',
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: 'Dial-in conferencing was enabled for the user.',
    note: 'Not for third-party provider users (also for T4–T7).',
  },
  dialInDisabled: {
    mms: 'T4',
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: 'Dial-in conferencing was disabled for the user.',
  },
  conferenceIdChanged: {
    mms: 'T5',
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: "The user's conference id was changed.",
  },
  conferenceIdReset: {
    mms: 'T5',
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: "The user's conference id was reset to a new one.",
  },
  bridgeChanged: {
    mms: 'T6',
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: 'The user was moved to another audio-conferencing bridge.',
  },
  serviceNumberUnassigned: {
    mms: 'T7',
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: "A number was removed from the bridge, and it was one of the user's default numbers.",
  },
  defaultNumberChanged: {
    mms: null,
    gate: 'dialIn',
    migrationType: 'ToSameType',
    description: "The user's default toll or toll-free number was changed.",
    note: 'Deviation: MMS does not trigger (the admin runs Start-CsExMeetingMigration); we do, as issue 4 asks.',
  },
  teamsUpgradeGranted: {
    mms: 'T8',
    gate: 'migration',
    migrationType: 'SfbToTeams',
    description: 'A per-user grant of Teams upgrade mode TeamsOnly or SfBWithTeamsCollabAndMeetings.',
    note:
      'Other modes, and tenant-wide or group grants, migrate nothing. TeamsOnly for a user homed on premises ' +
      'is refused.',
  },
  providerChangedToThirdParty: {
    mms: null,
    gate: 'never',
    migrationType: null,
    description: 'The dial-in provider was changed to a third party: their numbers are not ours to write.',
  },
  homedOnPremises: {
    mms: null,
    gate: 'never',
    migrationType: null,
    description:
      'The user moved from the cloud back to on-premises Skype for Business: unsupported direction.',
  },
  sipAddressChanged: {
    mms: null,
    gate: 'never',
    migrationType: null,
    description: "The user's SIP address changed (user part or domain).",
  },
  userPrincipalNameChanged: {
    mms: null,
    gate: 'never',
    migrationType: null,
    description: "The user's UPN changed.",
  },
  tenantMeetingUrlChanged: {
    mms: null,
    gate: 'never',
    migrationType: null,
    description: "The tenant's meeting URL changed (Update-CsTenantMeetingUrl).",
  },
  leaderPinReset: {
    mms: null,
    gate: 'never',
    migrationType: null,
    description: "The user's dial-in PIN was reset (invitations do not show it).",
  },
  cviPartnerChanged: {
    mms: 'T9',
    gate: 'never',
    migrationType: null,
    description: 'The Cloud Video Interop partner changed: start the migration manually, as with MMS.',
  },
  userDeleted: {
    mms: null,
    gate: 'never',
    migrationType: null,
    description: 'The user was deleted: nothing is migrated; their status stays readable.',
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Decision

/** The changes that can start a migration; the status record's `trigger`. */
export const MIGRATION_TRIGGERS = [
  'manualStart',
  'homedOnline',
  'audioConferencingLicenceAssigned',
  'audioConferencingLicenceRemoved',
  'providerChangedToMicrosoft',
  'dialInEnabled',
  'dialInDisabled',
  'conferenceIdChanged',
  'conferenceIdReset',
  'bridgeChanged',
  'serviceNumberUnassigned',
  'defaultNumberChanged',
  'teamsUpgradeGranted',
] as const satisfies readonly ChangeKind[];
export type MigrationTrigger = (typeof MIGRATION_TRIGGERS)[number];
export const migrationTriggerSchema = z.enum(MIGRATION_TRIGGERS);

export const NO_MIGRATION_REASONS = {
  notATrigger: 'This change does not alter what invitations show.',
  userDeleted: 'The user was deleted.',
  unsupportedDirection: 'Moves from the cloud back to on-premises are not supported.',
  manualOnly: 'This change needs a manual start (POST /api/migrations).',
  meetingMigrationDisabled: 'Meeting migration is off for the tenant (meetingMigrationEnabled false).',
  automaticMigrationDisabled:
    'Dial-in changes do not migrate meetings in this tenant (automaticallyMigrateUserMeetings false).',
  thirdPartyProvider: "The user's dial-in comes from a third-party provider.",
  acpReplacementDisabled:
    'The user is on a third-party provider and automaticallyReplaceAcpProvider is false.',
  noAudioConferencing: 'The user does not hold Audio Conferencing.',
  modeDoesNotMigrate: 'This Teams upgrade mode does not move meetings to Teams.',
  notPerUserGrant: 'Only per-user upgrade grants migrate meetings (as in MMS).',
  teamsOnlyRequiresOnlineHoming: 'TeamsOnly cannot be granted to a user homed on premises.',
} as const;
export type NoMigrationReason = keyof typeof NO_MIGRATION_REASONS;

export interface TriggerSideEffects {
  /** The user's dial-in provider becomes this (automatic ACP replacement). */
  provider?: 'Microsoft';
}

export type TriggerDecision =
  | { migrate: false; reason: NoMigrationReason; sideEffects?: TriggerSideEffects }
  | {
      migrate: true;
      migrationType: MigrationType;
      sourceMeetingType: SourceMeetingType;
      targetMeetingType: TargetMeetingType;
      trigger: MigrationTrigger;
      sideEffects?: TriggerSideEffects;
    };

function noMigration(reason: NoMigrationReason, sideEffects?: TriggerSideEffects): TriggerDecision {
  return sideEffects ? { migrate: false, reason, sideEffects } : { migrate: false, reason };
}

function migrate(
  trigger: MigrationTrigger,
  sourceMeetingType: SourceMeetingType,
  targetMeetingType: TargetMeetingType,
  sideEffects?: TriggerSideEffects,
): TriggerDecision {
  return {
    migrate: true,
    migrationType: migrationTypeFor(sourceMeetingType, targetMeetingType),
    sourceMeetingType,
    targetMeetingType,
    trigger,
    ...(sideEffects ? { sideEffects } : {}),
  };
}

const NEVER_REASON: Partial<Record<ChangeKind, NoMigrationReason>> = {
  userDeleted: 'userDeleted',
  homedOnPremises: 'unsupportedDirection',
  cviPartnerChanged: 'manualOnly',
  providerChangedToThirdParty: 'thirdPartyProvider',
};

/**
 * What one change does: no migration (with the reason, and any side effect), or a migration of the given type.
 * `user` is the user as stored before the change.
 */
export function decideTrigger(
  change: DirectoryOrAdminChange,
  settings: TenantMigrationSettings,
  user: TriggerUser,
): TriggerDecision {
  const rule = TRIGGER_RULES[change.kind];

  if (change.kind === 'manualStart') {
    return migrate('manualStart', change.sourceMeetingType, change.targetMeetingType);
  }
  if (rule.gate === 'never') return noMigration(NEVER_REASON[change.kind] ?? 'notATrigger');

  if (change.kind === 'teamsUpgradeGranted') {
    // Conditions of the grant itself come first: they hold whatever the settings are.
    if (change.scope !== 'user') return noMigration('notPerUserGrant');
    if (change.mode === 'TeamsOnly' && user.homing === 'onPremises') {
      return noMigration('teamsOnlyRequiresOnlineHoming');
    }
    if (!MEETING_MIGRATING_UPGRADE_MODES.includes(change.mode)) return noMigration('modeDoesNotMigrate');
  }

  // Automatic replacement of a third-party provider is a dial-in setting: it happens even when MMS is off.
  const replacesProvider =
    change.kind === 'audioConferencingLicenceAssigned' &&
    user.provider === 'ThirdParty' &&
    settings.automaticallyReplaceAcpProvider;
  const sideEffects: TriggerSideEffects | undefined = replacesProvider
    ? { provider: 'Microsoft' }
    : undefined;

  if (!settings.meetingMigrationEnabled) return noMigration('meetingMigrationDisabled', sideEffects);

  if (rule.gate === 'dialIn' || rule.gate === 'dialInAndAcp') {
    if (!settings.automaticallyMigrateUserMeetings) {
      return noMigration('automaticMigrationDisabled', sideEffects);
    }
    if (rule.gate === 'dialInAndAcp') {
      if (!settings.automaticallyReplaceAcpProvider) return noMigration('acpReplacementDisabled');
      if (user.audioConferencing === false) return noMigration('noAudioConferencing');
    } else if (user.provider === 'ThirdParty' && !replacesProvider) {
      return noMigration(
        change.kind === 'audioConferencingLicenceAssigned' ? 'acpReplacementDisabled' : 'thirdPartyProvider',
      );
    }
  }

  const type = rule.migrationType;
  if (type === null || type === 'request') return noMigration('notATrigger'); // unreachable by the table
  const trigger = change.kind as MigrationTrigger;
  return type === 'SfbToTeams'
    ? migrate(trigger, 'SfB', 'Teams', sideEffects)
    : migrate(trigger, 'All', 'Current', sideEffects);
}

// ---------------------------------------------------------------------------------------------------------------
// Directory snapshots

const planSchema = z.object({
  servicePlanId: z.string(),
  capabilityStatus: z.string(),
  service: z.string().nullish(),
  assignedDateTime: z.string().nullish(),
});
export type AssignedPlan = z.infer<typeof planSchema>;

/** The part of a directory user the trigger rules look at, as stored between two delta reads. */
export const userSnapshotSchema = z.object({
  id: z.string().min(1),
  userPrincipalName: z.string().min(1),
  assignedLicenses: z
    .array(z.object({ skuId: z.string(), disabledPlans: z.array(z.string()).default([]) }))
    .default([]),
  assignedPlans: z.array(planSchema).default([]),
  /** Skype for Business homing; null when the directory does not say. */
  homing: z.enum(['online', 'onPremises']).nullable().default(null),
  sipAddress: z.string().nullable().default(null),
  deleted: z.boolean().default(false),
});
export type UserSnapshot = z.infer<typeof userSnapshotSchema>;

/** Capability states in which a plan works: Enabled, and Warning (a grace period: "available for normal use"). */
const WORKING_CAPABILITY_STATES = new Set(['enabled', 'warning']);

/**
 * Whether the user has Audio Conferencing: some plan in `assignedPlans` whose `servicePlanId` is one of `planIds`
 * (MCOMEETADV by default, setting AUDIO_CONFERENCING_PLAN_IDS) and whose `capabilityStatus` is Enabled (or
 * Warning: the subscription is in its grace period and dial-in still works, so the invitations stay right and
 * must not be rewritten twice). Suspended, LockedOut and Deleted do not count; a plan disabled in the licence
 * (`disabledPlans`) shows as Deleted or is absent. Checked by service plan, never by SKU, so bundles (E5, A5)
 * count and SKUs without it (E5 without Audio Conferencing) do not.
 */
export function audioConferencingEnabled(
  assignedPlans: readonly Pick<AssignedPlan, 'servicePlanId' | 'capabilityStatus'>[],
  planIds: readonly string[],
): boolean {
  const wanted = new Set(planIds.map((p) => p.toLowerCase()));
  return assignedPlans.some(
    (p) =>
      wanted.has(p.servicePlanId.toLowerCase()) &&
      WORKING_CAPABILITY_STATES.has(p.capabilityStatus.toLowerCase()),
  );
}

function normalizeSip(sip: string | null): string | null {
  if (sip === null) return null;
  return sip.trim().replace(/^sip:/i, '').toLowerCase();
}

/**
 * The changes between two snapshots of one user, in the order decideTrigger should see them (homing first, so a
 * move and a licence change in one delta are both reported). `previous` null (first sight of the user) is the
 * baseline: nothing changed. A deleted `current` reports only `userDeleted`.
 */
export function diffUserSnapshot(
  previous: UserSnapshot | null,
  current: UserSnapshot,
  planIds: readonly string[],
): DirectoryOrAdminChange[] {
  if (previous === null) return [];
  if (current.deleted) return previous.deleted ? [] : [{ kind: 'userDeleted' }];
  const changes: DirectoryOrAdminChange[] = [];
  if (previous.homing === 'onPremises' && current.homing === 'online') changes.push({ kind: 'homedOnline' });
  if (previous.homing === 'online' && current.homing === 'onPremises') {
    changes.push({ kind: 'homedOnPremises' });
  }
  const had = audioConferencingEnabled(previous.assignedPlans, planIds);
  const has = audioConferencingEnabled(current.assignedPlans, planIds);
  if (!had && has) changes.push({ kind: 'audioConferencingLicenceAssigned' });
  if (had && !has) changes.push({ kind: 'audioConferencingLicenceRemoved' });
  if (previous.userPrincipalName.toLowerCase() !== current.userPrincipalName.toLowerCase()) {
    changes.push({ kind: 'userPrincipalNameChanged' });
  }
  if (normalizeSip(previous.sipAddress) !== normalizeSip(current.sipAddress)) {
    changes.push({ kind: 'sipAddressChanged' });
  }
  return changes;
}

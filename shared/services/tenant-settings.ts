/**
 * Tenant settings as the admin API shows them (DESIGN.md "Admin HTTP API"):
 * - `GET`/`PATCH /api/settings/migration` `{ meetingMigrationEnabled, teamsDialInFromStoredProfile }`
 *   (Get/Set-CsTenantMigrationConfiguration, plus this service's switch for Teams blocks whose dial-in Teams
 *   cannot be asked for: render it from the stored profile instead of failing the meeting; off by default);
 * - `GET`/`PATCH /api/settings/dial-in` `{ automaticallyMigrateUserMeetings, automaticallyReplaceAcpProvider }`
 *   (Get/Set-CsOnlineDialInConferencingTenantSettings).
 *
 * Never set → MMS's defaults (true, true, false). A PATCH takes any subset of its group's fields; an unknown
 * field, a field of the other group, a non-boolean value or an empty body is a 400 naming the field. Changing a
 * setting migrates nothing by itself (as in MMS): it decides what later triggers do.
 */
import { z } from 'zod';
import type { TenantMigrationSettings } from '../domain/trigger-rules';
import type { TeamsConversionSettings, TenantSettingsRepository } from '../storage/repositories';
import { parseInput } from './input';
import { badRequest } from './errors';

export interface TenantSettingsDeps {
  settings: Pick<TenantSettingsRepository, 'get' | 'update' | 'getTeamsConversion' | 'updateTeamsConversion'>;
}

export const migrationSettingsViewSchema = z.strictObject({
  meetingMigrationEnabled: z.boolean().meta({
    description:
      'Whether meetings are migrated at all (Set-CsTenantMigrationConfiguration -MeetingMigrationEnabled).',
  }),
  teamsDialInFromStoredProfile: z.boolean().meta({
    description:
      "Where Teams cannot be asked for a converted meeting's dial-in (no access policy, meeting not found), render " +
      'it from the stored profile instead of failing the meeting (default false: numbers Teams does not use could ' +
      'reach invitations).',
  }),
});
export type MigrationSettingsView = z.output<typeof migrationSettingsViewSchema>;

export const dialInSettingsViewSchema = z.strictObject({
  automaticallyMigrateUserMeetings: z.boolean().meta({
    description: 'Whether dial-in changes migrate the user’s meetings (default true).',
  }),
  automaticallyReplaceAcpProvider: z.boolean().meta({
    description:
      'Whether a third-party provider is replaced by Microsoft when Audio Conferencing is assigned (default false).',
  }),
});
export type DialInSettingsView = z.output<typeof dialInSettingsViewSchema>;

const bool = (field: string) =>
  z.boolean({
    error: (i) =>
      i.input === undefined
        ? `${field} is required`
        : `must be true or false, got ${JSON.stringify(i.input)}`,
  });

export const migrationSettingsPatchSchema = z.strictObject({
  meetingMigrationEnabled: bool('meetingMigrationEnabled').optional(),
  teamsDialInFromStoredProfile: bool('teamsDialInFromStoredProfile').optional(),
});

export const dialInSettingsPatchSchema = z.strictObject({
  automaticallyMigrateUserMeetings: bool('automaticallyMigrateUserMeetings').optional(),
  automaticallyReplaceAcpProvider: bool('automaticallyReplaceAcpProvider').optional(),
});

function bodyObject(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('body', 'must be a JSON object');
  }
  if (Object.keys(body).length === 0) throw badRequest('body', 'names no setting to change');
}

function migrationView(s: TenantMigrationSettings, t: TeamsConversionSettings): MigrationSettingsView {
  return {
    meetingMigrationEnabled: s.meetingMigrationEnabled,
    teamsDialInFromStoredProfile: t.teamsDialInFromStoredProfile,
  };
}

function dialInView(s: TenantMigrationSettings): DialInSettingsView {
  return {
    automaticallyMigrateUserMeetings: s.automaticallyMigrateUserMeetings,
    automaticallyReplaceAcpProvider: s.automaticallyReplaceAcpProvider,
  };
}

export async function getMigrationSettings(deps: TenantSettingsDeps): Promise<MigrationSettingsView> {
  return migrationView(await deps.settings.get(), await deps.settings.getTeamsConversion());
}

export async function patchMigrationSettings(
  deps: TenantSettingsDeps,
  body: unknown,
): Promise<MigrationSettingsView> {
  bodyObject(body);
  const { teamsDialInFromStoredProfile, ...patch } = parseInput(migrationSettingsPatchSchema, body);
  const teams =
    teamsDialInFromStoredProfile !== undefined
      ? await deps.settings.updateTeamsConversion({ teamsDialInFromStoredProfile })
      : await deps.settings.getTeamsConversion();
  const settings =
    patch.meetingMigrationEnabled !== undefined
      ? await deps.settings.update(withoutUndefined(patch))
      : await deps.settings.get();
  return migrationView(settings, teams);
}

export async function getDialInSettings(deps: TenantSettingsDeps): Promise<DialInSettingsView> {
  return dialInView(await deps.settings.get());
}

export async function patchDialInSettings(
  deps: TenantSettingsDeps,
  body: unknown,
): Promise<DialInSettingsView> {
  bodyObject(body);
  const patch = parseInput(dialInSettingsPatchSchema, body);
  return dialInView(await deps.settings.update(withoutUndefined(patch)));
}

function withoutUndefined(o: {
  meetingMigrationEnabled?: boolean | undefined;
  automaticallyMigrateUserMeetings?: boolean | undefined;
  automaticallyReplaceAcpProvider?: boolean | undefined;
}): Partial<TenantMigrationSettings> {
  const out: Partial<TenantMigrationSettings> = {};
  if (o.meetingMigrationEnabled !== undefined) out.meetingMigrationEnabled = o.meetingMigrationEnabled;
  if (o.automaticallyMigrateUserMeetings !== undefined) {
    out.automaticallyMigrateUserMeetings = o.automaticallyMigrateUserMeetings;
  }
  if (o.automaticallyReplaceAcpProvider !== undefined) {
    out.automaticallyReplaceAcpProvider = o.automaticallyReplaceAcpProvider;
  }
  return out;
}

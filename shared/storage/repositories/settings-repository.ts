/**
 * Tenant settings (Get/Set-CsTenantMigrationConfiguration, Get/Set-CsOnlineDialInConferencingTenantSettings):
 * one row, PartitionKey `settings`, RowKey `tenant`. Never set → MMS's defaults (DEFAULT_TENANT_SETTINGS).
 */
import { z } from 'zod';
import type { Config } from '../../config';
import {
  DEFAULT_TENANT_SETTINGS,
  tenantMigrationSettingsSchema,
  type TenantMigrationSettings,
} from '../../domain/trigger-rules';
import { TableRepository } from '../repository';

export const SETTINGS_TABLE = 'TenantSettings';
export const SETTINGS_PARTITION = 'settings';
export const SETTINGS_ROW = 'tenant';

/**
 * Settings of the conversion to Teams, kept in the same row. `teamsDialInFromStoredProfile`: when Teams cannot be
 * asked for a Teams meeting's dial-in (no access policy, meeting not found), render it from the stored profile
 * instead of failing the meeting. Off by default: the stored profile only holds what an admin reported, and
 * numbers Teams does not use must never reach invitations.
 */
export interface TeamsConversionSettings {
  teamsDialInFromStoredProfile: boolean;
}
export const DEFAULT_TEAMS_CONVERSION_SETTINGS: Readonly<TeamsConversionSettings> = {
  teamsDialInFromStoredProfile: false,
};

const settingsRowSchema = tenantMigrationSettingsSchema
  .partial()
  .extend({ teamsDialInFromStoredProfile: z.boolean().optional() });

export class TenantSettingsRepository {
  readonly table: TableRepository<typeof settingsRowSchema>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    this.table = new TableRepository({
      settings: config,
      logicalName: SETTINGS_TABLE,
      schema: settingsRowSchema,
    });
  }

  /** The settings, each one defaulted to MMS's value when never set. */
  async get(): Promise<TenantMigrationSettings> {
    const row = await this.table.tryGet(SETTINGS_PARTITION, SETTINGS_ROW);
    return {
      meetingMigrationEnabled:
        row?.meetingMigrationEnabled ?? DEFAULT_TENANT_SETTINGS.meetingMigrationEnabled,
      automaticallyMigrateUserMeetings:
        row?.automaticallyMigrateUserMeetings ?? DEFAULT_TENANT_SETTINGS.automaticallyMigrateUserMeetings,
      automaticallyReplaceAcpProvider:
        row?.automaticallyReplaceAcpProvider ?? DEFAULT_TENANT_SETTINGS.automaticallyReplaceAcpProvider,
    };
  }

  /** The Teams conversion settings, defaulted when never set. */
  async getTeamsConversion(): Promise<TeamsConversionSettings> {
    const row = await this.table.tryGet(SETTINGS_PARTITION, SETTINGS_ROW);
    return {
      teamsDialInFromStoredProfile:
        row?.teamsDialInFromStoredProfile ?? DEFAULT_TEAMS_CONVERSION_SETTINGS.teamsDialInFromStoredProfile,
    };
  }

  async updateTeamsConversion(patch: Partial<TeamsConversionSettings>): Promise<TeamsConversionSettings> {
    const changes = settingsRowSchema.parse(patch);
    await this.table.mutate(SETTINGS_PARTITION, SETTINGS_ROW, (current) => ({ ...current, ...changes }), {
      create: {},
    });
    return this.getTeamsConversion();
  }

  /** Changes the given settings (others kept); answers all settings afterwards. */
  async update(patch: Partial<TenantMigrationSettings>): Promise<TenantMigrationSettings> {
    const changes = settingsRowSchema.parse(patch);
    await this.table.mutate(SETTINGS_PARTITION, SETTINGS_ROW, (current) => ({ ...current, ...changes }), {
      create: {},
    });
    return this.get();
  }
}

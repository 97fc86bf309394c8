/**
 * Tenant settings (Get/Set-CsTenantMigrationConfiguration, Get/Set-CsOnlineDialInConferencingTenantSettings):
 * one row, PartitionKey `settings`, RowKey `tenant`. Never set → MMS's defaults (DEFAULT_TENANT_SETTINGS).
 */
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

const settingsRowSchema = tenantMigrationSettingsSchema.partial();

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

  /** Changes the given settings (others kept); answers all settings afterwards. */
  async update(patch: Partial<TenantMigrationSettings>): Promise<TenantMigrationSettings> {
    const changes = settingsRowSchema.parse(patch);
    await this.table.mutate(SETTINGS_PARTITION, SETTINGS_ROW, (current) => ({ ...current, ...changes }), {
      create: {},
    });
    return this.get();
  }
}

/**
 * Every Table Storage repository of the service, built from the configuration.
 *
 *   const repos = createRepositories(getConfig());
 *   await repos.status.get(userId);
 */
import type { Config } from '../../config';
import { BatchRepository } from './batch-repository';
import { BridgeRepository } from './bridge-repository';
import { ConferenceIdRepository } from './conference-id-repository';
import { MeetingLedgerRepository } from './ledger-repository';
import { UserProfileRepository } from './profile-repository';
import { TenantSettingsRepository } from './settings-repository';
import { StatusRepository } from './status-repository';

export interface Repositories {
  status: StatusRepository;
  ledger: MeetingLedgerRepository;
  profiles: UserProfileRepository;
  bridges: BridgeRepository;
  settings: TenantSettingsRepository;
  conferenceIds: ConferenceIdRepository;
  batches: BatchRepository;
}

export function createRepositories(config: Pick<Config, 'tables' | 'tablesPrefix'>): Repositories {
  return {
    status: new StatusRepository(config),
    ledger: new MeetingLedgerRepository(config),
    profiles: new UserProfileRepository(config),
    bridges: new BridgeRepository(config),
    settings: new TenantSettingsRepository(config),
    conferenceIds: new ConferenceIdRepository(config),
    batches: new BatchRepository(config),
  };
}

export * from './batch-repository';
export * from './bridge-repository';
export * from './conference-id-repository';
export * from './ledger-repository';
export * from './profile-repository';
export * from './settings-repository';
export * from './status-repository';

/**
 * Table clients for the service's tables.
 *
 * - Table name = `tablesPrefix` + logical name (e.g. `mms` + `MigrationStatus`). Azure's rule is checked here,
 *   before any call: 3–63 characters, letters and digits only, starting with a letter (TableNameError otherwise).
 * - `{ kind: 'endpoint' }` (deployed): identity-based, `new TableClient(endpoint, table, credential)` with the
 *   process-wide DefaultAzureCredential (see credential.ts for why that and not ManagedIdentityCredential).
 * - `{ kind: 'connectionString' }` (local, Azurite): `TableClient.fromConnectionString`, with
 *   `allowInsecureConnection` when the table endpoint is plain http (Azurite), never otherwise.
 *
 * Creating a TableClient does not touch the network; tables are created lazily by the repository base
 * (repository.ts), once per process and table.
 */
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { Config } from '../config';
import { azureCredential } from './credential';

export class TableNameError extends Error {
  constructor(readonly tableName: string) {
    super(
      `Invalid table name "${tableName}": a table name is 3-63 characters, letters and digits only, ` +
        'starting with a letter (TABLES_PREFIX + logical name)',
    );
    this.name = 'TableNameError';
  }
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

/** `prefix + logicalName`, validated against Azure's table-name rule. */
export function tableName(prefix: string, logicalName: string): string {
  const name = `${prefix}${logicalName}`;
  // "tables" is reserved by the service.
  if (!TABLE_NAME.test(name) || name.toLowerCase() === 'tables') throw new TableNameError(name);
  return name;
}

/** True when a connection string points the table service at plain http (Azurite). */
export function isInsecureConnectionString(connectionString: string): boolean {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) parts.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim());
  }
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return true;
  const endpoint = parts.get('tableendpoint');
  if (endpoint !== undefined) return endpoint.toLowerCase().startsWith('http://');
  return parts.get('defaultendpointsprotocol')?.toLowerCase() === 'http';
}

export interface TableClientOptions {
  /** Overrides the process-wide DefaultAzureCredential for `{ kind: 'endpoint' }` (tests, tools). */
  credential?: TokenCredential;
}

export function createTableClient(
  settings: Pick<Config, 'tables' | 'tablesPrefix'>,
  logicalName: string,
  options: TableClientOptions = {},
): TableClient {
  const name = tableName(settings.tablesPrefix, logicalName);
  const tables = settings.tables;
  if (tables.kind === 'endpoint') {
    const clientOptions: TableServiceClientOptions = {};
    if (tables.endpoint.toLowerCase().startsWith('http://')) clientOptions.allowInsecureConnection = true;
    return new TableClient(tables.endpoint, name, options.credential ?? azureCredential(), clientOptions);
  }
  const insecure = isInsecureConnectionString(tables.connectionString);
  return TableClient.fromConnectionString(
    tables.connectionString,
    name,
    insecure ? { allowInsecureConnection: true } : {},
  );
}

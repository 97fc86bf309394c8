/**
 * Every setting the service reads, read once and validated. A missing or malformed setting fails fast with a
 * message that names it. `SETTINGS` is the catalogue the deployment templates and local.settings.sample.json are
 * checked against: add a setting here and the infra consistency test will ask for it in Bicep and Terraform.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`Setting ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface SettingInfo {
  /** App-setting name, exactly as in local.settings.json and the Function App's configuration. */
  name: string;
  /** What it is for, one line. */
  description: string;
  /**
   * `deployed`: the Azure deployment (Bicep and Terraform) must set it.
   * `optional`: has a safe default; a deployment may set it.
   * `local`: local development only; a deployment must never set it (connection strings, sandbox token).
   */
  need: 'deployed' | 'optional' | 'local';
  /** A safe example value for local.settings.sample.json. */
  example: string;
}

export const AUDIO_CONFERENCING_PLAN_ID = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';

export const SETTINGS: readonly SettingInfo[] = [
  {
    name: 'TABLES_ENDPOINT',
    description:
      'Table service endpoint, reached with the managed identity (https://<account>.table.core.windows.net).',
    need: 'deployed',
    example: '',
  },
  {
    name: 'TABLES_CONNECTION_STRING',
    description:
      'Table Storage connection string; local development only (Azurite). Used when TABLES_ENDPOINT is empty.',
    need: 'local',
    example: 'UseDevelopmentStorage=true',
  },
  {
    name: 'TABLES_PREFIX',
    description: 'Prefix of every table name the service creates (letters and digits).',
    need: 'optional',
    example: 'mms',
  },
  {
    name: 'QUEUE_TRANSPORT',
    description: '"serviceBus" (default) or "embedded" (an in-process queue for the local host and tests).',
    need: 'optional',
    example: 'embedded',
  },
  {
    name: 'ServiceBusConnection__fullyQualifiedNamespace',
    description:
      'Service Bus namespace host name, reached with the managed identity. Also read by the trigger bindings.',
    need: 'deployed',
    example: '',
  },
  {
    name: 'ServiceBusConnection',
    description: 'Service Bus connection string; local development against a real namespace only.',
    need: 'local',
    example: '',
  },
  {
    name: 'AZURE_CLIENT_ID',
    description: 'Client id of the user-assigned managed identity the app runs as.',
    need: 'deployed',
    example: '',
  },
  {
    name: 'GRAPH_BASE_URL',
    description:
      "Microsoft Graph root (https://graph.microsoft.com), or the sandbox tenant's URL in local runs.",
    need: 'optional',
    example: 'https://graph.microsoft.com',
  },
  {
    name: 'GRAPH_CREDENTIAL',
    description:
      '"managedIdentity" (default), "clientSecret" (GRAPH_TENANT_ID/GRAPH_CLIENT_ID/GRAPH_CLIENT_SECRET) or "sandbox".',
    need: 'optional',
    example: 'sandbox',
  },
  {
    name: 'GRAPH_TENANT_ID',
    description: 'Entra tenant id, for GRAPH_CREDENTIAL=clientSecret.',
    need: 'optional',
    example: '',
  },
  {
    name: 'GRAPH_CLIENT_ID',
    description: 'App registration client id, for GRAPH_CREDENTIAL=clientSecret.',
    need: 'optional',
    example: '',
  },
  {
    name: 'GRAPH_CLIENT_SECRET',
    description: 'App registration secret, for GRAPH_CREDENTIAL=clientSecret.',
    need: 'local',
    example: '',
  },
  {
    name: 'GRAPH_SANDBOX_TOKEN',
    description: 'Bearer token the sandbox tenant accepts, for GRAPH_CREDENTIAL=sandbox.',
    need: 'local',
    example: 'sandbox-dev-token',
  },
  {
    name: 'NOTIFICATION_URL',
    description:
      'Public HTTPS URL of POST /api/notifications, given to Graph when the service subscribes to user changes.',
    need: 'deployed',
    example: 'http://127.0.0.1:7071/api/notifications',
  },
  {
    name: 'GRAPH_CLIENT_STATE',
    description:
      'Secret (at most 128 characters) Graph echoes in every change notification; kept in Key Vault.',
    need: 'deployed',
    example: 'local-dev-client-state-change-me',
  },
  {
    name: 'MIGRATION_DELAY_SECONDS',
    description:
      'How long a triggered migration waits so that bursts of triggers for one user collapse into one.',
    need: 'optional',
    example: '120',
  },
  {
    name: 'MAILBOX_CONCURRENCY',
    description: 'Concurrent Graph requests per mailbox (Exchange allows 4).',
    need: 'optional',
    example: '4',
  },
  {
    name: 'MIGRATION_MAX_RETRIES',
    description: 'Retries of a failed user migration before it stays Failed (MMS: 9 over 24 hours).',
    need: 'optional',
    example: '9',
  },
  {
    name: 'AUDIO_CONFERENCING_PLAN_IDS',
    description: 'Comma-separated service plan ids that count as Audio Conferencing (default: MCOMEETADV).',
    need: 'optional',
    example: AUDIO_CONFERENCING_PLAN_ID,
  },
];

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

function intSetting(name: string, def: number, min: number, max: number) {
  return optionalText.transform((v, ctx) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be a whole number from ${min} to ${max}, got "${v}"`,
      });
      return z.NEVER;
    }
    return n;
  });
}

export type TablesConfig =
  { kind: 'endpoint'; endpoint: string } | { kind: 'connectionString'; connectionString: string };
export type QueueConfig =
  | { kind: 'embedded' }
  | { kind: 'serviceBus'; fullyQualifiedNamespace: string }
  | { kind: 'serviceBusConnectionString'; connectionString: string };
export type GraphCredentialConfig =
  | { kind: 'managedIdentity'; clientId?: string }
  | { kind: 'clientSecret'; tenantId: string; clientId: string; clientSecret: string }
  | { kind: 'sandbox'; token: string };

export interface Config {
  tables: TablesConfig;
  tablesPrefix: string;
  queue: QueueConfig;
  graph: { baseUrl: string; credential: GraphCredentialConfig };
  notificationUrl?: string;
  clientState?: string;
  migrationDelaySeconds: number;
  mailboxConcurrency: number;
  migrationMaxRetries: number;
  audioConferencingPlanIds: string[];
}

type Env = Record<string, string | undefined>;

function need(env: Env, name: string, why: string): string {
  const v = env[name]?.trim();
  if (!v) throw new ConfigError(name, `missing; ${why}`);
  return v;
}

function httpsUrl(name: string, value: string, allowHttp = false): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new ConfigError(name, `must be an https:// URL, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * App Service replaces an `@Microsoft.KeyVault(...)` app setting with the secret's value before the app starts. When
 * it cannot (the identity named by keyVaultReferenceIdentity lacks access, the secret is missing, the reference is
 * malformed), the app sees the reference text itself. Starting with it would, for example, make the reference text
 * the Graph clientState; refuse to start instead, naming the setting.
 */
function unresolvedKeyVaultReference(env: Env): void {
  for (const info of SETTINGS) {
    const value = env[info.name]?.trim();
    if (value?.toLowerCase().startsWith('@microsoft.keyvault(')) {
      throw new ConfigError(
        info.name,
        'is an unresolved Key Vault reference (it still reads "@Microsoft.KeyVault(..."): App Service could not ' +
          "read the secret. Check the app's keyVaultReferenceIdentity, that identity's Key Vault Secrets User role " +
          "on the secret, and the reference status under the app's Environment variables in the Azure portal",
      );
    }
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads and validates every setting from `env`. Throws ConfigError naming the first bad setting. */
export function loadConfig(env: Env = process.env): Config {
  unresolvedKeyVaultReference(env);
  const t = (name: string) => optionalText.parse(env[name]);

  const tablesEndpoint = t('TABLES_ENDPOINT');
  const tablesConn = t('TABLES_CONNECTION_STRING');
  let tables: TablesConfig;
  if (tablesEndpoint)
    tables = { kind: 'endpoint', endpoint: httpsUrl('TABLES_ENDPOINT', tablesEndpoint, true) };
  else if (tablesConn) tables = { kind: 'connectionString', connectionString: tablesConn };
  else
    throw new ConfigError('TABLES_ENDPOINT', 'missing; set it (or TABLES_CONNECTION_STRING for local runs)');

  const tablesPrefix = t('TABLES_PREFIX') ?? 'mms';
  if (!/^[A-Za-z][A-Za-z0-9]{0,29}$/.test(tablesPrefix)) {
    throw new ConfigError(
      'TABLES_PREFIX',
      `must start with a letter and hold only letters and digits (at most 30), got "${tablesPrefix}"`,
    );
  }

  const transport = t('QUEUE_TRANSPORT') ?? 'serviceBus';
  let queue: QueueConfig;
  if (transport === 'embedded') queue = { kind: 'embedded' };
  else if (transport === 'serviceBus') {
    const ns = t('ServiceBusConnection__fullyQualifiedNamespace');
    const conn = t('ServiceBusConnection');
    if (ns) queue = { kind: 'serviceBus', fullyQualifiedNamespace: ns };
    else if (conn) queue = { kind: 'serviceBusConnectionString', connectionString: conn };
    else
      throw new ConfigError(
        'ServiceBusConnection__fullyQualifiedNamespace',
        'missing; set it (or ServiceBusConnection, or QUEUE_TRANSPORT=embedded for local runs)',
      );
  } else throw new ConfigError('QUEUE_TRANSPORT', `must be "serviceBus" or "embedded", got "${transport}"`);

  const baseUrl = httpsUrl('GRAPH_BASE_URL', t('GRAPH_BASE_URL') ?? 'https://graph.microsoft.com');
  const credKind = t('GRAPH_CREDENTIAL') ?? 'managedIdentity';
  let credential: GraphCredentialConfig;
  if (credKind === 'managedIdentity') {
    const clientId = t('AZURE_CLIENT_ID');
    credential = clientId ? { kind: 'managedIdentity', clientId } : { kind: 'managedIdentity' };
  } else if (credKind === 'clientSecret') {
    const why = 'GRAPH_CREDENTIAL=clientSecret needs it';
    credential = {
      kind: 'clientSecret',
      tenantId: need(env, 'GRAPH_TENANT_ID', why),
      clientId: need(env, 'GRAPH_CLIENT_ID', why),
      clientSecret: need(env, 'GRAPH_CLIENT_SECRET', why),
    };
  } else if (credKind === 'sandbox') {
    credential = { kind: 'sandbox', token: t('GRAPH_SANDBOX_TOKEN') ?? 'sandbox-dev-token' };
  } else {
    throw new ConfigError(
      'GRAPH_CREDENTIAL',
      `must be "managedIdentity", "clientSecret" or "sandbox", got "${credKind}"`,
    );
  }

  const notificationUrl = t('NOTIFICATION_URL');
  const clientState = t('GRAPH_CLIENT_STATE');
  if (clientState !== undefined && clientState.length > 128) {
    throw new ConfigError(
      'GRAPH_CLIENT_STATE',
      `must be at most 128 characters (Graph's limit), got ${clientState.length}`,
    );
  }

  const int = (name: string, def: number, min: number, max: number) => {
    const r = intSetting(name, def, min, max).safeParse(env[name]);
    if (!r.success) throw new ConfigError(name, r.error.issues[0]?.message ?? 'invalid');
    return r.data;
  };

  const planIds = (t('AUDIO_CONFERENCING_PLAN_IDS') ?? AUDIO_CONFERENCING_PLAN_ID)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const badPlan = planIds.find((p) => !GUID.test(p));
  if (badPlan !== undefined || planIds.length === 0) {
    throw new ConfigError(
      'AUDIO_CONFERENCING_PLAN_IDS',
      `must be comma-separated GUIDs, got "${badPlan ?? ''}"`,
    );
  }

  return {
    tables,
    tablesPrefix,
    queue,
    graph: { baseUrl, credential },
    ...(notificationUrl !== undefined
      ? { notificationUrl: httpsUrl('NOTIFICATION_URL', notificationUrl, true) }
      : {}),
    ...(clientState !== undefined ? { clientState } : {}),
    migrationDelaySeconds: int('MIGRATION_DELAY_SECONDS', 120, 0, 86_400),
    mailboxConcurrency: int('MAILBOX_CONCURRENCY', 4, 1, 4),
    migrationMaxRetries: int('MIGRATION_MAX_RETRIES', 9, 0, 50),
    audioConferencingPlanIds: planIds,
  };
}

let cached: Config | undefined;

/** The process-wide configuration, read on first use. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Tests and the local host call this after changing process.env. */
export function resetConfigForTests(): void {
  cached = undefined;
}

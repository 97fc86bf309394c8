/**
 * The sandbox tenant: a Microsoft Graph v1.0 stand-in served over HTTPS on loopback with the dev-only certificate
 * in dev/sandbox/certs. Graph is at `${handle.url}/v1.0`, the control API at `${handle.url}/_sandbox/`, and
 * `handle.tenant` offers the same control operations in-process.
 *
 *   const sandbox = await startSandbox({ seed });
 *   // Graph SDK: Client.init({ baseUrl: sandbox.url, customHosts: new Set(['127.0.0.1']), authProvider: (done) => done(null, sandbox.token) })
 *   await sandbox.stop();
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GRAPH_PERMISSION_NAMES } from '../../shared/graph/permissions';
import { DEFAULT_TOKEN_LIFETIME_SECONDS } from './auth';
import { repoRoot } from './schema';
import type { TenantSeedInput } from './seed';
import { SandboxServer } from './server';
import { SandboxTenant } from './tenant';

export { SandboxTenant, SeedError } from './tenant';
export { readTokenClaims, SANDBOX_APP_ID } from './auth';
export type { TenantSeedInput } from './seed';

export const DEFAULT_SANDBOX_TOKEN = 'sandbox-dev-token';

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * The application permissions admin-consented to the app: the `roles` claim of the tokens the sandbox issues.
   * Default: the list the deployments grant (shared/graph/permissions.json).
   */
  roles?: readonly string[];
  /**
   * A fixed opaque bearer token to accept as well, carrying `roles` (it shows no claims to whoever holds it).
   * Without it, `handle.token` is a JWT issued with `roles`.
   */
  token?: string;
  seed?: TenantSeedInput;
  /** How long the validation handshake waits for the subscriber's echo (Graph: 10 s). */
  validationTimeoutMs?: number;
  /** Delays between change-notification delivery attempts after a non-2xx answer. */
  notificationRetryDelaysMs?: number[];
  /**
   * Check every request body, answer and notification against the Graph v1.0 schema (schema-check.ts).
   * Default: SANDBOX_CHECK_SHAPES=1 in the environment (the test harness sets it).
   */
  checkShapes?: boolean;
}

export interface SandboxHandle {
  /** https://127.0.0.1:PORT — Graph v1.0 is at `${url}/v1.0`. */
  url: string;
  port: number;
  /** A bearer token carrying the granted roles (a 60-minute JWT, or the fixed `token` option). */
  token: string;
  /** A new token with the app's current permissions (`tenant.grantedRoles`), or with the roles given. */
  issueToken(roles?: readonly string[], lifetimeSeconds?: number): string;
  /** Programmatic control: the same operations as the control API. */
  tenant: SandboxTenant;
  /**
   * Stops the server. With shape checks on, rejects (after stopping) when bodies that do not conform to the
   * Graph v1.0 schema were seen and not taken (`tenant.shapes.take()`), so the test that caused them fails.
   */
  stop(): Promise<void>;
}

/** Paths of the dev-only TLS certificate and key (read from the source tree). */
export function sandboxCertificatePaths(): { cert: string; key: string } {
  const dir = join(repoRoot(__dirname), 'dev', 'sandbox', 'certs');
  return { cert: join(dir, 'sandbox-dev-only.crt'), key: join(dir, 'sandbox-dev-only.key') };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const tenant = new SandboxTenant({
    ...(options.validationTimeoutMs !== undefined
      ? { validationTimeoutMs: options.validationTimeoutMs }
      : {}),
    ...(options.notificationRetryDelaysMs
      ? { notificationRetryDelaysMs: options.notificationRetryDelaysMs }
      : {}),
  });
  tenant.load(
    options.seed ?? {
      tenantId: '00000000-0000-0000-0000-000000000000',
      domain: 'sandbox.onmicrosoft.com',
      users: [],
      events: [],
    },
  );
  tenant.grantedRoles = [...(options.roles ?? GRAPH_PERMISSION_NAMES)];
  if (options.checkShapes !== undefined) tenant.shapes.enabled = options.checkShapes;
  let token: string;
  if (options.token !== undefined) {
    tenant.tokens.acceptOpaque(options.token, tenant.grantedRoles);
    token = options.token;
  } else {
    // Long enough for a local run or a test file; the service's credential asks for a new one when it expires.
    token = tenant.tokens.issue(tenant.grantedRoles, 24 * DEFAULT_TOKEN_LIFETIME_SECONDS);
  }
  const app = new SandboxServer(tenant, tenant.tokens);
  const paths = sandboxCertificatePaths();
  const server = createServer({ cert: readFileSync(paths.cert), key: readFileSync(paths.key) }, app.listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  app.baseUrl = url;
  return {
    url,
    port,
    token,
    issueToken: (roles, lifetimeSeconds) =>
      tenant.tokens.issue(roles ?? tenant.grantedRoles, lifetimeSeconds),
    tenant,
    stop: async () => {
      tenant.subscriptions.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      const left = tenant.shapes.take();
      if (left.length) {
        throw new Error(
          `The sandbox saw ${left.length} bodies that do not conform to the Graph v1.0 schema:\n` +
            left.map((v) => `  ${v.direction} ${v.method} ${v.path}: ${v.violations.join('; ')}`).join('\n'),
        );
      }
    },
  };
}

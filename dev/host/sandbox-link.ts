/**
 * Starts the sandbox tenant (dev/sandbox `startSandbox`) seeded with a generated demo tenant
 * (dev/sandbox/generator `generateTenant`) for `npm start`.
 */
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { sandboxCertificatePaths, startSandbox, type TenantSeedInput } from '../sandbox';
import { generateTenant } from '../sandbox/generator';

export interface SandboxLink {
  /** Graph root, e.g. https://127.0.0.1:PORT (Graph paths go under /v1.0). */
  url: string;
  /** Control API root (/_sandbox). */
  controlUrl: string;
  /** Bearer token the sandbox accepts. */
  token: string;
  port: number;
  /** Users and events loaded. */
  users: number;
  events: number;
  /** The generated tenant (dev/local-data.ts loads its bridges and dial-in profiles into Table Storage). */
  seed: TenantSeedInput;
  stop(): Promise<void>;
}

export async function startSandboxTenant(options: {
  port: number;
  users: number;
  meetings: number;
  seed: number;
  /** The application permissions the sandbox's token carries. */
  roles: readonly string[];
  /** A fixed token to accept instead of issuing one (GRAPH_SANDBOX_TOKEN). */
  token?: string;
  /** Check Graph bodies against the v1.0 schema (default: SANDBOX_CHECK_SHAPES in the environment). */
  checkShapes?: boolean;
}): Promise<SandboxLink> {
  const seed = generateTenant({ users: options.users, meetings: options.meetings, seed: options.seed });
  const handle = await startSandbox({
    port: options.port,
    seed,
    roles: options.roles,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.checkShapes !== undefined ? { checkShapes: options.checkShapes } : {}),
  });
  trustSandboxCertificate();
  return {
    url: handle.url,
    controlUrl: `${handle.url}/_sandbox`,
    token: handle.token,
    port: handle.port,
    users: seed.users.length,
    events: seed.events.length,
    seed,
    stop: () => handle.stop(),
  };
}

/**
 * This process talks to the sandbox too (the demo's control calls): its dev-only certificate joins the CAs this
 * process trusts, as NODE_EXTRA_CA_CERTS does for the function host it starts. Node reads that variable only at
 * start-up, so the process that starts the sandbox adds the certificate itself (Node 22.19+; on an older Node the
 * variable must be set before starting).
 */
function trustSandboxCertificate(): void {
  const set = (tls as { setDefaultCACertificates?: (certs: string[]) => void }).setDefaultCACertificates;
  if (set === undefined) return;
  const cert = readFileSync(sandboxCertificatePaths().cert, 'utf8');
  const current = tls.getCACertificates('default');
  if (!current.includes(cert)) set([...current, cert]);
}

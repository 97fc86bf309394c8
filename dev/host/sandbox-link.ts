/**
 * Starts the sandbox tenant (dev/sandbox `startSandbox`) seeded with a generated demo tenant
 * (dev/sandbox/generator `generateTenant`) for `npm start`.
 */
import { startSandbox, type TenantSeedInput } from '../sandbox';
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

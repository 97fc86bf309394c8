/**
 * Access tokens and application permissions, as Microsoft Graph checks them.
 *
 * An app-only token from Entra ID is a JWT whose `roles` claim lists the application permissions (app roles)
 * admin-consented to the app when the token was issued; Graph authorises every request from that claim alone
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, "roles"). The sandbox
 * issues such tokens (HS256-signed with a per-process key, so only it can mint them) and every Graph route
 * declares the permissions that admit it: the documented least-privileged one first, then the higher-privileged
 * ones the permission table of the route's page lists. A token without any of them gets the 403 and error code
 * Graph gives for that kind of route.
 *
 * A change of the app's permissions reaches Graph only through a new token; here, too, a token keeps the roles it
 * was issued with.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GraphError } from './http';

/** The application id the sandbox's tokens are issued to (a fixed, made-up app registration). */
export const SANDBOX_APP_ID = '5a9d7f0e-3c1b-4e2a-9d8f-6b0c1a2e3f40';
export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
/** Entra's default lifetime for app-only tokens is 60–90 minutes; the sandbox issues 60-minute tokens. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/** The claims of a sandbox token that Graph reads. */
export interface TokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  idtyp: 'app';
  roles: string[];
  iat: number;
  nbf: number;
  exp: number;
}

/**
 * Which kind of Graph workload answers a missing permission, and so with which error:
 * - `directory` (users, delta, licenseDetails, directory objects): 403 `Authorization_RequestDenied`.
 * - `outlook` (events, calendar, mailboxSettings): 403 `ErrorAccessDenied`.
 * - `other` (subscriptions, online meetings): 403 `Forbidden`.
 */
export type PermissionFamily = 'directory' | 'outlook' | 'other';

export interface RoutePermissions {
  /** The documented least-privileged application permission first, then the higher-privileged ones. */
  readonly accepted: readonly [string, ...string[]];
  readonly family: PermissionFamily;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');

export class TokenIssuer {
  private readonly key = randomBytes(32);
  /** Opaque tokens accepted besides the JWTs (a fixed token given at start), with the roles they carry. */
  private readonly opaque = new Map<string, string[]>();

  constructor(private readonly tenantId: () => string) {}

  issue(roles: readonly string[], lifetimeSeconds = DEFAULT_TOKEN_LIFETIME_SECONDS): string {
    const now = Math.floor(Date.now() / 1000);
    const tid = this.tenantId();
    const claims: TokenClaims = {
      aud: GRAPH_AUDIENCE,
      iss: `https://sts.windows.net/${tid}/`,
      tid,
      appid: SANDBOX_APP_ID,
      idtyp: 'app',
      roles: [...new Set(roles)],
      iat: now,
      nbf: now,
      exp: now + lifetimeSeconds,
    };
    const unsigned = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64(claims)}`;
    return `${unsigned}.${this.sign(unsigned)}`;
  }

  /** Accepts `token` as it is (not a JWT: it carries no claims a reader could see) with these roles. */
  acceptOpaque(token: string, roles: readonly string[]): void {
    this.opaque.set(token, [...roles]);
  }

  /** The roles of a valid token; Graph's 401 otherwise. */
  verify(authorization: string | undefined): string[] {
    if (!authorization) throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const m = /^Bearer\s+(.+)$/i.exec(authorization);
    const token = m?.[1]?.trim() ?? '';
    const fixed = this.opaque.get(token);
    if (fixed) return fixed;
    const parts = token.split('.');
    if (parts.length !== 3 || !parts[0] || !parts[1] || !parts[2]) {
      throw new GraphError(401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed.');
    }
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new GraphError(
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid signature.',
      );
    }
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Partial<TokenClaims>;
    if (claims.aud !== GRAPH_AUDIENCE) {
      throw new GraphError(
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid audience.',
      );
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) {
      throw new GraphError(
        401,
        'InvalidAuthenticationToken',
        'Lifetime validation failed, the token is expired.',
      );
    }
    return Array.isArray(claims.roles) ? claims.roles.filter((r) => typeof r === 'string') : [];
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}

/** The claims of a JWT, unverified (what a client reads from its own token), or null when it is not one. */
export function readTokenClaims(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The permission of `roles` that admits a route, or Graph's 403 for the route's family. */
export function authorise(roles: readonly string[], required: RoutePermissions): string {
  const held = new Set(roles);
  const granted = required.accepted.find((p) => held.has(p));
  if (granted) return granted;
  switch (required.family) {
    case 'directory':
      throw new GraphError(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
    case 'outlook':
      throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    default:
      throw new GraphError(
        403,
        'Forbidden',
        `Missing application permission: one of ${required.accepted.join(', ')} is required.`,
      );
  }
}

/** Permission sets of the routes, from each route's page (api-reference/v1.0/api/...). */
export const PERMISSIONS = {
  /** user-get.md, user-list.md, user-delta.md, user-list-licensedetails.md */
  readUsers: {
    accepted: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    family: 'directory',
  },
  /** directory-deleteditems-get.md (a deleted user) */
  readDeletedUsers: {
    accepted: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    family: 'directory',
  },
  /** user-get-mailboxsettings.md */
  readMailboxSettings: { accepted: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'], family: 'outlook' },
  /**
   * user-list-events.md, event-get.md, event-list-instances.md, user-list-calendarview.md, calendar-get.md:
   * the documented least-privileged permission is Calendars.ReadBasic, which leaves out the body, attendees and
   * extended properties a migration reads; the sandbox asks for Calendars.Read (stricter, never more lenient).
   */
  readEvents: { accepted: ['Calendars.Read', 'Calendars.ReadWrite'], family: 'outlook' },
  /** calendar-get.md */
  readCalendar: {
    accepted: ['Calendars.ReadBasic', 'Calendars.Read', 'Calendars.ReadWrite'],
    family: 'outlook',
  },
  /** event-update.md */
  writeEvents: { accepted: ['Calendars.ReadWrite'], family: 'outlook' },
  /** subscription-post-subscriptions.md etc.: the permission the resource needs (users: User.Read.All) */
  userSubscriptions: {
    accepted: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    family: 'other',
  },
  /** application-post-onlinemeetings.md, onlinemeeting-createorget.md */
  writeOnlineMeetings: { accepted: ['OnlineMeetings.ReadWrite.All'], family: 'other' },
  /** onlinemeeting-get.md */
  readOnlineMeetings: {
    accepted: ['OnlineMeetings.Read.All', 'OnlineMeetings.ReadWrite.All'],
    family: 'other',
  },
} as const satisfies Record<string, RoutePermissions>;

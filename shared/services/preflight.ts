/**
 * Preflight: what an admin runs before the first real migration (`GET /api/preflight`, `npm run mms -- preflight`),
 * against whatever Graph is configured, sandbox or a real tenant. Read-only: it reads the app's own token, a user,
 * their mailbox settings and one calendar item, looks a Teams meeting up by a join URL that does not exist, lists
 * the subscriptions, and makes the validation handshake Graph makes with our notification URLs (our endpoint only
 * echoes). Each check passes or fails; every failure carries the exact fix (a PowerShell or az line).
 *
 *   const report = await runPreflight(preflightDeps(), { user: 'adele@contoso.com' });
 *   report.ok; report.checks; // [{ id, target, status: 'pass' | 'fail', detail, fix? }]
 */
import { randomBytes } from 'node:crypto';
import { GraphRequestError } from '../graph/errors';
import { GRAPH_PERMISSIONS, type GraphPermission } from '../graph/permissions';
import { GraphPreflightGateway, type SampleUser } from '../graph/preflight';
import type { DirectoryUser, GraphGateways } from '../graph/ports';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import { unreachableMailboxCause } from './migrate-user';
import { lifecycleUrlFor } from './subscriptions';
import {
  preflightCheckSchema,
  preflightReportSchema,
  type PreflightCheck,
  type PreflightReport,
} from '../domain/preflight';

export { preflightCheckSchema, preflightReportSchema, type PreflightCheck, type PreflightReport };

export interface PreflightDeps {
  graph: Pick<GraphGateways, 'directory' | 'onlineMeetings' | 'subscriptions'>;
  preflight: Pick<GraphPreflightGateway, 'sampleUsers' | 'readCalendar'>;
  /** The access token the Graph client sends (its `roles` claim is what Graph authorises from). */
  accessToken: () => Promise<string>;
  graphBaseUrl: string;
  notificationUrl: string | undefined;
  permissions?: readonly GraphPermission[];
  now: () => Date;
  fetch?: typeof fetch;
  /** How long the handshake may take (Graph: 10 s). */
  handshakeTimeoutMs?: number;
}

/** Subscriptions expiring sooner than this fail the check (the renewal timer runs every 30 minutes). */
export const SUBSCRIPTION_MIN_REMAINING_MS = 24 * 3600_000;
/** A join URL no meeting has: looking it up is read-only and needs the same Teams access policy as creating. */
export const TEAMS_POLICY_PROBE_URL =
  'https://teams.microsoft.com/l/meetup-join/19%3ameeting_MmsPreflightProbe%40thread.v2/0';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The `roles` claim of a JWT access token (unverified: the token is our own), or null when it has none. */
export function tokenRoles(token: string): string[] | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (typeof claims !== 'object' || claims === null) return null;
    const roles = (claims as { roles?: unknown }).roles;
    if (roles === undefined) return [];
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : null;
  } catch {
    return null;
  }
}

export function grantFix(permission: string): string {
  return (
    `$g = Get-MgServicePrincipal -Filter "appId eq '${GRAPH_APP_ID}'"; ` +
    'New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId <principal id> -PrincipalId <principal id> ' +
    `-ResourceId $g.Id -AppRoleId ($g.AppRoles | Where-Object Value -eq '${permission}').Id` +
    '   (or: infra/scripts/grant-graph-permissions.sh <principal id>, which grants the whole list)'
  );
}

function scopeFix(upn: string): string {
  return (
    `Add-DistributionGroupMember -Identity "MMS Users" -Member ${upn}   ` +
    `(the group of the app's management scope; then Test-ServicePrincipalAuthorization -Identity <client id> -Resource ${upn})`
  );
}

function policyFix(upn: string): string {
  return `Grant-CsApplicationAccessPolicy -PolicyName "MMS" -Identity ${upn}   (New-CsApplicationAccessPolicy -Identity "MMS" -AppIds <client id> first if the policy does not exist)`;
}

const MAILBOX_FIX = {
  mailboxUnlicensed: (upn: string) =>
    `Set-MgUserLicense -UserId ${upn} -AddLicenses @(@{SkuId = '<a SKU with Exchange Online>'}) -RemoveLicenses @()`,
  mailboxOnPremises: (upn: string) =>
    `New-MoveRequest -Identity ${upn} -Remote -RemoteHostName <hybrid endpoint> -TargetDeliveryDomain <tenant>.mail.onmicrosoft.com -RemoteCredential (Get-Credential)`,
} as const;

function describeError(e: unknown): string {
  if (e instanceof GraphRequestError) return `HTTP ${e.status} ${e.code}: ${e.graphMessage}`;
  return e instanceof Error ? e.message : String(e);
}

function isPermissionDenied(e: unknown): boolean {
  return (
    e instanceof GraphRequestError &&
    e.status === 403 &&
    (e.code === 'Authorization_RequestDenied' || /Missing application permission/i.test(e.graphMessage))
  );
}

function isScopeDenied(e: unknown): boolean {
  return e instanceof GraphRequestError && e.status === 403 && e.code === 'ErrorAccessDenied';
}

export async function runPreflight(
  deps: PreflightDeps,
  options: { user?: string } = {},
): Promise<PreflightReport> {
  const checks: PreflightCheck[] = [];
  const pass = (id: string, target: string, detail: string) =>
    checks.push({ id, target, status: 'pass', detail });
  const fail = (id: string, target: string, detail: string, fix: string) =>
    checks.push({ id, target, status: 'fail', detail, fix });
  const permissions = deps.permissions ?? GRAPH_PERMISSIONS;

  // 1. The token: which application permissions the app holds.
  let roles: string[] | null = null;
  let tokenError: string | null = null;
  try {
    roles = tokenRoles(await deps.accessToken());
  } catch (e) {
    tokenError = describeError(e);
  }

  // 2. A user: named, or a sample (a cloud user with an Exchange Online plan, if any).
  let user: DirectoryUser | null = null;
  let target = options.user ?? null;
  try {
    if (options.user === undefined) {
      const sample: SampleUser[] = await deps.preflight.sampleUsers(25);
      // A typical cloud mailbox: an Exchange Online plan, not a hybrid user (whose mailbox may be on-premises).
      const pick =
        sample.find((u) => u.exchangeLicensed && !u.synced) ??
        sample.find((u) => u.exchangeLicensed) ??
        sample[0];
      target = pick?.userPrincipalName ?? null;
      if (pick) user = await deps.graph.directory.getUser(pick.id);
      if (!pick)
        fail(
          'user',
          '(sample)',
          'The directory lists no users.',
          'Name a user: npm run mms -- preflight --user <upn>',
        );
    } else {
      user = await deps.graph.directory.getUser(options.user);
      if (user === null) {
        fail(
          'user',
          options.user,
          'No such user in the directory.',
          `Get-MgUser -UserId ${options.user}   (check the UPN or object id)`,
        );
      }
    }
    if (user !== null) pass('user', user.userPrincipalName, `Readable (object id ${user.id}).`);
  } catch (e) {
    fail(
      'user',
      target ?? '(sample)',
      `The directory refused: ${describeError(e)}`,
      grantFix('User.Read.All'),
    );
  }

  // 3. The user's mailbox, calendar and Teams access policy.
  const scopedOk = new Set<string>();
  if (user !== null) {
    const upn = user.userPrincipalName;
    let mailboxOk = false;
    try {
      const m = await deps.graph.directory.checkMailbox(user.id);
      if (m.location === 'exchangeOnline') {
        mailboxOk = true;
        scopedOk.add('MailboxSettings.Read');
        pass(
          'mailbox',
          upn,
          `In Exchange Online and in the app's scope (language ${m.language ?? 'unset'}).`,
        );
      } else if (m.location === 'onPremises') {
        const cause = unreachableMailboxCause(user);
        fail(
          'mailbox',
          upn,
          cause === 'mailboxUnlicensed'
            ? 'Graph cannot reach a mailbox (MailboxNotEnabledForRESTAPI): the user has no Exchange Online licence.'
            : 'Graph cannot reach the mailbox (MailboxNotEnabledForRESTAPI): it is on-premises (or inactive).',
          MAILBOX_FIX[cause](upn),
        );
      } else {
        fail('mailbox', upn, 'The user has no mailbox.', MAILBOX_FIX.mailboxUnlicensed(upn));
      }
    } catch (e) {
      // Outlook answers ErrorAccessDenied both for a missing permission and for a mailbox outside the scope: the
      // token tells which (a permission granted only through Exchange RBAC is not in it).
      if (isScopeDenied(e) && (roles === null || roles.includes('MailboxSettings.Read'))) {
        fail('mailbox', upn, `Outside the app's Exchange RBAC scope (${describeError(e)}).`, scopeFix(upn));
      } else if (isPermissionDenied(e) || (e instanceof GraphRequestError && e.status === 403)) {
        fail(
          'mailbox',
          upn,
          `Mailbox settings refused: ${describeError(e)}`,
          grantFix('MailboxSettings.Read'),
        );
      } else {
        fail(
          'mailbox',
          upn,
          describeError(e),
          'Retry later; if it persists, see the Graph request id in the detail.',
        );
      }
    }
    if (mailboxOk) {
      try {
        await deps.preflight.readCalendar(user.id);
        scopedOk.add('Calendars.ReadWrite');
        pass('calendar', upn, 'The calendar can be read.');
      } catch (e) {
        if (isScopeDenied(e) && (roles === null || roles.includes('Calendars.ReadWrite'))) {
          fail('calendar', upn, `Refused: ${describeError(e)}`, scopeFix(upn));
        } else {
          fail('calendar', upn, `Refused: ${describeError(e)}`, grantFix('Calendars.ReadWrite'));
        }
      }
    }
    try {
      await deps.graph.onlineMeetings.findTeamsMeetingByJoinUrl(user.id, TEAMS_POLICY_PROBE_URL);
      pass('teamsAccessPolicy', upn, 'The Teams application access policy admits the app for this user.');
    } catch (e) {
      if (e instanceof GraphRequestError && e.status === 403 && !isPermissionDenied(e)) {
        fail('teamsAccessPolicy', upn, `Refused: ${describeError(e)}`, policyFix(upn));
      } else if (isPermissionDenied(e)) {
        fail(
          'teamsAccessPolicy',
          upn,
          `Refused: ${describeError(e)}`,
          grantFix('OnlineMeetings.ReadWrite.All'),
        );
      } else {
        fail('teamsAccessPolicy', upn, describeError(e), policyFix(upn));
      }
    }
  }

  // 4. Permissions: in the token, or (for Exchange-scopable ones) granted by Exchange RBAC and proven above.
  const permissionRows: PreflightCheck[] = permissions.map((p) => {
    if (roles?.includes(p.name)) {
      return { id: 'permission', target: p.name, status: 'pass', detail: "In the app's token." };
    }
    if (p.exchangeScopable && scopedOk.has(p.name)) {
      return {
        id: 'permission',
        target: p.name,
        status: 'pass',
        detail:
          'Not in the token, but granted through Exchange RBAC for Applications (the read above worked).',
      };
    }
    return {
      id: 'permission',
      target: p.name,
      status: 'fail',
      detail:
        tokenError !== null
          ? `No token: ${tokenError}`
          : roles === null
            ? 'The access token shows no roles claim (not a JWT).'
            : `Not in the app's token (it holds ${roles.length ? roles.join(', ') : 'no application permission'}); needed to ${p.purpose}.`,
      fix: grantFix(p.name),
    };
  });
  checks.unshift(...permissionRows);

  // 5. The subscription on /users and our notification endpoints.
  const url = deps.notificationUrl;
  if (url === undefined) {
    fail(
      'subscription',
      '/users',
      'NOTIFICATION_URL is not set, so the service cannot subscribe.',
      'az functionapp config appsettings set -g <resource group> -n <function app> --settings NOTIFICATION_URL=https://<function app>.azurewebsites.net/api/notifications',
    );
  } else {
    try {
      const subs = (await deps.graph.subscriptions.list()).filter(
        (s) => s.notificationUrl === url && s.resource.toLowerCase().replace(/^\//, '') === 'users',
      );
      const now = deps.now().getTime();
      const best = subs.sort(
        (a, b) => Date.parse(b.expirationDateTime) - Date.parse(a.expirationDateTime),
      )[0];
      const renew =
        'curl -X POST "https://<function app>.azurewebsites.net/admin/functions/renewSubscriptions" -H "x-functions-key: <master key>" -H "Content-Type: application/json" -d "{}"';
      if (!best) {
        fail('subscription', '/users', `No subscription on /users notifies ${url}.`, renew);
      } else if (Date.parse(best.expirationDateTime) - now < SUBSCRIPTION_MIN_REMAINING_MS) {
        fail('subscription', best.id, `Expires at ${best.expirationDateTime}, within 24 hours.`, renew);
      } else {
        pass('subscription', best.id, `Notifies ${url}; expires at ${best.expirationDateTime}.`);
      }
    } catch (e) {
      fail(
        'subscription',
        '/users',
        `Could not list subscriptions: ${describeError(e)}`,
        grantFix('User.Read.All'),
      );
    }
    for (const endpoint of [url, lifecycleUrlFor(url)]) {
      const problem = await handshake(deps, endpoint);
      if (problem === null)
        pass('handshake', endpoint, "Answers Graph's validation handshake (200, the token echoed).");
      else
        fail(
          'handshake',
          endpoint,
          problem,
          `curl -i -X POST "${endpoint}${endpoint.includes('?') ? '&' : '?'}validationToken=test" -H "Content-Type: text/plain"   (must answer 200 "test" within 10 s from the internet; check the function app is running and NOTIFICATION_URL is its public https URL)`,
        );
    }
  }

  return {
    ok: checks.every((c) => c.status === 'pass'),
    graph: deps.graphBaseUrl,
    user: user?.userPrincipalName ?? target,
    checkedAt: deps.now().toISOString(),
    checks,
  };
}

/** Graph's handshake: POST ?validationToken=<token> (text/plain); the endpoint must answer 200 with the token. */
async function handshake(deps: PreflightDeps, endpoint: string): Promise<string | null> {
  const token = `Validation: MMS preflight ${randomBytes(6).toString('hex')}`;
  const target = new URL(endpoint);
  target.searchParams.set('validationToken', token);
  try {
    const res = await (deps.fetch ?? fetch)(target, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      signal: AbortSignal.timeout(deps.handshakeTimeoutMs ?? 10_000),
    });
    const body = await res.text();
    if (res.status !== 200) return `Answered ${res.status} instead of 200.`;
    if (body !== token) return 'Answered 200 but did not echo the decoded validation token.';
    return null;
  } catch (e) {
    return `Did not answer: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The preflight's dependencies from the process-wide infrastructure. */
export function preflightDeps(infra: Infrastructure = getInfrastructure()): PreflightDeps {
  const client = infra.graphClient;
  if (client === undefined) throw new Error('The preflight needs the Graph client (not a test double)');
  return {
    graph: infra.graph,
    preflight: new GraphPreflightGateway(client),
    accessToken: () => client.accessToken(),
    graphBaseUrl: client.baseUrl,
    notificationUrl: infra.config.notificationUrl,
    now: infra.clock,
  };
}

/**
 * The preflight against the sandbox tenant: every check passes on a tenant set up as the README says, and each
 * check names the fix when its precondition is taken away — a permission (a token without it), the mailbox's
 * Exchange RBAC scope, the Teams application access policy, the subscription, the notification endpoint.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { createGraphClient, createGraphGateways } from '../../../shared/graph';
import { GRAPH_PERMISSION_NAMES } from '../../../shared/graph/permissions';
import { GraphPreflightGateway } from '../../../shared/graph/preflight';
import type { PreflightReport } from '../../../shared/domain/preflight';
import { runPreflight, type PreflightDeps } from '../../../shared/services/preflight';
import { BOB, baseSeed, startReceiver, type Receiver } from '../sandbox/fixture';

const BOB_UPN = 'bob@contoso.onmicrosoft.com';

describe('preflight against the sandbox', () => {
  let sb: SandboxHandle;
  let receiver: Receiver;

  function deps(token = sb.token, notificationUrl: string | undefined = receiver.url): PreflightDeps {
    const client = createGraphClient(
      { graph: { baseUrl: sb.url, credential: { kind: 'sandbox', token } }, mailboxConcurrency: 4 },
      { retry: { maxRetries: 0 } },
    );
    return {
      graph: createGraphGateways(client),
      preflight: new GraphPreflightGateway(client),
      accessToken: () => client.accessToken(),
      graphBaseUrl: sb.url,
      notificationUrl,
      now: () => new Date(),
      handshakeTimeoutMs: 3000,
    };
  }

  const failed = (r: PreflightReport) => r.checks.filter((c) => c.status === 'fail');
  const check = (r: PreflightReport, id: string, target?: string) => {
    const c = r.checks.find((x) => x.id === id && (target === undefined || x.target === target));
    assert.ok(c, `no ${id} ${target ?? ''} check in ${JSON.stringify(r.checks)}`);
    return c;
  };

  before(async () => {
    sb = await startSandbox({ seed: baseSeed() });
    receiver = await startReceiver();
  });
  beforeEach(async () => {
    sb.tenant.reset();
    receiver.handler = defaultHandler;
    await createGraphGateways(
      createGraphClient({
        graph: { baseUrl: sb.url, credential: { kind: 'sandbox', token: sb.token } },
        mailboxConcurrency: 4,
      }),
    ).subscriptions.create({ notificationUrl: receiver.url, clientState: 'preflight-test-client-state' });
  });
  after(async () => {
    await receiver.close();
    await sb.stop();
  });
  let defaultHandler: Receiver['handler'];
  before(() => {
    defaultHandler = receiver.handler;
  });

  it('passes on the sandbox: every permission of the list, the user, mailbox, calendar, policy, subscription, handshakes', async () => {
    const r = await runPreflight(deps(), { user: BOB_UPN });
    assert.deepEqual(failed(r), []);
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.checks.filter((c) => c.id === 'permission').map((c) => c.target),
      [...GRAPH_PERMISSION_NAMES],
    );
    for (const id of ['user', 'mailbox', 'calendar', 'teamsAccessPolicy', 'subscription']) check(r, id);
    assert.equal(r.checks.filter((c) => c.id === 'handshake').length, 2, 'notification and lifecycle URLs');
    // Read-only: nothing was written to the tenant.
    assert.ok(sb.tenant.requestLog().every((q) => q.method === 'GET' || q.path === '/subscriptions'));
  });

  it('without a named user it checks a sample user with an Exchange Online plan', async () => {
    const r = await runPreflight(deps());
    assert.equal(r.user, BOB_UPN);
    assert.equal(r.ok, true, JSON.stringify(failed(r)));
  });

  it('names the grant when a permission is taken away (a token without it)', async () => {
    const token = sb.issueToken(GRAPH_PERMISSION_NAMES.filter((p) => p !== 'MailboxSettings.Read'));
    const r = await runPreflight(deps(token), { user: BOB_UPN });
    assert.equal(r.ok, false);
    const p = check(r, 'permission', 'MailboxSettings.Read');
    assert.equal(p.status, 'fail');
    assert.match(p.fix ?? '', /New-MgServicePrincipalAppRoleAssignment .*'MailboxSettings\.Read'/);
    assert.equal(check(r, 'mailbox').status, 'fail');
    assert.match(check(r, 'mailbox').fix ?? '', /MailboxSettings\.Read/);
    assert.equal(check(r, 'permission', 'Calendars.ReadWrite').status, 'pass');
  });

  it('names the scope fix when the mailbox is outside the app’s Exchange RBAC scope', async () => {
    sb.tenant.setMailboxInScope(BOB, false);
    const r = await runPreflight(deps(), { user: BOB_UPN });
    const m = check(r, 'mailbox');
    assert.equal(m.status, 'fail');
    assert.match(m.detail, /scope/);
    assert.match(
      m.fix ?? '',
      new RegExp(`Add-DistributionGroupMember -Identity "MMS Users" -Member ${BOB_UPN}`),
    );
  });

  it('names Grant-CsApplicationAccessPolicy when the Teams access policy is withheld', async () => {
    sb.tenant.setTeamsAccessPolicy(BOB, false);
    const r = await runPreflight(deps(), { user: BOB_UPN });
    const t = check(r, 'teamsAccessPolicy');
    assert.equal(t.status, 'fail');
    assert.match(
      t.fix ?? '',
      new RegExp(`Grant-CsApplicationAccessPolicy -PolicyName "MMS" -Identity ${BOB_UPN}`),
    );
    assert.equal(check(r, 'mailbox').status, 'pass');
  });

  it('fails the subscription check when there is none or it is about to expire, and the handshake when the endpoint does not echo', async () => {
    const none = await runPreflight(deps(sb.token, `${receiver.url}&other=1`), { user: BOB_UPN });
    assert.equal(check(none, 'subscription').status, 'fail');
    assert.match(check(none, 'subscription').fix ?? '', /renewSubscriptions/);
    const id = sb.tenant.subscriptions.list()[0]?.id ?? '';
    sb.tenant.subscriptions.setExpiry(id, Date.now() + 3600_000);
    const soon = await runPreflight(deps(), { user: BOB_UPN });
    assert.match(check(soon, 'subscription').detail, /within 24 hours/);
    receiver.handler = (_req, _body, res) => {
      res.writeHead(500);
      res.end();
    };
    const broken = await runPreflight(deps(), { user: BOB_UPN });
    const h = broken.checks.filter((c) => c.id === 'handshake');
    assert.ok(h.length === 2 && h.every((c) => c.status === 'fail' && /500/.test(c.detail)));
    assert.match(h[0]?.fix ?? '', /validationToken=test/);
  });
});

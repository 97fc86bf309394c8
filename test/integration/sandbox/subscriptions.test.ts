/**
 * Sandbox contract, change notifications (Graph docs: subscription-post-subscriptions.md,
 * change-notifications-delivery-webhooks.md, change-notifications-lifecycle-events.md, subscription lifetime):
 * validation handshake success and failure, lifetime and clientState limits, notifications on a licence change
 * with clientState, retries, lifecycle events with reauthorize, renewal, expiry and deletion.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { assertConformsToGraphSchema } from '../../support/graph-schema';
import {
  BOB,
  MCOMEETADV_PLAN,
  SPE_E5,
  TENANT_ID,
  baseSeed,
  graph,
  graphError,
  startReceiver,
  type Receiver,
} from './fixture';

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe('sandbox: subscriptions and change notifications', () => {
  let sb: SandboxHandle;
  let rx: Receiver;
  before(async () => {
    sb = await startSandbox({
      seed: baseSeed(),
      validationTimeoutMs: 500,
      notificationRetryDelaysMs: [30, 30],
    });
  });
  after(async () => {
    await sb.stop();
  });
  beforeEach(async () => {
    sb.tenant.reset();
    rx = await startReceiver();
  });
  afterEach(async () => {
    await rx.close();
  });

  const subscribe = (extra: Record<string, unknown> = {}) =>
    graph(sb, '/subscriptions', {
      method: 'POST',
      body: {
        changeType: 'updated,deleted',
        notificationUrl: rx.url,
        lifecycleNotificationUrl: rx.url,
        resource: '/users',
        expirationDateTime: inMinutes(60),
        clientState: 'secret-state',
        ...extra,
      },
    });

  it('creates a subscription after a successful validation handshake on both URLs', async () => {
    const r = await subscribe();
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.resource, '/users');
    assert.equal(r.json.clientState, 'secret-state');
    assertConformsToGraphSchema(r.json, 'subscription');
    const validations = rx.received.filter((x) => x.url.includes('validationToken='));
    assert.equal(validations.length, 2);
    for (const v of validations) {
      assert.match(v.contentType, /^text\/plain/);
      assert.match(
        v.url,
        /^\/api\/notifications\?code=abc&validationToken=/,
        'the query string of notificationUrl is kept',
      );
    }
    const list = await graph(sb, '/subscriptions');
    assert.deepEqual(
      (list.json.value as { id: string }[]).map((s) => s.id),
      [r.json.id],
    );
    const one = await graph(sb, `/subscriptions/${String(r.json.id)}`);
    assert.equal(one.status, 200);
  });

  it('fails creation with 400 when the endpoint does not echo the decoded token, errors, or is too slow', async () => {
    rx.handler = (_req, _body, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('something else');
    };
    const wrong = await subscribe();
    assert.equal(wrong.status, 400);
    assert.match(graphError(wrong).message, /validation/i);
    rx.handler = (req, _body, res) => {
      // Echoing the still-encoded token is a classic mistake: Graph rejects it.
      const raw = /validationToken=([^&]*)/.exec(req.url ?? '')?.[1] ?? '';
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(raw);
    };
    assert.equal((await subscribe()).status, 400);
    rx.handler = (_req, _body, res) => {
      res.writeHead(500);
      res.end();
    };
    assert.equal((await subscribe()).status, 400);
    rx.handler = (req, _body, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken') ?? '');
      }, 1500);
    };
    const slow = await subscribe();
    assert.equal(slow.status, 400);
    assert.match(graphError(slow).message, /timed out/);
    assert.equal(sb.tenant.subscriptions.list().length, 0);
  });

  it("enforces Graph's limits: 41,760-minute lifetime for users, clientState ≤ 128, updated/deleted only, https", async () => {
    const tooLong = await subscribe({ expirationDateTime: inMinutes(41_760 + 5) });
    assert.equal(tooLong.status, 400);
    assert.match(graphError(tooLong).message, /41760/);
    assert.equal((await subscribe({ expirationDateTime: inMinutes(41_760 - 5) })).status, 201);
    assert.equal((await subscribe({ clientState: 'x'.repeat(129) })).status, 400);
    assert.equal((await subscribe({ changeType: 'created' })).status, 400);
    assert.equal((await subscribe({ notificationUrl: 'http://example.com/hook' })).status, 400);
    assert.equal((await subscribe({ resource: '/groups' })).status, 400);
    const created = await subscribe();
    const patchTooLong = await graph(sb, `/subscriptions/${String(created.json.id)}`, {
      method: 'PATCH',
      body: { expirationDateTime: inMinutes(41_761 + 5) },
    });
    assert.equal(patchTooLong.status, 400);
    const renew = await graph(sb, `/subscriptions/${String(created.json.id)}`, {
      method: 'PATCH',
      body: { expirationDateTime: inMinutes(600) },
    });
    assert.equal(renew.status, 200);
    assert.ok(Date.parse(String(renew.json.expirationDateTime)) > Date.now() + 500 * 60_000);
  });

  it('notifies a licence change with clientState and Graph payload, and assignedPlans follow the licences', async () => {
    const sub = await subscribe();
    assert.equal(sub.status, 201);
    rx.received.length = 0;
    const res = await graph(sb, `/_sandbox/users/${BOB}/assignLicense`, {
      method: 'POST',
      body: { addLicenses: [{ skuId: SPE_E5, disabledPlans: [] }], removeLicenses: [] },
    });
    assert.equal(res.status, 200, res.text);
    await sb.tenant.subscriptions.settled();
    assert.equal(rx.received.length, 1);
    const payload = JSON.parse(rx.received[0]!.body) as { value: Record<string, unknown>[] };
    assertConformsToGraphSchema(payload, 'changeNotificationCollection');
    const n = payload.value[0]!;
    assert.equal(n.subscriptionId, sub.json.id);
    assert.equal(n.changeType, 'updated');
    assert.equal(n.clientState, 'secret-state');
    assert.equal(n.tenantId, TENANT_ID);
    assert.equal(n.resource, `Users/${BOB}`);
    assert.equal((n.resourceData as { id: string }).id, BOB);
    const user = await graph(sb, `/users/${BOB}?$select=assignedLicenses,assignedPlans`);
    const plans = user.json.assignedPlans as { servicePlanId: string; capabilityStatus: string }[];
    assert.equal(plans.find((p) => p.servicePlanId === MCOMEETADV_PLAN)?.capabilityStatus, 'Enabled');
    sb.tenant.assignLicense(BOB, { addLicenses: [], removeLicenses: [SPE_E5] });
    const after = sb.tenant.findUser(BOB);
    assert.equal(
      after?.assignedPlans.find((p) => p.servicePlanId === MCOMEETADV_PLAN)?.capabilityStatus,
      'Deleted',
    );
    await sb.tenant.subscriptions.settled();
    assert.equal(rx.received.length, 2);
  });

  it('retries a notification answered with non-2xx, using the configured delays', async () => {
    await subscribe();
    let calls = 0;
    rx.handler = (_req, _body, res) => {
      calls++;
      res.writeHead(calls < 3 ? 503 : 202);
      res.end();
    };
    sb.tenant.updateUser(BOB, { displayName: 'Robert' });
    await sb.tenant.subscriptions.settled();
    const d = sb.tenant.subscriptions.deliveryLog().at(-1);
    assert.equal(d?.state, 'delivered');
    assert.deepEqual(
      d?.attempts.map((a) => a.status),
      [503, 503, 202],
    );
  });

  it('sends reauthorizationRequired; delivery pauses until reauthorize', async () => {
    const sub = await subscribe();
    const id = String(sub.json.id);
    rx.received.length = 0;
    const ev = await graph(sb, `/_sandbox/subscriptions/${id}/lifecycle`, {
      method: 'POST',
      body: { lifecycleEvent: 'reauthorizationRequired' },
    });
    assert.equal(ev.status, 200, ev.text);
    await sb.tenant.subscriptions.settled();
    const life = JSON.parse(rx.received[0]!.body) as { value: Record<string, unknown>[] };
    assert.equal(life.value[0]?.lifecycleEvent, 'reauthorizationRequired');
    assert.equal(life.value[0]?.subscriptionId, id);
    assertConformsToGraphSchema(life, 'changeNotificationCollection');
    sb.tenant.updateUser(BOB, { displayName: 'Paused' });
    await sb.tenant.subscriptions.settled();
    assert.equal(rx.received.length, 1, 'nothing delivered while reauthorization is pending');
    const re = await graph(sb, `/subscriptions/${id}/reauthorize`, { method: 'POST' });
    assert.equal(re.status, 204);
    sb.tenant.updateUser(BOB, { displayName: 'Resumed' });
    await sb.tenant.subscriptions.settled();
    assert.equal(rx.received.length, 2);
  });

  it('an expired subscription vanishes (404); DELETE answers 204', async () => {
    const sub = await subscribe();
    const id = String(sub.json.id);
    const short = await graph(sb, `/_sandbox/subscriptions/${id}/expiry`, {
      method: 'POST',
      body: { expirationDateTime: new Date(Date.now() + 150).toISOString() },
    });
    assert.equal(short.status, 200, short.text);
    await sleep(250);
    const gone = await graph(sb, `/subscriptions/${id}`);
    assert.equal(gone.status, 404);
    const renew = await graph(sb, `/subscriptions/${id}`, {
      method: 'PATCH',
      body: { expirationDateTime: inMinutes(60) },
    });
    assert.equal(renew.status, 404);
    const other = await subscribe();
    assert.equal(
      (await graph(sb, `/subscriptions/${String(other.json.id)}`, { method: 'DELETE' })).status,
      204,
    );
    assert.equal((await graph(sb, `/subscriptions/${String(other.json.id)}`)).status, 404);
  });

  it('a delivery that gets no answer within 3 s counts as failed and is retried (Graph gives a delivery 3 s)', async () => {
    assert.equal((await subscribe()).status, 201);
    let slow = true;
    rx.handler = (req, _body, res) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
      if (token !== null) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(token);
        return;
      }
      const wait = slow ? 3_500 : 0;
      slow = false;
      setTimeout(() => {
        res.writeHead(202);
        res.end();
      }, wait);
    };
    sb.tenant.updateUser(BOB, { jobTitle: 'Slow answer' });
    await sb.tenant.subscriptions.settled();
    const d = sb.tenant.subscriptions.deliveryLog().find((x) => x.kind === 'change');
    assert.ok(d);
    assert.equal(d.state, 'delivered');
    assert.equal(d.attempts.length, 2, 'the slow first attempt failed and was retried');
    assert.match(d.attempts[0]?.error ?? '', /abort|timeout/i);
  });

  it('a /users subscription gets only reauthorizationRequired lifecycle events; sequenceNumber may be absent', async () => {
    const r = await subscribe();
    const id = String(r.json.id);
    for (const event of ['subscriptionRemoved', 'missed']) {
      const refused = await graph(sb, `/_sandbox/subscriptions/${id}/lifecycle`, {
        method: 'POST',
        body: { lifecycleEvent: event },
      });
      assert.equal(refused.status, 400, event);
    }
    sb.tenant.updateUser(BOB, { jobTitle: 'One' });
    sb.tenant.updateUser(BOB, { jobTitle: 'Two' });
    await sb.tenant.subscriptions.settled();
    const data = sb.tenant.subscriptions
      .deliveryLog()
      .filter((x) => x.kind === 'change')
      .map(
        (x) => (x.payload as { value: { resourceData: Record<string, unknown> }[] }).value[0]?.resourceData,
      );
    assert.equal(data.length, 2);
    assert.ok(
      data.some((d) => d && !('sequenceNumber' in d)),
      'one notification without sequenceNumber',
    );
  });
});

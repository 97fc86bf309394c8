/**
 * Sandbox contract, throttling and faults (Graph docs: throttling.md, throttling-limits.md "Outlook service
 * limits", json-batching.md): the fifth concurrent request to one mailbox gets Outlook's 429 with Retry-After,
 * the request budget per window, seeded fault injection, targeted faults, and $batch (dependsOn, 424, inner 429).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { ALICE, DAVE, MEETING_ID, baseSeed, graph, graphError } from './fixture';

describe('sandbox: throttling, faults and $batch', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox({ seed: baseSeed() });
  });
  after(async () => {
    await sb.stop();
  });
  beforeEach(() => {
    sb.tenant.reset();
  });

  it('answers the fifth concurrent request to one mailbox with 429 ApplicationThrottled and Retry-After', async () => {
    sb.tenant.throttle.setConfig({ latencyMs: 400, concurrencyRetryAfterSeconds: 2 });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => graph(sb, `/users/${DAVE}/events?$top=1`)),
    );
    const throttled = results.filter((r) => r.status === 429);
    assert.equal(results.filter((r) => r.status === 200).length, 4);
    assert.equal(throttled.length, 1);
    const e = graphError(throttled[0]!);
    assert.equal(e.code, 'ApplicationThrottled');
    assert.match(e.message, /MailboxConcurrency/);
    assert.equal(throttled[0]!.headers.get('retry-after'), '2');
    // Another mailbox is independent, and the directory is not a mailbox.
    const log = await graph(sb, '/_sandbox/requests');
    const entries = log.json.value as { mailbox: string; status: number; concurrency: number }[];
    assert.deepEqual(
      entries.filter((x) => x.status === 429).map((x) => x.concurrency),
      [5],
    );
  });

  it('enforces the per-mailbox request budget per window', async () => {
    sb.tenant.throttle.setConfig({ requestsPerWindow: 3, windowMs: 60_000 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await graph(sb, `/users/${DAVE}/events?$top=1`)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const other = await graph(sb, `/users/${ALICE}/events?$top=1`);
    assert.equal(other.status, 200, 'each mailbox has its own budget');
    const r = await graph(sb, `/users/${DAVE}/events?$top=1`);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  });

  it('injects a seeded, reproducible rate of 429/503/504 with Retry-After', async () => {
    const run = async () => {
      sb.tenant.throttle.setFaults({ rate: 0.5, seed: 42, statuses: [429, 503, 504], retryAfterSeconds: 3 });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await graph(sb, `/users/${ALICE}`)).status);
      return out;
    };
    const first = await run();
    const second = await run();
    assert.deepEqual(first, second, 'same seed, same answers');
    assert.ok(first.some((s) => s === 200) && first.some((s) => s !== 200));
    for (const s of first) assert.ok([200, 429, 503, 504].includes(s));
    sb.tenant.throttle.setFaults({ rate: 1, statuses: [503], retryAfterSeconds: 3 });
    const r = await graph(sb, `/users/${ALICE}`);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '3');
    assert.equal(graphError(r).code, 'serviceNotAvailable');
  });

  it('injects a chosen error for a chosen event and method (through the control API)', async () => {
    const put = await graph(sb, '/_sandbox/faults', {
      method: 'PUT',
      body: {
        targets: [
          { eventId: MEETING_ID, method: 'PATCH', status: 409, code: 'ErrorIrresolvableConflict', times: 1 },
        ],
      },
    });
    assert.equal(put.status, 200, put.text);
    const get = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`);
    assert.equal(get.status, 200, 'GET is not targeted');
    const first = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: { subject: 'x' },
    });
    assert.equal(first.status, 409);
    assert.equal(graphError(first).code, 'ErrorIrresolvableConflict');
    const second = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: { subject: 'x' },
    });
    assert.equal(second.status, 200, 'times: 1');
    const bad = await graph(sb, '/_sandbox/faults', { method: 'PUT', body: { rate: 2 } });
    assert.equal(bad.status, 400);
    assert.match(graphError(bad).message, /rate/);
  });

  it('$batch: responses matched by id, dependsOn ordering, 424 after a failed dependency, inner 429 with Retry-After', async () => {
    sb.tenant.throttle.setFaults({
      targets: [{ eventId: 'AAMkAGdave03', status: 429, retryAfterSeconds: 7 }],
    });
    const r = await graph(sb, '/$batch', {
      method: 'POST',
      body: {
        requests: [
          { id: '1', method: 'GET', url: `/users/${ALICE}?$select=displayName` },
          {
            id: '2',
            method: 'PATCH',
            url: `/users/${ALICE}/events/${MEETING_ID}`,
            headers: { 'Content-Type': 'application/json' },
            body: { subject: 'Batched' },
            dependsOn: ['1'],
          },
          {
            id: '3',
            method: 'GET',
            url: `/users/${ALICE}/events/${MEETING_ID}?$select=subject`,
            dependsOn: ['2'],
          },
          { id: '4', method: 'GET', url: `/users/${DAVE}/events/AAMkAGdave03` },
          { id: '5', method: 'GET', url: `/users/${DAVE}/events/AAMkAGdave04`, dependsOn: ['4'] },
          { id: '6', method: 'GET', url: '/users/nobody@contoso.onmicrosoft.com' },
        ],
      },
    });
    assert.equal(r.status, 200, r.text);
    const byId = new Map(
      (
        r.json.responses as {
          id: string;
          status: number;
          headers: Record<string, string>;
          body: Record<string, unknown>;
        }[]
      ).map((x) => [x.id, x]),
    );
    assert.equal(byId.get('1')?.status, 200);
    assert.equal(byId.get('1')?.body.displayName, 'Alice');
    assert.equal(byId.get('2')?.status, 200);
    assert.equal(byId.get('3')?.body.subject, 'Batched', 'ran after its dependency');
    assert.equal(byId.get('4')?.status, 429);
    assert.equal(byId.get('4')?.headers['Retry-After'], '7');
    assert.equal(byId.get('5')?.status, 424);
    assert.equal(byId.get('6')?.status, 404);
    assert.equal((byId.get('6')?.body.error as { code: string }).code, 'Request_ResourceNotFound');
  });

  it('$batch: rejects more than 20 requests and unknown dependsOn ids with 400', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({
      id: String(i),
      method: 'GET',
      url: `/users/${ALICE}`,
    }));
    const r = await graph(sb, '/$batch', { method: 'POST', body: { requests: many } });
    assert.equal(r.status, 400);
    assert.match(graphError(r).message, /20/);
    const dep = await graph(sb, '/$batch', {
      method: 'POST',
      body: { requests: [{ id: '1', method: 'GET', url: `/users/${ALICE}`, dependsOn: ['9'] }] },
    });
    assert.equal(dep.status, 400);
    const noAuth = await graph(sb, '/$batch', { method: 'POST', token: null, body: { requests: [] } });
    assert.equal(noAuth.status, 401);
  });
});

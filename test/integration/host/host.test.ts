/**
 * The local Functions host against fixture function apps loaded through the real @azure/functions library and
 * the @azure/functions-core stand-in: inventory, HTTP routing and keys, queue dispatch, timers.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request } from 'node:http';
import { LogOutput, startFunctionHost, type FunctionHost } from '../../../dev/host/host';
import { loadFunctionApp } from '../../../dev/host/stubs/@azure/functions-core';
import { probe } from '../../fixtures/functions/probe';
import { randomUUID } from 'node:crypto';
import { EmbeddedQueue } from '../../../shared/queue/embedded';
import type { MigrateUserBody } from '../../../shared/queue/messages';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'functions');
const KEY = 'test-key-123';
/** How long a delivery yields to busy HTTP in these tests (shorter than the host's default). */
const YIELD_MS = 1_000;

function migrateUser(userId: string, trigger = 'admin'): MigrateUserBody {
  return {
    kind: 'migrateUser',
    userId,
    correlationId: randomUUID(),
    trigger,
    sourceMeetingType: 'All',
    targetMeetingType: 'Teams',
    requestedAt: new Date().toISOString(),
  };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('loadFunctionApp (inventory)', () => {
  it('lists every registered function with its trigger settings, exactly', () => {
    const inventory = loadFunctionApp(join(FIXTURES, 'app.js'));
    assert.deepEqual(inventory, [
      {
        name: 'items',
        triggerType: 'httpTrigger',
        methods: ['GET', 'POST'],
        route: 'items/{id:int}/{action?}',
        authLevel: 'function',
      },
      {
        name: 'itemsSummary',
        triggerType: 'httpTrigger',
        methods: ['GET'],
        route: 'items/summary',
        authLevel: 'function',
      },
      {
        name: 'adminOnly',
        triggerType: 'httpTrigger',
        methods: ['DELETE'],
        route: 'admin-only/{*rest}',
        authLevel: 'admin',
      },
      {
        name: 'echo',
        triggerType: 'httpTrigger',
        methods: ['POST', 'PUT'],
        route: 'echo',
        authLevel: 'anonymous',
      },
      { name: 'ping', triggerType: 'httpTrigger', methods: ['GET'], route: 'ping', authLevel: 'anonymous' },
      { name: 'boom', triggerType: 'httpTrigger', methods: ['GET'], route: 'boom', authLevel: 'anonymous' },
      {
        name: 'processMigration',
        triggerType: 'serviceBusTrigger',
        queueName: 'meeting-migrations',
        connection: 'ServiceBusConnection',
        isSessionsEnabled: true,
      },
      { name: 'yearly', triggerType: 'timerTrigger', schedule: '0 0 0 1 1 *', runOnStartup: false },
    ]);
  });

  it('gives the same inventory when the app is loaded again', () => {
    const again = loadFunctionApp(join(FIXTURES, 'app.js'));
    assert.deepEqual(
      again.map((f) => f.name),
      ['items', 'itemsSummary', 'adminOnly', 'echo', 'ping', 'boom', 'processMigration', 'yearly'],
    );
  });

  it('loads the real app (package.json main) with the health function', () => {
    const inventory = loadFunctionApp(join(__dirname, '..', '..', '..', 'functions', 'index.js'));
    assert.deepEqual(
      inventory.find((f) => f.name === 'health'),
      {
        name: 'health',
        triggerType: 'httpTrigger',
        methods: ['GET'],
        route: 'health',
        authLevel: 'anonymous',
      },
    );
  });
});

describe('local Functions host', () => {
  let host: FunctionHost;
  let queue: EmbeddedQueue;
  const logs: string[] = [];

  before(async () => {
    queue = new EmbeddedQueue({ redeliveryDelayMs: 1 });
    host = await startFunctionHost({
      entry: join(FIXTURES, 'app.js'),
      port: 0,
      functionKey: KEY,
      queue,
      queueYieldMaxMs: YIELD_MS,
      logger: (level, _category, message, fn) => logs.push(`${level} ${fn ?? ''} ${message}`),
    });
  });
  after(async () => {
    await host.stop();
    await queue.close();
  });
  beforeEach(() => probe.reset());

  const api = (path: string, init?: RequestInit) => fetch(`${host.url}/api/${path}`, init);

  describe('HTTP', () => {
    it('routes with parameters, query and methods; function auth via header', async () => {
      const res = await api('items/42/archive?x=1&y=two', { headers: { 'x-functions-key': KEY } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-fixture'), 'items');
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await res.json(), {
        id: '42',
        action: 'archive',
        method: 'GET',
        query: { x: '1', y: 'two' },
        body: '',
        contentType: null,
        functionName: 'items',
      });
    });

    it('accepts the key as ?code= and leaves an optional parameter out', async () => {
      const res = await api(`items/7?code=${KEY}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ héllo: '世界 🎉' }),
      });
      assert.equal(res.status, 201);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.id, '7');
      assert.equal(body.action, null);
      assert.equal(body.body, JSON.stringify({ héllo: '世界 🎉' }));
      assert.equal(body.contentType, 'application/json');
    });

    it('prefers a literal route over a parameter, and applies route constraints', async () => {
      const summary = await api('items/summary', { headers: { 'x-functions-key': KEY } });
      assert.equal(summary.status, 200);
      assert.deepEqual(await summary.json(), { summary: true });
      // {id:int} does not match "abc": no route.
      const notInt = await api('items/abc', { headers: { 'x-functions-key': KEY } });
      assert.equal(notInt.status, 404);
    });

    it('answers 401 without a key or with a wrong one, for function and admin levels', async () => {
      assert.equal((await api('items/1')).status, 401);
      assert.equal((await api('items/1', { headers: { 'x-functions-key': 'nope' } })).status, 401);
      assert.equal((await api('items/1?code=nope')).status, 401);
      assert.equal((await api('admin-only/a/b', { method: 'DELETE' })).status, 401);
      const ok = await api('admin-only/a/b', { method: 'DELETE', headers: { 'x-functions-key': KEY } });
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'deleted a/b');
    });

    it('answers 404 for an unknown route and for a known route with another method, as the host does', async () => {
      assert.equal((await api('nothing-here')).status, 404);
      assert.equal((await fetch(`${host.url}/other/ping`)).status, 404);
      const wrongMethod = await api('ping', { method: 'DELETE' });
      assert.equal(wrongMethod.status, 404);
      const wrongMethodKeyed = await api('items/1', { method: 'PATCH', headers: { 'x-functions-key': KEY } });
      assert.equal(wrongMethodKeyed.status, 404);
    });

    it('serves anonymous functions without a key; the default route is the function name', async () => {
      const res = await api('ping');
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'pong');
    });

    it('passes request bytes through unchanged and returns binary bodies, headers and cookies', async () => {
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255, 0x0d, 0x0a]);
      const res = await api('echo', {
        method: 'PUT',
        headers: { 'content-type': 'application/x-test' },
        body: bytes,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/x-test');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      assert.match(res.headers.get('set-cookie') ?? '', /^seen=8; HttpOnly/);
    });

    it('answers 500 without leaking the error when a handler throws, and logs it', async () => {
      const res = await api('boom');
      assert.equal(res.status, 500);
      const text = await res.text();
      assert.doesNotMatch(text, /secret internal detail/);
      assert.ok(
        logs.some((l) => l.includes('secret internal detail')),
        'the error is logged',
      );
    });
  });

  describe('admin endpoint', () => {
    it('runs a timer function now with the timer object the host gives (202, key required)', async () => {
      const url = `${host.url}/admin/functions/yearly`;
      const denied = await fetch(url, { method: 'POST', body: JSON.stringify({ input: '' }) });
      assert.equal(denied.status, 401);
      assert.equal(probe.timerRuns.length, 0);

      const res = await fetch(url, {
        method: 'POST',
        headers: { 'x-functions-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ input: '' }),
      });
      assert.equal(res.status, 202);
      await waitFor('the timer run', () => probe.timerRuns.length === 1);
      const run = probe.timerRuns[0];
      assert.equal(run?.functionName, 'yearly');
      const timer = run?.timer as { isPastDue: unknown; scheduleStatus: { next: string; last: string } };
      assert.equal(timer.isPastDue, false);
      // Next occurrence of "0 0 0 1 1 *": midnight UTC on the next 1 January.
      const next = new Date(timer.scheduleStatus.next);
      assert.equal(next.getUTCMonth(), 0);
      assert.equal(next.getUTCDate(), 1);
      assert.equal(next.getUTCHours(), 0);
      assert.ok(next.getTime() > Date.now());
    });

    it('runs a queue function with the input as the message body', async () => {
      const res = await fetch(`${host.url}/admin/functions/processMigration`, {
        method: 'POST',
        headers: { 'x-functions-key': KEY },
        body: JSON.stringify({ input: JSON.stringify({ userId: 'u-admin' }) }),
      });
      assert.equal(res.status, 202);
      await waitFor('the delivery', () => probe.deliveries.length === 1);
      assert.deepEqual(probe.deliveries[0]?.body, { userId: 'u-admin' });
      assert.equal(typeof probe.deliveries[0]?.messageId, 'string');
      assert.equal(probe.deliveries[0]?.deliveryCount, 1);
    });

    it('answers 404 for an unknown function and 400 for a bad body', async () => {
      const unknown = await fetch(`${host.url}/admin/functions/nope`, {
        method: 'POST',
        headers: { 'x-functions-key': KEY },
        body: '{}',
      });
      assert.equal(unknown.status, 404);
      const bad = await fetch(`${host.url}/admin/functions/yearly`, {
        method: 'POST',
        headers: { 'x-functions-key': KEY },
        body: JSON.stringify({ input: 42 }),
      });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: { message: string } }).error.message, /input/);
    });
  });

  describe('Service Bus triggers', () => {
    it('passes body and trigger metadata; a thrown error redelivers with deliveryCount + 1', async () => {
      const userId = randomUUID();
      const body = migrateUser(userId, 'failFirst');
      await queue.send('meeting-migrations', {
        messageId: 'm-1',
        sessionId: userId,
        correlationId: body.correlationId,
        body,
      });
      await queue.waitForIdle(10_000);
      assert.equal(probe.deliveries.length, 2);
      const [first, second] = probe.deliveries;
      assert.equal(first?.deliveryCount, 1);
      assert.equal(second?.deliveryCount, 2);
      for (const d of [first, second]) {
        assert.equal(d?.messageId, 'm-1');
        assert.equal(d?.sessionId, userId);
        assert.equal(d?.correlationId, body.correlationId);
        assert.deepEqual(d?.body, body);
        assert.ok(!Number.isNaN(Date.parse(String(d?.enqueuedTimeUtc))), 'enqueuedTimeUtc is a date');
      }
      assert.deepEqual(queue.deadLetters('meeting-migrations'), []);
      assert.ok(logs.some((l) => l.includes('first delivery fails') && l.includes('abandoned')));
    });

    it('holds deliveries back while the host is busy with HTTP requests, for queueYieldMaxMs at most', async () => {
      // A request whose body is still coming is in flight: the host has it and has not answered it.
      const open = () => {
        const req = request(`${host.url}/api/echo`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'content-length': '4' },
        });
        const answered = new Promise<void>((resolve, reject) => {
          req.on('response', (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
        });
        req.write('ab');
        return { finish: () => req.end('cd'), answered };
      };
      const send = (s: string) =>
        queue.send('meeting-migrations', { messageId: s, sessionId: s, body: migrateUser(s) });
      // Busy: the event loop runs without a pause (timers and I/O still get their turn between slices).
      const spin = async (ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end) {
          const slice = Date.now() + 20;
          while (Date.now() < slice) {
            /* busy */
          }
          await new Promise((r) => setImmediate(r));
        }
      };

      // An idle host with a request in flight (an admin script) holds nothing back for long.
      const idle = open();
      await new Promise((r) => setTimeout(r, 100));
      await send(randomUUID());
      await waitFor('the delivery beside an idle request', () => probe.deliveries.length === 1, 2_000);
      idle.finish();
      await idle.answered;

      // Busy with a request: the delivery waits, and goes once the loop is idle again (the request still open).
      const busy = open();
      let whileBusy = -1;
      setTimeout(() => void send(randomUUID()), 150);
      setTimeout(() => (whileBusy = probe.deliveries.length), 600);
      await spin(700);
      assert.equal(whileBusy, 1, 'no delivery while the host is busy');
      await waitFor('the delivery once the host is idle', () => probe.deliveries.length === 2, 2_000);
      busy.finish();
      await busy.answered;

      // Busy for longer than queueYieldMaxMs: the delivery goes anyway.
      const held = open();
      let before = -1;
      setTimeout(() => void send(randomUUID()), 150);
      setTimeout(() => (before = probe.deliveries.length), 150 + YIELD_MS - 300);
      await spin(YIELD_MS + 600);
      assert.equal(before, 2, 'not before queueYieldMaxMs');
      assert.equal(probe.deliveries.length, 3, 'but once it has passed, busy or not');
      held.finish();
      await held.answered;
      await queue.waitForIdle(10_000);
    });

    it('runs one message at a time per session, sessions in parallel', async () => {
      const sessions = [randomUUID(), randomUUID()];
      for (let i = 0; i < 4; i++) {
        for (const s of sessions) {
          await queue.send('meeting-migrations', {
            messageId: `${s}-${i}`,
            sessionId: s,
            body: migrateUser(s),
          });
        }
      }
      await queue.waitForIdle(10_000);
      assert.equal(probe.deliveries.length, 8);
      assert.ok(
        probe.deliveries.every((d) => d.concurrentInSession === 0),
        'no overlap inside a session',
      );
      for (const s of sessions) {
        assert.deepEqual(
          probe.deliveries.filter((d) => d.sessionId === s).map((d) => d.messageId),
          [0, 1, 2, 3].map((i) => `${s}-${i}`),
        );
      }
    });
  });
});

describe('LogOutput (the host log)', () => {
  it('writes the lines of one event-loop turn together, in their order across stdout and stderr', async () => {
    const writes: [string, string][] = [];
    const out = new LogOutput((stream, text) => writes.push([stream, text]));
    out.line('out', 'a');
    out.line('out', 'b');
    out.line('err', 'c');
    out.line('out', 'd');
    assert.deepEqual(writes, [], 'nothing is written during the turn');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(writes, [
      ['out', 'a\nb\n'],
      ['err', 'c\n'],
      ['out', 'd\n'],
    ]);
    out.line('err', 'e');
    out.flush();
    assert.deepEqual(writes.at(-1), ['err', 'e\n'], 'flush writes at once (the process exiting)');
    await new Promise((r) => setImmediate(r));
    assert.equal(writes.length, 4, 'and the turn has nothing left to write');
  });
});

describe('local Functions host timers', () => {
  it('runs a runOnStartup timer at start and then on its schedule', async () => {
    probe.reset();
    const host = await startFunctionHost({
      entry: join(FIXTURES, 'startup-app.js'),
      port: 0,
      functionKey: KEY,
      logger: () => undefined,
    });
    try {
      await waitFor('the startup run and two scheduled runs', () => probe.timerRuns.length >= 3);
      assert.ok(probe.timerRuns.every((r) => r.functionName === 'everySecond'));
      const scheduled = probe.timerRuns[2]?.timer as { scheduleStatus: { last: string } };
      assert.equal(probe.hooks[0], 'appStart', 'appStart hooks run before any invocation');
      assert.equal(probe.hooks.filter((h) => h.startsWith('appStart')).length, 1);
      assert.deepEqual(probe.hooks.slice(1, 3), ['pre:everySecond', 'post:everySecond']);
      assert.notEqual(
        scheduled.scheduleStatus.last,
        '0001-01-01T00:00:00',
        'a scheduled run knows the last one',
      );
    } finally {
      await host.stop();
    }
    const runs = probe.timerRuns.length;
    await new Promise((r) => setTimeout(r, 1_300));
    assert.equal(probe.timerRuns.length, runs, 'no timer runs after stop');
  });
});

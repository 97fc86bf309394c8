/**
 * GraphClient's transport discipline against a scripted HTTPS server on loopback (the sandbox's dev-only
 * certificate): one retry layer only, Retry-After honoured, bounded retries, network errors retried, POSTs not
 * blindly re-sent, errors normalised, per-mailbox concurrency, counters.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createGraphClient, type GraphClientOptions } from '../../../shared/graph/client';
import { GraphRequestError } from '../../../shared/graph/errors';

const certDir = join(__dirname, '..', '..', '..', '..', 'dev', 'sandbox', 'certs');

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

describe('GraphClient transport', () => {
  let server: Server;
  let url: string;
  let handler: Handler;
  let seen: { method: string; url: string; headers: IncomingMessage['headers'] }[];

  before(async () => {
    server = createServer(
      {
        cert: readFileSync(join(certDir, 'sandbox-dev-only.crt')),
        key: readFileSync(join(certDir, 'sandbox-dev-only.key')),
      },
      (req, res) => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
        req.resume();
        req.on('end', () => handler(req, res, seen.length));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    seen = [];
  });

  const client = (options: GraphClientOptions = {}) =>
    createGraphClient(
      { graph: { baseUrl: url, credential: { kind: 'sandbox', token: 'tok-123' } }, mailboxConcurrency: 4 },
      { retry: { baseDelayMs: 1, maxDelayMs: 5, ...options.retry }, ...options },
    );
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const graphError = (code: string, message = 'x') => ({
    error: { code, message, innerError: { 'request-id': 'req-42', date: '2026-01-01T00:00:00' } },
  });

  it('sends the bearer token, Accept-Language and the v1.0 prefix', async () => {
    handler = (_q, res) => json(res, 200, { ok: true });
    const r = await client({ acceptLanguage: 'fr-FR' }).send({ method: 'GET', path: '/users/a?$select=id' });
    assert.deepEqual(r.body, { ok: true });
    assert.equal(seen[0]?.url, '/v1.0/users/a?$select=id');
    assert.equal(seen[0]?.headers.authorization, 'Bearer tok-123');
    assert.equal(seen[0]?.headers['accept-language'], 'fr-FR');
  });

  it('retries a 429 after its fractional Retry-After, once per attempt (no SDK retry underneath)', async () => {
    handler = (_q, res, n) =>
      n === 1
        ? json(res, 429, graphError('TooManyRequests'), { 'retry-after': '0.05' })
        : json(res, 200, { n });
    const c = client();
    const r = await c.send({ method: 'GET', path: '/users/a/events', mailbox: 'a' });
    assert.deepEqual(r.body, { n: 2 });
    assert.equal(seen.length, 2);
    assert.deepEqual(c.stats(), { requests: 2, throttled: 1, retried: 1, failed: 0 });
  });

  it('with no retries left, throws a normalised error and Graph saw exactly one request', async () => {
    handler = (_q, res) =>
      json(res, 429, graphError('TooManyRequests', 'Please retry again later.'), { 'retry-after': '2.128' });
    const c = client({ retry: { maxRetries: 0 } });
    await assert.rejects(c.send({ method: 'GET', path: '/users/a/events', mailbox: 'a' }), (e: unknown) => {
      assert.ok(e instanceof GraphRequestError);
      assert.equal(e.status, 429);
      assert.equal(e.code, 'TooManyRequests');
      assert.equal(e.graphMessage, 'Please retry again later.');
      assert.equal(e.retryAfterMs, 2128);
      assert.equal(e.requestId, 'req-42');
      assert.equal(e.attempts, 1);
      return true;
    });
    assert.equal(seen.length, 1, 'the SDK RetryHandler must not retry underneath');
    assert.deepEqual(c.stats(), { requests: 1, throttled: 1, retried: 0, failed: 1 });
  });

  it('backs off without Retry-After and stops after maxRetries', async () => {
    handler = (_q, res) => json(res, 503, graphError('serviceNotAvailable'));
    const slept: number[] = [];
    const c = client({
      retry: { maxRetries: 3, baseDelayMs: 10, maxDelayMs: 1000 },
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
    });
    await assert.rejects(c.send({ method: 'GET', path: '/x' }), { status: 503, attempts: 4 });
    assert.equal(seen.length, 4);
    assert.equal(slept.length, 3);
    slept.forEach((ms, i) => assert.ok(ms >= 5 * 2 ** i && ms <= 10 * 2 ** i, `backoff ${i}: ${ms}`));
  });

  it('hands a Retry-After longer than the in-process limit back to the caller', async () => {
    handler = (_q, res) => json(res, 429, graphError('TooManyRequests'), { 'retry-after': '600' });
    await assert.rejects(client({ retry: { maxRetryAfterMs: 60_000 } }).send({ method: 'GET', path: '/x' }), {
      status: 429,
      retryAfterMs: 600_000,
    });
    assert.equal(seen.length, 1);
  });

  it('does not re-send a POST that may have been processed, but does after a 429', async () => {
    handler = (_q, res) => json(res, 504, graphError('GatewayTimeout'));
    await assert.rejects(client().send({ method: 'POST', path: '/subscriptions', body: {} }), {
      status: 504,
    });
    assert.equal(seen.length, 1);
    seen = [];
    handler = (_q, res, n) =>
      n === 1
        ? json(res, 429, graphError('TooManyRequests'), { 'retry-after': '0' })
        : json(res, 201, { id: 's' });
    const r = await client().send({ method: 'POST', path: '/subscriptions', body: { a: 1 } });
    assert.equal(r.status, 201);
    assert.equal(seen.length, 2);
  });

  it('retries a dropped connection and normalises network failures', async () => {
    handler = (req, res, n) => (n === 1 ? req.socket.destroy() : json(res, 200, { n }));
    const r = await client().send({ method: 'GET', path: '/x' });
    assert.deepEqual(r.body, { n: 2 });
    seen = [];
    handler = (req) => req.socket.destroy();
    await assert.rejects(
      client({ retry: { maxRetries: 1 } }).send({ method: 'GET', path: '/x' }),
      (e: unknown) => {
        assert.ok(e instanceof GraphRequestError);
        assert.equal(e.status, 0);
        assert.equal(e.transient, true);
        return true;
      },
    );
    assert.equal(seen.length, 2);
  });

  it('does not retry a client error and keeps a non-Graph error body readable', async () => {
    handler = (_q, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('bad things');
    };
    await assert.rejects(client().send({ method: 'GET', path: '/x' }), {
      status: 400,
      code: 'http400',
      graphMessage: 'bad things',
    });
    assert.equal(seen.length, 1);
  });

  it('keeps at most 4 requests in flight per mailbox', async () => {
    let inFlight = 0;
    let peak = 0;
    handler = (_q, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        json(res, 200, {});
      }, 15);
    };
    let clock = Date.now();
    const c = client({ now: () => clock });
    await Promise.all(
      Array.from({ length: 20 }, () => c.send({ method: 'GET', path: '/users/m/events', mailbox: 'm' })),
    );
    assert.equal(peak, 4);
    assert.equal(c.limiter.used('m'), 20, 'every request counts against the mailbox budget');
    c.limiter.sweep();
    assert.equal(c.limiter.size, 1, 'an idle mailbox is kept while its requests count');
    clock += 11 * 60_000;
    c.limiter.sweep();
    assert.equal(c.limiter.size, 0, 'and dropped once its window has passed');
  });

  it('paces a mailbox to its request budget instead of meeting the 429', async () => {
    // A server that enforces 10 requests per fixed 300 ms window, as Outlook enforces 10,000 per 10 minutes.
    let windowStart = 0;
    let count = 0;
    let refused = 0;
    handler = (_q, res) => {
      const now = Date.now();
      if (now - windowStart >= 300) {
        windowStart = now;
        count = 0;
      }
      if (count >= 10) {
        refused++;
        json(res, 429, graphError('ApplicationThrottled'), { 'Retry-After': '1' });
        return;
      }
      count++;
      json(res, 200, {});
    };
    // The margin covers the loaded machine's transit times (the first request also does the TLS handshake).
    const c = client({ mailboxBudget: { requests: 10, windowMs: 300, marginMs: 150 } });
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 25 }, () => c.send({ method: 'GET', path: '/users/m/events', mailbox: 'm' })),
    );
    assert.equal(refused, 0, 'no request met the budget 429');
    assert.equal(c.stats().throttled, 0);
    assert.ok(c.limiter.stats().budgetWaits > 0, 'requests waited for the budget');
    assert.ok(Date.now() - t0 >= 600, 'the third ten waited for the second window to pass');
  });
});

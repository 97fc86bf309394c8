/**
 * The sandbox's shape checks (dev/sandbox/schema-check.ts): with them on, every request body a Graph route accepts
 * is held to the type the route table declares for it (a property the official v1.0 schema does not declare, or a
 * mistyped value, answers 400 naming it), every answer to its declared type (500 naming the property: the
 * sandbox's own bug must fail the calling test), every error to Graph's error shape; what they find is recorded,
 * and a sandbox stopped with findings left fails its test.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { graphSchema } from '../../../dev/sandbox/schema';
import {
  errorBodyViolations,
  requestViolations,
  responseViolations,
  shapeChecksFromEnv,
} from '../../../dev/sandbox/schema-check';
import { SANDBOX_GRAPH_ROUTES } from '../../../dev/sandbox/server';
import { ALICE, MEETING_ID, baseSeed, graph, graphError, startReceiver } from './fixture';

describe('sandbox: Graph v1.0 shape checks', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox({ checkShapes: true });
  });
  beforeEach(() => {
    sb.tenant.load(baseSeed());
    sb.tenant.shapes.take();
  });
  after(async () => {
    await sb.stop();
  });

  it('every Graph route declares the types it accepts and answers, all in the schema', () => {
    const schema = graphSchema();
    const known = (t: string) => {
      if (t.startsWith('action:')) return t.slice('action:'.length) in schema.actions;
      const inner = t.startsWith('Collection(') ? t.slice('Collection('.length, -1) : t;
      return inner in schema.types;
    };
    for (const r of SANDBOX_GRAPH_ROUTES) {
      const name = `${r.method} ${r.pattern}`;
      if (r.shapes.response !== null) assert.ok(known(r.shapes.response), `${name}: ${r.shapes.response}`);
      if (r.shapes.request !== undefined) assert.ok(known(r.shapes.request), `${name}: ${r.shapes.request}`);
      if (r.method === 'PATCH') assert.ok(r.shapes.request, `${name} accepts a body: its type is declared`);
    }
  });

  it('a request body with an undeclared property answers 400 naming it, and is recorded', async () => {
    const r = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: { body: { contentType: 'html', content: '<p>x</p>' }, isOnlineMeting: true },
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(graphError(r).code, 'BadRequest');
    assert.match(graphError(r).message, /isOnlineMeting/);
    const mistyped = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: {
        singleValueExtendedProperties: [
          { id: 'String {00020329-0000-0000-C000-000000000046} Name x', value: 1 },
        ],
      },
    });
    assert.equal(mistyped.status, 400, mistyped.text);
    assert.match(
      graphError(mistyped).message,
      /singleValueExtendedProperties\[0\]\.value: expected a string/,
    );
    const seen = sb.tenant.shapes.take();
    assert.deepEqual(
      seen.map((v) => [v.direction, v.method, v.route]),
      [
        ['request', 'PATCH', '/users/:user/events/:event'],
        ['request', 'PATCH', '/users/:user/events/:event'],
      ],
    );
    assert.match(seen[0]?.violations.join() ?? '', /'isOnlineMeting' is not a declared property of event/);
    // Nothing was changed by the refused bodies.
    assert.equal(sb.tenant.updateLog().length, 0);
  });

  it('an answer with a mistyped or undeclared property is a 500 naming it, and is recorded', async () => {
    const u = sb.tenant.requireUser(ALICE);
    u.extra.businessPhones = '+1 555 0100';
    const mistyped = await graph(sb, `/users/${ALICE}`);
    assert.equal(mistyped.status, 500, mistyped.text);
    assert.match(graphError(mistyped).message, /businessPhones: expected an array of Edm\.String/);
    delete u.extra.businessPhones;

    // A sandbox bug that adds a property the schema does not declare to a subscription.
    const subs = sb.tenant.subscriptions;
    const render = subs.render.bind(subs);
    subs.render = (x) => ({ ...render(x), renewalDateTime: '2030-01-01T00:00:00Z' });
    const rx = await startReceiver();
    try {
      const listed = await graph(sb, '/subscriptions');
      assert.equal(listed.status, 200, 'nothing to render, nothing wrong');
      const created = await graph(sb, '/subscriptions', {
        method: 'POST',
        body: {
          changeType: 'updated',
          notificationUrl: rx.url,
          resource: '/users',
          expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
        },
      });
      assert.equal(created.status, 500, created.text);
      const unknown = await graph(sb, '/subscriptions');
      assert.equal(unknown.status, 500, unknown.text);
      assert.match(
        graphError(unknown).message,
        /value\[0\]\.renewalDateTime: 'renewalDateTime' is not a declared property of subscription/,
      );
    } finally {
      subs.render = render;
      await rx.close();
    }

    const seen = sb.tenant.shapes.take();
    assert.deepEqual(
      seen.map((v) => [v.direction, v.route]),
      [
        ['response', '/users/:user'],
        ['response', '/subscriptions'],
        ['response', '/subscriptions'],
      ],
    );
  });

  it("error answers keep Graph's error shape; a conforming exchange records nothing", async () => {
    const missing = await graph(sb, `/users/${ALICE}/events/AAMkAGnothing`);
    assert.equal(missing.status, 404);
    assert.deepEqual(errorBodyViolations(missing.json), []);
    const ok = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: { body: { contentType: 'HTML', content: '<p>hello</p>' } },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(sb.tenant.shapes.list(), []);

    assert.deepEqual(errorBodyViolations({ error: { code: 'x', message: 'y', extra: 1 } }), [
      "error.extra: not part of Graph's error shape",
    ]);
    assert.deepEqual(errorBodyViolations({ error: { message: 'y' } }), ['error.code: missing']);
  });

  it('checks bodies by the declared type: collections, casts, actions, no-body answers', () => {
    assert.deepEqual(
      responseViolations({ response: 'Collection(user)' }, 200, { value: [{ id: 'x', bogus: 1 }] }),
      ["value[0].bogus: 'bogus' is not a declared property of user or its base types"],
    );
    assert.deepEqual(
      responseViolations({ response: 'Collection(directoryObject)' }, 200, {
        value: [{ '@odata.type': '#microsoft.graph.group', id: 'g', securityEnabled: 'yes' }],
      }),
      ['value[0].securityEnabled: expected a boolean, got "yes"'],
    );
    assert.deepEqual(responseViolations({ response: null }, 200, { id: 'x' }), [
      '(body): this answer has no body',
    ]);
    assert.deepEqual(
      requestViolations(
        { response: 'onlineMeeting', request: 'action:onlineMeeting.createOrGet' },
        {
          externalId: 'a',
          startDateTime: 'tomorrow',
        },
      ),
      ['startDateTime: expected a DateTimeOffset, got "tomorrow"'],
    );
    assert.deepEqual(requestViolations({ response: null }, { any: 1 }), [
      '(body): this request takes no body',
    ]);
  });

  it('a sandbox stopped with findings left fails the test that caused them', async () => {
    const other = await startSandbox({ checkShapes: true, seed: baseSeed() });
    const r = await graph(other, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: { subjekt: 'typo' },
    });
    assert.equal(r.status, 400);
    await assert.rejects(other.stop(), /subjekt/);
  });

  it('is on when SANDBOX_CHECK_SHAPES=1 (the test harness sets it), off otherwise', () => {
    assert.equal(shapeChecksFromEnv({ SANDBOX_CHECK_SHAPES: '1' }), true);
    assert.equal(shapeChecksFromEnv({}), false);
    assert.equal(shapeChecksFromEnv({ SANDBOX_CHECK_SHAPES: '0' }), false);
  });
});

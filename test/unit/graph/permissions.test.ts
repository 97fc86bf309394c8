/**
 * The one list of application permissions (shared/graph/permissions.json) against the Graph routes the gateways
 * declare (shared/graph/routes.ts) and the sandbox's permission table (each route's page): every declared route's
 * permission is in the list and admits the route in the sandbox; every permission of the list is needed by a
 * declared route. test/e2e/graph-permissions.test.ts checks the requests the demo actually sends against both.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SANDBOX_GRAPH_ROUTES } from '../../../dev/sandbox/server';
import { GRAPH_PERMISSION_NAMES } from '../../../shared/graph/permissions';
import { declaredRoute, GRAPH_ROUTES, routeShape } from '../../../shared/graph/routes';

describe('Graph permissions: the one list and the declared routes', () => {
  it('every declared route needs a permission of the list, and documents where Graph says so', () => {
    for (const r of GRAPH_ROUTES) {
      assert.ok(GRAPH_PERMISSION_NAMES.includes(r.permission), `${r.method} ${r.path}: ${r.permission}`);
      assert.match(r.doc, /^api-reference\/v1\.0\/api\/[a-z0-9-]+\.md$/);
    }
  });

  it('every permission of the list is needed by a route a gateway declares (none unused)', () => {
    for (const p of GRAPH_PERMISSION_NAMES) {
      assert.ok(
        GRAPH_ROUTES.some((r) => r.permission === p),
        `${p} is in permissions.json but no declared Graph request needs it`,
      );
    }
  });

  it('the sandbox admits every declared route with its declared permission (and nothing less)', () => {
    for (const r of GRAPH_ROUTES) {
      const sandbox = SANDBOX_GRAPH_ROUTES.find(
        (s) => s.method === r.method && routeShape(s.pattern) === routeShape(r.path),
      );
      assert.ok(sandbox, `the sandbox implements ${r.method} ${r.path}`);
      assert.ok(
        sandbox.permissions.accepted.includes(r.permission),
        `${r.method} ${r.path}: the sandbox accepts ${sandbox.permissions.accepted.join(', ')}, not ${r.permission}`,
      );
    }
  });

  it('every sandbox Graph route declares the permissions that admit it, least-privileged first', () => {
    for (const s of SANDBOX_GRAPH_ROUTES) {
      assert.ok(s.permissions.accepted.length > 0, `${s.method} ${s.pattern}`);
    }
    assert.equal(declaredRoute('GET', '/users/:user/events')?.gateway, 'calendar');
    assert.equal(declaredRoute('PATCH', '/users/:user/events/:event')?.permission, 'Calendars.ReadWrite');
    assert.equal(declaredRoute('GET', '/users/:user/calendarView'), undefined);
  });
});

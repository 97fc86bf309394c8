/**
 * Group members as Graph serves them (group-list-transitivemembers.md), in the sandbox and through the groups
 * gateway: nested groups expanded with each member once, `@odata.type` on every object, `$select`, `$top` (at most
 * 999) and `@odata.nextLink` paging, 400 for an id that is not a GUID, 404 for an unknown group.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox } from '../../../dev/sandbox';
import { createGraphClient } from '../../../shared/graph/client';
import { GraphRequestError } from '../../../shared/graph/errors';
import { createGraphGateways } from '../../../shared/graph/index';
import type { GraphGateways } from '../../../shared/graph/ports';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const USERS = Array.from({ length: 250 }, (_, i) => id(i + 1));
const OUTER = '0a000000-0000-4000-8000-00000000000a';
const INNER = '0b000000-0000-4000-8000-00000000000b';
const LOOP = '0c000000-0000-4000-8000-00000000000c';

describe('groups: /groups/{id}/transitiveMembers', () => {
  let sandbox: Sandbox;
  let gw: GraphGateways;

  before(async () => {
    sandbox = await startSandbox({
      seed: {
        tenantId: '0d000000-0000-4000-8000-00000000000d',
        domain: 'contoso.test',
        users: USERS.map((u, i) => ({
          id: u,
          userPrincipalName: `user${i + 1}@contoso.test`,
          displayName: `U${i}`,
        })),
        events: [],
        groups: [
          // 2 direct users, the inner group (users 2..250, user 2 again), and a group that points back.
          { id: OUTER, displayName: 'Outer', members: [USERS[0] ?? '', USERS[1] ?? '', INNER, LOOP] },
          { id: INNER, displayName: 'Inner', members: USERS.slice(1) },
          { id: LOOP, displayName: 'Loop', members: [OUTER] },
        ],
      },
    });
    const graph = createGraphClient(
      {
        graph: { baseUrl: sandbox.url, credential: { kind: 'sandbox', token: sandbox.token } },
        mailboxConcurrency: 4,
      },
      { retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 50 } },
    );
    gw = createGraphGateways(graph);
  });
  after(async () => sandbox.stop());

  const get = async (path: string) => {
    const res = await fetch(`${sandbox.url}/v1.0${path}`, {
      headers: { authorization: `Bearer ${sandbox.token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('lists users and nested groups once each, 100 a page by default, with @odata.type', async () => {
    const first = await get(`/groups/${OUTER}/transitiveMembers?$select=id,userPrincipalName`);
    assert.equal(first.status, 200);
    const value = first.body.value as Record<string, unknown>[];
    assert.equal(value.length, 100);
    assert.match(
      String(first.body['@odata.nextLink']),
      /\/v1\.0\/groups\/.+\/transitiveMembers\?.*\$skiptoken=/,
    );
    assert.deepEqual(Object.keys(value[0] ?? {}).sort(), ['@odata.type', 'id', 'userPrincipalName']);
    const all: Record<string, unknown>[] = [...value];
    let next = first.body['@odata.nextLink'] as string | undefined;
    while (next !== undefined) {
      const page = await get(next.slice(`${sandbox.url}/v1.0`.length));
      all.push(...(page.body.value as Record<string, unknown>[]));
      next = page.body['@odata.nextLink'] as string | undefined;
    }
    const users = all.filter((m) => m['@odata.type'] === '#microsoft.graph.user');
    const groups = all.filter((m) => m['@odata.type'] === '#microsoft.graph.group');
    assert.equal(users.length, 250, 'every user once, user 2 included once');
    assert.equal(new Set(users.map((u) => u.id)).size, 250);
    assert.deepEqual(groups.map((g) => g.id).sort(), [INNER, LOOP].sort());
  });

  it('takes $top up to 999 and refuses what Graph refuses', async () => {
    const big = await get(`/groups/${OUTER}/transitiveMembers?$top=999`);
    assert.equal((big.body.value as unknown[]).length, 252);
    assert.equal(big.body['@odata.nextLink'], undefined);
    assert.equal((await get('/groups/not-a-guid/transitiveMembers')).status, 400);
    const missing = await get(`/groups/${id(999)}/transitiveMembers`);
    assert.equal(missing.status, 404);
    assert.equal((missing.body.error as { code: string }).code, 'Request_ResourceNotFound');
    const badSelect = await get(`/groups/${OUTER}/transitiveMembers?$select=nope`);
    assert.equal(badSelect.status, 400);
  });

  it('the gateway yields the user members page by page and 404 for an unknown group', async () => {
    const seen: string[] = [];
    for await (const page of gw.groups.transitiveUserMembers(OUTER)) {
      for (const u of page) {
        seen.push(u.id);
        assert.match(u.userPrincipalName ?? '', /^user\d+@contoso\.test$/);
      }
    }
    assert.equal(seen.length, 250);
    await assert.rejects(
      async () => {
        for await (const _ of gw.groups.transitiveUserMembers(id(999))) void _;
      },
      (e: unknown) => e instanceof GraphRequestError && e.status === 404,
    );
  });
});

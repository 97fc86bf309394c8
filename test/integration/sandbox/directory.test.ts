/**
 * Sandbox contract, directory side (Graph docs: errors.md, user-get.md, user-list-mailboxsettings.md,
 * user-delta.md, paging.md): bearer token, error shape, user by id and UPN, $select, mailbox settings, the
 * on-premises mailbox error, paging through @odata.nextLink, delta rounds, schema conformance, and the Graph SDK.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, PageIterator, type PageCollection } from '@microsoft/microsoft-graph-client';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { assertConformsToGraphSchema } from '../../support/graph-schema';
import { ALICE, BOB, CAROL, DAVE, baseSeed, graph, graphError } from './fixture';

describe('sandbox: directory and basics', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox({ seed: baseSeed() });
  });
  after(async () => {
    await sb.stop();
  });

  it('answers 401 InvalidAuthenticationToken with Graph error shape without or with a wrong token', async () => {
    const none = await graph(sb, `/users/${ALICE}`, {
      token: null,
      headers: { 'client-request-id': 'abc-123' },
    });
    assert.equal(none.status, 401);
    const e = graphError(none);
    assert.equal(e.code, 'InvalidAuthenticationToken');
    assert.equal(e.innerError['client-request-id'], 'abc-123');
    assert.match(String(e.innerError['request-id']), /^[0-9a-f-]{36}$/);
    assert.match(String(e.innerError.date), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    assert.equal(none.headers.get('request-id'), e.innerError['request-id']);
    const wrong = await graph(sb, `/users/${ALICE}`, { token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    assert.equal(graphError(wrong).code, 'InvalidAuthenticationToken');
  });

  it('gets a user by id and by userPrincipalName with the default properties', async () => {
    const byId = await graph(sb, `/users/${ALICE}`);
    assert.equal(byId.status, 200);
    assert.equal(byId.json.userPrincipalName, 'alice@contoso.onmicrosoft.com');
    assert.match(String(byId.json['@odata.context']), /\/v1\.0\/\$metadata#users\/\$entity$/);
    assert.equal('assignedPlans' in byId.json, false, 'not a default property');
    const byUpn = await graph(sb, `/users/${encodeURIComponent('ALICE@contoso.onmicrosoft.com')}`);
    assert.equal(byUpn.status, 200);
    assert.equal(byUpn.json.id, ALICE);
    assertConformsToGraphSchema(byId.json, 'user');
  });

  it('honours $select and rejects unknown properties', async () => {
    const r = await graph(
      sb,
      `/users/${ALICE}?$select=id,assignedPlans,assignedLicenses,accountEnabled,onPremisesSyncEnabled`,
    );
    assert.equal(r.status, 200);
    assert.deepEqual(
      Object.keys(r.json)
        .filter((k) => !k.startsWith('@'))
        .sort(),
      ['accountEnabled', 'assignedLicenses', 'assignedPlans', 'id', 'onPremisesSyncEnabled'],
    );
    assert.ok(Array.isArray(r.json.assignedPlans));
    assertConformsToGraphSchema(r.json, 'user');
    const bad = await graph(sb, `/users/${ALICE}?$select=id,notAProperty`);
    assert.equal(bad.status, 400);
    assert.match(graphError(bad).message, /notAProperty/);
  });

  it('answers 404 Request_ResourceNotFound for an unknown user', async () => {
    const r = await graph(sb, '/users/nobody@contoso.onmicrosoft.com');
    assert.equal(r.status, 404);
    assert.equal(graphError(r).code, 'Request_ResourceNotFound');
  });

  it('serves mailboxSettings, and MailboxNotEnabledForRESTAPI for an on-premises mailbox (settings and calendar)', async () => {
    const ok = await graph(sb, `/users/${ALICE}/mailboxSettings`);
    assert.equal(ok.status, 200);
    assert.equal(ok.json.timeZone, 'W. Europe Standard Time');
    assert.equal((ok.json.language as { locale: string }).locale, 'fr-FR');
    assertConformsToGraphSchema(ok.json, 'mailboxSettings');
    for (const path of [
      `/users/${CAROL}/mailboxSettings`,
      `/users/${CAROL}/events`,
      `/users/${CAROL}/calendarView?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z`,
    ]) {
      const r = await graph(sb, path);
      assert.equal(r.status, 404, path);
      assert.equal(graphError(r).code, 'MailboxNotEnabledForRESTAPI', path);
    }
  });

  it('pages events through @odata.nextLink with a skip token: every item exactly once', async () => {
    const seen: string[] = [];
    let url: string | undefined = `/users/${DAVE}/events?$top=10&$select=subject,start`;
    let pages = 0;
    while (url) {
      const r = await graph(sb, url);
      assert.equal(r.status, 200);
      pages++;
      for (const e of r.json.value as { id: string; subject: string; body?: unknown }[]) {
        seen.push(e.id);
        assert.equal(e.body, undefined, '$select kept across pages');
      }
      url = r.json['@odata.nextLink'] as string | undefined;
      if (url) assert.match(url, /\$skiptoken=/);
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25);
  });

  it('works through @microsoft/microsoft-graph-client with baseUrl and customHosts (paging with PageIterator)', async () => {
    const client = Client.init({
      baseUrl: sb.url,
      defaultVersion: 'v1.0',
      customHosts: new Set(['127.0.0.1']),
      authProvider: (done) => done(null, sb.token),
    });
    const user = (await client.api(`/users/${BOB}`).select(['id', 'displayName']).get()) as {
      displayName: string;
    };
    assert.equal(user.displayName, 'Bob');
    const first = (await client.api(`/users/${DAVE}/events`).top(7).get()) as PageCollection;
    const ids: string[] = [];
    const it = new PageIterator(client, first, (e: { id: string }) => {
      ids.push(e.id);
      return true;
    });
    await it.iterate();
    assert.equal(new Set(ids).size, 25);
    await assert.rejects(
      () => client.api('/users/nobody@contoso.onmicrosoft.com').get(),
      (err: { statusCode?: number; code?: string }) =>
        err.statusCode === 404 && err.code === 'Request_ResourceNotFound',
    );
  });

  it('delta: first round lists every user, later rounds only changes, @removed for deletions, bad tokens rejected', async () => {
    const local = await startSandbox({ seed: baseSeed() });
    try {
      const round = async (start: string) => {
        const values: Record<string, unknown>[] = [];
        let url: string | undefined = start;
        let deltaLink: string | undefined;
        while (url) {
          const r = await graph(local, url, { headers: { Prefer: 'odata.maxpagesize=2' } });
          assert.equal(r.status, 200, r.text);
          values.push(...(r.json.value as Record<string, unknown>[]));
          url = r.json['@odata.nextLink'] as string | undefined;
          deltaLink = r.json['@odata.deltaLink'] as string | undefined;
        }
        assert.ok(deltaLink, 'the last page carries a deltaLink');
        assert.match(deltaLink, /\$deltatoken=/);
        return { values, deltaLink };
      };
      const first = await round('/users/delta?$select=displayName,assignedPlans');
      assert.equal(first.values.length, 4);
      for (const v of first.values)
        assert.deepEqual(Object.keys(v).sort(), ['assignedPlans', 'displayName', 'id']);
      const quiet = await round(first.deltaLink);
      assert.equal(quiet.values.length, 0);
      local.tenant.updateUser(BOB, { displayName: 'Robert' });
      local.tenant.deleteUser(DAVE);
      const third = await round(quiet.deltaLink);
      assert.deepEqual(third.values.map((v) => v.id).sort(), [BOB, DAVE].sort());
      assert.equal(third.values.find((v) => v.id === BOB)?.displayName, 'Robert');
      assert.deepEqual(third.values.find((v) => v.id === DAVE)?.['@removed'], { reason: 'deleted' });
      const filtered = await round(
        `/users/delta?$filter=${encodeURIComponent(`id eq '${BOB}'`)}&$select=displayName`,
      );
      assert.deepEqual(
        filtered.values.map((v) => v.id),
        [BOB],
      );
      local.tenant.updateUser(ALICE, { displayName: 'Alicia' });
      assert.deepEqual(
        (await round(filtered.deltaLink)).values,
        [],
        'changes outside the filter are not tracked',
      );
      const garbage = await graph(local, '/users/delta?$deltatoken=garbage');
      assert.equal(garbage.status, 400);
      assert.equal(graphError(garbage).code, 'syncStateNotFound');
      local.tenant.reset();
      const stale = await graph(local, third.deltaLink);
      assert.equal(stale.status, 410);
      assert.equal(graphError(stale).code, 'resyncRequired');
    } finally {
      await local.stop();
    }
  });
});

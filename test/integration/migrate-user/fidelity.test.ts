/**
 * The worker against the strict sandbox, on the points where it used to fail in a real tenant: add-in Skype
 * meetings (isOnlineMeeting false) are migrated; a series is probed within Graph's 1,825-day window and its
 * exceptions are read the documented way; a PATCH answer that shows the Teams meeting lost is a per-meeting
 * failure with its own code; unlicensed, soft-deleted and on-premises mailboxes are told apart in lastMessage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LAST_MESSAGES } from '../../../shared/domain/last-message';
import { deliver, organizerEvents, requestRun, startFixture, type Fixture } from './fixture';

describe('migrateUser: Graph fidelity', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ users: 12, meetings: 14, seed: 11 });
  });
  after(() => f.stop());

  it('migrates Skype meetings scheduled with the Outlook add-in (isOnlineMeeting false, provider unknown)', async () => {
    const addIn = organizerEvents(f).filter(
      (x) => x.ev.onlineMeetingUrl !== null && !x.ev.isOnlineMeeting && x.expect.kind === 'update',
    );
    assert.ok(addIn.length > 0, 'the generated tenant holds add-in Skype meetings');
    for (const organizer of new Set(addIn.map((x) => x.ev.organizerUserId))) {
      const out = await deliver(f, await requestRun(f, organizer));
      assert.equal(out.kind, 'finished');
    }
    for (const { ev } of addIn) {
      const row = await f.repos.ledger.get(ev.organizerUserId, ev.id);
      assert.equal(row?.outcome, 'updated', `${ev.id}: ${JSON.stringify(row)}`);
      assert.equal(f.calendar.patched.get(ev.id), 1);
    }
  });

  it('reads series within 1,825-day windows and their exceptions through exceptionOccurrences', async () => {
    const withSeries = organizerEvents(f).find(
      (x) => x.ev.type === 'exception' && x.expect.kind === 'update' && !f.calendar.patched.has(x.ev.id),
    );
    assert.ok(withSeries, 'a series with a live exception');
    f.sandbox.tenant.clearRequestLog();
    const out = await deliver(f, await requestRun(f, withSeries.ev.organizerUserId));
    assert.equal(out.kind, 'finished');
    assert.equal(f.calendar.patched.get(withSeries.ev.id), 1, 'the exception was updated');
    const log = f.sandbox.tenant.requestLog();
    assert.ok(
      log.every((r) => r.status !== 400),
      JSON.stringify(log.filter((r) => r.status === 400)),
    );
    const windows = log.filter((r) => r.route === '/users/:user/events/:event/instances');
    assert.ok(windows.length > 0);
    for (const r of windows) {
      const q = new URL(r.path, 'https://x').searchParams;
      const days =
        (Date.parse(q.get('endDateTime') ?? '') - Date.parse(q.get('startDateTime') ?? '')) / 86_400_000;
      assert.ok(days <= 1825, `a ${days}-day window`);
      assert.equal(q.get('$filter'), null, 'no undocumented $filter on /instances');
    }
    assert.ok(log.some((r) => /\$expand=exceptionOccurrences/.test(decodeURIComponent(r.path))));
  });

  it('a PATCH answered with the Teams meeting gone is a failure of that meeting (onlineMeetingLost)', async () => {
    const teams = organizerEvents(f).find(
      (x) =>
        x.expect.kind === 'update' &&
        x.ev.type === 'singleInstance' &&
        x.ev.isOnlineMeeting &&
        x.ev.onlineMeetingProvider === 'teamsForBusiness' &&
        !f.calendar.patched.has(x.ev.id),
    );
    assert.ok(teams, 'a Teams meeting to update');
    f.sandbox.tenant.losesOnlineMeeting.add(teams.ev.id);
    const out = await deliver(f, await requestRun(f, teams.ev.organizerUserId));
    assert.equal(out.kind, 'finished');
    const row = await f.repos.ledger.get(teams.ev.organizerUserId, teams.ev.id);
    assert.equal(row?.outcome, 'failed');
    assert.equal(row.errorCode, 'onlineMeetingLost');
    assert.match(row.errorMessage ?? '', /not an online meeting/);
    const s = await f.repos.status.get(teams.ev.organizerUserId);
    assert.equal(s?.failureCodes?.onlineMeetingLost, 1);
    assert.match(s.lastMessage, /onlineMeetingLost/);
  });

  it('tells apart unlicensed, soft-deleted and on-premises mailboxes in lastMessage', async () => {
    const t = f.sandbox.tenant;
    const unlicensed = t.createUser({
      id: 'c0de0000-0000-4000-8000-00000000aaaa',
      userPrincipalName: 'no.exchange@contoso.onmicrosoft.com',
      displayName: 'No Exchange',
      assignedLicenses: [{ skuId: '0c266dff-15dd-4b49-8397-2bb16070ed52' }],
      assignedPlans: [
        {
          assignedDateTime: '2024-01-01T00:00:00Z',
          capabilityStatus: 'Enabled',
          service: 'MicrosoftCommunicationsOnline',
          servicePlanId: '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40',
        },
      ],
    });
    const deleted = t.createUser({
      id: 'c0de0000-0000-4000-8000-00000000bbbb',
      userPrincipalName: 'leaver@contoso.onmicrosoft.com',
      displayName: 'Leaver',
    });
    const hybrid = t.createUser({
      id: 'c0de0000-0000-4000-8000-00000000cccc',
      userPrincipalName: 'hybrid@contoso.onmicrosoft.com',
      displayName: 'Hybrid',
      onPremisesSyncEnabled: true,
      sandboxMailboxLocation: 'onPremises',
    });
    const gone = t.createUser({
      id: 'c0de0000-0000-4000-8000-00000000dddd',
      userPrincipalName: 'gone@contoso.onmicrosoft.com',
      displayName: 'Gone',
    });
    const messages = new Map<string, string>();
    for (const u of [unlicensed, deleted, hybrid, gone]) {
      const m = await requestRun(f, u.id);
      if (u === deleted) t.deleteUser(u.id, 'soft');
      if (u === gone) t.deleteUser(u.id, 'permanent');
      const out = await deliver(f, m);
      assert.equal(out.kind, 'finished');
      const s = await f.repos.status.get(u.id);
      assert.equal(s?.state, 'Failed');
      messages.set(u.id, s.lastMessageCode ?? '');
      assert.ok(s.lastMessage.startsWith(LAST_MESSAGES[s.lastMessageCode as 'userNotFound'].template));
    }
    assert.deepEqual(Object.fromEntries(messages), {
      [unlicensed.id]: 'mailboxUnlicensed',
      [deleted.id]: 'userSoftDeleted',
      [hybrid.id]: 'mailboxOnPremises',
      [gone.id]: 'userNotFound',
    });
  });

  it('a user deleted between the directory read and the mailbox check ends userSoftDeleted, not retried', async () => {
    const t = f.sandbox.tenant;
    const u = t.createUser({
      id: 'c0de0000-0000-4000-8000-00000000eeee',
      userPrincipalName: 'late.leaver@contoso.onmicrosoft.com',
      displayName: 'Late Leaver',
      assignedPlans: [
        {
          assignedDateTime: '2024-01-01T00:00:00Z',
          capabilityStatus: 'Enabled',
          service: 'exchange',
          servicePlanId: 'efb87545-963c-4e0d-99df-69c6916d9eb0',
        },
      ],
    });
    const directory = f.deps.graph.directory;
    let read!: () => void;
    const userRead = new Promise<void>((resolve) => (read = resolve));
    f.deps.graph.directory = Object.assign(Object.create(directory) as typeof directory, {
      getUser: async (id: string) => {
        const found = await directory.getUser(id);
        t.deleteUser(id, 'soft');
        read();
        return found;
      },
      checkMailbox: async (id: string) => {
        await userRead;
        return directory.checkMailbox(id);
      },
    });
    try {
      const out = await deliver(f, await requestRun(f, u.id));
      assert.equal(out.kind, 'finished');
    } finally {
      f.deps.graph.directory = directory;
    }
    const s = await f.repos.status.get(u.id);
    assert.equal(s?.state, 'Failed', s?.lastMessage);
    assert.equal(s.lastMessageCode, 'userSoftDeleted');
  });
});

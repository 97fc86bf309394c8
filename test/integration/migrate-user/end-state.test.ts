/**
 * migrateUser end to end against the sandbox (generated tenant) and Azurite: every user of the tenant migrated
 * once, then once more. Checks the end state event by event against the generator's sandboxCase: the block of
 * every eligible meeting replaced with every other character of the body unchanged, each attendee updated exactly
 * once per updated meeting, skipped meetings untouched with their reason in the ledger, on-premises mailboxes
 * Failed with the catalogue's lastMessage, and a second migration that sends no update at all.
 */
import assert from 'node:assert/strict';
import { CONVERTED_FINGERPRINT_PREFIX } from '../../../shared/services/teams-conversion';
import { after, before, describe, it } from 'node:test';
import { LAST_MESSAGES } from '../../../shared/domain/last-message';
import { findOnlineMeetingBlock } from '../../../shared/domain/meeting-block';
import { MARKER_PROPERTY_ID } from '../../../shared/graph/ports';
import {
  deliver,
  expectedUpdatesPerAttendee,
  hasMailbox,
  onlineUsers,
  organizerEvents,
  requestRun,
  startFixture,
  type Fixture,
} from './fixture';

describe('migrateUser: a whole generated tenant', () => {
  let f: Fixture;
  const firstRun = new Map<string, Awaited<ReturnType<typeof deliver>>>();

  before(async () => {
    f = await startFixture({ users: 18, meetings: 14, seed: 11 });
    for (const u of f.seed.users) {
      firstRun.set(u.id, await deliver(f, await requestRun(f, u.id)));
    }
  });
  after(() => f.stop());

  it('ends every Exchange Online user Succeeded, every on-premises or unlicensed mailbox Failed with the catalogue message', async () => {
    assert.ok(
      f.seed.users.some((u) => u.sandboxMailboxLocation === 'onPremises'),
      'the tenant has an on-prem mailbox',
    );
    const unlicensed = f.seed.users.filter(
      (u) => u.sandboxMailboxLocation === 'exchangeOnline' && !hasMailbox(u),
    );
    assert.ok(unlicensed.length > 0, 'the tenant has a cloud user without an Exchange licence');
    for (const u of unlicensed) {
      const s = await f.repos.status.get(u.id);
      assert.equal(s?.state, 'Failed', u.userPrincipalName);
      assert.equal(s.lastMessageCode, 'mailboxUnlicensed');
      assert.ok(s.lastMessage.startsWith(LAST_MESSAGES.mailboxUnlicensed.template), s.lastMessage);
    }
    for (const u of f.seed.users) {
      const s = await f.repos.status.get(u.id);
      assert.ok(s, `status of ${u.userPrincipalName}`);
      if (u.sandboxMailboxLocation === 'onPremises') {
        assert.equal(s.state, 'Failed', u.userPrincipalName);
        assert.equal(s.lastMessageCode, 'mailboxOnPremises');
        assert.ok(s.lastMessage.startsWith(LAST_MESSAGES.mailboxOnPremises.template), s.lastMessage);
        assert.ok(s.lastMessage.includes('Move the mailbox to Exchange Online'), s.lastMessage);
      } else if (hasMailbox(u)) {
        assert.equal(s.state, 'Succeeded', `${u.userPrincipalName}: ${s.lastMessage}`);
        assert.equal(s.failedMeeting, 0);
        assert.equal(s.progress, null);
      }
    }
    assert.equal(f.queue.sent.length, 0, 'no retry was scheduled');
  });

  it('replaces the block of every eligible meeting and keeps every other character of its body', () => {
    const events = organizerEvents(f);
    let updated = 0;
    for (const { ev, expect } of events) {
      const now = f.sandbox.tenant.storedEvents().find((e) => e.id === ev.id);
      assert.ok(now, ev.id);
      if (expect.kind !== 'update') {
        assert.equal(now.body.content, ev.body.content, `${ev.sandboxCase} ${ev.type} must be untouched`);
        assert.equal(f.calendar.patched.get(ev.id), undefined, `${ev.sandboxCase} was PATCHed`);
        continue;
      }
      updated += 1;
      const old = findOnlineMeetingBlock(ev.body.content, ev.body.contentType);
      const neu = findOnlineMeetingBlock(now.body.content, now.body.contentType);
      assert.ok(old && neu, `${ev.sandboxCase}: a block before and after`);
      assert.equal(now.body.contentType, ev.body.contentType);
      assert.equal(
        now.body.content.slice(0, neu.start),
        ev.body.content.slice(0, old.start),
        `${ev.sandboxCase}: text before the block`,
      );
      assert.equal(
        now.body.content.slice(neu.end),
        ev.body.content.slice(old.end),
        `${ev.sandboxCase}: text after the block`,
      );
      assert.notEqual(now.body.content.slice(neu.start, neu.end), ev.body.content.slice(old.start, old.end));
      assert.equal(neu.kind, old.kind, 'refreshed in its own kind');
      // A Teams block is written from its Teams meeting: the meeting's own link (Graph's joinWebUrl), which the
      // newest template's short /meet/ link stands for; a Skype block keeps its link.
      if (neu.kind === 'teams') {
        assert.ok(
          neu.joinUrl === old.joinUrl || neu.joinUrl === ev.onlineMeeting?.joinUrl,
          `${ev.sandboxCase}: the meeting's own join link`,
        );
      } else {
        assert.equal(neu.joinUrl, old.joinUrl, 'join link kept');
      }
      const marker = now.extendedProperties.find(
        (p) => p.id.toLowerCase() === MARKER_PROPERTY_ID.toLowerCase(),
      );
      assert.ok(
        marker?.value.startsWith(neu.kind === 'teams' ? CONVERTED_FINGERPRINT_PREFIX : 'v1:'),
        `${ev.sandboxCase}: marker written`,
      );
      assert.equal(f.calendar.patched.get(ev.id), 1, `${ev.sandboxCase}: PATCHed exactly once`);
    }
    assert.ok(updated > 50, `enough eligible meetings (${updated})`);
  });

  it('sends each attendee exactly one update per updated meeting', () => {
    const counts = f.sandbox.tenant.updateCounts();
    for (const { ev } of organizerEvents(f)) {
      const want = expectedUpdatesPerAttendee(f, ev.id);
      const got = counts[ev.id]?.byAttendee ?? {};
      for (const a of ev.attendees) {
        assert.equal(
          got[a.emailAddress.address] ?? 0,
          want,
          `${ev.sandboxCase} ${ev.type} ${a.emailAddress.address}`,
        );
      }
    }
  });

  it('kept every mailbox within 4 concurrent Graph requests', () => {
    const log = f.sandbox.tenant.requestLog().filter((r) => r.mailbox !== null);
    assert.ok(log.length > 0);
    assert.ok(Math.max(...log.map((r) => r.concurrency)) <= 4);
    assert.equal(log.filter((r) => r.status === 429).length, 0, 'never throttled for concurrency');
  });

  it('records every meeting in the ledger with its outcome and skip reason, and counts them in the status', async () => {
    const events = organizerEvents(f);
    for (const u of onlineUsers(f)) {
      const s = await f.repos.status.get(u.id);
      assert.ok(s);
      const mine = events.filter((x) => x.ev.organizerUserId === u.id && x.expect.kind !== 'untouched');
      const rows = new Map<string, { outcome: string; reason?: string; correlationId: string }>();
      for await (const row of f.repos.ledger.allForUser(u.id, { correlationId: s.correlationId }))
        rows.set(row.eventId, row);
      for (const { ev, expect } of mine) {
        const row = rows.get(ev.id);
        assert.ok(row, `${ev.sandboxCase} ${ev.type} has a ledger row`);
        if (expect.kind === 'update') assert.equal(row.outcome, 'updated');
        else if (expect.kind === 'skip') {
          assert.equal(row.outcome, 'skipped', ev.sandboxCase);
          assert.equal(row.reason, expect.reason, ev.sandboxCase);
        }
      }
      const want = {
        updated: mine.filter((x) => x.expect.kind === 'update').length,
        skipped: mine.filter((x) => x.expect.kind === 'skip').length,
      };
      assert.equal(s.succeededMeeting, want.updated, u.userPrincipalName);
      assert.equal(s.invitesUpdate, want.updated);
      assert.equal(s.skippedMeeting, want.skipped);
      assert.equal(s.totalMeeting, want.updated + want.skipped);
      for (const reason of [
        'cancelled',
        'notOnlineMeeting',
        'copiedBlock',
        'thirdPartyProvider',
        'tooManyAttendees',
      ] as const) {
        const n = mine.filter((x) => x.expect.kind === 'skip' && x.expect.reason === reason).length;
        assert.equal(s.skipReasons[reason] ?? 0, n, `${u.userPrincipalName} ${reason}`);
      }
    }
  });

  it('a second migration of everyone sends no update at all and reports the meetings up to date', async () => {
    const updatesBefore = f.sandbox.tenant.updateLog().length;
    const patchesBefore = [...f.calendar.patched.values()].reduce((a, b) => a + b, 0);
    for (const u of onlineUsers(f)) {
      const out = await deliver(f, await requestRun(f, u.id));
      assert.equal(out.kind, 'finished');
    }
    assert.equal(f.sandbox.tenant.updateLog().length, updatesBefore, 'no update sent');
    assert.equal(
      [...f.calendar.patched.values()].reduce((a, b) => a + b, 0),
      patchesBefore,
      'no PATCH',
    );
    const events = organizerEvents(f);
    for (const u of onlineUsers(f)) {
      const s = await f.repos.status.get(u.id);
      assert.ok(s);
      assert.equal(s.state, 'Succeeded');
      const eligible = events.filter(
        (x) => x.ev.organizerUserId === u.id && x.expect.kind === 'update',
      ).length;
      assert.equal(s.succeededMeeting, 0);
      assert.equal(s.invitesUpdate, 0);
      assert.equal(s.skipReasons.upToDate ?? 0, eligible, u.userPrincipalName);
    }
  });
});

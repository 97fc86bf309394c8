/**
 * Issue 3's "Done when", end to end through the local host (`npm start` as a black box) against the sandbox
 * tenant: a generated tenant of 50 users; start every user through `POST /api/migrations`; poll
 * `GET /api/migrations?summaryOnly=true` until nothing is Pending or InProgress; then compare what the sandbox
 * holds with what the generator says each event is (its `sandboxCase`):
 *
 * - every user Succeeded, or Failed with the mailboxOnPremises / mailboxUnlicensed lastMessage when Graph cannot
 *   reach the mailbox (on premises, or a cloud user without an Exchange licence);
 * - every eligible meeting (organizer copy) has its block replaced: the new block is found, of the same kind
 *   (target Current), carries the event's Teams join link and the organizer's current conference id and toll
 *   number; every character outside the block is unchanged;
 * - every other event of the organizer is untouched (same body, same changeKey) and listed in
 *   `GET /api/migrations/{id}/meetings` with the right skip reason (past meetings and cancelled occurrences are
 *   never enumerated, so they may be absent; nothing else may be);
 * - the sandbox's update log holds exactly one update (cause `patch`) per attendee per updated meeting, plus the
 *   resends Exchange sends for the exceptions of an updated series master (cause `seriesMasterPatch`, one per
 *   exception and attendee): a second PATCH of anything shows up as a surplus;
 * - a second run for everyone sends no update at all.
 *
 * Then, on a fresh host with every queue message delivered twice (MMS_QUEUE_DELIVER_TWICE=1) and 10 % of Graph
 * requests answered 429/503/504: the same end state and no duplicate update.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findOnlineMeetingBlock, type OnlineMeetingBlock } from '../../shared/domain/meeting-block';
import { LAST_MESSAGES } from '../../shared/domain/last-message';
import type { SkipReason } from '../../shared/domain/eligibility';
import { parseSandboxCase } from '../../dev/sandbox/generator';
import { startLocalHost, type LocalHost } from '../support/local-host';

const USERS = 50;
const MEETINGS = 6;
const SEED = 4242;
const SETTLE_TIMEOUT_MS = 240_000;

// ---------------------------------------------------------------------------------------------------------------
// The local host

/** The local host with the generated tenant; the sandbox tenant's Graph URL must be printed (https). */
async function startHost(extraEnv: Record<string, string>): Promise<LocalHost> {
  const host = await startLocalHost(
    ['--users', String(USERS), '--meetings', String(MEETINGS), '--seed', String(SEED)],
    {
      env: { MIGRATION_DELAY_SECONDS: '0', ...extraEnv },
      readyTimeoutMs: 120_000,
      tmpPrefix: 'mms-e2e-migration-',
    },
  );
  if (!host.graphUrl.startsWith('https://')) {
    host.cleanup();
    throw new Error(`the start-up table lacks the sandbox Graph row:\n${host.output()}`);
  }
  return host;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${url} → ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Sandbox shapes (the control API's raw views)

interface RawAttendee {
  emailAddress: { address: string };
}
interface RawEvent {
  id: string;
  mailboxUserId: string;
  organizerUserId: string;
  iCalUId: string;
  changeKey: string;
  type: 'singleInstance' | 'seriesMaster' | 'exception';
  seriesMasterId: string | null;
  originalStart: string | null;
  subject: string;
  body: { contentType: 'html' | 'text'; content: string };
  isCancelled: boolean;
  isOnlineMeeting: boolean;
  onlineMeeting: { joinUrl?: string | null; conferenceId?: string | null } | null;
  attendees: RawAttendee[];
  sandboxCase?: string;
  isOrganizer: boolean;
}
interface RawUser {
  id: string;
  userPrincipalName: string;
  sandboxMailboxLocation?: 'exchangeOnline' | 'onPremises';
  assignedPlans?: { service: string; capabilityStatus: string }[];
  sandboxDialIn?: {
    provider: 'Microsoft' | 'ThirdParty';
    enabled: boolean;
    conferenceId?: string;
    tollNumber?: string;
    tollFreeNumber?: string;
  };
}
/**
 * Why Graph cannot reach the user's mailbox, as the code the run must end with: on-premises, or a cloud user
 * without an enabled Exchange plan (no mailbox at all); null when it can.
 */
function unreachable(u: RawUser): 'mailboxOnPremises' | 'mailboxUnlicensed' | null {
  if (u.sandboxMailboxLocation === 'onPremises') return 'mailboxOnPremises';
  const exchange = (u.assignedPlans ?? []).some(
    (p) => p.service.toLowerCase() === 'exchange' && p.capabilityStatus === 'Enabled',
  );
  return exchange ? null : 'mailboxUnlicensed';
}

interface UpdateLog {
  value: { eventId: string; attendee: string; cause?: 'patch' | 'seriesMasterPatch' }[];
  counts: Record<string, { total: number; byAttendee: Record<string, number> }>;
}
interface Status {
  userId: string;
  userPrincipalName: string;
  state: string;
  lastMessage: string;
  lastMessageCode: string;
  totalMeeting: number;
  succeededMeeting: number;
  failedMeeting: number;
  invitesUpdate: number;
  correlationId: string;
  createDate: string;
  modifiedDate: string;
  retryCount: number;
}
interface MeetingRow {
  eventId: string;
  outcome: 'updated' | 'skipped' | 'failed' | 'pending';
  reason?: string;
  errorCode?: string;
}

class Sandbox {
  constructor(private readonly url: string) {}
  events() {
    return getJson<{ value: RawEvent[] }>(`${this.url}/_sandbox/events`).then((r) => r.value);
  }
  users() {
    return getJson<{ value: RawUser[] }>(`${this.url}/_sandbox/users`).then((r) => r.value);
  }
  updates() {
    return getJson<UpdateLog>(`${this.url}/_sandbox/updates`);
  }
  async faults(body: unknown): Promise<void> {
    const res = await fetch(`${this.url}/_sandbox/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.text());
  }
}

class Api {
  constructor(private readonly host: LocalHost) {}
  private get headers() {
    return { 'x-functions-key': this.host.functionKey };
  }
  async start(identity: string): Promise<{ status: number; outcome: string | null; body: Status }> {
    const res = await fetch(`${this.host.apiUrl}/api/migrations`, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ identity }),
    });
    const text = await res.text();
    assert.equal(res.status, 202, `POST /api/migrations ${identity} → ${res.status} ${text}`);
    return {
      status: res.status,
      outcome: res.headers.get('x-mms-request-outcome'),
      body: JSON.parse(text) as Status,
    };
  }
  summary() {
    return getJson<{ state: string; userCount: number }[]>(
      `${this.host.apiUrl}/api/migrations?summaryOnly=true`,
      this.headers,
    );
  }
  statuses() {
    return getJson<Status[]>(`${this.host.apiUrl}/api/migrations`, this.headers);
  }
  status(identity: string) {
    return getJson<Status>(
      `${this.host.apiUrl}/api/migrations/${encodeURIComponent(identity)}`,
      this.headers,
    );
  }
  /** Every per-meeting row of the user's current migration, through the continuation tokens. */
  async meetings(identity: string): Promise<{ rows: MeetingRow[]; pages: number }> {
    const rows: MeetingRow[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const qs = new URLSearchParams({ pageSize: '4', ...(token ? { continuationToken: token } : {}) });
      const page = await getJson<{ meetings: MeetingRow[]; continuationToken?: string }>(
        `${this.host.apiUrl}/api/migrations/${encodeURIComponent(identity)}/meetings?${qs.toString()}`,
        this.headers,
      );
      rows.push(...page.meetings);
      token = page.continuationToken;
      pages++;
    } while (token !== undefined);
    return { rows, pages };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The oracle

type Expected = { action: 'update' } | { action: 'skip'; reason: SkipReason; mayBeUnlisted: boolean };

/**
 * What the migration must do with an organizer's event, from the generator's case (eligibility rules in
 * shared/domain/eligibility.ts, in their order).
 */
function expectationFor(ev: RawEvent, user: RawUser): Expected {
  const parsed = parseSandboxCase(ev.sandboxCase);
  assert.ok(parsed, `event ${ev.id} has a sandboxCase`);
  const skip = (reason: SkipReason, mayBeUnlisted = false): Expected => ({
    action: 'skip',
    reason,
    mayBeUnlisted,
  });
  // A cancelled occurrence is gone from the calendar: never enumerated.
  if (ev.isCancelled) return skip('cancelled', ev.type === 'exception');
  switch (parsed.case) {
    case 'past':
    case 'series-all-past':
      return skip('past', true);
    case 'cancelled':
      return skip('cancelled');
    case 'no-block':
      return skip('notOnlineMeeting');
    case 'pasted-not-online':
    case 'pasted-other-organizer':
      return skip('copiedBlock');
    default:
      break;
  }
  if (user.sandboxDialIn?.provider === 'ThirdParty') return skip('thirdPartyProvider');
  if (parsed.case === 'large-meeting') return skip('tooManyAttendees');
  return { action: 'update' };
}

const digits = (s: string) => s.replace(/\D/g, '');
const textOf = (html: string) => html.replace(/<[^>]*>/g, ' ').replace(/&nbsp;|&#160;/g, ' ');

/**
 * Collects every discrepancy instead of stopping at the first, so that one run shows the whole picture; the
 * test fails at the end of the check listing them (grouped by kind, a few examples each).
 */
class Problems {
  private readonly byKind = new Map<string, string[]>();
  add(kind: string, detail: string): void {
    const list = this.byKind.get(kind) ?? [];
    list.push(detail);
    this.byKind.set(kind, list);
  }
  check(ok: boolean, kind: string, detail: string): boolean {
    if (!ok) this.add(kind, detail);
    return ok;
  }
  assertNone(what: string): void {
    if (this.byKind.size === 0) return;
    const lines = [...this.byKind].map(
      ([kind, list]) => `- ${kind}: ${list.length}\n    ${list.slice(0, 4).join('\n    ')}`,
    );
    assert.fail(`${what}:\n${lines.join('\n')}`);
  }
}

interface EndState {
  updatedIds: Set<string>;
  /** Final bodies of the organizers' events, by id. */
  bodies: Map<string, string>;
  /** The same, by `iCalUId|originalStart` (stable across sandboxes generated from the same seed). */
  stableBodies: Map<string, string>;
  updates: number;
}

/** Checks the whole end state after a first migration of everyone; answers what was updated. */
async function checkEndState(
  api: Api,
  sandbox: Sandbox,
  before: RawEvent[],
  users: RawUser[],
): Promise<EndState> {
  const problems = new Problems();
  const after = await sandbox.events();
  const afterById = new Map(after.map((e) => [e.id, e]));
  const userById = new Map(users.map((u) => [u.id, u]));
  const statuses = await api.statuses();
  assert.equal(statuses.length, users.length, 'one status record per user');
  const statusById = new Map(statuses.map((s) => [s.userId, s]));

  // --- users
  for (const u of users) {
    const s = statusById.get(u.id);
    assert.ok(s, `a status for ${u.userPrincipalName}`);
    assert.equal(s.userPrincipalName, u.userPrincipalName);
    const cause = unreachable(u);
    if (cause) {
      problems.check(
        s.state === 'Failed' &&
          s.lastMessageCode === cause &&
          s.lastMessage.startsWith(LAST_MESSAGES[cause].template),
        `unreachable mailbox not Failed with the ${cause} lastMessage`,
        `${u.userPrincipalName}: ${s.state} ${s.lastMessageCode} ${s.lastMessage}`,
      );
    } else {
      problems.check(
        s.state === 'Succeeded' && s.failedMeeting === 0,
        'user not Succeeded',
        `${u.userPrincipalName}: ${s.state} ${s.lastMessage}`,
      );
    }
  }

  // --- per-meeting results, read through the continuation tokens
  const ledgers = new Map<string, Map<string, MeetingRow>>();
  let pagedUsers = 0;
  for (const u of users) {
    if (unreachable(u)) continue;
    const { rows, pages } = await api.meetings(u.id);
    if (pages > 1) pagedUsers++;
    const byId = new Map(rows.map((r) => [r.eventId, r]));
    problems.check(byId.size === rows.length, 'meeting listed twice', u.userPrincipalName);
    ledgers.set(u.id, byId);
  }
  assert.ok(pagedUsers > 0, 'some users have more than one page of meeting results');

  // --- organizer events
  const organizerEvents = before.filter((e) => e.isOrganizer);
  const updated = new Set<string>();
  for (const ev of organizerEvents) {
    const user = userById.get(ev.organizerUserId);
    assert.ok(user, `organizer of ${ev.id} is a user`);
    const now = afterById.get(ev.id);
    assert.ok(now, `event ${ev.id} still exists`);
    const label = `${user.userPrincipalName} ${ev.type} ${ev.sandboxCase ?? ''} ${ev.id}`;
    if (unreachable(user)) {
      problems.check(now.body.content === ev.body.content, 'unreachable mailbox event changed', label);
      continue;
    }
    const expected = expectationFor(ev, user);
    const row = ledgers.get(user.id)?.get(ev.id);
    const listed = row === undefined ? 'unlisted' : `${row.outcome} ${row.reason ?? row.errorCode ?? ''}`;
    if (expected.action === 'skip') {
      problems.check(
        now.body.content === ev.body.content && now.changeKey === ev.changeKey,
        `${expected.reason} meeting modified`,
        `${label} (listed ${listed})`,
      );
      if (row === undefined) {
        problems.check(expected.mayBeUnlisted, `${expected.reason} meeting not listed`, label);
      } else {
        problems.check(
          row.outcome === 'skipped' && row.reason === expected.reason,
          `${expected.reason} meeting listed otherwise`,
          `${label}: ${listed}`,
        );
      }
      continue;
    }
    // --- to be updated
    updated.add(ev.id);
    problems.check(
      row?.outcome === 'updated',
      'eligible meeting not listed as updated',
      `${label}: ${listed}`,
    );
    const ct = ev.body.contentType;
    const old: OnlineMeetingBlock | null = findOnlineMeetingBlock(ev.body.content, ct);
    const neu: OnlineMeetingBlock | null = findOnlineMeetingBlock(now.body.content, ct);
    if (!problems.check(old !== null, 'generated block not recognised by findOnlineMeetingBlock', label)) {
      continue;
    }
    assert.ok(old);
    if (!problems.check(neu !== null, 'no block in the updated body', label) || neu === null) continue;
    problems.check(now.body.content !== ev.body.content, 'eligible meeting not updated', label);
    problems.check(
      neu.kind === old.kind,
      'block kind changed (target Current)',
      `${label}: ${old.kind} → ${neu.kind}`,
    );
    problems.check(
      now.body.content.slice(0, neu.start) === ev.body.content.slice(0, old.start),
      'text before the block changed',
      label,
    );
    problems.check(
      now.body.content.slice(neu.end) === ev.body.content.slice(old.end),
      'text after the block changed',
      label,
    );
    if (neu.kind === 'teams' && now.onlineMeeting?.joinUrl) {
      // The meeting's own link: Graph's (long meetup-join form), or the form its invitation already showed (the
      // newest template's short /meet/ link of the same meeting).
      problems.check(
        neu.joinUrl === now.onlineMeeting.joinUrl || neu.joinUrl === old.joinUrl,
        "new block lacks the meeting's own join link",
        `${label}: ${neu.joinUrl} ≠ ${now.onlineMeeting.joinUrl}`,
      );
    }
    const region = now.body.content.slice(neu.start, neu.end);
    const blockText = ct === 'html' ? textOf(region) : region;
    const dialIn = user.sandboxDialIn;
    if (dialIn?.provider === 'Microsoft' && dialIn.enabled && dialIn.conferenceId) {
      problems.check(
        neu.conferenceId === dialIn.conferenceId,
        "new block lacks the organizer's conference id",
        `${label}: ${neu.conferenceId ?? 'none'} ≠ ${dialIn.conferenceId}`,
      );
      if (dialIn.tollNumber) {
        problems.check(
          digits(blockText).includes(digits(dialIn.tollNumber)),
          "new block lacks the organizer's toll number",
          `${label}: ${dialIn.tollNumber}`,
        );
      }
    } else {
      problems.check(
        neu.conferenceId === undefined,
        'new block shows dial-in for an organizer without it',
        `${label}: ${neu.conferenceId ?? ''}`,
      );
    }
  }

  // --- counts in the status records
  for (const u of users) {
    if (unreachable(u)) continue;
    const mine = organizerEvents.filter((e) => e.organizerUserId === u.id && updated.has(e.id)).length;
    const s = statusById.get(u.id);
    problems.check(
      s?.succeededMeeting === mine && s.invitesUpdate === mine,
      'succeededMeeting / invitesUpdate differ from the meetings updated',
      `${u.userPrincipalName}: ${s?.succeededMeeting} / ${s?.invitesUpdate}, expected ${mine}`,
    );
  }

  // --- attendee copies follow their organizer's meeting (the sandbox propagates bodies), and only then
  const organizerAfter = new Map<string, RawEvent>();
  for (const e of after) if (e.isOrganizer) organizerAfter.set(`${e.iCalUId}|${e.originalStart ?? ''}`, e);
  for (const copy of before.filter((e) => !e.isOrganizer)) {
    const now = afterById.get(copy.id);
    assert.ok(now, `attendee copy ${copy.id} still exists`);
    const counterpart = organizerAfter.get(`${copy.iCalUId}|${copy.originalStart ?? ''}`);
    const master = organizerAfter.get(`${copy.iCalUId}|`);
    const changed = [counterpart, master].filter(
      (e): e is RawEvent =>
        e !== undefined && e.body.content !== before.find((b) => b.id === e.id)?.body.content,
    );
    problems.check(
      now.body.content === copy.body.content || changed.some((c) => c.body.content === now.body.content),
      "attendee copy changed other than to its organizer's new body",
      copy.id,
    );
  }

  // --- the update log: exactly one update per attendee per PATCHed meeting (cause `patch`), and the resends the
  // sandbox models for the exceptions of an updated series master (cause `seriesMasterPatch`, one per exception
  // and attendee), nothing more: a second PATCH of anything is a surplus.
  const expected = { patch: new Map<string, number>(), seriesMasterPatch: new Map<string, number>() };
  const add = (cause: keyof typeof expected, eventId: string, attendees: RawAttendee[]) => {
    for (const a of attendees) {
      const k = `${eventId} ${a.emailAddress.address.toLowerCase()}`;
      expected[cause].set(k, (expected[cause].get(k) ?? 0) + 1);
    }
  };
  for (const ev of organizerEvents) {
    if (afterById.get(ev.id)?.body.content === ev.body.content) continue; // not PATCHed (checked above)
    add('patch', ev.id, ev.attendees);
    if (ev.type === 'seriesMaster') {
      for (const exc of before) {
        if (exc.seriesMasterId === ev.id && exc.mailboxUserId === ev.mailboxUserId) {
          add('seriesMasterPatch', exc.id, ev.attendees);
        }
      }
    }
  }
  const log = await sandbox.updates();
  const actual = { patch: new Map<string, number>(), seriesMasterPatch: new Map<string, number>() };
  for (const u of log.value) {
    const k = `${u.eventId} ${u.attendee.toLowerCase()}`;
    const cause = u.cause === 'seriesMasterPatch' ? 'seriesMasterPatch' : 'patch';
    actual[cause].set(k, (actual[cause].get(k) ?? 0) + 1);
  }
  for (const cause of ['patch', 'seriesMasterPatch'] as const) {
    for (const [k, n] of actual[cause]) {
      const want = expected[cause].get(k) ?? 0;
      problems.check(
        n <= want,
        `attendee got more ${cause} updates than meetings updated`,
        `${k}: ${n} > ${want}`,
      );
    }
    for (const [k, n] of expected[cause]) {
      const got = actual[cause].get(k) ?? 0;
      problems.check(
        got >= n,
        `attendee of an updated meeting got no ${cause} update`,
        `${k}: ${got} < ${n}`,
      );
    }
  }

  problems.assertNone('the end state differs from what the generated tenant calls for');
  const bodies = new Map<string, string>();
  const stableBodies = new Map<string, string>();
  for (const ev of organizerEvents) {
    const body = afterById.get(ev.id)?.body.content ?? '';
    bodies.set(ev.id, body);
    stableBodies.set(`${ev.iCalUId}|${ev.originalStart ?? ''}`, body);
  }
  return { updatedIds: updated, bodies, stableBodies, updates: log.value.length };
}

async function startEveryone(api: Api, users: RawUser[]): Promise<void> {
  let i = 0;
  for (const u of users) {
    // Both identity forms: the object id and the UPN.
    const r = await api.start(i++ % 2 === 0 ? u.id : u.userPrincipalName);
    assert.equal(r.body.userId, u.id);
    assert.ok(['queued', 'merged'].includes(r.outcome ?? ''), `outcome ${r.outcome}`);
  }
}

/** Polls the summary until no user is Pending or InProgress; answers the last summary. */
async function settle(api: Api, users: number): Promise<Record<string, number>> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const rows = await api.summary();
    assert.deepEqual(
      rows.map((r) => r.state),
      ['Pending', 'InProgress', 'Succeeded', 'Failed'],
      'the summary has every state, zeros included',
    );
    const by = Object.fromEntries(rows.map((r) => [r.state, r.userCount]));
    const total = rows.reduce((n, r) => n + r.userCount, 0);
    if (total === users && (by.Pending ?? 0) === 0 && (by.InProgress ?? 0) === 0) return by;
    // A retry scheduled minutes away (the backoff starts at 5 min) will not happen within the test: fail now.
    const retrying =
      (by.Pending ?? 0) > 0
        ? (await api.statuses()).filter((s) => s.state === 'Pending' && s.retryCount > 0)
        : [];
    if (Date.now() > deadline || retrying.length > 0) {
      const open = (await api.statuses()).filter((s) => s.state === 'Pending' || s.state === 'InProgress');
      const detail = [...retrying, ...open.filter((s) => s.retryCount === 0)]
        .slice(0, 8)
        .map((s) => `  ${s.userPrincipalName} ${s.state} retry ${s.retryCount}: ${s.lastMessage}`)
        .join('\n');
      assert.fail(`migrations did not settle: ${JSON.stringify(rows)}\n${detail}`);
    }
    await sleep(500);
  }
}

let firstRunBodies: Map<string, string> | undefined;

describe('migration end to end (local host, sandbox tenant)', () => {
  it('migrates every user: blocks replaced exactly, skips with reasons, one update each; a second run sends none', async () => {
    const host = await startHost({});
    try {
      const api = new Api(host);
      const sandbox = new Sandbox(host.graphUrl);
      const users = await sandbox.users();
      assert.equal(users.length, USERS);
      const before = await sandbox.events();
      const t0 = Date.now();
      await startEveryone(api, users);
      const summary = await settle(api, users.length);
      const firstRun = Date.now() - t0;
      const end = await checkEndState(api, sandbox, before, users);
      assert.ok(end.updatedIds.size > USERS, 'a good number of meetings were updated');
      firstRunBodies = end.stableBodies;

      // A second run for everyone: no update at all, everyone ends as before.
      const statusesBefore = new Map((await api.statuses()).map((s) => [s.userId, s]));
      const t1 = Date.now();
      await startEveryone(api, users);
      await settle(api, users.length);
      const secondRun = Date.now() - t1;
      const log = await sandbox.updates();
      assert.equal(log.value.length, end.updates, 'the second run sent no update');
      const afterSecond = await sandbox.events();
      for (const e of afterSecond) {
        if (e.isOrganizer && end.bodies.has(e.id))
          assert.equal(e.body.content, end.bodies.get(e.id), `${e.id} unchanged`);
      }
      for (const s of await api.statuses()) {
        const first = statusesBefore.get(s.userId);
        assert.equal(s.state, first?.state, `${s.userPrincipalName} ends as before`);
        assert.notEqual(s.correlationId, first?.correlationId, 'a new migration ran');
        if (s.state === 'Succeeded') {
          assert.equal(s.invitesUpdate, 0, `${s.userPrincipalName}: no update sent the second time`);
          assert.equal(s.succeededMeeting, 0);
        }
      }
      console.log(
        `[e2e migration] users ${users.length} (${summary.Succeeded} Succeeded, ${summary.Failed} Failed), ` +
          `events ${before.length} (${before.filter((e) => e.isOrganizer).length} organizer copies), ` +
          `meetings updated ${end.updatedIds.size}, attendee updates ${end.updates}, ` +
          `first run ${(firstRun / 1000).toFixed(1)} s, second run ${(secondRun / 1000).toFixed(1)} s (0 updates)`,
      );
    } finally {
      await host.stop();
    }
  });

  it('with every message delivered twice and 10 % of Graph requests failing (429/5xx): same end state, no duplicate update', async () => {
    const host = await startHost({ MMS_QUEUE_DELIVER_TWICE: '1' });
    try {
      const api = new Api(host);
      const sandbox = new Sandbox(host.graphUrl);
      await sandbox.faults({ rate: 0.1, statuses: [429, 503, 504], retryAfterSeconds: 1, seed: 7 });
      const users = await sandbox.users();
      const before = await sandbox.events();
      const t0 = Date.now();
      await startEveryone(api, users);
      const summary = await settle(api, users.length);
      const elapsed = Date.now() - t0;
      await sandbox.faults({ rate: 0 });
      const end = await checkEndState(api, sandbox, before, users);
      if (firstRunBodies) {
        // Same seed, same tenant (event ids differ, iCalUIds do not): the same final bodies as without faults.
        assert.equal(end.stableBodies.size, firstRunBodies.size, 'the same meetings');
        for (const [key, body] of end.stableBodies) {
          assert.equal(body, firstRunBodies.get(key), `${key}: the same final body as without faults`);
        }
      }
      const retried = (await api.statuses()).filter((s) => s.retryCount > 0).length;
      // The switch took effect: every migrateUser message ran twice.
      const executions = host.output().match(/Executed 'migrateUser'/g)?.length ?? 0;
      assert.ok(executions >= 2 * users.length, `each message delivered twice (${executions} executions)`);
      console.log(
        `[e2e migration, delivered twice + 10 % faults] users ${users.length} (${summary.Succeeded} Succeeded, ` +
          `${summary.Failed} Failed, ${retried} retried), meetings updated ${end.updatedIds.size}, ` +
          `attendee updates ${end.updates}, migrateUser executions ${executions}, ${(elapsed / 1000).toFixed(1)} s`,
      );
    } finally {
      await host.stop();
    }
  });
});

/**
 * The lastMessage vocabulary: every code renders, with every placeholder filled, and the failure messages tell
 * the admin what to do.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  LAST_MESSAGES,
  LAST_MESSAGE_CODES,
  USER_ERROR_CODES,
  dominantError,
  formatInstant,
  lastMessageFor,
  type LastMessageOutcome,
  type RunCounts,
} from '../../../shared/domain/last-message';

const AT = new Date('2026-06-15T12:34:56.789Z');
const counts = (over: Partial<RunCounts> = {}): RunCounts => ({
  totalMeeting: 10,
  succeededMeeting: 6,
  failedMeeting: 0,
  invitesUpdate: 6,
  skippedMeeting: 4,
  skipReasons: { past: 1, upToDate: 3 },
  failureCodes: {},
  ...over,
});
const meetingsFailed = {
  kind: 'meetingsFailed' as const,
  failedMeeting: 3,
  totalMeeting: 10,
  failureCodes: { graph5xx: 1, bodyTooLarge: 2 },
};

/** One outcome per code, so every code is rendered at least once. */
const OUTCOMES: LastMessageOutcome[] = [
  { code: 'queued', trigger: 'bridgeChanged', notBefore: AT },
  { code: 'merged', trigger: 'dialInEnabled', migrationType: 'ToSameType', notBefore: AT },
  { code: 'followUpQueued', trigger: 'conferenceIdReset' },
  { code: 'takenOver', trigger: 'manualStart', stalledSince: AT, by: 'this admin start' },
  { code: 'running', startedAt: AT, attempt: 2 },
  { code: 'succeeded', counts: counts() },
  {
    code: 'succeeded',
    counts: counts({
      totalMeeting: 0,
      succeededMeeting: 0,
      invitesUpdate: 0,
      skippedMeeting: 0,
      skipReasons: {},
    }),
  },
  { code: 'retryScheduled', cause: meetingsFailed, retry: 1, maxRetries: 9, notBefore: AT },
  { code: 'failedAfterRetries', cause: meetingsFailed, retries: 9, user: 'adele@contoso.com' },
  { code: 'failed', cause: meetingsFailed, user: 'adele@contoso.com' },
  ...USER_ERROR_CODES.map((code): LastMessageOutcome => ({
    code: 'failed',
    cause: { kind: 'userError', code, detail: 'HTTP 403 ErrorAccessDenied', migrationType: 'SfbToTeams' },
    user: 'adele@contoso.com',
    correlationId: 'c-123',
  })),
];

describe('lastMessageFor', () => {
  it('renders every code of the catalogue, with no placeholder left', () => {
    const seen = new Set<string>();
    for (const o of OUTCOMES) {
      const m = lastMessageFor(o);
      seen.add(m.code);
      assert.doesNotMatch(m.message, /\{\w+\}/, m.message);
      assert.ok(m.message.length > 20, m.message);
    }
    assert.deepEqual([...seen].sort(), [...LAST_MESSAGE_CODES].sort());
  });

  it('summarises a success with counts and skip reasons', () => {
    const m = lastMessageFor({ code: 'succeeded', counts: counts() });
    assert.equal(m.code, 'succeeded');
    assert.equal(
      m.message,
      'Done: 6 of 10 meetings updated, 6 updates sent to attendees, 4 skipped (past 1, upToDate 3).',
    );
  });

  it('counts one meeting and one update in the singular', () => {
    const one = counts({
      totalMeeting: 1,
      succeededMeeting: 1,
      invitesUpdate: 1,
      skippedMeeting: 0,
      skipReasons: {},
    });
    assert.equal(
      lastMessageFor({ code: 'succeeded', counts: one }).message,
      'Done: 1 of 1 meeting updated, 1 update sent to attendees, 0 skipped.',
    );
  });

  it('says when and which retry, and why', () => {
    const m = lastMessageFor({
      code: 'retryScheduled',
      cause: meetingsFailed,
      retry: 2,
      maxRetries: 9,
      notBefore: AT,
    });
    assert.match(m.message, /3 of 10 meetings could not be updated/);
    assert.match(m.message, /most common error: bodyTooLarge, 2 meetings/);
    assert.match(m.message, /Retry 2 of 9 runs at 2026-06-15 12:34 UTC/);
  });

  it('after the retries, says what to do, with the per-meeting results link for the user', () => {
    const m = lastMessageFor({
      code: 'failedAfterRetries',
      cause: meetingsFailed,
      retries: 9,
      user: 'adele@contoso.com',
    });
    assert.match(m.message, /^Gave up after 9 retries\./);
    assert.match(m.message, /GET \/api\/migrations\/adele@contoso\.com\/meetings/);
    assert.match(m.message, /start the migration again/);
  });

  it('tells the admin what to do for an on-premises mailbox', () => {
    const m = lastMessageFor({ code: 'failed', cause: { kind: 'userError', code: 'mailboxOnPremises' } });
    assert.equal(m.code, 'mailboxOnPremises');
    assert.match(m.message, /Exchange on-premises/);
    assert.match(m.message, /Move the mailbox to Exchange Online/);
  });

  it('names a missing Teams licence and a missing access policy, each with its fix', () => {
    const licence = lastMessageFor({
      code: 'failed',
      cause: { kind: 'userError', code: 'teamsNotLicensed', migrationType: 'SfbToTeams' },
    });
    assert.equal(licence.code, 'teamsNotLicensed');
    assert.match(licence.message, /TEAMS1/);
    assert.match(licence.message, /\(SfbToTeams\)/);
    assert.match(licence.message, /Assign a licence that includes Microsoft Teams/);
    const policy = lastMessageFor({
      code: 'failed',
      cause: { kind: 'userError', code: 'teamsAccessPolicyMissing' },
      user: 'ada@contoso.com',
    });
    assert.match(
      policy.message,
      /Grant-CsApplicationAccessPolicy -PolicyName "MMS" -Identity ada@contoso\.com/,
    );
  });

  it('gives every failure an action, and every user error a retry decision', () => {
    for (const code of USER_ERROR_CODES) {
      assert.ok(LAST_MESSAGES[code].action.length > 10, code);
      assert.equal(typeof LAST_MESSAGES[code].retryable, 'boolean', code);
    }
    assert.equal(LAST_MESSAGES.mailboxOnPremises.retryable, false);
    assert.equal(LAST_MESSAGES.throttled.retryable, true);
  });
});

describe('helpers', () => {
  it('picks the most common error, ties alphabetically, none when nothing failed', () => {
    assert.deepEqual(dominantError({ b: 2, a: 2, c: 1 }), { code: 'a', count: 2 });
    assert.equal(dominantError({}), null);
    assert.equal(dominantError({ a: 0 }), null);
  });

  it('writes instants for people', () => {
    assert.equal(formatInstant(AT), '2026-06-15 12:34 UTC');
  });
});

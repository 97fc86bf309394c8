/**
 * cli/views.ts: the status table has the Get-CsMeetingMigrationStatus columns in order and fits the terminal by
 * cutting LastMessage; the result line counts users by state and failed users by cause; meetings show their
 * reason or error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MeetingResult, StatusRecord } from '../../../cli/api';
import { displayWidth } from '../../../cli/table';
import {
  formatDate,
  meetingReason,
  meetingsTable,
  outcomeCounts,
  outcomeLine,
  resultLine,
  statusTable,
  NON_TTY_FLEX_WIDTH,
  summaryTable,
} from '../../../cli/views';

function record(over: Partial<StatusRecord>): StatusRecord {
  return {
    userId: '00000000-0000-0000-0000-000000000001',
    userPrincipalName: 'adele@contoso.com',
    state: 'Succeeded',
    migrationType: 'ToSameType',
    retryCount: 0,
    lastMessage: 'Done: 8 of 10 meetings updated, 8 updates sent to attendees, 2 skipped (copiedBlock 2).',
    totalMeeting: 10,
    succeededMeeting: 8,
    failedMeeting: 0,
    invitesUpdate: 8,
    correlationId: 'c1',
    createDate: '2026-11-21T21:00:00.000Z',
    modifiedDate: '2026-11-21T21:23:18.123Z',
    ...over,
  };
}

describe('statusTable', () => {
  it('has the cmdlet columns in order', () => {
    const header = statusTable([record({})]).split('\n')[0] ?? '';
    assert.deepEqual(header.split(/\s+/), [
      'UserPrincipalName',
      'State',
      'MigrationType',
      'RetryCount',
      'TotalMeeting',
      'SucceededMeeting',
      'FailedMeeting',
      'InvitesUpdate',
      'LastMessage',
      'ModifiedDate',
    ]);
  });

  it('shows the values, the date in UTC to the second', () => {
    const row = statusTable([record({})]).split('\n')[2] ?? '';
    assert.match(row, /^adele@contoso\.com\s+Succeeded\s+ToSameType\s+0\s+10\s+8\s+0\s+8\s+Done: 8 of 10/);
    assert.ok(row.endsWith('2026-11-21 21:23:18Z'));
  });

  it('cuts LastMessage to fit the terminal width and keeps ModifiedDate', () => {
    const lines = statusTable([record({ userPrincipalName: '王芳@contoso.com' })], 160).split('\n');
    for (const l of lines) assert.ok(displayWidth(l) <= 160, `fits 160 columns (${displayWidth(l)})`);
    assert.match(lines[2] ?? '', /Done: 8 of 10 meetings .*…\s+2026-11-21 21:23:18Z$/);
  });
});

describe('statusTable in narrow terminals', () => {
  const records = [
    record({ userPrincipalName: 'mariajose.garcia-lopez@contoso.onmicrosoft.com' }),
    record({
      userPrincipalName: 'ana@contoso.com',
      state: 'Failed',
      lastMessage: "The user's mailbox is in Exchange on-premises.",
    }),
  ];

  for (const width of [120, 100, 80]) {
    it(`fits ${width} columns, keeping UserPrincipalName, State, SucceededMeeting and LastMessage`, () => {
      const text = statusTable(records, width);
      const lines = text.split('\n');
      for (const l of lines.slice(0, 4)) assert.ok(displayWidth(l) <= width, `"${l}" fits ${width}`);
      const header = lines[0]?.split(/\s+/) ?? [];
      for (const h of ['UserPrincipalName', 'State', 'SucceededMeeting', 'LastMessage'])
        assert.ok(header.includes(h), h);
      assert.match(
        lines[4] ?? '',
        /^\(\d+ columns do not fit the width and are left out: ModifiedDate, MigrationType/,
      );
      assert.match(lines[3] ?? '', /^ana@contoso\.com\s+Failed\s/);
    });
  }

  it('leaves out the six optional columns at 80, and none when there is room', () => {
    const at80 = statusTable(records, 80).split('\n');
    assert.deepEqual(at80[0]?.split(/\s+/), [
      'UserPrincipalName',
      'State',
      'SucceededMeeting',
      'LastMessage',
    ]);
    assert.match(at80[2] ?? '', /^mariajose\.garcia-lopez@contoso\.…\s+Succeeded\s+8\s+Done: 8 of 10/);
    assert.equal(statusTable(records, 400).split('\n').length, 4, 'no note when everything fits');
  });
});

describe('resultLine', () => {
  it('counts users by state, failures by cause, meetings and invites', () => {
    const records = [
      record({ userId: 'a' }),
      record({ userId: 'b', succeededMeeting: 3, invitesUpdate: 3 }),
      record({
        userId: 'c',
        state: 'Failed',
        lastMessageCode: 'mailboxOnPremises',
        succeededMeeting: 0,
        invitesUpdate: 0,
      }),
      record({
        userId: 'd',
        state: 'Failed',
        lastMessageCode: 'mailboxOnPremises',
        succeededMeeting: 0,
        invitesUpdate: 0,
      }),
    ];
    assert.equal(
      resultLine(records),
      '4 users: 2 Succeeded, 2 Failed (on-premises mailboxes), 11 meetings updated, 11 invites sent',
    );
  });

  it('lists several causes by count, and users still running', () => {
    const records = [
      record({ state: 'Failed', lastMessageCode: 'mailboxOnPremises' }),
      record({ state: 'Failed', lastMessageCode: 'permissionDenied' }),
      record({ state: 'Failed', lastMessageCode: 'permissionDenied' }),
      record({ state: 'InProgress' }),
    ];
    assert.match(
      resultLine(records),
      /^4 users: 0 Succeeded, 3 Failed \(2 permission denied, 1 on-premises mailbox\), 1 InProgress, /,
    );
    assert.match(
      resultLine([record({})]),
      /^1 user: 1 Succeeded, 0 Failed, 8 meetings updated, 8 invites sent$/,
    );
  });
});

describe('summaryTable', () => {
  it('lists every state with its count, right-aligned', () => {
    assert.equal(
      summaryTable([
        { state: 'Pending', userCount: 0 },
        { state: 'InProgress', userCount: 3 },
        { state: 'Succeeded', userCount: 20 },
        { state: 'Failed', userCount: 2 },
      ]),
      [
        'State      UserCount',
        '-----      ---------',
        'Pending            0',
        'InProgress         3',
        'Succeeded         20',
        'Failed             2',
      ].join('\n'),
    );
  });
});

describe('meetings', () => {
  const m = (over: Partial<MeetingResult>): MeetingResult => ({
    eventId: 'e',
    subject: 'Budget review',
    start: '2027-02-11T10:30:00.000Z',
    blockKind: 'teams',
    outcome: 'updated',
    ...over,
  });

  it('shows the skip reason, or the error code and message', () => {
    assert.equal(meetingReason(m({ outcome: 'skipped', reason: 'tooManyAttendees' })), 'tooManyAttendees');
    assert.equal(
      meetingReason(m({ outcome: 'failed', errorCode: 'graphForbidden', errorMessage: 'Access denied' })),
      'graphForbidden: Access denied',
    );
    assert.equal(meetingReason(m({})), '');
  });

  it('sorts by when the meeting next takes place, shows the type, and counts outcomes', () => {
    const list = [
      m({ subject: 'Later', start: '2027-03-01T09:00:00Z', eventType: 'singleInstance' }),
      m({
        subject: 'مراجعة المشروع',
        start: '2026-11-25T08:30:00Z',
        eventType: 'singleInstance',
        outcome: 'skipped',
        reason: 'copiedBlock',
      }),
      // A series that began long ago: listed at its next occurrence, not its first.
      m({
        subject: 'Weekly',
        eventType: 'seriesMaster',
        start: '2025-01-06T09:00:00Z',
        nextOccurrence: '2027-02-01T09:00:00Z',
      }),
    ];
    const lines = meetingsTable(list).split('\n');
    assert.deepEqual(lines[0]?.split(/\s+/), ['Start', 'Type', 'Subject', 'Kind', 'Outcome', 'Reason']);
    assert.match(lines[2] ?? '', /^2026-11-25 08:30 single مراجعة المشروع\s+teams skipped copiedBlock$/);
    assert.match(lines[3] ?? '', /^2027-02-01 09:00 series Weekly\s+teams updated$/);
    assert.match(lines[4] ?? '', /^2027-03-01 09:00 single Later\s+teams updated$/);
    assert.equal(outcomeCounts(list), '2 updated, 1 skipped');
    assert.equal(outcomeCounts([]), 'no meetings');
  });
});

describe('formatDate and outcomeLine', () => {
  it('writes dates in UTC to the second and leaves other text alone', () => {
    assert.equal(formatDate('2026-11-21T22:23:18.5+01:00'), '2026-11-21 21:23:18Z');
    assert.equal(formatDate('not a date'), 'not a date');
    assert.equal(formatDate(null), '');
  });

  it('says what an admin action did about the meetings', () => {
    assert.equal(
      outcomeLine({ outcome: 'none', why: 'The user has no audio conferencing licence.' }),
      'No migration: The user has no audio conferencing licence.',
    );
    assert.match(
      outcomeLine({ outcome: 'queued', migrationType: 'ToSameType', state: 'Pending', correlationId: 'c9' }),
      /^Migration queued \(ToSameType, Pending, correlation id c9\)\.$/,
    );
  });
});

describe('statusTable while users are queued or running', () => {
  it('shows the place in the queue and the estimated start, the percent done and the running counts', () => {
    const today = new Date().toISOString().slice(0, 10);
    const rows = [
      record({
        userPrincipalName: 'queued@contoso.com',
        state: 'Pending',
        queuePosition: 3,
        estimatedStart: `${today}T14:05:00.000Z`,
      }),
      record({
        userPrincipalName: 'running@contoso.com',
        state: 'InProgress',
        succeededMeeting: 0,
        progress: {
          discoveredMeeting: 40,
          processedMeeting: 18,
          succeededMeeting: 12,
          failedMeeting: 1,
          invitesUpdate: 12,
          percent: 45,
        },
        estimatedEnd: `${today}T14:10:00.000Z`,
      }),
    ];
    const lines = statusTable(rows).split('\n');
    assert.deepEqual(lines[0]?.split(/\s+/).slice(0, 3), ['UserPrincipalName', 'State', 'Progress']);
    assert.match(lines[2] ?? '', /^queued@contoso\.com\s+Pending\s+#3 ~14:05Z\s/);
    // Total = found so far (40), succeeded 12, failed 1, invites 12: the running counts, not the record's zeros.
    assert.match(
      lines[3] ?? '',
      /^running@contoso\.com\s+InProgress\s+45% ~14:10Z\s+\S+\s+\d+\s+40\s+12\s+1\s+12\s/,
    );
  });

  it('leaves the Progress column out when nobody is queued or running', () => {
    assert.doesNotMatch(statusTable([record({})]).split('\n')[0] ?? '', /Progress/);
  });

  it('cuts the long message where output is not a terminal, keeping every column', () => {
    const long = 'x'.repeat(300);
    const lines = statusTable([record({ lastMessage: long })], { flexMax: NON_TTY_FLEX_WIDTH }).split('\n');
    assert.ok((lines[2] ?? '').length < 220, lines[2]);
    assert.match(lines[2] ?? '', /x…\s+\d{4}-\d{2}-\d{2} /);
    assert.ok(statusTable([record({ lastMessage: long })]).includes(long), 'no cap without a fit');
  });
});

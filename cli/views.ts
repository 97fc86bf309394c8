/**
 * What the CLI and the `npm start` demo print, built from the API's answers with cli/table.ts (pure: no I/O).
 *
 * - statusTable: `Get-CsMeetingMigrationStatus | Format-Table` — UserPrincipalName, State, Progress (while anyone
 *   is Pending or InProgress: place in the queue and estimated start, or percent done and estimated end),
 *   MigrationType, RetryCount, TotalMeeting, SucceededMeeting, FailedMeeting, InvitesUpdate (the running counts
 *   while InProgress), LastMessage (cut to the width left), ModifiedDate.
 * - summaryTable: `Get-CsMeetingMigrationStatus -SummaryOnly` — State, UserCount.
 * - meetingsTable: the per-meeting results — Start, Subject, Kind, Outcome, Reason (skip reason, or error code
 *   and message).
 * - resultLine: one line about a finished run ("25 users: 23 Succeeded, 2 Failed (on-premises mailboxes), ...").
 * - bridgesTable, unregisterReport: the bridges and their numbers; what removing a number did to users.
 */
import type {
  BatchProgress,
  Bridge,
  DialInView,
  MeetingResult,
  MigrationOutcome,
  Preview,
  PreviewMeeting,
  StatusRecord,
  SummaryRow,
  UnregisterNumberResponse,
} from './api';
import { formatList, formatTable, type Column, type TableOptions } from './table';

/** An ISO date-time as `2026-11-21 21:23:18Z` (UTC, seconds); anything else as given. */
export function formatDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** An ISO date-time as `2026-11-21 21:23` (UTC, minutes), for meeting starts. */
export function formatMinute(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 16).replace('T', ' ');
}

/** A summary row: the API's, or one counted from records (summarizeStates). */
export type SummaryCount = Pick<SummaryRow, 'state' | 'userCount'>;

const right = 'right' as const;

/**
 * How a table is fitted: a terminal's width in columns (columns are cut, then left out, to fit), or, for output
 * that is not a terminal, a cap for the long free-text column (LastMessage, Reason), which is cut to it.
 */
export type Fit = number | { flexMax: number } | undefined;

/** Where output is not a terminal, the long free-text column is cut to this many columns. */
export const NON_TTY_FLEX_WIDTH = 80;

export function fitOptions(fit: Fit): TableOptions {
  if (fit === undefined) return {};
  return typeof fit === 'number' ? { maxWidth: fit } : { flexMaxWidth: fit.flexMax };
}

/**
 * The status columns. In a narrow terminal LastMessage is cut first, then UserPrincipalName (to 24), then the
 * least telling columns are left out: ModifiedDate, MigrationType, RetryCount, InvitesUpdate, TotalMeeting,
 * FailedMeeting, in that order.
 */
export const STATUS_COLUMNS: readonly Column<StatusRecord>[] = [
  { header: 'UserPrincipalName', value: (s) => s.userPrincipalName, shrink: true, minWidth: 24 },
  { header: 'State', value: (s) => s.state },
  { header: 'Progress', value: queueOrProgress, dropPriority: 0.5 },
  { header: 'MigrationType', value: (s) => s.migrationType, dropPriority: 5 },
  { header: 'RetryCount', value: (s) => s.retryCount, align: right, dropPriority: 4 },
  { header: 'TotalMeeting', value: (s) => running(s).totalMeeting, align: right, dropPriority: 2 },
  { header: 'SucceededMeeting', value: (s) => running(s).succeededMeeting, align: right },
  { header: 'FailedMeeting', value: (s) => running(s).failedMeeting, align: right, dropPriority: 1 },
  { header: 'InvitesUpdate', value: (s) => running(s).invitesUpdate, align: right, dropPriority: 3 },
  { header: 'LastMessage', value: (s) => s.lastMessage, flex: true, minWidth: 20 },
  { header: 'ModifiedDate', value: (s) => formatDate(s.modifiedDate), dropPriority: 6 },
];

/**
 * The counts the table shows: while a run is InProgress, its running counts (meetings found so far and those done
 * by outcome), so they move as the run goes; otherwise the record's.
 */
export function running(s: StatusRecord): {
  totalMeeting: number;
  succeededMeeting: number;
  failedMeeting: number;
  invitesUpdate: number;
} {
  const p = s.progress;
  if (s.state !== 'InProgress' || p === null || p === undefined) return s;
  return {
    totalMeeting: p.discoveredMeeting,
    succeededMeeting: p.succeededMeeting ?? s.succeededMeeting,
    failedMeeting: p.failedMeeting ?? s.failedMeeting,
    invitesUpdate: p.invitesUpdate ?? s.invitesUpdate,
  };
}

/** "HH:MM" UTC of an estimate, prefixed with the day when it is not today. */
function estimate(iso: string | null | undefined, now: Date): string {
  if (iso === null || iso === undefined) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const day = d.toISOString().slice(0, 10);
  const time = d.toISOString().slice(11, 16);
  return day === now.toISOString().slice(0, 10) ? `~${time}Z` : `~${day} ${time}Z`;
}

/** Pending: "#3 ~14:05Z" (place in the queue, estimated start); InProgress: "45% ~14:10Z" (estimated end). */
export function queueOrProgress(s: StatusRecord, now: Date = new Date()): string {
  if (s.state === 'Pending' && s.queuePosition !== undefined) {
    return `#${s.queuePosition} ${estimate(s.estimatedStart, now)}`.trim();
  }
  if (s.state === 'InProgress') {
    const p = s.progress;
    const percent =
      p?.percent ??
      (p && p.discoveredMeeting > 0 ? Math.floor((p.processedMeeting / p.discoveredMeeting) * 100) : 0);
    return `${percent}% ${estimate(s.estimatedEnd, now)}`.trim();
  }
  return '';
}

/** Format-Table of status records, fitted to `width` columns (LastMessage is cut). */
export function statusTable(records: readonly StatusRecord[], width?: Fit): string {
  // The Progress column only while someone is queued or running.
  const columns = records.some((r) => queueOrProgress(r) !== '')
    ? STATUS_COLUMNS
    : STATUS_COLUMNS.filter((c) => c.header !== 'Progress');
  return formatTable(columns, records, fitOptions(width));
}

/** Format-Table of the summary: every row the API gave, in its order. */
export function summaryTable(rows: readonly SummaryCount[]): string {
  return formatTable<SummaryCount>(
    [
      { header: 'State', value: (r) => r.state },
      { header: 'UserCount', value: (r) => r.userCount, align: right },
    ],
    rows,
  );
}

/** The summary on one line: `Pending 0 · InProgress 3 · Succeeded 20 · Failed 2`. */
export function summaryLine(rows: readonly SummaryCount[]): string {
  return rows.map((r) => `${r.state} ${r.userCount}`).join(' · ');
}

/** Why a meeting was left alone or failed: the skip reason, or `errorCode: errorMessage`. */
export function meetingReason(m: MeetingResult): string {
  if (m.reason !== undefined) return m.reason;
  if (m.errorCode !== undefined) return m.errorMessage ? `${m.errorCode}: ${m.errorMessage}` : m.errorCode;
  return '';
}

/** Graph's event types as a short word. */
const EVENT_TYPE_LABELS: Record<string, string> = {
  singleInstance: 'single',
  seriesMaster: 'series',
  exception: 'exception',
  occurrence: 'occurrence',
};

export function eventTypeLabel(type: string | undefined): string {
  return type === undefined ? '' : (EVENT_TYPE_LABELS[type] ?? type);
}

/**
 * When a meeting takes place next: a series by its next occurrence (its own start is the first occurrence, maybe
 * long past: a series master dated last month would look like a past meeting being changed), else its start.
 */
export function meetingWhen(m: { start: string; nextOccurrence?: string | null | undefined }): string {
  return m.nextOccurrence ? m.nextOccurrence : m.start;
}

const MEETING_COLUMNS: readonly Column<MeetingResult>[] = [
  { header: 'Start', value: (m) => formatMinute(meetingWhen(m)) },
  { header: 'Type', value: (m) => eventTypeLabel(m.eventType) },
  { header: 'Subject', value: (m) => m.subject, maxWidth: 40, shrink: true, minWidth: 16 },
  { header: 'Kind', value: (m) => m.blockKind, dropPriority: 1 },
  { header: 'Outcome', value: (m) => m.outcome },
  { header: 'Reason', value: meetingReason, flex: true, minWidth: 20 },
];

/** The per-meeting results, by start time (then subject). */
export function meetingsTable(meetings: readonly MeetingResult[], width?: Fit): string {
  const sorted = [...meetings].sort(
    (a, b) => meetingWhen(a).localeCompare(meetingWhen(b)) || a.subject.localeCompare(b.subject),
  );
  return formatTable(MEETING_COLUMNS, sorted, fitOptions(width));
}

/** Meetings counted by outcome: `12 updated, 3 skipped, 0 failed`. */
export function outcomeCounts(meetings: readonly MeetingResult[]): string {
  const counts = new Map<string, number>();
  for (const m of meetings) counts.set(m.outcome, (counts.get(m.outcome) ?? 0) + 1);
  const order = ['updated', 'skipped', 'failed', 'pending'];
  const keys = [...new Set([...order.filter((k) => counts.has(k)), ...counts.keys()])];
  return keys.map((k) => `${counts.get(k) ?? 0} ${k}`).join(', ') || 'no meetings';
}

const FAILURE_LABELS: Record<string, [string, string]> = {
  mailboxOnPremises: ['on-premises mailbox', 'on-premises mailboxes'],
  mailboxNotFound: ['no Exchange Online mailbox', 'no Exchange Online mailbox'],
  mailboxUnlicensed: ['no Exchange licence', 'no Exchange licence'],
  userSoftDeleted: ['user deleted', 'users deleted'],
  userNotFound: ['user not found', 'users not found'],
  teamsNotLicensed: ['no Teams licence', 'no Teams licence'],
  teamsAccessPolicyMissing: ['no Teams access policy', 'no Teams access policy'],
  permissionDenied: ['permission denied', 'permission denied'],
  throttled: ['throttled', 'throttled'],
  meetingsFailed: ['meetings failed', 'meetings failed'],
  failedAfterRetries: ['gave up after retries', 'gave up after retries'],
  unexpectedError: ['unexpected error', 'unexpected errors'],
};

function failureLabel(code: string, n: number): string {
  const labels = FAILURE_LABELS[code];
  if (!labels) return code;
  return n === 1 ? labels[0] : labels[1];
}

/**
 * One line about a set of status records:
 * `25 users: 23 Succeeded, 2 Failed (on-premises mailboxes), 120 meetings updated, 120 invites sent`
 * (Pending and InProgress appear only when some users are still there).
 */
export function resultLine(records: readonly StatusRecord[]): string {
  const by = (state: StatusRecord['state']) => records.filter((r) => r.state === state);
  const failed = by('Failed');
  const causes = new Map<string, number>();
  for (const r of failed) {
    const code = r.lastMessageCode ?? 'unknown';
    causes.set(code, (causes.get(code) ?? 0) + 1);
  }
  let failedText = `${failed.length} Failed`;
  if (causes.size === 1) {
    const [code, n] = [...causes.entries()][0] ?? ['', 0];
    failedText += ` (${failureLabel(code, n)})`;
  } else if (causes.size > 1) {
    const parts = [...causes.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `${n} ${failureLabel(code, n)}`);
    failedText += ` (${parts.join(', ')})`;
  }
  const parts = [`${by('Succeeded').length} Succeeded`, failedText];
  for (const state of ['Pending', 'InProgress'] as const) {
    const n = by(state).length;
    if (n > 0) parts.push(`${n} ${state}`);
  }
  const updated = records.reduce((sum, r) => sum + r.succeededMeeting, 0);
  const invites = records.reduce((sum, r) => sum + r.invitesUpdate, 0);
  const users = records.length === 1 ? '1 user' : `${records.length} users`;
  return `${users}: ${parts.join(', ')}, ${updated} meetings updated, ${invites} invites sent`;
}

/** What an admin action did about the user's meetings, in one line. */
export function outcomeLine(m: MigrationOutcome): string {
  if (m.outcome === 'none') return `No migration: ${m.why ?? 'nothing that invitations show changed.'}`;
  const what =
    m.outcome === 'queued'
      ? 'Migration queued'
      : m.outcome === 'merged'
        ? 'Merged into the pending migration'
        : m.outcome === 'takenOver'
          ? 'Took over the stalled migration; it runs again now'
          : 'Recorded as a follow-up of the running migration';
  const details = [
    m.migrationType,
    m.state,
    m.correlationId ? `correlation id ${m.correlationId}` : undefined,
  ]
    .filter((x) => x !== undefined && x !== '')
    .join(', ');
  return `${what}${details ? ` (${details})` : ''}.${m.lastMessage ? ` ${m.lastMessage}` : ''}`;
}

/** A user's dial-in as a Format-List. */
export function dialInList(d: DialInView): string {
  return formatList([
    ['UserPrincipalName', d.userPrincipalName],
    ['Provider', d.provider],
    ['Enabled', d.enabled ? 'True' : 'False'],
    ['Bridge', d.bridgeName !== null ? `${d.bridgeName} (${d.bridgeId ?? ''})` : d.bridgeId],
    ['TollNumber', d.tollNumber],
    ['TollFreeNumber', d.tollFreeNumber],
    ['ConferenceId', d.conferenceId],
    ...(d.thirdPartyProviderName ? [['ThirdPartyProvider', d.thirdPartyProviderName] as const] : []),
  ]);
}

interface BridgeNumberRow {
  bridge: Bridge;
  number: Bridge['numbers'][number];
}

/** Every bridge's numbers, one row per number (default numbers marked). */
export function bridgesTable(bridges: readonly Bridge[], width?: Fit): string {
  const rows: BridgeNumberRow[] = bridges.flatMap((bridge) =>
    bridge.numbers.map((number) => ({ bridge, number })),
  );
  const isDefault = (r: BridgeNumberRow) =>
    r.number.number === r.bridge.defaultTollNumber || r.number.number === r.bridge.defaultTollFreeNumber;
  return formatTable<BridgeNumberRow>(
    [
      { header: 'Bridge', value: (r) => `${r.bridge.name}${r.bridge.isDefault ? ' (default)' : ''}` },
      { header: 'BridgeId', value: (r) => r.bridge.id },
      { header: 'Number', value: (r) => r.number.number },
      { header: 'Type', value: (r) => r.number.type },
      { header: 'Default', value: (r) => (isDefault(r) ? 'yes' : '') },
      { header: 'City', value: (r) => r.number.city },
      { header: 'Country', value: (r) => r.number.country },
      { header: 'Languages', value: (r) => r.number.languages.join(', '), flex: true, minWidth: 10 },
    ],
    rows,
    fitOptions(width),
  );
}

/**
 * What `bridges remove` did: the number removed, how many users were re-pointed to the bridge default and how
 * many migrations that requested (the API's summary), then one line per user with their new defaults and
 * migration outcome.
 */
export function unregisterReport(r: UnregisterNumberResponse): string {
  const { repointedUsers, migrationsRequested } = r.summary;
  const users = (n: number) => `${n} user${n === 1 ? '' : 's'}`;
  const lines = [
    `Removed ${r.removedNumber} from bridge "${r.bridge.name}" (${r.bridge.id}).`,
    repointedUsers === 0
      ? 'No user had it as a default number.'
      : `${users(repointedUsers)} re-pointed to the bridge default; ${migrationsRequested} migration${migrationsRequested === 1 ? '' : 's'} requested.`,
  ];
  for (const u of r.users) {
    const now = [
      u.tollNumber !== undefined ? `toll ${u.tollNumber}` : undefined,
      u.tollFreeNumber !== undefined ? `toll-free ${u.tollFreeNumber ?? '(none)'}` : undefined,
    ].filter((x) => x !== undefined);
    lines.push(
      `  ${u.userPrincipalName || u.userId}${now.length > 0 ? ` → ${now.join(', ')}` : ''}: ${outcomeLine(u.migration)}`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Preview

const PREVIEW_COLUMNS: readonly Column<PreviewMeeting & { n: number }>[] = [
  { header: '#', value: (m) => m.n, align: right },
  { header: 'Start', value: (m) => formatMinute(meetingWhen(m)) },
  { header: 'Type', value: (m) => eventTypeLabel(m.eventType) },
  { header: 'Subject', value: (m) => m.subject, maxWidth: 40, shrink: true, minWidth: 16 },
  { header: 'Kind', value: (m) => m.blockKind, dropPriority: 1 },
  { header: 'Decision', value: (m) => m.decision },
  {
    header: 'Reason',
    value: (m) => (m.error !== undefined ? `${m.reason ?? ''}: ${m.error}` : (m.reason ?? '')),
    flex: true,
    minWidth: 20,
  },
];

/** The preview's meetings in the order the API listed them, numbered from 1 (`--meeting <n>` picks one). */
export function previewTable(meetings: readonly PreviewMeeting[], width?: Fit): string {
  const rows = meetings.map((m, i) => ({ ...m, n: i + 1 }));
  return formatTable(PREVIEW_COLUMNS, rows, fitOptions(width));
}

/** "ada@contoso.com (ToSameType): 12 meetings: 5 would be updated, 6 skipped (4 past, 2 upToDate), 1 would fail." */
export function previewSummary(p: Preview): string {
  const c = p.counts;
  const reasons = Object.entries(c.skipReasons)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  const parts = [
    `${c.updateMeeting} would be updated (attendees get an update)`,
    `${c.skippedMeeting} skipped${reasons ? ` (${reasons})` : ''}`,
  ];
  if (c.failedMeeting > 0) parts.push(`${c.failedMeeting} would fail`);
  return (
    `Preview of ${p.userPrincipalName} (${p.migrationType}) as of ${formatDate(p.asOf)}: ` +
    `${c.totalMeeting} meeting${c.totalMeeting === 1 ? '' : 's'}: ${parts.join(', ')}. Nothing was changed.`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Batches

/** A batch's members by where they are, as a two-column table. */
export function batchTable(b: BatchProgress): string {
  const rows: [string, number][] = [
    ['Waiting', b.progress.waiting],
    ['Pending', b.progress.Pending],
    ['InProgress', b.progress.InProgress],
    ['Succeeded', b.progress.Succeeded],
    ['Failed', b.progress.Failed],
    ['Rejected', b.progress.rejected],
  ];
  return formatTable<[string, number]>(
    [
      { header: 'State', value: (r) => r[0] },
      { header: 'UserCount', value: (r) => r[1], align: right },
    ],
    rows,
  );
}

/** "Batch 1f2…: 40 users, 25 released, complete." */
export function batchLine(b: BatchProgress): string {
  const pace =
    b.estimatedReleaseEnd !== null && b.estimatedReleaseEnd !== undefined
      ? ` (all released by ${formatDate(b.estimatedReleaseEnd)})`
      : '';
  return (
    `Batch ${b.batchId}: ${b.accepted} user${b.accepted === 1 ? '' : 's'}, ${b.released} released${pace}` +
    (b.complete ? ', complete.' : ', running.')
  );
}

/** Identities a batch refused. */
export function rejectedTable(
  rows: readonly { identity: string; code: string; message: string }[],
  width?: Fit,
): string {
  return formatTable(
    [
      { header: 'Identity', value: (r: (typeof rows)[number]) => r.identity, shrink: true, minWidth: 24 },
      { header: 'Code', value: (r: (typeof rows)[number]) => r.code },
      { header: 'Message', value: (r: (typeof rows)[number]) => r.message, flex: true, minWidth: 20 },
    ],
    rows,
    fitOptions(width),
  );
}

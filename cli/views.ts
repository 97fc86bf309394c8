/**
 * What the CLI and the `npm start` demo print, built from the API's answers with cli/table.ts (pure: no I/O).
 *
 * - statusTable: `Get-CsMeetingMigrationStatus | Format-Table` — UserPrincipalName, State, MigrationType,
 *   RetryCount, TotalMeeting, SucceededMeeting, FailedMeeting, InvitesUpdate, LastMessage (cut to the width
 *   left), ModifiedDate.
 * - summaryTable: `Get-CsMeetingMigrationStatus -SummaryOnly` — State, UserCount.
 * - meetingsTable: the per-meeting results — Start, Subject, Kind, Outcome, Reason (skip reason, or error code
 *   and message).
 * - resultLine: one line about a finished run ("25 users: 23 Succeeded, 2 Failed (on-premises mailboxes), ...").
 * - bridgesTable, unregisterReport: the bridges and their numbers; what removing a number did to users.
 */
import type {
  Bridge,
  DialInView,
  MeetingResult,
  MigrationOutcome,
  StatusRecord,
  SummaryRow,
  UnregisterNumberResponse,
} from './api';
import { formatList, formatTable, type Column } from './table';

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
 * The status columns. In a narrow terminal LastMessage is cut first, then UserPrincipalName (to 24), then the
 * least telling columns are left out: ModifiedDate, MigrationType, RetryCount, InvitesUpdate, TotalMeeting,
 * FailedMeeting, in that order.
 */
export const STATUS_COLUMNS: readonly Column<StatusRecord>[] = [
  { header: 'UserPrincipalName', value: (s) => s.userPrincipalName, shrink: true, minWidth: 24 },
  { header: 'State', value: (s) => s.state },
  { header: 'MigrationType', value: (s) => s.migrationType, dropPriority: 5 },
  { header: 'RetryCount', value: (s) => s.retryCount, align: right, dropPriority: 4 },
  { header: 'TotalMeeting', value: (s) => s.totalMeeting, align: right, dropPriority: 2 },
  { header: 'SucceededMeeting', value: (s) => s.succeededMeeting, align: right },
  { header: 'FailedMeeting', value: (s) => s.failedMeeting, align: right, dropPriority: 1 },
  { header: 'InvitesUpdate', value: (s) => s.invitesUpdate, align: right, dropPriority: 3 },
  { header: 'LastMessage', value: (s) => s.lastMessage, flex: true, minWidth: 20 },
  { header: 'ModifiedDate', value: (s) => formatDate(s.modifiedDate), dropPriority: 6 },
];

/** Format-Table of status records, fitted to `width` columns (LastMessage is cut). */
export function statusTable(records: readonly StatusRecord[], width?: number): string {
  return formatTable(STATUS_COLUMNS, records, width !== undefined ? { maxWidth: width } : {});
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

const MEETING_COLUMNS: readonly Column<MeetingResult>[] = [
  { header: 'Start', value: (m) => formatMinute(m.start) },
  { header: 'Subject', value: (m) => m.subject, maxWidth: 40, shrink: true, minWidth: 16 },
  { header: 'Kind', value: (m) => m.blockKind, dropPriority: 1 },
  { header: 'Outcome', value: (m) => m.outcome },
  { header: 'Reason', value: meetingReason, flex: true, minWidth: 20 },
];

/** The per-meeting results, by start time (then subject). */
export function meetingsTable(meetings: readonly MeetingResult[], width?: number): string {
  const sorted = [...meetings].sort(
    (a, b) => a.start.localeCompare(b.start) || a.subject.localeCompare(b.subject),
  );
  return formatTable(MEETING_COLUMNS, sorted, width !== undefined ? { maxWidth: width } : {});
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
export function bridgesTable(bridges: readonly Bridge[], width?: number): string {
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
    width !== undefined ? { maxWidth: width } : {},
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

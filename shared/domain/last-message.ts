/**
 * The `lastMessage` vocabulary of the status record. Microsoft publishes no `LastMessage` strings for MMS
 * (reference/mms-behaviour.md §4), so these are ours. Each message says what happened and, when the admin has
 * something to do, what to do. The status record also keeps the `lastMessageCode`, stable for scripts.
 *
 * `LAST_MESSAGES` is the catalogue (code → template, for the README); `lastMessageFor(outcome)` renders one.
 * Placeholders are `{name}`; times are written as `YYYY-MM-DD HH:MM UTC`.
 */
import { SKIP_REASON_CODES, type SkipReason } from './eligibility';

/** Why a run stopped for the whole user (rather than meeting by meeting). */
export const USER_ERROR_CODES = [
  'mailboxOnPremises',
  'mailboxUnlicensed',
  'mailboxNotFound',
  'userNotFound',
  'userSoftDeleted',
  'teamsNotLicensed',
  'teamsAccessPolicyMissing',
  'permissionDenied',
  'throttled',
  'unexpectedError',
] as const;
export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

export const LAST_MESSAGE_CODES = [
  'queued',
  'merged',
  'followUpQueued',
  'takenOver',
  'running',
  'succeeded',
  'noMeetings',
  'retryScheduled',
  'failedAfterRetries',
  'meetingsFailed',
  ...USER_ERROR_CODES,
] as const;
export type LastMessageCode = (typeof LAST_MESSAGE_CODES)[number];

export interface LastMessageEntry {
  /** The state the record is in when it carries this message. */
  state: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Pending or Failed';
  /** What happened. */
  template: string;
  /** What the admin should do; empty when nothing. */
  action: string;
  /** For user errors: whether the run is retried (with backoff) before the user stays Failed. */
  retryable?: boolean;
}

const RESTART = 'then start the migration again (POST /api/migrations)';

export const LAST_MESSAGES: Readonly<Record<LastMessageCode, LastMessageEntry>> = {
  queued: {
    state: 'Pending',
    template: 'Migration requested ({trigger}); it starts at {notBefore}.',
    action: '',
  },
  merged: {
    state: 'Pending',
    template:
      'A further change ({trigger}) was merged into the pending migration, now {migrationType}; it starts at {notBefore}.',
    action: '',
  },
  followUpQueued: {
    state: 'InProgress',
    template:
      'A change ({trigger}) arrived while this migration was running; one follow-up migration runs after it.',
    action: '',
  },
  takenOver: {
    state: 'Pending',
    template:
      'The previous attempt stopped answering (no heartbeat since {stalledSince}); {by} took it over and runs it again now ({trigger}).',
    action: '',
  },
  running: {
    state: 'InProgress',
    template: 'Migration running since {startedAt} (attempt {attempt}).',
    action: '',
  },
  succeeded: {
    state: 'Succeeded',
    template:
      'Done: {succeededMeeting} of {totalMeetings} updated, {updatesSent} sent to attendees, {skippedMeeting} skipped{skipDetail}.',
    action: '',
  },
  noMeetings: {
    state: 'Succeeded',
    template: 'Done: the user organizes no future meetings, so there was nothing to update.',
    action: '',
  },
  retryScheduled: {
    state: 'Pending',
    template: '{cause} Retry {retry} of {maxRetries} runs at {notBefore}.',
    action: 'Nothing to do yet.',
  },
  failedAfterRetries: {
    state: 'Failed',
    template: 'Gave up after {retries} retries. {cause}',
    action: '{causeAction}',
  },
  meetingsFailed: {
    state: 'Pending or Failed',
    template:
      '{failedMeeting} of {totalMeeting} meetings could not be updated (most common error: {dominantError}, {dominantErrorCount} meetings).',
    action:
      'See the per-meeting results (GET /api/migrations/{user}/meetings), fix the cause, ' +
      RESTART +
      '; meetings already updated get no second update.',
  },
  mailboxOnPremises: {
    state: 'Failed',
    template:
      "The user's mailbox is in Exchange on-premises (or inactive): Microsoft Graph cannot reach it (MailboxNotEnabledForRESTAPI); only meetings in Exchange Online mailboxes can be updated.",
    action: `Move the mailbox to Exchange Online, ${RESTART}; until then the user must update their meetings in Outlook.`,
    retryable: false,
  },
  mailboxUnlicensed: {
    state: 'Failed',
    template:
      'The user is a cloud user without an Exchange Online licence, so they have no mailbox Microsoft Graph can reach (MailboxNotEnabledForRESTAPI).',
    action: `Assign a licence that includes Exchange Online, wait until the mailbox is provisioned, ${RESTART}.`,
    retryable: false,
  },
  mailboxNotFound: {
    state: 'Failed',
    template:
      'The user has no Exchange Online mailbox (no licence with Exchange Online, or it is still being provisioned).',
    action: `Assign a licence that includes Exchange Online, wait until the mailbox exists, ${RESTART}.`,
    retryable: true,
  },
  userNotFound: {
    state: 'Failed',
    template: 'The user no longer exists in the directory; nothing was migrated.',
    action: `Nothing to do. If the user is restored, ${RESTART}.`,
    retryable: false,
  },
  userSoftDeleted: {
    state: 'Failed',
    template:
      "The user is deleted (in the directory's deleted items, restorable for 30 days); their mailbox is soft-deleted and cannot be updated.",
    action: `If the user still needs their meetings, restore them (Restore-MgDirectoryDeletedItem -DirectoryObjectId <id>), ${RESTART}.`,
    retryable: false,
  },
  teamsNotLicensed: {
    state: 'Failed',
    template:
      'The user has no Microsoft Teams licence (service plan TEAMS1 is not enabled), so their Skype for Business meetings cannot become Teams meetings ({migrationType}); no meeting was changed.',
    action: `Assign a licence that includes Microsoft Teams (or enable its TEAMS1 plan), ${RESTART} with targetMeetingType Teams.`,
    retryable: false,
  },
  teamsAccessPolicyMissing: {
    state: 'Failed',
    template:
      'Microsoft Teams refused to create or read the Teams meetings of this user (403): no Teams application access policy grants this app the user{detail}.',
    action:
      'Grant one in Teams PowerShell: Grant-CsApplicationAccessPolicy -PolicyName "MMS" -Identity {user} (or -Global; create it first with New-CsApplicationAccessPolicy -Identity "MMS" -AppIds "<app client id>"), allow up to 30 minutes, ' +
      RESTART +
      '.',
    retryable: false,
  },
  permissionDenied: {
    state: 'Failed',
    template: "Microsoft Graph refused access to the user's calendar{detail}.",
    action: `Grant the app Calendars.ReadWrite with admin consent (and include the user in any application access policy), ${RESTART}.`,
    retryable: true,
  },
  throttled: {
    state: 'Failed',
    template: "Microsoft Graph kept throttling requests to the user's mailbox.",
    action: `Wait for a quieter time (or lower MAILBOX_CONCURRENCY), ${RESTART}.`,
    retryable: true,
  },
  unexpectedError: {
    state: 'Failed',
    template: 'The migration stopped on an unexpected error{detail}.',
    action: `Look up correlation id {correlationId} in the function logs, fix the cause, ${RESTART}.`,
    retryable: true,
  },
};

/**
 * Counts a finished run reports, for the meetings the run examined: each is succeeded (updated by this
 * migration), failed, or skipped (with its reason), so `totalMeeting = succeededMeeting + failedMeeting +
 * skippedMeeting`. `invitesUpdate` counts the updates this migration sent, over all its attempts (the worker reads
 * the ledger, so an update an earlier attempt sent counts once, even when that attempt died before reporting).
 */
export interface RunCounts {
  totalMeeting: number;
  succeededMeeting: number;
  failedMeeting: number;
  invitesUpdate: number;
  skippedMeeting: number;
  skipReasons: Partial<Record<SkipReason, number>>;
  /** Meeting error code → how many meetings failed with it. */
  failureCodes: Record<string, number>;
}

/** Why a user is being retried, or why they stay Failed. */
export type FailureCause =
  | {
      kind: 'meetingsFailed';
      failedMeeting: number;
      totalMeeting: number;
      failureCodes: Record<string, number>;
    }
  | { kind: 'userError'; code: UserErrorCode; detail?: string; migrationType?: string };

export type LastMessageOutcome =
  | { code: 'queued'; trigger: string; notBefore: Date }
  | { code: 'merged'; trigger: string; migrationType: string; notBefore: Date }
  | { code: 'followUpQueued'; trigger: string }
  | { code: 'takenOver'; trigger: string; stalledSince: Date; by: string }
  | { code: 'running'; startedAt: Date; attempt: number }
  | { code: 'succeeded'; counts: RunCounts }
  | { code: 'retryScheduled'; cause: FailureCause; retry: number; maxRetries: number; notBefore: Date }
  | {
      code: 'failedAfterRetries';
      cause: FailureCause;
      retries: number;
      user?: string;
      correlationId?: string;
    }
  | { code: 'failed'; cause: FailureCause; user?: string; correlationId?: string };

export interface LastMessage {
  code: LastMessageCode;
  message: string;
}

/** `2026-11-21 20:40 UTC`. */
export function formatInstant(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

/** The error most meetings failed with (ties: alphabetical), or null when none failed. */
export function dominantError(failureCodes: Record<string, number>): { code: string; count: number } | null {
  let best: { code: string; count: number } | null = null;
  for (const [code, count] of Object.entries(failureCodes)) {
    if (count <= 0) continue;
    if (best === null || count > best.count || (count === best.count && code < best.code)) {
      best = { code, count };
    }
  }
  return best;
}

/** `1 meeting`, `6 meetings`: a count with its noun, so a message never reads "1 updates". */
function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function join(what: string, action: string): string {
  return action === '' ? what : `${what} ${action}`;
}

interface CauseContext {
  /** The user's UPN (or id), for the links in the action. */
  user?: string;
  correlationId?: string;
}

function causeParts(
  cause: FailureCause,
  ctx: CauseContext = {},
): { code: LastMessageCode; what: string; action: string } {
  const user = ctx.user ?? '<user>';
  if (cause.kind === 'meetingsFailed') {
    const top = dominantError(cause.failureCodes);
    const e = LAST_MESSAGES.meetingsFailed;
    return {
      code: 'meetingsFailed',
      what: fill(e.template, {
        failedMeeting: cause.failedMeeting,
        totalMeeting: cause.totalMeeting,
        dominantError: top?.code ?? 'unknown',
        dominantErrorCount: top?.count ?? cause.failedMeeting,
      }),
      action: fill(e.action, { user }),
    };
  }
  const e = LAST_MESSAGES[cause.code];
  const params = {
    detail: cause.detail ? `: ${cause.detail}` : '',
    migrationType: cause.migrationType ?? 'a Teams target',
    correlationId: ctx.correlationId ?? 'of this record',
    user,
  };
  return { code: cause.code, what: fill(e.template, params), action: fill(e.action, params) };
}

function skipDetail(skipReasons: Partial<Record<SkipReason, number>>): string {
  const parts = SKIP_REASON_CODES.flatMap((r) => {
    const n = skipReasons[r] ?? 0;
    return n > 0 ? [`${r} ${n}`] : [];
  });
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/** Renders the message for an outcome. */
export function lastMessageFor(outcome: LastMessageOutcome): LastMessage {
  switch (outcome.code) {
    case 'queued':
      return {
        code: 'queued',
        message: fill(LAST_MESSAGES.queued.template, {
          trigger: outcome.trigger,
          notBefore: formatInstant(outcome.notBefore),
        }),
      };
    case 'merged':
      return {
        code: 'merged',
        message: fill(LAST_MESSAGES.merged.template, {
          trigger: outcome.trigger,
          migrationType: outcome.migrationType,
          notBefore: formatInstant(outcome.notBefore),
        }),
      };
    case 'followUpQueued':
      return {
        code: 'followUpQueued',
        message: fill(LAST_MESSAGES.followUpQueued.template, { trigger: outcome.trigger }),
      };
    case 'takenOver':
      return {
        code: 'takenOver',
        message: fill(LAST_MESSAGES.takenOver.template, {
          trigger: outcome.trigger,
          stalledSince: formatInstant(outcome.stalledSince),
          by: outcome.by,
        }),
      };
    case 'running':
      return {
        code: 'running',
        message: fill(LAST_MESSAGES.running.template, {
          startedAt: formatInstant(outcome.startedAt),
          attempt: outcome.attempt,
        }),
      };
    case 'succeeded': {
      const c = outcome.counts;
      if (c.totalMeeting === 0) return { code: 'noMeetings', message: LAST_MESSAGES.noMeetings.template };
      return {
        code: 'succeeded',
        message: fill(LAST_MESSAGES.succeeded.template, {
          succeededMeeting: c.succeededMeeting,
          totalMeetings: counted(c.totalMeeting, 'meeting'),
          updatesSent: counted(c.invitesUpdate, 'update'),
          skippedMeeting: c.skippedMeeting,
          skipDetail: skipDetail(c.skipReasons),
        }),
      };
    }
    case 'retryScheduled': {
      const cause = causeParts(outcome.cause);
      const e = LAST_MESSAGES.retryScheduled;
      return {
        code: 'retryScheduled',
        message: join(
          fill(e.template, {
            cause: cause.what,
            retry: outcome.retry,
            maxRetries: outcome.maxRetries,
            notBefore: formatInstant(outcome.notBefore),
          }),
          e.action,
        ),
      };
    }
    case 'failedAfterRetries': {
      const cause = causeParts(outcome.cause, outcome);
      const e = LAST_MESSAGES.failedAfterRetries;
      return {
        code: 'failedAfterRetries',
        message: join(
          fill(e.template, { retries: outcome.retries, cause: cause.what }),
          fill(e.action, { causeAction: cause.action }),
        ),
      };
    }
    case 'failed': {
      const cause = causeParts(outcome.cause, outcome);
      return { code: cause.code, message: join(cause.what, cause.action) };
    }
  }
}

/**
 * The migration status record: one per user, the contract of DESIGN.md ("Status record"). It mirrors
 * `Get-CsMeetingMigrationStatus` in camelCase (reference/mms-behaviour.md §5.2) and adds what MMS does not show:
 * the trigger, when a pending migration runs, the exact source/target, skip and failure counts by reason,
 * progress, and the one follow-up migration a trigger during a run leaves behind.
 *
 * Life of a record (every change goes through one of the pure transitions below; anything else is refused with a
 * StatusTransitionError, or reported as `stale` for duplicate queue deliveries):
 *
 *   (none) / Succeeded / Failed ──requestMigration──► Pending ──startMigration──► InProgress
 *   Pending ──requestMigration──► Pending (merged: one migration, the broader type, same scheduled message)
 *   InProgress ──requestMigration──► InProgress (+ one follow-up, merged with any earlier one)
 *   InProgress ──finishMigration──► Succeeded
 *                                 ► Pending (retry with backoff, retryCount + 1; or the follow-up, fresh)
 *                                 ► Failed (not retryable, or retries exhausted)
 *
 * A run is identified by its RunKey `{ correlationId, retryCount }`: the queue message carries it, and only the
 * message of the current run starts it. A message delivered twice while the run is InProgress resumes it (the
 * worker died half-way); any other message is stale and is dropped.
 *
 * Counts: `totalMeeting`, `succeededMeeting`, `failedMeeting`, `skippedMeeting`, `skipReasons` and
 * `failureCodes` describe the meetings as the latest attempt left them (a meeting an earlier attempt of the same
 * migration updated is counted by the worker as succeeded, from its ledger); `invitesUpdate` counts updates sent,
 * so it adds up over the attempts of one migration.
 */
import { z } from 'zod';
import { SKIP_REASON_CODES, skipReasonSchema, type SkipReason } from './eligibility';
import {
  LAST_MESSAGES,
  LAST_MESSAGE_CODES,
  lastMessageFor,
  type FailureCause,
  type LastMessage,
  type RunCounts,
  type UserErrorCode,
} from './last-message';
import {
  mergeMeetingTypeSelections,
  migrationTypeFor,
  migrationTypeSchema,
  sourceMeetingTypeSchema,
  targetMeetingTypeSchema,
  type MeetingTypeSelection,
  type SourceMeetingType,
  type TargetMeetingType,
} from './migration-type';
import { retryDelayHonouring } from './retry-policy';
import { migrationTriggerSchema, type MigrationTrigger } from './trigger-rules';

export const MIGRATION_STATES = ['Pending', 'InProgress', 'Succeeded', 'Failed'] as const;
export type MigrationState = (typeof MIGRATION_STATES)[number];
export const migrationStateSchema = z.enum(MIGRATION_STATES);

/** MMS keeps status for 150 days; so do we. */
export const RETENTION_DAYS = 150;

const count = z.number().int().nonnegative();
/** ISO-8601 in UTC (`Z`), as Date.toISOString writes it. */
const isoUtc = z.iso.datetime();

const followUpSchema = z.object({
  sourceMeetingType: sourceMeetingTypeSchema,
  targetMeetingType: targetMeetingTypeSchema,
  triggers: z.array(migrationTriggerSchema).min(1),
  correlationId: z.string().min(1),
  notBefore: isoUtc,
});
export type FollowUp = z.infer<typeof followUpSchema>;

export const migrationStatusSchema = z.object({
  // --- Get-CsMeetingMigrationStatus fields -------------------------------------------------------------------
  /** Directory object id. */
  userId: z.string().min(1),
  userPrincipalName: z.string(),
  state: migrationStateSchema,
  migrationType: migrationTypeSchema,
  /** Retries run (or scheduled) for this migration. */
  retryCount: count,
  lastMessage: z.string(),
  totalMeeting: count,
  succeededMeeting: count,
  failedMeeting: count,
  /** Updates sent to attendees (one per updated meeting). */
  invitesUpdate: count,
  /** Identifies one migration (stays the same over its retries). */
  correlationId: z.string().min(1),
  createDate: isoUtc,
  modifiedDate: isoUtc,
  // --- ours ---------------------------------------------------------------------------------------------------
  /** The change that requested this migration. */
  trigger: migrationTriggerSchema,
  /** Every change merged into it, first first, without repeats. */
  triggers: z.array(migrationTriggerSchema).min(1),
  sourceMeetingType: sourceMeetingTypeSchema,
  targetMeetingType: targetMeetingTypeSchema,
  /** Pending: when it runs. Otherwise null. */
  notBefore: isoUtc.nullable(),
  /** When the current (or last) attempt started. */
  startDate: isoUtc.nullable(),
  /** When the migration ended (Succeeded or Failed). */
  endDate: isoUtc.nullable(),
  skippedMeeting: count,
  /** Skipped meetings by reason code. */
  skipReasons: z.partialRecord(skipReasonSchema, count),
  /** Failed meetings by error code. */
  failureCodes: z.record(z.string(), count),
  /** InProgress: how far the run is. */
  progress: z.object({ discoveredMeeting: count, processedMeeting: count }).nullable(),
  lastMessageCode: z.enum(LAST_MESSAGE_CODES),
  /** A migration requested while this one runs; it starts when this one ends. */
  followUp: followUpSchema.nullable(),
});
export type MigrationStatus = z.infer<typeof migrationStatusSchema>;

export interface RunKey {
  correlationId: string;
  retryCount: number;
}

/** A RunKey as a queue message carries it (validate what the queue delivers). */
export const runKeySchema = z.object({ correlationId: z.string().min(1), retryCount: count });

export function runKeyOf(status: Pick<MigrationStatus, 'correlationId' | 'retryCount'>): RunKey {
  return { correlationId: status.correlationId, retryCount: status.retryCount };
}

function sameRun(status: MigrationStatus, key: RunKey): boolean {
  return status.correlationId === key.correlationId && status.retryCount === key.retryCount;
}

export class StatusTransitionError extends Error {
  constructor(
    readonly from: MigrationState | null,
    readonly transition: string,
    message: string,
  ) {
    super(`${transition} from ${from ?? 'no record'}: ${message}`);
    this.name = 'StatusTransitionError';
  }
}

function emptySkipReasons(): Record<SkipReason, number> {
  return Object.fromEntries(SKIP_REASON_CODES.map((r) => [r, 0])) as Record<SkipReason, number>;
}

function withMessage(status: MigrationStatus, m: LastMessage): MigrationStatus {
  return { ...status, lastMessage: m.message, lastMessageCode: m.code };
}

// ---------------------------------------------------------------------------------------------------------------
// Request (and coalescing)

export interface MigrationRequest extends MeetingTypeSelection {
  userId: string;
  userPrincipalName: string;
  trigger: MigrationTrigger;
  /** A fresh id; used only when the request starts a new migration (or a follow-up). */
  correlationId: string;
  /** How long a new migration waits before it runs, so that a burst of triggers collapses into one (ms). */
  delayMs: number;
}

export type RequestOutcome =
  /** A new migration: enqueue one message with `run`, delivered at `notBefore`. */
  | { kind: 'queued'; status: MigrationStatus; run: RunKey; notBefore: Date }
  /** Merged into the pending migration: its message, already scheduled, stands. Enqueue nothing. */
  | { kind: 'merged'; status: MigrationStatus }
  /** The user is InProgress: the request is kept as the follow-up, queued when the run finishes. */
  | { kind: 'followUpRecorded'; status: MigrationStatus };

function freshPending(
  base: { userId: string; userPrincipalName: string },
  selection: MeetingTypeSelection,
  triggers: readonly MigrationTrigger[],
  correlationId: string,
  notBefore: Date,
  now: Date,
): MigrationStatus {
  const first = triggers[0];
  if (first === undefined) throw new RangeError('a migration needs at least one trigger');
  const nowIso = now.toISOString();
  const status: MigrationStatus = {
    userId: base.userId,
    userPrincipalName: base.userPrincipalName,
    state: 'Pending',
    migrationType: migrationTypeFor(selection.sourceMeetingType, selection.targetMeetingType),
    retryCount: 0,
    lastMessage: '',
    totalMeeting: 0,
    succeededMeeting: 0,
    failedMeeting: 0,
    invitesUpdate: 0,
    correlationId,
    createDate: nowIso,
    modifiedDate: nowIso,
    trigger: first,
    triggers: [...new Set(triggers)],
    sourceMeetingType: selection.sourceMeetingType,
    targetMeetingType: selection.targetMeetingType,
    notBefore: notBefore.toISOString(),
    startDate: null,
    endDate: null,
    skippedMeeting: 0,
    skipReasons: emptySkipReasons(),
    failureCodes: {},
    progress: null,
    lastMessageCode: 'queued',
    followUp: null,
  };
  return withMessage(status, lastMessageFor({ code: 'queued', trigger: first, notBefore }));
}

function addTrigger(triggers: readonly MigrationTrigger[], t: MigrationTrigger): MigrationTrigger[] {
  return triggers.includes(t) ? [...triggers] : [...triggers, t];
}

function selectionOf(s: { sourceMeetingType: SourceMeetingType; targetMeetingType: TargetMeetingType }) {
  return { sourceMeetingType: s.sourceMeetingType, targetMeetingType: s.targetMeetingType };
}

/**
 * Records a request for a migration (a trigger, or an admin's start). Bursts collapse: a request for a user who
 * is already Pending merges into that migration (the broader migration type wins, the scheduled time stays); a
 * request while InProgress becomes the one follow-up. A user Pending for a retry gets a fresh migration instead
 * (sooner, retry count reset): the retry's message then finds a different run and is dropped as stale.
 */
export function requestMigration(
  current: MigrationStatus | null,
  request: MigrationRequest,
  now: Date,
): RequestOutcome {
  if (current !== null && current.userId !== request.userId) {
    throw new StatusTransitionError(
      current.state,
      'request',
      `record of ${current.userId}, request for ${request.userId}`,
    );
  }
  if (!Number.isFinite(request.delayMs) || request.delayMs < 0) {
    throw new RangeError(`delayMs must be >= 0, got ${request.delayMs}`);
  }
  const notBefore = new Date(now.getTime() + request.delayMs);
  const requested = selectionOf(request);

  if (current === null || current.state === 'Succeeded' || current.state === 'Failed') {
    const status = freshPending(request, requested, [request.trigger], request.correlationId, notBefore, now);
    return { kind: 'queued', status, run: runKeyOf(status), notBefore };
  }

  if (current.state === 'Pending' && current.retryCount > 0) {
    const selection = mergeMeetingTypeSelections(selectionOf(current), requested);
    const triggers = addTrigger(current.triggers, request.trigger);
    const status = freshPending(request, selection, triggers, request.correlationId, notBefore, now);
    return { kind: 'queued', status, run: runKeyOf(status), notBefore };
  }

  if (current.state === 'Pending') {
    const selection = mergeMeetingTypeSelections(selectionOf(current), requested);
    const migrationType = migrationTypeFor(selection.sourceMeetingType, selection.targetMeetingType);
    const scheduled = current.notBefore === null ? notBefore : new Date(current.notBefore);
    const status: MigrationStatus = {
      ...current,
      ...selection,
      userPrincipalName: request.userPrincipalName,
      migrationType,
      triggers: addTrigger(current.triggers, request.trigger),
      notBefore: scheduled.toISOString(),
      modifiedDate: now.toISOString(),
    };
    return {
      kind: 'merged',
      status: withMessage(
        status,
        lastMessageFor({ code: 'merged', trigger: request.trigger, migrationType, notBefore: scheduled }),
      ),
    };
  }

  // InProgress: one follow-up, merged with any earlier one.
  const prior = current.followUp;
  const followUp: FollowUp =
    prior === null
      ? {
          ...requested,
          triggers: [request.trigger],
          correlationId: request.correlationId,
          notBefore: notBefore.toISOString(),
        }
      : {
          ...mergeMeetingTypeSelections(selectionOf(prior), requested),
          triggers: addTrigger(prior.triggers, request.trigger),
          correlationId: prior.correlationId,
          notBefore: prior.notBefore,
        };
  const status: MigrationStatus = {
    ...current,
    userPrincipalName: request.userPrincipalName,
    followUp,
    modifiedDate: now.toISOString(),
  };
  return {
    kind: 'followUpRecorded',
    status: withMessage(status, lastMessageFor({ code: 'followUpQueued', trigger: request.trigger })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Start

export type StartOutcome =
  /** Pending → InProgress: run the migration. */
  | { kind: 'start'; status: MigrationStatus }
  /** Already InProgress with this run: a redelivery after a worker died; run it again (idempotently). */
  | { kind: 'resume'; status: MigrationStatus }
  /** Not the current run (a duplicate, or superseded): complete the message and do nothing. */
  | { kind: 'stale'; reason: string };

/** A worker received the message of run `key`. */
export function startMigration(current: MigrationStatus | null, key: RunKey, now: Date): StartOutcome {
  if (current === null) return { kind: 'stale', reason: 'no migration was requested for this user' };
  if (!sameRun(current, key)) {
    return {
      kind: 'stale',
      reason: `the current migration is ${current.correlationId} attempt ${current.retryCount + 1}, not ${key.correlationId} attempt ${key.retryCount + 1}`,
    };
  }
  if (current.state === 'InProgress') {
    return { kind: 'resume', status: { ...current, modifiedDate: now.toISOString() } };
  }
  if (current.state !== 'Pending') {
    return { kind: 'stale', reason: `this migration already ended ${current.state}` };
  }
  const status: MigrationStatus = {
    ...current,
    state: 'InProgress',
    notBefore: null,
    startDate: now.toISOString(),
    progress: { discoveredMeeting: 0, processedMeeting: 0 },
    modifiedDate: now.toISOString(),
  };
  return {
    kind: 'start',
    status: withMessage(
      status,
      lastMessageFor({ code: 'running', startedAt: now, attempt: current.retryCount + 1 }),
    ),
  };
}

function requireRunning(current: MigrationStatus | null, key: RunKey, transition: string): MigrationStatus {
  if (current === null) throw new StatusTransitionError(null, transition, 'no record');
  if (current.state !== 'InProgress') {
    throw new StatusTransitionError(current.state, transition, 'only a running migration can do this');
  }
  if (!sameRun(current, key)) {
    throw new StatusTransitionError(
      current.state,
      transition,
      `run ${key.correlationId}/${key.retryCount} is not the current run ${current.correlationId}/${current.retryCount}`,
    );
  }
  return current;
}

/** Progress of the running migration. */
export function recordProgress(
  current: MigrationStatus | null,
  key: RunKey,
  progress: { discoveredMeeting: number; processedMeeting: number },
  now: Date,
): MigrationStatus {
  const running = requireRunning(current, key, 'progress');
  return { ...running, progress: { ...progress }, modifiedDate: now.toISOString() };
}

// ---------------------------------------------------------------------------------------------------------------
// Finish

export type RunResult =
  /** The run went through every meeting (some may have failed). */
  | { kind: 'completed'; counts: RunCounts }
  /** The run stopped for the whole user. `retryAfterMs`: a wait the server asked for. */
  | { kind: 'userError'; code: UserErrorCode; detail?: string; retryAfterMs?: number };

export interface FinishOutcome {
  status: MigrationStatus;
  /** A run to enqueue (message with `run`, delivered at `notBefore`), or null. */
  next: { kind: 'retry' | 'followUp'; run: RunKey; notBefore: Date } | null;
}

function applyCounts(status: MigrationStatus, counts: RunCounts): MigrationStatus {
  return {
    ...status,
    totalMeeting: counts.totalMeeting,
    succeededMeeting: counts.succeededMeeting,
    failedMeeting: counts.failedMeeting,
    invitesUpdate: status.invitesUpdate + counts.invitesUpdate,
    skippedMeeting: counts.skippedMeeting,
    skipReasons: Object.fromEntries(SKIP_REASON_CODES.map((r) => [r, counts.skipReasons[r] ?? 0])),
    failureCodes: { ...counts.failureCodes },
  };
}

/**
 * The running migration finished: Succeeded when no meeting failed; otherwise a retry with backoff while the
 * cause is retryable and retries remain (`maxRetries`, MIGRATION_MAX_RETRIES), else Failed with a lastMessage the
 * admin can act on. A follow-up recorded during the run takes precedence over a retry: it starts a fresh
 * migration that also covers what this one was asked to do when this one failed for a retryable cause.
 */
export function finishMigration(
  current: MigrationStatus | null,
  key: RunKey,
  result: RunResult,
  now: Date,
  options: { maxRetries: number },
): FinishOutcome {
  const running = requireRunning(current, key, 'finish');
  const nowIso = now.toISOString();
  let status: MigrationStatus = { ...running, progress: null, modifiedDate: nowIso };
  let cause: FailureCause | null = null;
  let retryable = false;
  let retryAfterMs: number | undefined;

  if (result.kind === 'completed') {
    status = applyCounts(status, result.counts);
    if (result.counts.failedMeeting > 0) {
      cause = {
        kind: 'meetingsFailed',
        failedMeeting: result.counts.failedMeeting,
        totalMeeting: result.counts.totalMeeting,
        failureCodes: result.counts.failureCodes,
      };
      retryable = true;
    }
  } else {
    cause = {
      kind: 'userError',
      code: result.code,
      migrationType: running.migrationType,
      ...(result.detail !== undefined ? { detail: result.detail } : {}),
    };
    retryable = LAST_MESSAGES[result.code].retryable === true;
    retryAfterMs = result.retryAfterMs;
  }

  const followUp = running.followUp;
  if (followUp !== null) {
    const selection =
      cause !== null && retryable
        ? mergeMeetingTypeSelections(selectionOf(running), selectionOf(followUp))
        : selectionOf(followUp);
    const at = new Date(Math.max(new Date(followUp.notBefore).getTime(), now.getTime()));
    const triggers =
      cause !== null && retryable ? [...followUp.triggers, ...running.triggers] : followUp.triggers;
    const next = freshPending(status, selection, triggers, followUp.correlationId, at, now);
    return { status: next, next: { kind: 'followUp', run: runKeyOf(next), notBefore: at } };
  }

  if (cause === null) {
    const done: MigrationStatus = { ...status, state: 'Succeeded', notBefore: null, endDate: nowIso };
    // The message counts the updates sent over all attempts of this migration.
    const counts: RunCounts = { ...done, skipReasons: done.skipReasons, failureCodes: done.failureCodes };
    return { status: withMessage(done, lastMessageFor({ code: 'succeeded', counts })), next: null };
  }

  const delay = retryable ? retryDelayHonouring(running.retryCount, options.maxRetries, retryAfterMs) : null;
  if (delay === null) {
    const failed: MigrationStatus = { ...status, state: 'Failed', notBefore: null, endDate: nowIso };
    const ctx = { user: running.userPrincipalName || running.userId, correlationId: running.correlationId };
    const message = retryable
      ? lastMessageFor({ code: 'failedAfterRetries', cause, retries: running.retryCount, ...ctx })
      : lastMessageFor({ code: 'failed', cause, ...ctx });
    return { status: withMessage(failed, message), next: null };
  }

  const notBefore = new Date(now.getTime() + delay);
  const retry: MigrationStatus = {
    ...status,
    state: 'Pending',
    retryCount: running.retryCount + 1,
    notBefore: notBefore.toISOString(),
  };
  return {
    status: withMessage(
      retry,
      lastMessageFor({
        code: 'retryScheduled',
        cause,
        retry: retry.retryCount,
        maxRetries: options.maxRetries,
        notBefore,
      }),
    ),
    next: { kind: 'retry', run: runKeyOf(retry), notBefore },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Summary and retention

export const stateSummaryRowSchema = z.object({ state: migrationStateSchema, userCount: count });
export type StateSummaryRow = z.output<typeof stateSummaryRowSchema>;

/** `-SummaryOnly`: one row per state, in MIGRATION_STATES order, zeros included. */
export function summarizeStates(records: Iterable<{ state: MigrationState }>): StateSummaryRow[] {
  const counts: Record<MigrationState, number> = { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0 };
  for (const r of records) counts[r.state] += 1;
  return MIGRATION_STATES.map((state) => ({ state, userCount: counts[state] }));
}

/**
 * True when the record has been InProgress without a change for longer than `staleAfterMs`: its worker is gone
 * (the message was dead-lettered, the host was recycled past the lock). A sweep ends such a run with
 * `finishMigration(status, runKeyOf(status), { kind: 'userError', code: 'unexpectedError' }, ...)`, which retries
 * it (or fails it) like any other run, and starts its follow-up. Progress updates keep a live run fresh.
 */
export function isStalled(
  status: Pick<MigrationStatus, 'state' | 'modifiedDate'>,
  now: Date,
  staleAfterMs: number,
): boolean {
  return (
    status.state === 'InProgress' && now.getTime() - new Date(status.modifiedDate).getTime() > staleAfterMs
  );
}

/** The instant before which ended migrations are purged. */
export function retentionCutoff(now: Date): Date {
  return new Date(now.getTime() - RETENTION_DAYS * 24 * 60 * 60 * 1000);
}

/**
 * True when the record is older than the retention period and may be purged: it ended (Succeeded or Failed) and
 * was last modified more than 150 days before `now`. Pending and InProgress records are never purged.
 */
export function isPastRetention(status: Pick<MigrationStatus, 'state' | 'modifiedDate'>, now: Date): boolean {
  if (status.state !== 'Succeeded' && status.state !== 'Failed') return false;
  return new Date(status.modifiedDate).getTime() < retentionCutoff(now).getTime();
}

/**
 * migrateUser: one run of one user's migration, end to end (issue 3 §3; DESIGN.md "Rules the migration
 * follows"). Called by functions/migrate-user.ts for each message of the meeting-migrations queue (one session
 * per user, so one run per user at a time).
 *
 *   const result = await migrateUser(deps, { userId, run, deliveryCount, maxDeliveryCount: MIGRATION_QUEUE_MAX_DELIVERY });
 *
 * 1. Start: the status record's state machine (startMigration) decides. A message that is not the record's
 *    current run (correlationId + retryCount) is stale, and so is a run that already ended: nothing is done,
 *    except that when the record waits (Pending) for another run, that run's message is sent again (idempotent:
 *    it may be the one a worker failed to send after writing the record). A redelivery of the current
 *    InProgress run (the worker died) resumes it. While it runs, the worker renews the record's heartbeat
 *    (run-lifecycle.ts); when the heartbeat is refused (the run was taken over) the worker stops.
 * 2. User checks (meeting-plan.ts prepareUser): unknown user → userNotFound; a migration that converts Skype
 *    meetings to Teams for a user without the Teams service plan → teamsNotLicensed; mailbox not in Exchange
 *    Online → mailboxOnPremises / mailboxNotFound. Each ends the run through finishMigration (Failed, or a retry
 *    when the cause is retryable) with the catalogue's lastMessage.
 * 3. Meetings: the user's future organized meetings, as the listing hands them out (memory: two pages). Per
 *    meeting: find the block, build what the new block shows (profile + bridge), render it in the organizer's
 *    language, take its fingerprint, classify (eligibility.ts), then update: ledger `pending` (with the
 *    fingerprint), PATCH body + marker, ledger `updated`. A Skype meeting the migration moves to Teams, and a
 *    meeting converted earlier, get their Teams block from Teams instead (teams-conversion.ts), once they are
 *    classified for an update. Four meetings per mailbox slot are in preparation (meeting-pipeline.ts); the Graph
 *    client keeps the mailbox within 4 requests, honours Retry-After and retries transient errors.
 * 4. Exactly once: a meeting whose marker already holds the fingerprint is not PATCHed again. If the ledger
 *    says this migration (same correlationId) sent it (pending/updated with that fingerprint) it counts as
 *    succeeded, and its invite counts in invitesUpdate when it was this very run (same retryCount) that sent it
 *    (a worker that died half-way never reported it); otherwise it is skipped `upToDate`.
 * 5. Finish: ONE etag-guarded write of finishMigration's outcome (Succeeded, a retry at notBefore, the
 *    follow-up, or Failed), THEN the send of the next run's message (its id derived from the run). If the send
 *    fails, the message is redelivered, finds the record Pending for the next run and sends it again; the sweep
 *    does the same when every delivery is gone.
 * 6. Unexpected errors (storage down, Graph 5xx on the listing after retries) throw, so the queue redelivers the
 *    message; on the last delivery (`deliveryCount >= maxDeliveryCount`) the run is finished instead with
 *    `unexpectedError` (a retry with backoff, then Failed), so a user is never left InProgress.
 */
import pLimit from 'p-limit';
import type { Config } from '../config';
import type { SkipReason } from '../domain/eligibility';
import type { RunCounts, UserErrorCode } from '../domain/last-message';
import { MeetingBlockRenderError } from '../domain/meeting-block';
import {
  finishMigration,
  recordHeartbeat,
  recordProgress,
  startMigration,
  StatusTransitionError,
  takeOverStalled,
  type FinishOutcome,
  type MigrationStatus,
  type RunKey,
  type RunResult,
  type StartOutcome,
} from '../domain/status';
import { DEFAULT_PAGE_SIZE } from '../graph/calendar';
import { GraphContractError, GraphRequestError } from '../graph/errors';
import type {
  CalendarGateway,
  DirectoryGateway,
  MeetingEvent,
  OnlineMeetingsGateway,
  UpdatedEvent,
} from '../graph/ports';
import { bodyOf, validateReceived } from '../queue/messages';
import { QUEUE_PROPERTIES, QUEUES, type QueuePublisher, type ReceivedMessage } from '../queue/port';
import type { Repositories } from '../storage/repositories';
import type { LedgerEntry } from '../storage/repositories/ledger-repository';
import { utcDateTimeToEpoch } from './meeting-refresh';
import { planMeeting, prepareUser, userStopOf, type UserPlanContext } from './meeting-plan';
import { GroupCommitWriter, LatestWriter, prefetch, startedWith } from './meeting-pipeline';
import { migrationMessage, runKeyOfMessage } from './migration-messages';
import { HEARTBEAT_INTERVAL_MS, isOverdue, sendPendingRun, STALLED_AFTER_MS } from './run-lifecycle';
import {
  convertToTeams,
  refreshFromTeams,
  seriesAnchor,
  teamsBlockIsCurrent,
  TEAMS_MEETING_ERROR_CODES,
  type TeamsBlockContext,
  type TeamsLedgerFields,
} from './teams-conversion';
import { getInfrastructure, type Infrastructure } from './infrastructure';

/** Service Bus maxDeliveryCount of the meeting-migrations queue (one source: QUEUE_PROPERTIES). */
export const MIGRATION_QUEUE_MAX_DELIVERY = QUEUE_PROPERTIES[QUEUES.meetingMigrations].maxDeliveryCount;

/**
 * Per-meeting failure codes (the ledger's `errorCode`, the status record's `failureCodes`). docs/status-codes.md
 * lists them.
 */
export const MEETING_ERROR_CODES = {
  graphThrottled:
    'Microsoft Graph kept throttling the update (429/503) after the retries; the user is retried later.',
  graphUnavailable: 'Microsoft Graph did not answer the update (5xx or network failure) after the retries.',
  graphForbidden:
    'Microsoft Graph refused the update (403): the app lacks Calendars.ReadWrite for this mailbox.',
  graphRejected:
    'Microsoft Graph rejected the update (4xx), e.g. a body over the size limit or an item that cannot be changed.',
  graphContractError: 'Microsoft Graph answered with a shape the service cannot rely on.',
  renderError:
    "The new block could not be built from the meeting's join link and the user's dial-in data (see errorMessage).",
  onlineMeetingLost:
    'Graph answered the update with the meeting no longer an online meeting (Exchange disables one whose body ' +
    'loses its meeting blob): the organizer must re-add the Teams meeting in Outlook.',
  ...TEAMS_MEETING_ERROR_CODES,
} as const;
export type MeetingErrorCode = keyof typeof MEETING_ERROR_CODES;

export interface MigrateUserDeps {
  repositories: Pick<Repositories, 'status' | 'ledger' | 'profiles' | 'bridges' | 'settings'>;
  graph: {
    directory: Pick<DirectoryGateway, 'getUser' | 'checkMailbox' | 'isDeletedUser'>;
    calendar: CalendarGateway;
    onlineMeetings: OnlineMeetingsGateway;
  };
  queue: () => QueuePublisher;
  clock: () => Date;
  config: Pick<Config, 'migrationMaxRetries' | 'mailboxConcurrency'>;
  log?: (message: string, data?: Record<string, unknown>) => void;
  /** Meetings per listing page (default: the gateway's, 50). */
  pageSize?: number;
  /** How often the running worker renews its heartbeat (default HEARTBEAT_INTERVAL_MS). */
  heartbeatIntervalMs?: number;
}

/** The worker's dependencies from the process-wide infrastructure (what the queue and timer functions use). */
export function migrateUserDeps(
  log: MigrateUserDeps['log'],
  infra: Infrastructure = getInfrastructure(),
): MigrateUserDeps {
  return {
    repositories: infra.repositories,
    graph: infra.graph,
    queue: infra.queue,
    clock: infra.clock,
    config: infra.config,
    ...(log !== undefined ? { log } : {}),
  };
}

export interface MigrateUserInput {
  userId: string;
  /** The run the message stands for (runKeyOfMessage). */
  run: RunKey;
  /** 1 on first delivery. */
  deliveryCount: number;
  /** The queue's maxDeliveryCount (default MIGRATION_QUEUE_MAX_DELIVERY). */
  maxDeliveryCount?: number;
}

export type MigrateUserResult =
  | { kind: 'stale'; reason: string }
  | {
      kind: 'finished';
      status: MigrationStatus;
      result: RunResult;
      /** The message enqueued for the next run (retry or follow-up), if any. */
      next: FinishOutcome['next'];
    };

class RunSuperseded extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Teams refused the user altogether while a meeting was being converted: the run stops with this user error. */
class TeamsRunStop extends Error {
  constructor(
    readonly code: UserErrorCode,
    readonly detail: string,
  ) {
    super(code);
  }
}

/** Counts of one run, kept while the pages go by. */
class Tally {
  total = 0;
  succeeded = 0;
  failed = 0;
  invites = 0;
  skipped = 0;
  readonly skipReasons: Partial<Record<SkipReason, number>> = {};
  readonly failureCodes: Record<string, number> = {};

  skip(reason: SkipReason): void {
    this.total += 1;
    this.skipped += 1;
    this.skipReasons[reason] = (this.skipReasons[reason] ?? 0) + 1;
  }
  succeed(invite: boolean): void {
    this.total += 1;
    this.succeeded += 1;
    if (invite) this.invites += 1;
  }
  fail(code: string): void {
    this.total += 1;
    this.failed += 1;
    this.failureCodes[code] = (this.failureCodes[code] ?? 0) + 1;
  }
  counts(): RunCounts {
    return {
      totalMeeting: this.total,
      succeededMeeting: this.succeeded,
      failedMeeting: this.failed,
      invitesUpdate: this.invites,
      skippedMeeting: this.skipped,
      skipReasons: { ...this.skipReasons },
      failureCodes: { ...this.failureCodes },
    };
  }
}

function meetingErrorCode(e: unknown): MeetingErrorCode | null {
  if (e instanceof GraphRequestError) {
    if (e.throttled) return 'graphThrottled';
    if (e.status === 0 || e.status >= 500) return 'graphUnavailable';
    if (e.forbidden) return 'graphForbidden';
    return 'graphRejected';
  }
  if (e instanceof GraphContractError) return 'graphContractError';
  if (e instanceof MeetingBlockRenderError) return 'renderError';
  return null;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export { unreachableMailboxCause } from './meeting-plan';

interface UserContext extends UserPlanContext {
  run: RunKey;
  status: MigrationStatus;
  /** What the Teams side needs (conversion, blocks read from Teams). */
  teams: TeamsBlockContext;
}

export async function migrateUser(
  deps: MigrateUserDeps,
  input: MigrateUserInput,
): Promise<MigrateUserResult> {
  const { repositories: repos } = deps;
  const log = deps.log ?? (() => undefined);
  const { userId, run } = input;

  // 1. Start (or resume) the run.
  let started: StartOutcome | undefined;
  const current = await repos.status.mutate(
    userId,
    (current) => {
      started = startMigration(current, run, deps.clock());
      return started.kind === 'stale' ? undefined : started.status;
    },
    { create: false },
  );
  if (started === undefined) return { kind: 'stale', reason: 'no migration was requested for this user' };
  if (started.kind === 'stale') {
    log('migrateUser: stale message ignored', { userId, ...run, reason: started.reason });
    // The record may wait for a run whose message was never sent (its writer died or its send failed).
    if (current !== null && current.state === 'Pending')
      await sendPendingRun(deps.queue(), current, deps.clock());
    return { kind: 'stale', reason: started.reason };
  }
  const status = started.status;
  log(`migrateUser: ${started.kind === 'start' ? 'started' : 'resumed'}`, { userId, ...run });
  // The user's list of migrations, so that this one's results can be asked for after later ones: written beside
  // the run's first requests, and stored before the run ends (a failure fails the run like any storage failure).
  const recorded = repos.ledger.recordRun(userId, run.correlationId, deps.clock());
  recorded.catch(() => undefined);

  // 2–3. Run it, renewing the heartbeat meanwhile.
  const heartbeat = new Heartbeat(deps, userId, run);
  let result: RunResult;
  try {
    result = await runMigration(deps, status, run, heartbeat);
    await recorded;
  } catch (e) {
    if (e instanceof RunSuperseded) return { kind: 'stale', reason: e.reason };
    const max = input.maxDeliveryCount ?? MIGRATION_QUEUE_MAX_DELIVERY;
    if (input.deliveryCount < max) throw e;
    log('migrateUser: last delivery failed; ending the run', { userId, error: errorText(e) });
    result = { kind: 'userError', code: 'unexpectedError', detail: errorText(e).slice(0, 300) };
  } finally {
    heartbeat.stop();
    await recorded.catch(() => undefined);
  }
  if (heartbeat.superseded !== null) return { kind: 'stale', reason: heartbeat.superseded };

  // 5. Finish: one write, then the next run's message.
  return finish(deps, userId, run, result);
}

/**
 * Renews the record's heartbeat while the run works. When the write is refused because the run is no longer
 * the current one (the sweep or a request took it over), `superseded` says why and the run stops at the next
 * meeting. A failed write is only logged: the next beat tries again, and a run that cannot write for longer than
 * the stall limit is taken over, as it should be.
 */
class Heartbeat {
  superseded: string | null = null;
  private readonly timer: NodeJS.Timeout;
  private beating = false;

  constructor(
    private readonly deps: MigrateUserDeps,
    private readonly userId: string,
    private readonly run: RunKey,
  ) {
    this.timer = setInterval(() => void this.beat(), deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (this.beating || this.superseded !== null) return;
    this.beating = true;
    try {
      await this.deps.repositories.status.mutate(
        this.userId,
        (cur) => recordHeartbeat(cur, this.run, this.deps.clock()),
        { create: false },
      );
    } catch (e) {
      if (e instanceof StatusTransitionError) this.superseded = e.message;
      else
        this.deps.log?.('migrateUser: heartbeat not written', { userId: this.userId, error: errorText(e) });
    } finally {
      this.beating = false;
    }
  }

  /** Throws RunSuperseded once the run was taken over. */
  check(): void {
    if (this.superseded !== null) throw new RunSuperseded(this.superseded);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function finish(
  deps: MigrateUserDeps,
  userId: string,
  run: RunKey,
  result: RunResult,
): Promise<MigrateUserResult> {
  const repos = deps.repositories;
  const options = { maxRetries: deps.config.migrationMaxRetries };
  let outcome: FinishOutcome | undefined;
  try {
    await repos.status.mutate(
      userId,
      (cur) => {
        outcome = finishMigration(cur, run, result, deps.clock(), options);
        return outcome.status;
      },
      { create: false },
    );
  } catch (e) {
    if (e instanceof StatusTransitionError) return { kind: 'stale', reason: e.message };
    throw e;
  }
  if (outcome === undefined) return { kind: 'stale', reason: 'the status record is gone' };
  const final = outcome;
  if (final.next !== null) {
    await deps
      .queue()
      .send(
        QUEUES.meetingMigrations,
        migrationMessage(final.status, final.next.run, final.next.notBefore, deps.clock()),
      );
  }
  deps.log?.('migrateUser: finished', {
    userId,
    state: final.status.state,
    lastMessage: final.status.lastMessage,
  });
  return { kind: 'finished', status: final.status, result, next: final.next };
}

function userError(code: UserErrorCode, detail?: string): RunResult {
  return { kind: 'userError', code, ...(detail !== undefined ? { detail } : {}) };
}

async function runMigration(
  deps: MigrateUserDeps,
  status: MigrationStatus,
  run: RunKey,
  heartbeat: Heartbeat,
): Promise<RunResult> {
  const userId = status.userId;
  const now = deps.clock();
  // The first listing page is asked for beside the user checks (a read, dropped if the checks stop the run), so
  // the mailbox's slots are busy from the run's first round trip.
  const listing = prefetch(
    deps.graph.calendar.listOrganizedFutureMeetings(userId, {
      now,
      ...(deps.pageSize !== undefined ? { pageSize: deps.pageSize } : {}),
    }),
  );
  const firstPage = listing.next();
  firstPage.catch(() => undefined);
  const dropListing = async () => {
    await firstPage.catch(() => undefined);
    await listing.return(undefined);
  };
  let prepared: Awaited<ReturnType<typeof prepareUser>>;
  let conversionSettings: Awaited<ReturnType<typeof deps.repositories.settings.getTeamsConversion>>;
  try {
    [prepared, conversionSettings] = await Promise.all([
      prepareUser(deps, {
        userId,
        sourceMeetingType: status.sourceMeetingType,
        migrationType: status.migrationType,
        now,
      }),
      deps.repositories.settings.getTeamsConversion(),
    ]);
  } catch (e) {
    await dropListing();
    throw e;
  }
  if (prepared.kind === 'userError') {
    await dropListing();
    return prepared;
  }
  const plan = prepared.context;
  const ctx: UserContext = {
    ...plan,
    run,
    status,
    teams: {
      userId,
      locale: plan.locale,
      profile: plan.profile,
      bridge: plan.bridge,
      now: plan.now,
      teamsLicensed: plan.teamsLicensed,
      fallbackToStoredProfile: conversionSettings.teamsDialInFromStoredProfile,
      series: new Map(),
    },
  };

  // The pipeline (meeting-pipeline.ts): the listing sends the requests that decide a page's meetings as soon as the
  // page is there, the next page's included; more meetings are in preparation than the mailbox has Graph slots (the
  // Graph client keeps the mailbox within 4 requests), so a slot freed by one meeting's PATCH is taken by another
  // while the first writes its ledger row; ledger rows are written in entity group transactions, the rows that only
  // record an outcome riding along with the next `pending` row; progress is written in the background.
  const tally = new Tally();
  const ledger = new GroupCommitWriter<LedgerEntry>(
    (rows) => deps.repositories.ledger.upsertMany(userId, rows),
    (row) => row.eventId,
  );
  const progress = new LatestWriter<NonNullable<MigrationStatus['progress']>>((p) =>
    writeProgress(deps, userId, run, p),
  );
  const limit = pLimit(deps.config.mailboxConcurrency * PREPARATION_PER_SLOT);
  // Memory: the meetings handed out and not done yet are at most two listing pages' worth (and the listing holds
  // the page it hands out and the next). Counted in meetings, not in what the listing hands out at once, so a small
  // part never keeps the next from starting while the slots run dry.
  const maxInWorks = 2 * (deps.pageSize ?? DEFAULT_PAGE_SIZE);
  const pages = new Set<Promise<void>>();
  let inWorks = 0;
  let failure: { e: unknown } | null = null;
  let discovered = 0;
  const stopped = () => failure !== null || progress.failure !== null;
  try {
    for await (const page of startedWith(firstPage, listing)) {
      if (stopped()) break;
      const meetings = page.filter((e) => e.type !== 'occurrence');
      discovered += meetings.length;
      // A series' exceptions come in a later page: they use their master's Teams meeting.
      for (const e of meetings) if (e.type === 'seriesMaster') ctx.teams.series.set(e.id, seriesAnchor(e));
      inWorks += meetings.length;
      const done: Promise<void> = Promise.all(
        meetings.map((event) =>
          limit(async () => {
            if (stopped()) return;
            try {
              heartbeat.check();
              await migrateMeeting(deps, ctx, event, tally, ledger);
            } catch (e) {
              failure ??= { e };
            }
          }),
        ),
      ).then(() => {
        inWorks -= meetings.length;
        pages.delete(done);
        progress.offer({
          discoveredMeeting: discovered,
          processedMeeting: tally.total,
          succeededMeeting: tally.succeeded,
          failedMeeting: tally.failed,
          skippedMeeting: tally.skipped,
          invitesUpdate: tally.invites,
        });
      });
      pages.add(done);
      while (inWorks >= maxInWorks) await Promise.race(pages);
    }
  } catch (e) {
    failure ??= { e };
  }
  // Nothing of this run may still be writing when it ends: wait for every meeting, row and progress write.
  await Promise.all(pages);
  // The progress not written yet is moot: the run's end replaces it (finishMigration clears it). The write under
  // way, if any, ends beside the ledger's last rows.
  progress.dropPending();
  const [flushed] = await Promise.allSettled([ledger.flush(), progress.idle()]);
  if (flushed.status === 'rejected') failure ??= { e: flushed.reason };
  if (progress.failure !== null) {
    const e = progress.failure.e;
    if (e instanceof StatusTransitionError) throw new RunSuperseded(e.message);
    failure ??= { e };
  }
  if (failure !== null) {
    if (failure.e instanceof TeamsRunStop) return userError(failure.e.code, failure.e.detail);
    const stop = userStopOf(failure.e);
    if (stop) return stop;
    throw failure.e;
  }
  return { kind: 'completed', counts: tally.counts() };
}

/**
 * Meetings in preparation per Graph slot of the mailbox: while one meeting's PATCH holds a slot, others render
 * their block and write their ledger row, so a freed slot finds a meeting ready.
 */
export const PREPARATION_PER_SLOT = 4;

async function writeProgress(
  deps: MigrateUserDeps,
  userId: string,
  run: RunKey,
  counts: NonNullable<MigrationStatus['progress']>,
): Promise<void> {
  await deps.repositories.status.mutate(userId, (cur) => recordProgress(cur, run, counts, deps.clock()), {
    create: false,
  });
}

async function migrateMeeting(
  deps: MigrateUserDeps,
  ctx: UserContext,
  event: MeetingEvent,
  tally: Tally,
  rows: GroupCommitWriter<LedgerEntry>,
): Promise<void> {
  const ledger = deps.repositories.ledger;
  const body = event.body;
  const plan = planMeeting(ctx, event);
  const { block, renderError, teamsRoute } = plan;
  let { rendered, decision } = plan;
  const startMs = utcDateTimeToEpoch(event.start.dateTime);
  const base = {
    userId: ctx.userId,
    eventId: event.id,
    ...(event.seriesMasterId !== null ? { seriesMasterId: event.seriesMasterId } : {}),
    eventType: event.type,
    subject: event.subject.slice(0, 1000),
    start: Number.isNaN(startMs) ? event.start.dateTime : new Date(startMs).toISOString(),
    ...(event.nextOccurrence !== undefined ? { nextOccurrence: event.nextOccurrence } : {}),
    blockKind: block?.kind ?? ('none' as const),
    correlationId: ctx.run.correlationId,
    retryCount: ctx.run.retryCount,
  };
  let teamsFields: TeamsLedgerFields = {};
  const row = (entry: Omit<LedgerEntry, keyof typeof base | 'at'> & Partial<LedgerEntry>): LedgerEntry => ({
    ...base,
    ...teamsFields,
    ...entry,
    at: deps.clock().toISOString(),
  });
  // Rows that only record what happened are written behind (the run flushes them before it ends); a worker that
  // dies first leaves the `pending` row, which, with the event's marker, tells the next attempt what was sent.
  const record = (entry: Parameters<typeof row>[0]) => rows.defer(row(entry));

  // A block Teams gives (a Skype meeting converted now, a Teams block refreshed from its Teams meeting) is asked
  // for only once the meeting is classified for an update; its fingerprint then says whether it is current.
  if (teamsRoute !== null && block !== null && decision.action === 'update') {
    let out;
    try {
      out =
        teamsRoute === 'convert'
          ? await convertToTeams(deps.graph, ctx.teams, event)
          : await refreshFromTeams(deps.graph, ctx.teams, event, block);
    } catch (e) {
      if (!(e instanceof MeetingBlockRenderError)) throw e;
      out = { kind: 'meetingFailed' as const, code: 'renderError' as const, message: errorText(e) };
    }
    if (out.kind === 'userError') throw new TeamsRunStop(out.code, out.detail);
    if (out.kind === 'meetingFailed') {
      record({ outcome: 'failed', errorCode: out.code, errorMessage: out.message });
      tally.fail(out.code);
      return;
    }
    teamsFields = out.ledger;
    rendered = { block: out.block, fingerprint: out.fingerprint };
    if (teamsBlockIsCurrent(event, block, rendered)) decision = { action: 'skip', reason: 'upToDate' };
  }

  if (decision.action === 'skip') {
    if (decision.reason === 'upToDate' && rendered !== null) {
      const prior = await ledger.get(ctx.userId, event.id);
      if (
        prior !== null &&
        prior.correlationId === ctx.run.correlationId &&
        prior.outcome !== 'skipped' &&
        prior.fingerprint === rendered.fingerprint
      ) {
        // This migration sent it already (an earlier attempt, or this run before its worker died; a `failed`
        // row with this fingerprint is an ambiguous failure whose PATCH did land: the marker proves it).
        if (prior.outcome !== 'updated') {
          rows.defer({ ...prior, outcome: 'updated', at: deps.clock().toISOString() });
        }
        // Its update was sent once, by this migration: it counts in invitesUpdate, which covers the whole
        // migration (finishMigration takes this run's count as the migration's).
        tally.succeed(true);
        return;
      }
      record({ outcome: 'skipped', reason: 'upToDate', fingerprint: rendered.fingerprint });
      tally.skip('upToDate');
      return;
    }
    record({ outcome: 'skipped', reason: decision.reason });
    tally.skip(decision.reason);
    return;
  }

  if (rendered === null || block === null) {
    const message = renderError !== null ? errorText(renderError) : 'no block could be rendered';
    record({ outcome: 'failed', errorCode: 'renderError', errorMessage: message });
    tally.fail('renderError');
    return;
  }

  // Write-ahead: the ledger knows what is about to be sent before it is sent. This row is durable (its
  // transaction committed) before the PATCH leaves.
  await rows.write(row({ outcome: 'pending', fingerprint: rendered.fingerprint }));
  // The block found above, replaced in place: every character outside it kept, and the body not parsed again
  // (what replaceOnlineMeetingBlock would do, without its second pass over the body).
  const content = body.content.slice(0, block.start) + rendered.block + body.content.slice(block.end);
  let updated: UpdatedEvent;
  try {
    updated = await deps.graph.calendar.updateEventBody(ctx.userId, event.id, {
      body: { contentType: body.contentType, content },
      marker: rendered.fingerprint,
    });
  } catch (e) {
    const code = meetingErrorCode(e);
    if (code === null) throw e;
    if (e instanceof GraphRequestError && e.status === 404) {
      // Deleted between the listing and the update: not a meeting any more.
      record({
        outcome: 'skipped',
        reason: 'cancelled',
        errorMessage: 'The meeting was deleted during the migration.',
      });
      tally.skip('cancelled');
      return;
    }
    record({
      outcome: 'failed',
      errorCode: code,
      errorMessage: errorText(e),
      fingerprint: rendered.fingerprint,
    });
    tally.fail(code);
    return;
  }
  if (event.isOnlineMeeting && updated.isOnlineMeeting === false) {
    // The update landed (attendees got it), but Exchange no longer treats the event as an online meeting.
    record({
      outcome: 'failed',
      errorCode: 'onlineMeetingLost',
      errorMessage:
        'The update was sent, but Microsoft Graph now reports the event as not an online meeting ' +
        '(isOnlineMeeting false): its join link no longer works from the calendar. Have the organizer open the ' +
        'meeting in Outlook and add the Teams meeting again.',
      fingerprint: rendered.fingerprint,
    });
    tally.fail('onlineMeetingLost');
    return;
  }
  record({ outcome: 'updated', fingerprint: rendered.fingerprint });
  tally.succeed(true);
}

// ---------------------------------------------------------------------------------------------------------
// Queue message entry point

export { STALLED_AFTER_MS };

export interface SweepReport {
  inProgress: number;
  /** Users whose stalled run was taken over (a new attempt now) or ended (retries exhausted). */
  ended: string[];
  /** Pending users whose overdue run's message was sent again. */
  resent: string[];
}

/**
 * The sweep (sweepStalledMigrations timer, every 5 minutes): no user stays InProgress without a worker, or
 * Pending without a message.
 * - InProgress with a heartbeat older than `stalledAfterMs` (the queue's lock plus a margin): the run is taken
 *   over, a new attempt of the same migration due now (or, retries exhausted, it ends), and its message sent.
 * - Pending whose time passed more than OVERDUE_AFTER_MS ago: its run's message is sent again (idempotent).
 * One user's failure does not stop the sweep; it is logged and the next sweep tries again.
 */
export async function sweepStalledMigrations(
  deps: MigrateUserDeps,
  stalledAfterMs: number = STALLED_AFTER_MS,
): Promise<SweepReport> {
  const now = deps.clock();
  const report: SweepReport = { inProgress: 0, ended: [], resent: [] };
  const options = { maxRetries: deps.config.migrationMaxRetries, stalledAfterMs };
  for await (const status of deps.repositories.status.all()) {
    try {
      if (status.state === 'InProgress') {
        report.inProgress++;
        let swept: ReturnType<typeof takeOverStalled> = null;
        const stored = await deps.repositories.status.mutate(
          status.userId,
          (cur) => {
            swept = takeOverStalled(cur, deps.clock(), options);
            return swept?.status;
          },
          { create: false },
        );
        if (swept === null || stored === null) continue;
        report.ended.push(status.userId);
        await sendPendingRun(deps.queue(), stored, deps.clock());
      } else if (isOverdue(status, now)) {
        if (await sendPendingRun(deps.queue(), status, deps.clock())) report.resent.push(status.userId);
      }
    } catch (e) {
      deps.log?.('sweepStalledMigrations: user not swept', { userId: status.userId, error: errorText(e) });
    }
  }
  return report;
}

export type MigrationMessageOutcome =
  MigrateUserResult | { kind: 'invalid'; reason: string } | { kind: 'ignored'; reason: string };

/**
 * One delivery of a meeting-migrations message: validates it with the shared schema (an invalid message is
 * reported as `invalid` without any work; the function then throws so that Service Bus dead-letters it, where it
 * stays readable), works out its run, and migrates. Throws only when the message should be redelivered.
 */
export async function handleMigrationMessage(
  deps: MigrateUserDeps,
  message: ReceivedMessage,
  options: { maxDeliveryCount?: number } = {},
): Promise<MigrationMessageOutcome> {
  const checked = validateReceived(QUEUES.meetingMigrations, message);
  if (!checked.ok) {
    deps.log?.('migrateUser: invalid message dropped', {
      messageId: message.messageId,
      error: checked.error.message,
    });
    return { kind: 'invalid', reason: checked.error.message };
  }
  const body = bodyOf(QUEUES.meetingMigrations, checked.message);
  if (body.kind !== 'migrateUser') return { kind: 'ignored', reason: `unknown message kind` };
  const run = runKeyOfMessage({ messageId: message.messageId, body: message.body });
  if (run === null) return { kind: 'invalid', reason: 'no correlationId' };
  return migrateUser(deps, {
    userId: body.userId,
    run,
    deliveryCount: message.deliveryCount,
    ...(options.maxDeliveryCount !== undefined ? { maxDeliveryCount: options.maxDeliveryCount } : {}),
  });
}

/**
 * Bulk start: `POST /api/migrations/batch` and `GET /api/migrations/batches/{batchId}`. MMS has no bulk start
 * (FastTrack scripts loop over Start-CsExMeetingMigration); here an admin starts a list of users, a group
 * (nested groups included) or every holder of a service plan in one request:
 *
 *   const answer = await startBatch(batchPorts(), { identities: ['ada@contoso.com'], groupId, servicePlanId });
 *   answer  // { batchId, accepted, rejected: [{ identity, code, message }] }
 *   await getBatch(batchPorts(), answer.batchId)  // progress by state
 *
 * 1. The request checks every identity's form (a bad one, or one given twice, is `rejected` with a code; the rest
 *    go on), reads the group's members from Graph (`/groups/{id}/transitiveMembers`, GroupMember.Read.All) and
 *    the plan's holders from the directory snapshot the service keeps (the profile table), keeps each user once,
 *    refuses more than MAX_BATCH_MEMBERS (400), stores the batch and its members, and sends the first release
 *    message. It answers 202 at once: no user is requested within the HTTP request, so 10,000 users cannot time it
 *    out.
 * 2. Each `releaseBatch` message (meeting-migrations queue, session `batch:<id>`: one step of a batch at a time)
 *    requests the migration of the next BATCH_RELEASE_SIZE members through the one request path
 *    (requestUserMigration, trigger `manualStart`), marks each member `requested` (or `rejected`: unknown user),
 *    and schedules the next step BATCH_RELEASE_INTERVAL_SECONDS later. So the queue gets the users at a steady
 *    pace (100 a minute by default) instead of 10,000 messages at once. A step that fails half-way (Graph or
 *    storage down) is redelivered and skips the members it already requested; the next step's message has a
 *    fixed messageId, so a resend is dropped as a duplicate, and a message for a step that is no longer due is
 *    ignored.
 * 3. The progress counts members by where they are: `waiting` (not yet released), `rejected`, and the state of
 *    their status record (Pending, InProgress, Succeeded, Failed).
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import type { Config } from '../config';
import { MIGRATION_STATES, type MigrationState } from '../domain/status';
import {
  SOURCE_MEETING_TYPES,
  TARGET_MEETING_TYPES,
  type SourceMeetingType,
  type TargetMeetingType,
} from '../domain/migration-type';
import { GraphRequestError } from '../graph/errors';
import type { GroupsGateway } from '../graph/ports';
import { batchSessionId, type ReleaseBatchBody } from '../queue/messages';
import { QUEUES, type QueuePublisher } from '../queue/port';
import type { Repositories } from '../storage/repositories';
import type { Batch, BatchMember } from '../storage/repositories/batch-repository';
import { badRequest, dependencyUnavailable, isServiceError, notFound } from './errors';
import { getInfrastructure, type Infrastructure } from './infrastructure';
import { caseInsensitiveEnum } from './migration-queries';
import {
  graphUnavailable,
  identitySchema,
  requestMigrationPorts,
  requestUserMigration,
  type RequestMigrationPorts,
} from './request-migration';

/** The most users one batch starts. */
export const MAX_BATCH_MEMBERS = 10_000;
/** Requests of one release step in flight at once. */
const RELEASE_CONCURRENCY = 8;
/** Rejected identities listed in a batch's progress (all of them are counted). */
const MAX_LISTED_REJECTIONS = 1000;

const guid = z
  .string({ error: 'must be a directory object id (a GUID)' })
  .trim()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    error: 'must be a directory object id (a GUID)',
  })
  .transform((v) => v.toLowerCase());

/** The body of `POST /api/migrations/batch`. Identities are checked one by one later (a bad one is rejected). */
export const batchBodySchema = z
  .strictObject({
    identities: z
      .array(z.string({ error: 'must be an array of strings (UPNs or object ids)' }), {
        error: 'must be an array of strings (UPNs or object ids)',
      })
      .max(MAX_BATCH_MEMBERS, { error: `must hold at most ${MAX_BATCH_MEMBERS} identities` })
      .optional(),
    groupId: guid.optional(),
    servicePlanId: guid.optional(),
    sourceMeetingType: caseInsensitiveEnum(SOURCE_MEETING_TYPES).optional(),
    targetMeetingType: caseInsensitiveEnum(TARGET_MEETING_TYPES).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.identities === undefined && b.groupId === undefined && b.servicePlanId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['identities'],
        message: 'give identities, a groupId or a servicePlanId (or several)',
      });
    }
  });
export type BatchRequest = z.output<typeof batchBodySchema>;

export const batchRejectionSchema = z.object({ identity: z.string(), code: z.string(), message: z.string() });
export type BatchRejection = z.output<typeof batchRejectionSchema>;

export const batchStartedSchema = z.object({
  batchId: z.string(),
  /** Users the batch will start. */
  accepted: z.number().int(),
  rejected: z.array(batchRejectionSchema),
});
export type BatchStarted = z.output<typeof batchStartedSchema>;

export const batchProgressSchema = z.object({
  batchId: z.string(),
  createdAt: z.string(),
  sources: z.object({
    identities: z.number().int(),
    groupId: z.string().optional(),
    servicePlanId: z.string().optional(),
  }),
  sourceMeetingType: z.enum(SOURCE_MEETING_TYPES),
  targetMeetingType: z.enum(TARGET_MEETING_TYPES),
  accepted: z.number().int(),
  /** Members handed to the migration so far. */
  released: z.number().int(),
  /** Every member released and none Pending or InProgress. */
  complete: z.boolean(),
  /** Members by where they are: not yet released, refused, or the state of their status record. */
  progress: z.object({
    waiting: z.number().int(),
    rejected: z.number().int(),
    Pending: z.number().int(),
    InProgress: z.number().int(),
    Succeeded: z.number().int(),
    Failed: z.number().int(),
  }),
  /** When the remaining members will all have been released, at the configured pace (null when all are). */
  estimatedReleaseEnd: z.string().nullable(),
  rejected: z.array(batchRejectionSchema),
});
export type BatchProgress = z.output<typeof batchProgressSchema>;

export interface BatchPorts {
  repositories: Pick<Repositories, 'batches' | 'profiles' | 'status'>;
  groups: GroupsGateway;
  publisher: () => QueuePublisher;
  requests: RequestMigrationPorts;
  clock: () => Date;
  newId: () => string;
  config: Pick<Config, 'batchReleaseSize' | 'batchReleaseIntervalSeconds'>;
  log?: (message: string, data?: Record<string, unknown>) => void;
}

export function batchPorts(infra: Infrastructure = getInfrastructure()): BatchPorts {
  return {
    repositories: infra.repositories,
    groups: infra.graph.groups,
    publisher: infra.queue,
    requests: requestMigrationPorts(infra),
    clock: infra.clock,
    newId: infra.newId,
    config: infra.config,
  };
}

function releaseMessage(batchId: string, step: number, at: Date, now: Date) {
  const body: ReleaseBatchBody = { kind: 'releaseBatch', batchId, step, requestedAt: now.toISOString() };
  return {
    messageId: `batch:${batchId}:${step}`,
    sessionId: batchSessionId(batchId),
    body,
    ...(at.getTime() > now.getTime() ? { scheduledEnqueueTime: at } : {}),
  };
}

interface Candidate {
  identity: string;
  userId?: string;
  userPrincipalName?: string;
}

/** Members of the group, from Graph. 404 `groupNotFound`; 503 with what to grant when Graph refuses. */
async function groupMembers(ports: BatchPorts, groupId: string): Promise<Candidate[]> {
  const out: Candidate[] = [];
  try {
    for await (const page of ports.groups.transitiveUserMembers(groupId)) {
      for (const u of page) {
        out.push({
          identity: u.id,
          userId: u.id.toLowerCase(),
          ...(u.userPrincipalName ? { userPrincipalName: u.userPrincipalName } : {}),
        });
        if (out.length > MAX_BATCH_MEMBERS) return out;
      }
    }
  } catch (e) {
    if (e instanceof GraphRequestError && e.status === 404) {
      throw notFound('groupNotFound', `No group ${groupId} in the directory.`);
    }
    if (e instanceof GraphRequestError && (e.status === 403 || e.status === 401)) {
      throw dependencyUnavailable(
        `Microsoft Graph refused the members of group ${groupId} (${e.code}): grant the app GroupMember.Read.All ` +
          'with admin consent.',
        undefined,
        e,
      );
    }
    throw graphUnavailable(e, `the members of group ${groupId}`);
  }
  return out;
}

/** Holders of the service plan, from the directory snapshot (the profiles the service keeps). */
async function planHolders(ports: BatchPorts, servicePlanId: string): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for await (const p of ports.repositories.profiles.all()) {
    if (p.assignedPlanIds.some((id) => id.toLowerCase() === servicePlanId)) {
      out.push({ identity: p.userId, userId: p.userId, userPrincipalName: p.userPrincipalName });
    }
  }
  return out;
}

/** Creates the batch and sends its first release step (see the file comment). */
export async function startBatch(ports: BatchPorts, request: BatchRequest): Promise<BatchStarted> {
  const sourceMeetingType: SourceMeetingType = request.sourceMeetingType ?? 'All';
  const targetMeetingType: TargetMeetingType = request.targetMeetingType ?? 'Current';
  const rejected: BatchRejection[] = [];
  const candidates: Candidate[] = [];
  for (const raw of request.identities ?? []) {
    const r = identitySchema.safeParse(raw);
    if (!r.success) {
      rejected.push({
        identity: raw,
        code: 'invalidIdentity',
        message: r.error.issues[0]?.message ?? 'not a UPN or an object id',
      });
      continue;
    }
    candidates.push({ identity: r.data.value });
  }
  if (request.groupId !== undefined) candidates.push(...(await groupMembers(ports, request.groupId)));
  if (request.servicePlanId !== undefined) {
    candidates.push(...(await planHolders(ports, request.servicePlanId)));
  }

  // Each user once: by object id when known, else by the identity as given (case-insensitive).
  const seen = new Map<string, Candidate>();
  const members: Candidate[] = [];
  for (const c of candidates) {
    const keys = [c.identity.toLowerCase(), c.userId, c.userPrincipalName?.toLowerCase()].filter(
      (k): k is string => k !== undefined,
    );
    if (keys.some((k) => seen.has(k))) {
      if (c.userId === undefined) {
        rejected.push({ identity: c.identity, code: 'duplicate', message: 'is given more than once' });
      }
      continue;
    }
    for (const k of keys) seen.set(k, c);
    members.push(c);
  }
  if (members.length > MAX_BATCH_MEMBERS) {
    throw badRequest(
      'identities',
      `the batch holds more than ${MAX_BATCH_MEMBERS} users; at most ${MAX_BATCH_MEMBERS} per batch: split it`,
    );
  }

  const now = ports.clock();
  const batchId = ports.newId();
  const batch: Batch = {
    batchId,
    createdAt: now.toISOString(),
    sources: {
      identities: request.identities?.length ?? 0,
      ...(request.groupId !== undefined ? { groupId: request.groupId } : {}),
      ...(request.servicePlanId !== undefined ? { servicePlanId: request.servicePlanId } : {}),
    },
    sourceMeetingType,
    targetMeetingType,
    memberCount: members.length,
    rejectedCount: rejected.length,
    releasedCount: 0,
    nextStep: 0,
    ...(members.length === 0 ? { releasedAt: now.toISOString() } : {}),
  };
  const rows: BatchMember[] = members.map((m, index) => ({
    index,
    identity: m.identity,
    ...(m.userId !== undefined ? { userId: m.userId } : {}),
    ...(m.userPrincipalName !== undefined ? { userPrincipalName: m.userPrincipalName } : {}),
    state: 'waiting',
  }));
  // Rejections are kept after the members (indices past memberCount), for the progress view.
  rejected.forEach((r, i) =>
    rows.push({
      index: members.length + i,
      identity: r.identity.slice(0, 1000) || '(empty)',
      state: 'rejected',
      code: r.code,
      message: r.message.slice(0, 2000),
    }),
  );
  await ports.repositories.batches.create(batch, rows);
  if (members.length > 0) {
    try {
      await ports.publisher().send(QUEUES.meetingMigrations, releaseMessage(batchId, 0, now, now));
    } catch (e) {
      throw dependencyUnavailable(
        `Batch ${batchId} was stored but its first step could not be queued; start it again.`,
        undefined,
        e,
      );
    }
  }
  ports.log?.('batch: created', { batchId, accepted: members.length, rejected: rejected.length });
  return { batchId, accepted: members.length, rejected };
}

export type ReleaseOutcome =
  | { kind: 'released'; batchId: string; step: number; requested: number; rejected: number; done: boolean }
  | { kind: 'stale'; reason: string };

/**
 * One release step of a batch (a `releaseBatch` message). Throws when the step should be redelivered (a
 * dependency failed); members already requested are skipped on the redelivery.
 */
export async function releaseBatch(ports: BatchPorts, body: ReleaseBatchBody): Promise<ReleaseOutcome> {
  const repo = ports.repositories.batches;
  const batch = await repo.get(body.batchId);
  if (batch === null) return { kind: 'stale', reason: `no batch ${body.batchId}` };
  if (batch.nextStep !== body.step || batch.releasedAt !== undefined) {
    return { kind: 'stale', reason: `step ${body.step} is not due (next: ${batch.nextStep})` };
  }
  const from = batch.releasedCount;
  const to = Math.min(batch.memberCount, from + ports.config.batchReleaseSize);
  const members = await repo.membersBetween(batch.batchId, from, to);
  const limit = pLimit(RELEASE_CONCURRENCY);
  let requested = 0;
  let rejected = 0;
  await Promise.all(
    members.map((m) =>
      limit(async () => {
        if (m.state !== 'waiting') return;
        try {
          const r = await requestUserMigration(ports.requests, {
            identity:
              m.userId !== undefined && m.userPrincipalName !== undefined
                ? { userId: m.userId, userPrincipalName: m.userPrincipalName }
                : m.identity,
            sourceMeetingType: batch.sourceMeetingType,
            targetMeetingType: batch.targetMeetingType,
            trigger: 'manualStart',
            timing: 'immediate',
          });
          requested++;
          await repo.putMember(batch.batchId, {
            ...m,
            userId: r.user.userId,
            userPrincipalName: r.user.userPrincipalName,
            state: 'requested',
            outcome: r.outcome,
            correlationId: r.status.correlationId,
          });
        } catch (e) {
          // A refusal about this user (unknown user, bad identity) rejects the member; a dependency failure
          // (503) or a bug throws, and the step is redelivered.
          if (!isServiceError(e) || e.httpStatus >= 500) throw e;
          rejected++;
          await repo.putMember(batch.batchId, { ...m, state: 'rejected', code: e.code, message: e.message });
        }
      }),
    ),
  );
  const now = ports.clock();
  const done = to >= batch.memberCount;
  if (!done) {
    const at = new Date(now.getTime() + ports.config.batchReleaseIntervalSeconds * 1000);
    await ports
      .publisher()
      .send(QUEUES.meetingMigrations, releaseMessage(batch.batchId, body.step + 1, at, now));
  }
  await repo.mutate(batch.batchId, (cur) =>
    cur.nextStep !== body.step
      ? undefined
      : {
          ...cur,
          releasedCount: to,
          nextStep: body.step + 1,
          ...(done ? { releasedAt: now.toISOString() } : {}),
        },
  );
  ports.log?.('batch: step released', { batchId: batch.batchId, step: body.step, requested, rejected, done });
  return { kind: 'released', batchId: batch.batchId, step: body.step, requested, rejected, done };
}

/** The batch's progress by state. 404 `batchNotFound`. */
export async function getBatch(ports: BatchPorts, rawBatchId: string): Promise<BatchProgress> {
  const id = guid.safeParse(rawBatchId);
  if (!id.success)
    throw badRequest('batchId', 'must be the batchId POST /api/migrations/batch answered (a GUID)');
  const batch = await ports.repositories.batches.get(id.data);
  if (batch === null) throw notFound('batchNotFound', `No batch ${id.data}.`);
  const members = await ports.repositories.batches.allMembers(batch.batchId);
  const progress: BatchProgress['progress'] = {
    waiting: 0,
    rejected: 0,
    Pending: 0,
    InProgress: 0,
    Succeeded: 0,
    Failed: 0,
  };
  const rejected: BatchRejection[] = [];
  const requestedIds: string[] = [];
  for (const m of members) {
    if (m.state === 'waiting') progress.waiting++;
    else if (m.state === 'rejected') {
      progress.rejected++;
      if (rejected.length < MAX_LISTED_REJECTIONS) {
        rejected.push({ identity: m.identity, code: m.code ?? 'rejected', message: m.message ?? '' });
      }
    } else if (m.userId !== undefined) requestedIds.push(m.userId);
  }
  const limit = pLimit(16);
  const states = await Promise.all(
    requestedIds.map((userId) => limit(async () => (await ports.repositories.status.get(userId))?.state)),
  );
  for (const s of states) {
    // A record purged meanwhile (150 days) counts as the run that ended.
    const state: MigrationState = s ?? 'Succeeded';
    if ((MIGRATION_STATES as readonly string[]).includes(state)) progress[state]++;
  }
  const remaining = batch.memberCount - batch.releasedCount;
  const steps = Math.ceil(remaining / ports.config.batchReleaseSize);
  const estimatedReleaseEnd =
    remaining > 0
      ? new Date(
          ports.clock().getTime() + Math.max(0, steps - 1) * ports.config.batchReleaseIntervalSeconds * 1000,
        ).toISOString()
      : null;
  return {
    batchId: batch.batchId,
    createdAt: batch.createdAt,
    sources: batch.sources,
    sourceMeetingType: batch.sourceMeetingType,
    targetMeetingType: batch.targetMeetingType,
    accepted: batch.memberCount,
    released: batch.releasedCount,
    complete:
      remaining === 0 && progress.waiting === 0 && progress.Pending === 0 && progress.InProgress === 0,
    progress,
    estimatedReleaseEnd,
    rejected,
  };
}

/**
 * The one message schema both queue adapters share: an envelope per queue (messageId, sessionId, correlationId,
 * body), validated with zod when a message is sent (`validateOutgoing`, throws) and when it is received
 * (`validateReceived`, answers the reason instead). A message that fails validation on receive is
 * dead-lettered at once by the adapter, with `deadLetterReason` `InvalidMessage: <field>` and a description
 * naming the field and the problem: never lost, never retried.
 *
 * Queues and bodies:
 * - `meeting-migrations` (session-enabled; sessionId must equal body.userId, so one migration per user runs at
 *   a time): `migrateUser`. To add a message kind, add a zod object with its own `kind` literal to
 *   `MEETING_MIGRATION_BODIES` (a discriminated union on `kind`).
 * - `directory-changes` (no sessions): `userNotification` (one Graph change notification for a user) or
 *   `deltaSweep` (read /users/delta and compare, e.g. after subscription recreation or on the timer).
 *
 * Envelope limits (Service Bus's): messageId, sessionId and correlationId are 1–128 characters. Timestamps are
 * ISO-8601 strings with an offset or Z. The body must be JSON (objects, arrays, strings, numbers, booleans).
 */
import { z } from 'zod';
import { QUEUES, type OutgoingMessage, type QueueName, type ReceivedMessage } from './port';

const isoTimestamp = z.iso.datetime({ offset: true });
const guid = z.guid();

export const MEETING_TYPES = { source: ['All', 'SfB', 'Teams'], target: ['Current', 'Teams'] } as const;

/** Migrate one user's future meetings (Start-CsExMeetingMigration or an automatic trigger). */
export const migrateUserBody = z.object({
  kind: z.literal('migrateUser'),
  /** Directory object id of the organizer whose meetings are migrated; also the message's sessionId. */
  userId: guid,
  correlationId: guid,
  /** What caused it: "admin", "audioConferencingChange", "teamsUpgrade", ... (free text, for the status). */
  trigger: z.string().min(1).max(200),
  sourceMeetingType: z.enum(MEETING_TYPES.source),
  targetMeetingType: z.enum(MEETING_TYPES.target),
  requestedAt: isoTimestamp,
  /** Which attempt of the run this message starts (0 = first; retries count up). Absent means 0. */
  retryCount: z.number().int().min(0).max(1000).optional(),
});

/** Every body kind of the meeting-migrations queue. Extend here. */
export const MEETING_MIGRATION_BODIES = [migrateUserBody] as const;
export const meetingMigrationBody = z.discriminatedUnion('kind', MEETING_MIGRATION_BODIES);

/** One Graph change notification about a user, as accepted by POST /api/notifications. */
export const userNotificationBody = z.object({
  kind: z.literal('userNotification'),
  subscriptionId: z.string().min(1).max(200),
  changeType: z.enum(['updated', 'deleted']),
  /** Graph's `resource`, e.g. `Users/{id}`. */
  resource: z.string().min(1).max(2000),
  userId: z.string().min(1).max(200),
  tenantId: z.string().min(1).max(200),
  receivedAt: isoTimestamp,
});

/** Read /users/delta and compare with the stored snapshots (timer, subscription recreated, missed notifications). */
export const deltaSweepBody = z.object({
  kind: z.literal('deltaSweep'),
  reason: z.string().min(1).max(500),
  requestedAt: isoTimestamp,
});

/**
 * A lifecycle notification accepted by POST /api/notifications/lifecycle: acted on here, not in the request,
 * because Graph gives a delivery 3 seconds and expects a quick 202.
 */
export const lifecycleEventBody = z.object({
  kind: z.literal('lifecycleEvent'),
  subscriptionId: z.string().min(1).max(200),
  lifecycleEvent: z.enum(['reauthorizationRequired', 'subscriptionRemoved', 'missed']),
  subscriptionExpirationDateTime: z.string().max(100).optional(),
  receivedAt: isoTimestamp,
});

export const DIRECTORY_CHANGE_BODIES = [userNotificationBody, deltaSweepBody, lifecycleEventBody] as const;
export const directoryChangeBody = z.discriminatedUnion('kind', DIRECTORY_CHANGE_BODIES);

export type MigrateUserBody = z.output<typeof migrateUserBody>;
export type MeetingMigrationBody = z.output<typeof meetingMigrationBody>;
export type UserNotificationBody = z.output<typeof userNotificationBody>;
export type DeltaSweepBody = z.output<typeof deltaSweepBody>;
export type LifecycleEventBody = z.output<typeof lifecycleEventBody>;
export type DirectoryChangeBody = z.output<typeof directoryChangeBody>;

/** Body type of each queue. */
export interface QueueBodies {
  'meeting-migrations': MeetingMigrationBody;
  'directory-changes': DirectoryChangeBody;
}
export type BodyOf<Q extends QueueName> = QueueBodies[Q];

const envelopeId = z.string().min(1).max(128);

/** Per queue: body schema and whether the queue is session-enabled (sessionId required). */
export const QUEUE_DEFINITIONS = {
  [QUEUES.meetingMigrations]: { body: meetingMigrationBody, sessions: true },
  [QUEUES.directoryChanges]: { body: directoryChangeBody, sessions: false },
} as const satisfies Record<QueueName, { body: z.ZodType; sessions: boolean }>;

export function isSessionQueue(queue: QueueName): boolean {
  return QUEUE_DEFINITIONS[queue].sessions;
}

function envelopeSchema(queue: QueueName) {
  const def = QUEUE_DEFINITIONS[queue];
  const base = z.object({
    messageId: envelopeId,
    sessionId: def.sessions ? envelopeId : envelopeId.optional(),
    correlationId: envelopeId.optional(),
    body: def.body,
  });
  if (queue !== QUEUES.meetingMigrations) return base;
  return base.superRefine((m, ctx) => {
    const body = m.body as MeetingMigrationBody;
    if (m.sessionId !== body.userId) {
      ctx.addIssue({
        code: 'custom',
        path: ['sessionId'],
        message: `must equal body.userId ("${body.userId}") on ${queue}`,
      });
    }
  });
}

const ENVELOPES = {
  [QUEUES.meetingMigrations]: envelopeSchema(QUEUES.meetingMigrations),
  [QUEUES.directoryChanges]: envelopeSchema(QUEUES.directoryChanges),
};

export class MessageValidationError extends Error {
  constructor(
    readonly queue: QueueName,
    /** Dotted path of the first bad field, e.g. `body.userId` or `sessionId`. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`Invalid message for queue ${queue}: field "${field}": ${problem}`);
    this.name = 'MessageValidationError';
  }
}

function firstIssue(queue: QueueName, issues: readonly z.core.$ZodIssue[]): MessageValidationError {
  const issue = issues[0];
  const field = issue?.path.map((p) => String(p)).join('.') || '(message)';
  return new MessageValidationError(queue, field, issue?.message ?? 'invalid');
}

function isQueueName(queue: string): queue is QueueName {
  return Object.values(QUEUES).includes(queue as QueueName);
}

/**
 * Checks a message before it is sent. Throws MessageValidationError naming the field. Answers the message
 * with its body as parsed (unknown keys stripped).
 */
export function validateOutgoing(queue: QueueName, message: OutgoingMessage): OutgoingMessage {
  if (!isQueueName(queue))
    throw new MessageValidationError(queue, 'queue', `unknown queue "${String(queue)}"`);
  const r = ENVELOPES[queue].safeParse(message);
  if (!r.success) throw firstIssue(queue, r.error.issues);
  if (
    message.scheduledEnqueueTime !== undefined &&
    !(message.scheduledEnqueueTime instanceof Date && !Number.isNaN(message.scheduledEnqueueTime.getTime()))
  ) {
    throw new MessageValidationError(queue, 'scheduledEnqueueTime', 'must be a valid Date');
  }
  return { ...message, body: r.data.body };
}

export type ReceivedValidation =
  | { ok: true; message: ReceivedMessage }
  | {
      ok: false;
      error: MessageValidationError;
      deadLetterReason: string;
      deadLetterErrorDescription: string;
    };

/**
 * Checks a received message. Answers it with the parsed body, or the dead-letter reason and description to
 * settle it with (the adapter dead-letters it at once).
 */
export function validateReceived(queue: QueueName, message: ReceivedMessage): ReceivedValidation {
  const r = ENVELOPES[queue].safeParse(message);
  if (r.success) return { ok: true, message: { ...message, body: r.data.body } };
  const error = firstIssue(queue, r.error.issues);
  return {
    ok: false,
    error,
    deadLetterReason: `InvalidMessage: ${error.field}`,
    deadLetterErrorDescription: error.message.slice(0, 1000),
  };
}

/** The typed body of a received (hence already validated) message. */
export function bodyOf<Q extends QueueName>(queue: Q, message: ReceivedMessage): BodyOf<Q> {
  return QUEUE_DEFINITIONS[queue].body.parse(message.body) as BodyOf<Q>;
}

/**
 * The queue port. Services publish through QueuePublisher; the Functions host (or the local host) delivers
 * through QueueConsumer. Two adapters implement both: Service Bus (service-bus.ts) and the embedded queue
 * (embedded.ts) that keeps Service Bus semantics for local runs and tests.
 */

/** Queue names, identical in code, Bicep and Terraform. */
export const QUEUES = {
  meetingMigrations: 'meeting-migrations',
  directoryChanges: 'directory-changes',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * Queue properties the code relies on; Bicep and Terraform create the queues with exactly these (checked by
 * test/unit/infra), and the embedded queue applies the same delivery count and duplicate-detection window.
 * - meeting-migrations: sessions (session id = user id: one migration per user at a time); 5 deliveries, because
 *   Graph failures are retried by the service itself with backoff (scheduled messages), so Service Bus redelivers
 *   only after a crash, and five crashes in a row mean a poison message; duplicate detection 1 hour.
 * - directory-changes: no sessions; 10 deliveries (an idempotent delta read: plain redelivery is the right retry);
 *   duplicate detection 4 hours, Graph's retry horizon for notifications.
 */
export const QUEUE_PROPERTIES: Readonly<
  Record<QueueName, { sessions: boolean; maxDeliveryCount: number; duplicateDetectionWindowMs: number }>
> = {
  [QUEUES.meetingMigrations]: {
    sessions: true,
    maxDeliveryCount: 5,
    duplicateDetectionWindowMs: 60 * 60_000,
  },
  [QUEUES.directoryChanges]: {
    sessions: false,
    maxDeliveryCount: 10,
    duplicateDetectionWindowMs: 4 * 60 * 60_000,
  },
};

/**
 * Message lock duration per queue, as Bicep and Terraform create the queues (`lockDuration`). A consumer that
 * dies holding a message loses it to another consumer once this has passed: the embedded queue applies the same
 * lock, and a migration run whose heartbeat is older than this (plus a margin) has no worker.
 */
export const MESSAGE_LOCK_DURATION_MS: Readonly<Record<QueueName, number>> = {
  [QUEUES.meetingMigrations]: 5 * 60_000,
  [QUEUES.directoryChanges]: 2 * 60_000,
};

/** Service Bus connection-setting prefix used by the trigger bindings (app settings ServiceBusConnection__*). */
export const SERVICE_BUS_CONNECTION = 'ServiceBusConnection';

export interface OutgoingMessage {
  /** Idempotency key: a second message with the same id inside the duplicate-detection window is dropped. */
  messageId: string;
  /** Required on session-enabled queues (meeting-migrations: the user's object id). */
  sessionId?: string;
  correlationId?: string;
  /** JSON body, validated against the queue's schema before it is sent. */
  body: unknown;
  /** Deliver no earlier than this. */
  scheduledEnqueueTime?: Date;
}

export interface ReceivedMessage {
  messageId: string;
  sessionId?: string;
  correlationId?: string;
  body: unknown;
  /** 1 on first delivery; +1 on every redelivery. */
  deliveryCount: number;
  enqueuedTime: Date;
}

export interface QueuePublisher {
  send(queue: QueueName, message: OutgoingMessage): Promise<void>;
  close(): Promise<void>;
}

export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

export interface Subscription {
  close(): Promise<void>;
}

export interface QueueConsumer {
  /**
   * Delivers messages of `queue` to `handler`. A handler that resolves completes the message; one that throws
   * abandons it (redelivered with deliveryCount + 1, dead-lettered past the queue's maxDeliveryCount).
   * With `sessions`, at most one message per sessionId is in flight at a time.
   */
  subscribe(
    queue: QueueName,
    options: { sessions: boolean; maxConcurrent?: number },
    handler: MessageHandler,
  ): Subscription;
}

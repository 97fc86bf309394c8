/**
 * Where the embedded queue keeps its messages so that they outlive the process, as Service Bus keeps them:
 * `QueueStore` is the journal the queue writes through (shared/queue/embedded.ts), and `TableQueueStore` keeps it
 * in Table Storage (Azurite for the local host), table `EmbeddedQueue`:
 *
 *   PartitionKey `<queue>`        one row per message waiting, scheduled or in flight (RowKey: its entry key),
 *                                 with its delivery count, when it may be delivered, until when it is locked and
 *                                 when its id's duplicate-detection window ends
 *   PartitionKey `<queue>.dlq`    dead-lettered messages, with reason and description
 *   PartitionKey `<queue>.seen`   ids of messages no longer in the queue whose duplicate-detection window is still
 *                                 open (RowKey: the id, encoded)
 *
 * A message is written before `send` resolves (one row: the message carries its own duplicate-detection record),
 * its lock before the handler runs (renewed while it runs), and when the handler completes it, its id is marked
 * seen and then the row is deleted; so a process killed at any point leaves each message either completed (its id
 * still seen) or stored, and a restarted queue delivers the stored ones again once their locks expire.
 *
 * Writes are group-committed per partition (shared/storage/group-commit.ts): while up to 4 entity group
 * transactions of a partition are in flight, the next writes gather and leave together, so a burst of sends
 * costs a few requests instead of one per message; each write still resolves only once its row is stored.
 */
import { z } from 'zod';
import type { Config } from '../config';
import { PartitionGroupCommit } from '../storage/group-commit';
import { encodeKey, filter, jsonColumn, TableRepository, type EntityOf } from '../storage/repository';

export const QUEUE_TABLE = 'EmbeddedQueue';

export interface StoredMessage {
  /** Stable key of the entry (RowKey). */
  key: string;
  queue: string;
  messageId: string;
  sessionId?: string;
  correlationId?: string;
  body: unknown;
  enqueuedTime: string;
  deliveryCount: number;
  /** Epoch ms before which it is not delivered (scheduled time or redelivery delay); 0: at once. */
  notBefore: number;
  /** Epoch ms until which a consumer holds it; 0: not locked. */
  lockedUntil: number;
  /** FIFO order of the queue. */
  order: number;
  /**
   * Epoch ms its messageId's duplicate-detection window ends: while the row lives, it is the id's record of
   * being seen (a send stores one row, not two); the queue marks the id seen on its own before removing the row.
   */
  seenUntil?: number;
}

export interface DeadLetterRecord extends StoredMessage {
  deadLetterReason: string;
  deadLetterErrorDescription: string;
  deadLetteredAt: string;
}

export interface QueueStore {
  loadMessages(queue: string): Promise<StoredMessage[]>;
  loadDeadLetters(queue: string): Promise<DeadLetterRecord[]>;
  /** Message ids seen, with the epoch ms their window ends. */
  loadSeen(queue: string): Promise<Map<string, number>>;
  put(message: StoredMessage): Promise<void>;
  remove(queue: string, key: string): Promise<void>;
  deadLetter(record: DeadLetterRecord): Promise<void>;
  markSeen(queue: string, messageId: string, until: number): Promise<void>;
}

const messageSchema = z.object({
  key: z.string().min(1),
  queue: z.string().min(1),
  messageId: z.string().min(1),
  sessionId: z.string().optional(),
  correlationId: z.string().optional(),
  body: jsonColumn(z.unknown()),
  enqueuedTime: z.string(),
  deliveryCount: z.number().int().nonnegative(),
  notBefore: z.number().nonnegative(),
  lockedUntil: z.number().nonnegative(),
  order: z.number().nonnegative(),
  deadLetterReason: z.string().optional(),
  deadLetterErrorDescription: z.string().optional(),
  deadLetteredAt: z.string().optional(),
  seenUntil: z.number().optional(),
});

/** A stored row as a queue message: the columns every row has (a dead letter adds its own beside them). */
function storedMessage(r: z.infer<typeof messageSchema>): StoredMessage {
  return {
    key: r.key,
    queue: r.queue,
    messageId: r.messageId,
    ...(r.sessionId !== undefined ? { sessionId: r.sessionId } : {}),
    ...(r.correlationId !== undefined ? { correlationId: r.correlationId } : {}),
    body: r.body,
    enqueuedTime: r.enqueuedTime,
    deliveryCount: r.deliveryCount,
    notBefore: r.notBefore,
    lockedUntil: r.lockedUntil,
    order: r.order,
    ...(r.seenUntil !== undefined ? { seenUntil: r.seenUntil } : {}),
  };
}

const DLQ = (queue: string) => `${queue}.dlq`;
const SEEN = (queue: string) => `${queue}.seen`;

export class TableQueueStore implements QueueStore {
  readonly table: TableRepository<typeof messageSchema>;
  private readonly writes: PartitionGroupCommit<EntityOf<typeof messageSchema>>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    this.table = new TableRepository({ settings: config, logicalName: QUEUE_TABLE, schema: messageSchema });
    // A few transactions of a partition at once: a burst's rows leave in parallel batches, not one after another.
    this.writes = new PartitionGroupCommit(this.table, { maxInFlight: 4 });
  }

  /** Requests made to the table for writes, and the row writes asked for (benchmarks, tests). */
  writeStats() {
    return this.writes.stats();
  }

  private async rows(pk: string) {
    const out = [];
    for await (const row of this.table.list({ filter: filter`PartitionKey eq ${pk}` })) out.push(row);
    return out;
  }

  async loadMessages(queue: string): Promise<StoredMessage[]> {
    return (await this.rows(queue)).map(storedMessage);
  }

  async loadDeadLetters(queue: string): Promise<DeadLetterRecord[]> {
    return (await this.rows(DLQ(queue))).map((r) => ({
      ...storedMessage(r),
      lockedUntil: 0,
      deadLetterReason: r.deadLetterReason ?? '',
      deadLetterErrorDescription: r.deadLetterErrorDescription ?? '',
      deadLetteredAt: r.deadLetteredAt ?? r.enqueuedTime,
    }));
  }

  async loadSeen(queue: string): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    for (const r of await this.rows(SEEN(queue))) seen.set(r.messageId, r.seenUntil ?? 0);
    return seen;
  }

  async put(message: StoredMessage): Promise<void> {
    await this.writes.upsert(message.queue, message.key, message);
  }

  async remove(queue: string, key: string): Promise<void> {
    await this.writes.delete(queue, key);
  }

  async deadLetter(record: DeadLetterRecord): Promise<void> {
    await this.writes.upsert(DLQ(record.queue), record.key, record);
    await this.writes.delete(record.queue, record.key);
  }

  async markSeen(queue: string, messageId: string, until: number): Promise<void> {
    await this.writes.upsert(SEEN(queue), encodeKey(messageId), {
      key: encodeKey(messageId),
      queue,
      messageId,
      body: null,
      enqueuedTime: new Date().toISOString(),
      deliveryCount: 0,
      notBefore: 0,
      lockedUntil: 0,
      order: 0,
      seenUntil: until,
    });
  }
}

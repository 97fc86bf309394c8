/**
 * The Azure Service Bus adapter (`@azure/service-bus`) of the queue port.
 *
 * - Client: `{ kind: 'serviceBus', fullyQualifiedNamespace }` connects with the process-wide
 *   DefaultAzureCredential (managed identity, honouring AZURE_CLIENT_ID; see shared/storage/credential.ts);
 *   `{ kind: 'serviceBusConnectionString' }` with a connection string (local runs against a real namespace).
 *   Constructing the adapter opens no connection: the first send or receive does.
 * - Send: the message is validated (messages.ts), mapped by the pure `toServiceBusMessage` (messageId,
 *   sessionId, correlationId, contentType `application/json`, JSON body, scheduledEnqueueTimeUtc) and sent
 *   through a sender cached per queue. Sends are micro-batched (`BatchingSender`): while one send of a queue is
 *   in flight, the next ones gather and leave together in as few batches as their size allows, so a burst of
 *   webhook deliveries costs a few round trips, not one each. A batch is accepted or refused as a whole, and
 *   each `send` resolves only once its own batch is accepted; duplicate detection applies to each message of a
 *   batch as to a lone one.
 * - Receive (peek-lock, settled by this adapter): a message failing validation is dead-lettered at once
 *   (`InvalidMessage: <field>`); a handler that resolves completes it; one that throws abandons it with the
 *   error text in the `lastError` application property. Service Bus itself redelivers (deliveryCount + 1) and
 *   dead-letters past the queue's maxDeliveryCount (reason `MaxDeliveryCountExceeded`; the last error stays in
 *   `lastError`).
 * - Sessions (`subscribe(q, { sessions: true, maxConcurrent })`): `maxConcurrent` loops (default 8) each accept
 *   the next available session, drain it one message at a time (FIFO, one in flight per session), release it
 *   after `sessionIdleTimeoutMs` without messages, and accept the next. Without sessions the SDK's
 *   `subscribe` runs up to `maxConcurrent` (default 16) handlers at once.
 * - deliveryCount: the JS SDK reports AMQP's delivery-count (earlier failed attempts, 0 on the first delivery);
 *   the port counts deliveries (1 on the first), like the Functions trigger metadata, so 1 is added.
 * - Queue properties (sessions on meeting-migrations, duplicate detection PT10M, maxDeliveryCount 10, lock
 *   duration) belong to the queues themselves and are set by infra/ (Bicep and Terraform), not here.
 * - `close()` stops receiving, closes receivers, senders and the client.
 */
import {
  isServiceBusError,
  ServiceBusClient,
  type ServiceBusMessage,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
  type ServiceBusSessionReceiver,
} from '@azure/service-bus';
import type { TokenCredential } from '@azure/identity';
import type { QueueConfig } from '../config';
import { azureCredential } from '../storage/credential';
import { validateOutgoing, validateReceived } from './messages';
import type {
  MessageHandler,
  OutgoingMessage,
  QueueConsumer,
  QueueName,
  QueuePublisher,
  ReceivedMessage,
  Subscription,
} from './port';

export type ServiceBusConfig = Exclude<QueueConfig, { kind: 'embedded' }>;

export interface ServiceBusQueueOptions {
  /** Overrides the process-wide DefaultAzureCredential for `{ kind: 'serviceBus' }`. */
  credential?: TokenCredential;
  /** How long a session loop waits on an empty session before releasing it. Default 2 000 ms. */
  sessionIdleTimeoutMs?: number;
  /** Where receive and settlement errors go (never thrown). Default console.error. */
  log?: (message: string, error?: unknown) => void;
}

/** Pure mapping of a port message to the SDK's message. */
export function toServiceBusMessage(message: OutgoingMessage): ServiceBusMessage {
  const out: ServiceBusMessage = {
    messageId: message.messageId,
    contentType: 'application/json',
    body: message.body,
  };
  if (message.sessionId !== undefined) out.sessionId = message.sessionId;
  if (message.correlationId !== undefined) out.correlationId = message.correlationId;
  if (message.scheduledEnqueueTime !== undefined) out.scheduledEnqueueTimeUtc = message.scheduledEnqueueTime;
  return out;
}

function idText(v: string | number | Buffer | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/** Pure mapping of a received SDK message to the port's ReceivedMessage (deliveryCount counted from 1). */
export function fromServiceBusMessage(
  message: Pick<
    ServiceBusReceivedMessage,
    'messageId' | 'sessionId' | 'correlationId' | 'body' | 'deliveryCount' | 'enqueuedTimeUtc'
  >,
): ReceivedMessage {
  const correlationId = idText(message.correlationId);
  let body: unknown = message.body;
  // A body that arrived as JSON bytes (another sender's data section) is parsed like the SDK does for its own.
  if (Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      /* left as is: validation will name it */
    }
  }
  return {
    messageId: idText(message.messageId) ?? '',
    ...(message.sessionId !== undefined ? { sessionId: message.sessionId } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
    body,
    deliveryCount: (message.deliveryCount ?? 0) + 1,
    enqueuedTime: message.enqueuedTimeUtc ?? new Date(),
  };
}

/** A ServiceBusClient for the configuration; opens no connection. */
export function createServiceBusClient(
  config: ServiceBusConfig,
  credential?: TokenCredential,
): ServiceBusClient {
  if (config.kind === 'serviceBus') {
    return new ServiceBusClient(config.fullyQualifiedNamespace, credential ?? azureCredential());
  }
  return new ServiceBusClient(config.connectionString);
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The settlement calls a receiver offers (a ServiceBusReceiver or ServiceBusSessionReceiver). */
export type MessageSettler = Pick<
  ServiceBusReceiver,
  'completeMessage' | 'abandonMessage' | 'deadLetterMessage'
>;

/**
 * One received message, end to end: validate (dead-letter at once when invalid, reason naming the field), run
 * the handler, complete on success, abandon with `lastError` on failure. Never throws: settlement errors (a
 * lost lock, say) go to `log`, and Service Bus redelivers the message.
 */
export async function settleWithHandler(
  queue: QueueName,
  settler: MessageSettler,
  message: ServiceBusReceivedMessage,
  handler: MessageHandler,
  log: (message: string, error?: unknown) => void,
): Promise<void> {
  try {
    const checked = validateReceived(queue, fromServiceBusMessage(message));
    if (!checked.ok) {
      await settler.deadLetterMessage(message, {
        deadLetterReason: checked.deadLetterReason,
        deadLetterErrorDescription: checked.deadLetterErrorDescription,
      });
      return;
    }
    try {
      await handler(checked.message);
    } catch (e) {
      await settler.abandonMessage(message, { lastError: errorText(e).slice(0, 1000) });
      return;
    }
    await settler.completeMessage(message);
  } catch (e) {
    log(`settling message ${idText(message.messageId) ?? '?'} on ${queue} failed`, e);
  }
}

/** What BatchingSender needs of a ServiceBusSender. */
export type BatchSender = Pick<ServiceBusSender, 'sendMessages' | 'createMessageBatch'>;

interface PendingSend {
  message: ServiceBusMessage;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Group send: a lone send leaves at once; sends made while one is in flight gather and leave together, packed
 * into as few ServiceBusMessageBatch-es as the entity's size limit allows. Each caller's promise settles with
 * its own batch's outcome. A message too large for any batch is refused on its own (as a lone send would be).
 */
export class BatchingSender {
  private queued: PendingSend[] = [];
  private inFlight = false;
  /** Round trips made (lone sends and batches), for tests and diagnostics. */
  sends = 0;

  constructor(private readonly sender: BatchSender) {}

  send(message: ServiceBusMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ message, resolve, reject });
      if (!this.inFlight) this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight || this.queued.length === 0) return;
    const taken = this.queued;
    this.queued = [];
    this.inFlight = true;
    void this.deliver(taken).finally(() => {
      this.inFlight = false;
      this.pump();
    });
  }

  private async deliver(taken: PendingSend[]): Promise<void> {
    const settle = async (group: PendingSend[], send: () => Promise<void>) => {
      this.sends++;
      try {
        await send();
        for (const p of group) p.resolve();
      } catch (e) {
        for (const p of group) p.reject(e);
      }
    };
    const [only] = taken;
    if (taken.length === 1 && only) {
      await settle(taken, () => this.sender.sendMessages(only.message));
      return;
    }
    let rest = taken;
    while (rest.length > 0) {
      let batch;
      try {
        batch = await this.sender.createMessageBatch();
      } catch (e) {
        for (const p of rest) p.reject(e);
        return;
      }
      const group: PendingSend[] = [];
      const left: PendingSend[] = [];
      for (const p of rest) {
        if (left.length === 0 && batch.tryAddMessage(p.message)) group.push(p);
        else left.push(p);
      }
      if (group.length === 0) {
        // The first message fits no batch: sent alone, it gets the service's own answer (too large).
        const [first, ...others] = left;
        if (first) await settle([first], () => this.sender.sendMessages(first.message));
        rest = others;
        continue;
      }
      const full = batch;
      await settle(group, () => this.sender.sendMessages(full));
      rest = left;
    }
  }
}

export class ServiceBusQueue implements QueuePublisher, QueueConsumer {
  readonly client: ServiceBusClient;
  private readonly senders = new Map<QueueName, ServiceBusSender>();
  private readonly batchers = new Map<QueueName, BatchingSender>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly log: (message: string, error?: unknown) => void;
  private readonly sessionIdleTimeoutMs: number;
  private closed = false;

  constructor(config: ServiceBusConfig, options: ServiceBusQueueOptions = {}) {
    this.client = createServiceBusClient(config, options.credential);
    this.log = options.log ?? ((m, e) => console.error(`[service-bus] ${m}`, e ?? ''));
    this.sessionIdleTimeoutMs = options.sessionIdleTimeoutMs ?? 2_000;
  }

  async send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    const valid = validateOutgoing(queue, message);
    let batcher = this.batchers.get(queue);
    if (!batcher) {
      batcher = new BatchingSender(this.sender(queue));
      this.batchers.set(queue, batcher);
    }
    await batcher.send(toServiceBusMessage(valid));
  }

  /** Sends without validating (tests of receive-side validation, as a foreign sender would). */
  async sendUnvalidated(queue: QueueName, message: OutgoingMessage): Promise<void> {
    await this.sender(queue).sendMessages(toServiceBusMessage(message));
  }

  subscribe(
    queue: QueueName,
    options: { sessions: boolean; maxConcurrent?: number },
    handler: MessageHandler,
  ): Subscription {
    if (this.closed) throw new Error('ServiceBusQueue is closed');
    const sub = options.sessions
      ? this.subscribeSessions(queue, options.maxConcurrent ?? 8, handler)
      : this.subscribePlain(queue, options.maxConcurrent ?? 16, handler);
    const tracked: Subscription = {
      close: async () => {
        this.subscriptions.delete(tracked);
        await sub.close();
      },
    };
    this.subscriptions.add(tracked);
    return tracked;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
    await Promise.allSettled([...this.senders.values()].map((s) => s.close()));
    this.senders.clear();
    this.batchers.clear();
    await this.client.close();
  }

  private sender(queue: QueueName): ServiceBusSender {
    let s = this.senders.get(queue);
    if (!s) {
      s = this.client.createSender(queue);
      this.senders.set(queue, s);
    }
    return s;
  }

  private process(
    queue: QueueName,
    settler: MessageSettler,
    message: ServiceBusReceivedMessage,
    handler: MessageHandler,
  ): Promise<void> {
    return settleWithHandler(queue, settler, message, handler, this.log);
  }

  private subscribePlain(queue: QueueName, maxConcurrent: number, handler: MessageHandler): Subscription {
    const receiver = this.client.createReceiver(queue, { receiveMode: 'peekLock' });
    const sub = receiver.subscribe(
      {
        processMessage: (m) => this.process(queue, receiver, m, handler),
        processError: (args) => {
          this.log(`receive error on ${queue} (${args.errorSource})`, args.error);
          return Promise.resolve();
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: maxConcurrent },
    );
    return {
      close: async () => {
        await sub.close();
        await receiver.close();
      },
    };
  }

  private subscribeSessions(queue: QueueName, maxConcurrent: number, handler: MessageHandler): Subscription {
    const abort = new AbortController();
    const open = new Set<ServiceBusSessionReceiver>();
    const loop = async (): Promise<void> => {
      let failures = 0;
      while (!abort.signal.aborted) {
        let receiver: ServiceBusSessionReceiver;
        try {
          receiver = await this.client.acceptNextSession(queue, {
            receiveMode: 'peekLock',
            abortSignal: abort.signal,
          });
        } catch (e) {
          if (abort.signal.aborted) return;
          // No session available within the accept timeout: simply try again.
          if (isServiceBusError(e) && (e.code === 'ServiceTimeout' || e.code === 'SessionCannotBeLocked'))
            continue;
          failures += 1;
          this.log(`accepting a session on ${queue} failed`, e);
          await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), abort.signal);
          continue;
        }
        failures = 0;
        open.add(receiver);
        try {
          while (!abort.signal.aborted) {
            const messages = await receiver.receiveMessages(1, {
              maxWaitTimeInMs: this.sessionIdleTimeoutMs,
            });
            const m = messages[0];
            if (!m) break;
            await this.process(queue, receiver, m, handler);
          }
        } catch (e) {
          if (!abort.signal.aborted) this.log(`session ${receiver.sessionId} on ${queue} failed`, e);
        } finally {
          open.delete(receiver);
          await receiver.close().catch((e: unknown) => this.log('closing a session receiver failed', e));
        }
      }
    };
    const loops = Array.from({ length: maxConcurrent }, () =>
      loop().catch((e: unknown) => this.log(`session loop on ${queue} stopped`, e)),
    );
    return {
      close: async () => {
        abort.abort();
        await Promise.allSettled([...open].map((r) => r.close()));
        await Promise.allSettled(loops);
      },
    };
  }
}

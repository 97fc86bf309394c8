/**
 * Chooses the queue adapter from the configuration: `QUEUE_TRANSPORT=embedded` → the in-process EmbeddedQueue
 * (local host, tests); otherwise Service Bus, by namespace (managed identity) or connection string. The
 * publisher and consumer are the same object; `close()` closes it once.
 *
 * Locally the embedded queue lives in memory, so the app's publisher and the host's consumer must be the same
 * instance: the local host creates it and calls `shareEmbeddedQueue(q)`, after which every
 * `createQueue({ queue: { kind: 'embedded' } })` in the process answers that instance, with a `close()` that
 * leaves it open (its owner closes it). `shareEmbeddedQueue(undefined)` undoes that.
 */
import type { Config } from '../config';
import { EmbeddedQueue, type EmbeddedQueueOptions } from './embedded';
import type { QueueConsumer, QueuePublisher } from './port';
import { ServiceBusQueue, type ServiceBusQueueOptions } from './service-bus';

export interface QueueHandle {
  publisher: QueuePublisher;
  consumer: QueueConsumer;
  /** The embedded queue when that transport was chosen (for inspection in tests and the local host). */
  embedded?: EmbeddedQueue;
  close(): Promise<void>;
}

let shared: EmbeddedQueue | undefined;

/** Makes every later embedded createQueue() in this process hand out `queue` (undefined: stop sharing). */
export function shareEmbeddedQueue(queue: EmbeddedQueue | undefined): void {
  shared = queue;
}

export function createQueue(
  config: Pick<Config, 'queue'>,
  options: { embedded?: EmbeddedQueueOptions; serviceBus?: ServiceBusQueueOptions } = {},
): QueueHandle {
  if (config.queue.kind === 'embedded') {
    if (shared) {
      const q = shared;
      return { publisher: q, consumer: q, embedded: q, close: () => Promise.resolve() };
    }
    const q = new EmbeddedQueue(options.embedded);
    return { publisher: q, consumer: q, embedded: q, close: () => q.close() };
  }
  const q = new ServiceBusQueue(config.queue, options.serviceBus);
  return { publisher: q, consumer: q, close: () => q.close() };
}

/**
 * One embedded queue per function-host process. In Azure, the app publishes to Service Bus and the Functions host
 * delivers from it: both ends meet in the namespace. Locally, the embedded queue lives in memory, so the app's
 * publisher and the host's consumer must be the same instance. The host creates it and shares it through
 * shared/queue/factory's `shareEmbeddedQueue`, so every later `createQueue({ queue: { kind: 'embedded' } })` in the
 * process (the service code obtains its publisher that way) gets that instance, with a `close()` that leaves it
 * open: the host owns it and closes it when it stops.
 */
import type { Config } from '../../shared/config';
import { EmbeddedQueue, type EmbeddedQueueOptions } from '../../shared/queue/embedded';
import { createQueue, shareEmbeddedQueue, type QueueHandle } from '../../shared/queue/factory';
import { TableQueueStore } from '../../shared/queue/table-store';

/** Creates the process's queue for `config` and, when embedded, shares it with every later createQueue caller. */
export function createProcessQueue(
  config: Parameters<typeof createQueue>[0],
  embedded?: EmbeddedQueueOptions,
): QueueHandle {
  shareEmbeddedQueue(undefined);
  const handle = createQueue(config, embedded ? { embedded } : {});
  if (handle.embedded) shareEmbeddedQueue(handle.embedded);
  return handle;
}

/** Stops sharing (tests, host shutdown). */
export function restoreCreateQueue(): void {
  shareEmbeddedQueue(undefined);
}

/**
 * The local host's queue: with the embedded transport, an embedded queue kept in the service's Table Storage
 * (Azurite locally), so that a host killed mid-run finds its messages again when it starts, and redelivers what
 * was in flight once its lock expires, as Service Bus would; shared like createProcessQueue's. Service Bus
 * otherwise. `MMS_QUEUE_LOCK_SECONDS` (local runs and tests only) shortens the message lock.
 */
export async function createDurableProcessQueue(
  config: Pick<Config, 'queue' | 'tables' | 'tablesPrefix'>,
  embedded: EmbeddedQueueOptions = {},
  env: Record<string, string | undefined> = process.env,
): Promise<QueueHandle> {
  if (config.queue.kind !== 'embedded') return createProcessQueue(config, embedded);
  shareEmbeddedQueue(undefined);
  const lockSeconds = Number(env.MMS_QUEUE_LOCK_SECONDS ?? '');
  const q = await EmbeddedQueue.open({
    ...embedded,
    store: new TableQueueStore(config),
    ...(Number.isFinite(lockSeconds) && lockSeconds > 0 ? { lockDurationMs: lockSeconds * 1000 } : {}),
  });
  shareEmbeddedQueue(q);
  return { publisher: q, consumer: q, embedded: q, close: () => q.close() };
}

/**
 * One embedded queue per function-host process. In Azure, the app publishes to Service Bus and the Functions host
 * delivers from it: both ends meet in the namespace. Locally, the embedded queue lives in memory, so the app's
 * publisher and the host's consumer must be the same instance. The host creates it and shares it through
 * shared/queue/factory's `shareEmbeddedQueue`, so every later `createQueue({ queue: { kind: 'embedded' } })` in the
 * process (the service code obtains its publisher that way) gets that instance, with a `close()` that leaves it
 * open: the host owns it and closes it when it stops.
 */
import { createQueue, shareEmbeddedQueue, type QueueHandle } from '../../shared/queue/factory';
import type { EmbeddedQueueOptions } from '../../shared/queue/embedded';

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

/**
 * One embedded queue per function-host process. In Azure, the app publishes to Service Bus and the Functions host
 * delivers from it: both ends meet in the namespace. Locally, the embedded queue lives in memory, so the app's
 * publisher and the host's consumer must be the same instance. The host creates it, then makes
 * `createQueue({ queue: { kind: 'embedded' } })` (shared/queue/factory) hand out that instance to every later
 * caller in the process (the service code obtains its publisher that way), with a `close()` that leaves it open:
 * the host owns it and closes it when it stops.
 */
import * as factory from '../../shared/queue/factory';
import type { QueueHandle } from '../../shared/queue/factory';

type CreateQueue = typeof factory.createQueue;

const ORIGINAL = Symbol.for('mms.dev.host.createQueue.original');

/** Creates the process's queue for `config` and, when embedded, shares it with every later createQueue caller. */
export function createProcessQueue(config: Parameters<CreateQueue>[0]): QueueHandle {
  const exportsObject = factory as unknown as Record<string | symbol, unknown>;
  const original = (exportsObject[ORIGINAL] as CreateQueue | undefined) ?? factory.createQueue;
  const handle = original(config);
  if (config.queue.kind !== 'embedded') return handle;
  const shared: QueueHandle = {
    publisher: handle.publisher,
    consumer: handle.consumer,
    ...(handle.embedded ? { embedded: handle.embedded } : {}),
    close: () => Promise.resolve(),
  };
  const replacement: CreateQueue = (cfg, options) =>
    cfg.queue.kind === 'embedded' ? shared : original(cfg, options);
  try {
    Object.defineProperty(exportsObject, ORIGINAL, { value: original, configurable: true });
    exportsObject.createQueue = replacement;
  } catch {
    /* checked just below */
  }
  if (exportsObject.createQueue !== replacement) {
    throw new Error('Cannot share the embedded queue: shared/queue/factory exports are not writable');
  }
  return handle;
}

/** Undoes createProcessQueue's sharing (tests). */
export function restoreCreateQueue(): void {
  const exportsObject = factory as unknown as Record<string | symbol, unknown>;
  const original = exportsObject[ORIGINAL];
  if (typeof original === 'function') exportsObject.createQueue = original;
}

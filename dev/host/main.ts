/**
 * The function host process that `npm start` (dev/start.ts) runs as a child, so that NODE_PATH (the
 * @azure/functions-core stand-in) and NODE_EXTRA_CA_CERTS (trust for the sandbox's certificate) are in effect from
 * the first line. Its environment is the app's settings. It loads the app (package.json "main"), connects queue
 * triggers to the queue the settings name, serves HTTP, runs timers, and reports readiness to its parent over IPC
 * (`{ type: 'ready', url, port, functions }`). It stops on SIGINT/SIGTERM or when its parent goes away.
 *
 *   node dist/dev/host/main.js [--port 7071] [--entry dist/functions/index.js]
 */
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../../shared/config';
import {
  consoleLogger,
  DEFAULT_PORT,
  errorText,
  flushLogOutput,
  startFunctionHost,
  type FunctionHost,
} from './host';
import type { QueueHandle } from '../../shared/queue/factory';
import { createDurableProcessQueue } from './process-queue';

export interface ReadyMessage {
  type: 'ready';
  url: string;
  port: number;
  functionKey: string;
  routePrefix: string;
  queue: string;
  functions: {
    name: string;
    triggerType: string;
    methods?: string[];
    route?: string;
    authLevel?: string;
    queueName?: string;
    schedule?: string;
  }[];
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--port <port>', 'HTTP port (0 = free)', String(DEFAULT_PORT))
    .option('--entry <file>', 'function app entry (default: package.json main)')
    .parse(process.argv)
    .opts<{ port: string; entry?: string }>();
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: "${opts.port}" is not a port`);

  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Function host: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const queueConfig = config.queue;

  const logger = consoleLogger();
  // MMS_QUEUE_DELIVER_TWICE=1: the embedded queue delivers every completed message once more (fault mode for
  // end-to-end tests of idempotency; see shared/queue/embedded.ts).
  const deliverTwice = process.env.MMS_QUEUE_DELIVER_TWICE === '1';
  // The embedded queue is kept in Table Storage: a host killed mid-run redelivers its messages on restart.
  const queue: QueueHandle = await createDurableProcessQueue(
    config,
    deliverTwice ? { deliverTwice: true } : {},
  );

  const running: { host?: FunctionHost } = {};
  let stopping: Promise<void> | undefined;
  const stop = (code: number) => {
    stopping ??= (async () => {
      try {
        await running.host?.stop();
        await queue.close();
      } catch (err) {
        flushLogOutput();
        console.error(`Function host: error while stopping: ${errorText(err)}`);
      }
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('disconnect', () => void stop(0));

  const host = await startFunctionHost({
    port,
    ...(opts.entry ? { entry: opts.entry } : {}),
    queue: queue.consumer,
    logger,
    runTimersAtStart: true,
  });
  running.host = host;
  const ready: ReadyMessage = {
    type: 'ready',
    url: host.url,
    port: host.port,
    functionKey: host.functionKey,
    routePrefix: host.routePrefix,
    queue: queueConfig.kind,
    functions: host.functions.map((f) => ({
      name: f.name,
      triggerType: f.triggerType,
      ...(f.methods ? { methods: f.methods } : {}),
      ...(f.route !== undefined ? { route: f.route } : {}),
      ...(f.authLevel ? { authLevel: f.authLevel } : {}),
      ...(f.queueName ? { queueName: f.queueName } : {}),
      ...(f.schedule ? { schedule: f.schedule } : {}),
    })),
  };
  flushLogOutput();
  if (process.send) process.send(ready);
  else console.log(`MMS_HOST_READY ${host.url}`);
}

main().catch((err: unknown) => {
  flushLogOutput();
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'EADDRINUSE') {
    console.error(`Function host: ${(err as Error).message}: the port is in use (--port 0 picks a free one)`);
  } else {
    console.error(`Function host failed to start: ${errorText(err)}`);
  }
  process.exit(1);
});

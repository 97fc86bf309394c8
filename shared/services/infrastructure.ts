/**
 * The process-wide bundle of adapters that function files and services get their dependencies from:
 *
 *   const { config, repositories, graph, queue, clock, newId } = getInfrastructure();
 *   await repositories.status.get(userId);
 *   await queue().send(QUEUES.meetingMigrations, message);
 *
 * Built lazily on first call (never at import time: importing a function file must not read settings or open
 * connections), then kept for the life of the process. The queue publisher is obtained at its first use, not
 * when the bundle is built, so that in the local host the shared embedded queue (shareEmbeddedQueue, set by the
 * host before it delivers anything) is the one used.
 *
 * Tests replace parts with `setInfrastructureForTests({ repositories, graph, queue, clock, newId })` (anything
 * not given is built from the configuration on first use) and undo it with `resetInfrastructureForTests()`.
 */
import { randomUUID } from 'node:crypto';
import { getConfig, type Config } from '../config';
import { createGraphClient, createGraphGateways, type GraphClient, type GraphGateways } from '../graph';
import { createQueue } from '../queue/factory';
import type { QueuePublisher } from '../queue/port';
import { createRepositories, type Repositories } from '../storage/repositories';

export interface Infrastructure {
  config: Config;
  repositories: Repositories;
  /** The Graph gateways (directory, calendar, onlineMeetings, subscriptions). */
  graph: GraphGateways;
  /** The Graph client behind `graph`, for its counters (undefined when a test supplied `graph`). */
  graphClient?: GraphClient;
  /** The queue publisher, created at first use. */
  queue: () => QueuePublisher;
  clock: () => Date;
  newId: () => string;
}

/**
 * Graph retries a queue worker allows in-process: a few, with short waits; a long Retry-After is thrown back
 * (GraphRequestError.retryAfterMs) so the worker reschedules instead of holding its instance.
 */
export const WORKER_GRAPH_RETRY = { maxRetries: 4, maxRetryAfterMs: 30_000 } as const;

let built: Infrastructure | undefined;
let overrides: Partial<Infrastructure> = {};

function build(): Infrastructure {
  const config = overrides.config ?? getConfig();
  let graph = overrides.graph;
  let graphClient = overrides.graphClient;
  if (!graph) {
    graphClient ??= createGraphClient(config, { retry: WORKER_GRAPH_RETRY });
    graph = createGraphGateways(graphClient);
  }
  let publisher: QueuePublisher | undefined;
  const queue =
    overrides.queue ??
    (() => {
      publisher ??= createQueue(config).publisher;
      return publisher;
    });
  return {
    config,
    repositories: overrides.repositories ?? createRepositories(config),
    graph,
    ...(graphClient ? { graphClient } : {}),
    queue,
    clock: overrides.clock ?? (() => new Date()),
    newId: overrides.newId ?? (() => randomUUID()),
  };
}

/** The process-wide infrastructure, built on first call. */
export function getInfrastructure(): Infrastructure {
  built ??= build();
  return built;
}

/** Replaces parts of the infrastructure (the rest is built from configuration on first use). */
export function setInfrastructureForTests(partial: Partial<Infrastructure>): void {
  overrides = { ...partial };
  built = undefined;
}

/** Back to the configuration-built infrastructure (rebuilt on next use). */
export function resetInfrastructureForTests(): void {
  overrides = {};
  built = undefined;
}

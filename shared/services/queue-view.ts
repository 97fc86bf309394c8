/**
 * Adds queue visibility to status records as the admin API shows them (never stored): a Pending record gets
 * `queuePosition` and `estimatedStart`, an InProgress one `progress.percent` and `estimatedEnd`, from the
 * throughput the service observed over the last day (shared/domain/queue-estimate.ts says how). Other records are
 * returned as they are.
 *
 *   const shown = await withQueueView(ports.statuses, records, new Date());
 */
import {
  estimateProgress,
  estimateQueue,
  OBSERVATION_WINDOW_MS,
  observeThroughput,
  type FinishedRun,
  type QueueEstimate,
} from '../domain/queue-estimate';
import type { MigrationStatus } from '../domain/status';
import type { StatusListOptions } from '../storage/repositories/status-repository';

export type MigrationStatusView = Omit<MigrationStatus, 'progress'> & {
  /** InProgress: `percent` of the meetings found so far that are done (below 100 until the run ends). */
  progress: (NonNullable<MigrationStatus['progress']> & { percent?: number }) | null;
  /** Pending: 1 for the next to run. */
  queuePosition?: number;
  /** Pending: when it should start (ISO-8601), null until the service has finished a run to measure. */
  estimatedStart?: string | null;
  /** InProgress: when it should end (ISO-8601), null until the service has finished a run to measure. */
  estimatedEnd?: string | null;
};

export interface QueueViewPorts {
  all(options?: Omit<StatusListOptions, 'continuationToken'>): AsyncIterable<MigrationStatus>;
}

export async function withQueueView(
  statuses: QueueViewPorts,
  records: readonly MigrationStatus[],
  now: Date,
): Promise<MigrationStatusView[]> {
  if (!records.some((r) => r.state === 'Pending' || r.state === 'InProgress')) return [...records];
  const pending: MigrationStatus[] = [];
  for await (const s of statuses.all({ state: 'Pending' })) pending.push(s);
  let inProgress = 0;
  for await (const _ of statuses.all({ state: 'InProgress' })) inProgress++;
  const finished: FinishedRun[] = [];
  for await (const s of statuses.all({ modifiedFrom: new Date(now.getTime() - OBSERVATION_WINDOW_MS) })) {
    if (s.state === 'Succeeded' || s.state === 'Failed') finished.push(s);
  }
  const throughput = observeThroughput(finished, now);
  const queue: Map<string, QueueEstimate> = estimateQueue(pending, inProgress, throughput, now);
  return records.map((r): MigrationStatusView => {
    if (r.state === 'Pending') {
      const q = queue.get(r.userId);
      return q === undefined ? r : { ...r, queuePosition: q.queuePosition, estimatedStart: q.estimatedStart };
    }
    if (r.state === 'InProgress') {
      const p = estimateProgress(r, throughput, now);
      return {
        ...r,
        progress: {
          discoveredMeeting: r.progress?.discoveredMeeting ?? 0,
          processedMeeting: r.progress?.processedMeeting ?? 0,
          ...r.progress,
          percent: p.percent,
        },
        estimatedEnd: p.estimatedEnd,
      };
    }
    return r;
  });
}

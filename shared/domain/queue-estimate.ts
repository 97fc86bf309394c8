/**
 * Queue visibility: where a Pending user stands in the queue and when their migration should start, and how far an
 * InProgress run is and when it should end, from the throughput the service observed (MMS gives no such answer;
 * "how many requests are queued and when will they run" is a question on Microsoft's own docs). Pure.
 *
 * Observed throughput (`observeThroughput`), from runs that ended in the last OBSERVATION_WINDOW_MS (at most the
 * latest MAX_OBSERVED_RUNS):
 * - `meanRunMs`: the mean time one run took (startDate → endDate);
 * - `usersPerMs`: runs completed per millisecond over the span from the first start to the last end (a burst of
 *   parallel runs counts as parallel); with one run, 1 / its duration;
 * - `parallelism`: runs at once, usersPerMs × meanRunMs (at least 1);
 * - `meetingsPerMs`: meetings a run handles per millisecond (total meetings / total run time).
 *
 * Queue (`estimateQueue`): Pending records in the order they are due (notBefore, then createDate, then userId);
 * `queuePosition` is 1 for the first. The run at position p starts once the (p − 1) runs ahead of it and the runs
 * in progress have left it a free slot: after max(0, p + inProgress − parallelism) completions, at `usersPerMs`,
 * and never before its notBefore. Without observations the position is still given; `estimatedStart` is null.
 *
 * Progress (`estimateProgress`): percent = processed / discovered meetings (discovery goes page by page, so this is
 * of the meetings found so far; it stays below 100 until the run ends); `estimatedEnd` = the later of startDate +
 * meanRunMs and now + the remaining discovered meetings at `meetingsPerMs`. Null without observations.
 *
 * `migrationStatusViewSchema` is the status record as the admin API shows it: the stored record plus these.
 */
import { z } from 'zod';
import { migrationStatusSchema } from './status';

const progressSchema = migrationStatusSchema.shape.progress.unwrap();

export const migrationStatusViewSchema = migrationStatusSchema.extend({
  progress: progressSchema
    .extend({
      percent: z.number().int().min(0).max(100).optional().meta({
        description:
          'InProgress: percent of the meetings found so far that are done (below 100 until the end).',
      }),
    })
    .nullable(),
  queuePosition: z
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'Pending: place in the queue, 1 for the next to run.' }),
  estimatedStart: z.string().nullable().optional().meta({
    description: 'Pending: when it should start, from the observed throughput; null before any run ended.',
  }),
  estimatedEnd: z.string().nullable().optional().meta({
    description: 'InProgress: when it should end, from the observed throughput; null before any run ended.',
  }),
});

export const OBSERVATION_WINDOW_MS = 24 * 3600_000;
export const MAX_OBSERVED_RUNS = 200;

export interface FinishedRun {
  startDate: string | null;
  endDate: string | null;
  totalMeeting: number;
}

export interface Throughput {
  /** Runs the figures come from. */
  runs: number;
  meanRunMs: number;
  usersPerMs: number;
  parallelism: number;
  meetingsPerMs: number;
}

export function observeThroughput(finished: readonly FinishedRun[], now: Date): Throughput | null {
  const from = now.getTime() - OBSERVATION_WINDOW_MS;
  const runs = finished
    .map((r) => ({
      start: r.startDate === null ? NaN : Date.parse(r.startDate),
      end: r.endDate === null ? NaN : Date.parse(r.endDate),
      meetings: r.totalMeeting,
    }))
    .filter((r) => Number.isFinite(r.start) && Number.isFinite(r.end) && r.end >= r.start && r.end >= from)
    .sort((a, b) => b.end - a.end)
    .slice(0, MAX_OBSERVED_RUNS);
  if (runs.length === 0) return null;
  // A run shorter than a millisecond still took time: count it as one.
  const durations = runs.map((r) => Math.max(1, r.end - r.start));
  const totalMs = durations.reduce((a, b) => a + b, 0);
  const meanRunMs = totalMs / runs.length;
  const span = Math.max(...runs.map((r) => r.end)) - Math.min(...runs.map((r) => r.start));
  const usersPerMs = runs.length === 1 || span <= 0 ? 1 / meanRunMs : runs.length / span;
  const meetings = runs.reduce((a, r) => a + r.meetings, 0);
  return {
    runs: runs.length,
    meanRunMs,
    usersPerMs,
    parallelism: Math.max(1, usersPerMs * meanRunMs),
    meetingsPerMs: meetings / totalMs,
  };
}

export interface QueuedRecord {
  userId: string;
  notBefore: string | null;
  createDate: string;
}

export interface QueueEstimate {
  queuePosition: number;
  estimatedStart: string | null;
}

/** Position and estimated start of every Pending record (see the file comment). */
export function estimateQueue(
  pending: readonly QueuedRecord[],
  inProgress: number,
  throughput: Throughput | null,
  now: Date,
): Map<string, QueueEstimate> {
  const due = (r: QueuedRecord) =>
    r.notBefore === null ? Date.parse(r.createDate) : Date.parse(r.notBefore);
  const ordered = [...pending].sort(
    (a, b) => due(a) - due(b) || a.createDate.localeCompare(b.createDate) || a.userId.localeCompare(b.userId),
  );
  const out = new Map<string, QueueEstimate>();
  ordered.forEach((r, i) => {
    const position = i + 1;
    let estimatedStart: string | null = null;
    if (throughput !== null) {
      const completionsNeeded = Math.max(0, position + inProgress - throughput.parallelism);
      const wait = completionsNeeded / throughput.usersPerMs;
      const at = Math.max(now.getTime() + wait, Number.isFinite(due(r)) ? due(r) : now.getTime());
      estimatedStart = new Date(Math.round(at)).toISOString();
    }
    out.set(r.userId, { queuePosition: position, estimatedStart });
  });
  return out;
}

export interface RunningRecord {
  startDate: string | null;
  progress: { discoveredMeeting: number; processedMeeting: number } | null;
}

export interface ProgressEstimate {
  percent: number;
  estimatedEnd: string | null;
}

export function estimateProgress(
  record: RunningRecord,
  throughput: Throughput | null,
  now: Date,
): ProgressEstimate {
  const discovered = record.progress?.discoveredMeeting ?? 0;
  const processed = Math.min(record.progress?.processedMeeting ?? 0, discovered);
  const percent = discovered === 0 ? 0 : Math.min(99, Math.floor((processed / discovered) * 100));
  if (throughput === null) return { percent, estimatedEnd: null };
  const started = record.startDate === null ? NaN : Date.parse(record.startDate);
  const byMean = Number.isFinite(started) ? started + throughput.meanRunMs : now.getTime();
  const remaining = discovered - processed;
  const byMeetings =
    throughput.meetingsPerMs > 0 ? now.getTime() + remaining / throughput.meetingsPerMs : now.getTime();
  return {
    percent,
    estimatedEnd: new Date(Math.round(Math.max(byMean, byMeetings, now.getTime()))).toISOString(),
  };
}

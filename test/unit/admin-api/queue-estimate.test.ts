import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { estimateProgress, estimateQueue, observeThroughput } from '../../../shared/domain/queue-estimate';

const now = new Date('2026-12-01T12:00:00.000Z');
const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();

describe('queue estimates', () => {
  // Four runs of 10 minutes each, two at a time, over the last 20 minutes: 1 user per 5 minutes, parallelism 2.
  const finished = [
    { startDate: at(-20), endDate: at(-10), totalMeeting: 10 },
    { startDate: at(-20), endDate: at(-10), totalMeeting: 10 },
    { startDate: at(-10), endDate: at(0), totalMeeting: 10 },
    { startDate: at(-10), endDate: at(0), totalMeeting: 10 },
    // Outside the one-day window: ignored.
    { startDate: '2026-11-01T00:00:00.000Z', endDate: '2026-11-01T05:00:00.000Z', totalMeeting: 1 },
    { startDate: null, endDate: null, totalMeeting: 0 },
  ];

  it('measures throughput from the runs that ended in the last day', () => {
    const t = observeThroughput(finished, now);
    assert.ok(t);
    assert.equal(t.runs, 4);
    assert.equal(t.meanRunMs, 10 * 60_000);
    assert.equal(t.usersPerMs, 4 / (20 * 60_000));
    assert.equal(t.parallelism, 2);
    assert.equal(t.meetingsPerMs, 40 / (40 * 60_000));
    assert.equal(observeThroughput([], now), null);
  });

  it('orders Pending users by when they are due and estimates when each starts', () => {
    const t = observeThroughput(finished, now);
    const pending = [
      { userId: 'c', notBefore: at(0), createDate: at(-1) },
      { userId: 'a', notBefore: at(-5), createDate: at(-5) },
      { userId: 'b', notBefore: at(-5), createDate: at(-4) },
      { userId: 'later', notBefore: at(120), createDate: at(-1) },
    ];
    const q = estimateQueue(pending, 1, t, now);
    assert.deepEqual(
      ['a', 'b', 'c', 'later'].map((u) => q.get(u)?.queuePosition),
      [1, 2, 3, 4],
    );
    // One run in progress, two slots: the first starts now, each next one 5 minutes later.
    assert.equal(q.get('a')?.estimatedStart, at(0));
    assert.equal(q.get('b')?.estimatedStart, at(5));
    assert.equal(q.get('c')?.estimatedStart, at(10));
    // Never before it is due.
    assert.equal(q.get('later')?.estimatedStart, at(120));
    // Without observations: positions, no times.
    const blind = estimateQueue(pending, 0, null, now);
    assert.equal(blind.get('a')?.queuePosition, 1);
    assert.equal(blind.get('a')?.estimatedStart, null);
  });

  it('gives an InProgress run its percent and estimated end', () => {
    const t = observeThroughput(finished, now);
    const p = estimateProgress(
      { startDate: at(-2), progress: { discoveredMeeting: 20, processedMeeting: 5 } },
      t,
      now,
    );
    assert.equal(p.percent, 25);
    // The later of start + mean run (8 min from now) and the 15 remaining meetings at 1 a minute (15 min).
    assert.equal(p.estimatedEnd, at(15));
    const done = estimateProgress(
      { startDate: at(-2), progress: { discoveredMeeting: 3, processedMeeting: 3 } },
      null,
      now,
    );
    assert.deepEqual(done, { percent: 99, estimatedEnd: null });
    assert.equal(estimateProgress({ startDate: null, progress: null }, null, now).percent, 0);
  });
});

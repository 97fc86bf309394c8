/**
 * The stall limit of a migration run is the queue's message lock plus a margin, so the lock the code assumes
 * (MESSAGE_LOCK_DURATION_MS) must be the one Bicep and Terraform give the queues.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { MESSAGE_LOCK_DURATION_MS, QUEUES } from '../../../shared/queue/port';
import { STALLED_AFTER_MS, STALL_MARGIN_MS } from '../../../shared/services/run-lifecycle';

const root = resolve(__dirname, '..', '..', '..', '..');

function minutes(iso: string): number {
  const m = /^PT(\d+)M$/.exec(iso);
  assert.ok(m?.[1], `an ISO duration in minutes, got ${iso}`);
  return Number(m[1]) * 60_000;
}

describe('message lock duration', () => {
  it('is the lockDuration Bicep and Terraform give each queue, in the same order', () => {
    const bicep = readFileSync(join(root, 'infra', 'bicep', 'resources.bicep'), 'utf8');
    const tf = readFileSync(join(root, 'infra', 'terraform', 'main.tf'), 'utf8');
    const fromBicep = [...bicep.matchAll(/^\s*lockDuration: '(PT\d+M)'/gm)].map((m) => minutes(m[1] ?? ''));
    const fromTf = [...tf.matchAll(/^\s*lock_duration\s*=\s*"(PT\d+M)"/gm)].map((m) => minutes(m[1] ?? ''));
    const expected = [
      MESSAGE_LOCK_DURATION_MS[QUEUES.meetingMigrations],
      MESSAGE_LOCK_DURATION_MS[QUEUES.directoryChanges],
    ];
    assert.deepEqual(fromBicep, expected);
    assert.deepEqual(fromTf, expected);
  });

  it('a run is stalled after the meeting-migrations lock plus the margin (7 minutes)', () => {
    assert.equal(STALLED_AFTER_MS, MESSAGE_LOCK_DURATION_MS[QUEUES.meetingMigrations] + STALL_MARGIN_MS);
    assert.equal(STALLED_AFTER_MS, 7 * 60_000);
  });
});

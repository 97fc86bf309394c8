/**
 * The status transitions under random sequences of triggers, queue deliveries (duplicates and stale messages
 * included) and run outcomes. Whatever happens:
 * - every record satisfies the contract schema;
 * - a Pending user always has an enqueued message that starts it (no migration is ever orphaned), and at most
 *   one enqueued message can start or resume the user (no double runs);
 * - `notBefore` is set exactly when Pending; `retryCount` never exceeds the maximum;
 * - `invitesUpdate` is the migration-wide count the last finished attempt reported (the worker counts from its
 *   ledger), unchanged between finishes;
 * - a request is never lost: its trigger waits in the pending migration or in the follow-up, and the follow-up
 *   becomes the pending migration when the run ends.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  finishMigration,
  migrationStatusSchema,
  requestMigration,
  runKeyOf,
  startMigration,
  type MigrationStatus,
  type RunKey,
  type RunResult,
} from '../../../shared/domain/status';
import { MIGRATION_TRIGGERS } from '../../../shared/domain/trigger-rules';
import { SOURCE_MEETING_TYPES, TARGET_MEETING_TYPES } from '../../../shared/domain/migration-type';
import { USER_ERROR_CODES } from '../../../shared/domain/last-message';

const USER = 'u-1';
const MAX_RETRIES = 3;

type Op =
  | {
      op: 'request';
      trigger: (typeof MIGRATION_TRIGGERS)[number];
      source: (typeof SOURCE_MEETING_TYPES)[number];
      target: (typeof TARGET_MEETING_TYPES)[number];
      delay: number;
    }
  | { op: 'deliver'; pick: number }
  | { op: 'finish'; result: RunResult }
  | { op: 'wait'; ms: number };

const resultArb: fc.Arbitrary<RunResult> = fc.oneof(
  fc
    .record({ failed: fc.nat(3), updated: fc.nat(5), skipped: fc.nat(3) })
    .map(({ failed, updated, skipped }): RunResult => ({
      kind: 'completed',
      counts: {
        totalMeeting: failed + updated + skipped,
        succeededMeeting: updated,
        failedMeeting: failed,
        invitesUpdate: updated,
        skippedMeeting: skipped,
        skipReasons: { upToDate: skipped },
        failureCodes: failed > 0 ? { graph5xx: failed } : {},
      },
    })),
  fc
    .record({
      code: fc.constantFrom(...USER_ERROR_CODES),
      retryAfterMs: fc.option(fc.nat(3_600_000), { nil: undefined }),
    })
    .map(({ code, retryAfterMs }): RunResult =>
      retryAfterMs === undefined ? { kind: 'userError', code } : { kind: 'userError', code, retryAfterMs },
    ),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('request' as const),
    trigger: fc.constantFrom(...MIGRATION_TRIGGERS),
    source: fc.constantFrom(...SOURCE_MEETING_TYPES),
    target: fc.constantFrom(...TARGET_MEETING_TYPES),
    delay: fc.nat(600_000),
  }),
  fc.record({ op: fc.constant('deliver' as const), pick: fc.nat(50) }),
  fc.record({ op: fc.constant('finish' as const), result: resultArb }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.nat(3_600_000) }),
);

const keyText = (k: RunKey) => `${k.correlationId}#${k.retryCount}`;

function check(status: MigrationStatus | null, queue: RunKey[], now: Date): void {
  if (status === null) return;
  const parsed = migrationStatusSchema.safeParse(status);
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
  assert.equal(status.notBefore !== null, status.state === 'Pending', 'notBefore iff Pending');
  assert.ok(status.retryCount <= MAX_RETRIES);
  const live = new Set(
    queue.filter((k) => startMigration(status, k, now).kind !== 'stale').map((k) => keyText(k)),
  );
  assert.ok(live.size <= 1, `at most one live run, got ${[...live].join(', ')}`);
  if (status.state === 'Pending' || status.state === 'InProgress') {
    assert.ok(live.has(keyText(runKeyOf(status))), `${status.state} without a message that runs it`);
  }
}

describe('status machine (property)', () => {
  it('keeps its invariants under any sequence of triggers, deliveries and outcomes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        let now = new Date('2026-06-15T12:00:00.000Z');
        let status: MigrationStatus | null = null;
        const queue: RunKey[] = [];
        let ids = 0;
        let lastInvites = 0;
        let lastCorrelation = '';
        for (const o of ops) {
          let finished: RunResult | null = null;
          if (o.op === 'wait') {
            now = new Date(now.getTime() + o.ms);
          } else if (o.op === 'request') {
            const r = requestMigration(
              status,
              {
                userId: USER,
                userPrincipalName: 'u@contoso.com',
                sourceMeetingType: o.source,
                targetMeetingType: o.target,
                trigger: o.trigger,
                correlationId: `c${++ids}`,
                delayMs: o.delay,
              },
              now,
            );
            status = r.status;
            if (r.kind === 'queued') queue.push(r.run);
            const waiting = status.state === 'InProgress' ? status.followUp?.triggers : status.triggers;
            assert.ok(waiting?.includes(o.trigger), `request ${o.trigger} lost (${r.kind})`);
          } else if (o.op === 'deliver') {
            const key = queue[o.pick % Math.max(queue.length, 1)];
            if (key !== undefined) {
              const s = startMigration(status, key, now);
              if (s.kind !== 'stale') status = s.status;
            }
          } else if (status !== null && status.state === 'InProgress') {
            const followUp = status.followUp?.triggers ?? [];
            const f = finishMigration(status, runKeyOf(status), o.result, now, { maxRetries: MAX_RETRIES });
            status = f.status;
            for (const t of followUp) {
              assert.ok(status.state === 'Pending' && status.triggers.includes(t), `follow-up ${t} lost`);
            }
            if (f.next) queue.push(f.next.run);
            finished = o.result;
          }
          if (status !== null) {
            // The worker reports the migration-wide count (from its ledger), so a finished attempt's count is
            // the migration's; between finishes it does not change.
            const done: RunResult | null = finished;
            if (done !== null && status.correlationId === lastCorrelation && done.kind === 'completed') {
              assert.equal(status.invitesUpdate, done.counts.invitesUpdate);
            } else if (done === null && status.correlationId === lastCorrelation) {
              assert.equal(status.invitesUpdate, lastInvites);
            }
            lastCorrelation = status.correlationId;
            lastInvites = status.invitesUpdate;
          }
          check(status, queue, now);
        }
      }),
      { numRuns: 300 },
    );
  });
});

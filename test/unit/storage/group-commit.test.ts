/**
 * PartitionGroupCommit (shared/storage/group-commit.ts) against a recording target: writes of a partition gather
 * while its transactions are in flight and leave together (at most 100; several transactions at once only with
 * maxInFlight, never two holding one row); a lone write leaves at once; a write
 * resolves only after its transaction; the later of two writes of one row wins; writes of a row never overtake
 * each other; and a failed transaction is retried row by row, so each caller gets its own row's outcome.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionGroupCommit } from '../../../shared/storage/group-commit';
import type { RowWrite } from '../../../shared/storage/repository';

interface Call {
  partitionKey: string;
  writes: RowWrite<number>[];
  release: () => void;
  fail: (e: Error) => void;
}

/** A target whose transactions end when the test says so. */
function recordingTarget() {
  const calls: Call[] = [];
  const rows = new Map<string, number>();
  return {
    calls,
    rows,
    target: {
      writeBatch(partitionKey: string, writes: readonly RowWrite<number>[]) {
        return new Promise<void>((resolve, reject) => {
          calls.push({
            partitionKey,
            writes: [...writes],
            release: () => {
              for (const w of writes) {
                const key = `${partitionKey}/${w.rowKey}`;
                if (w.kind === 'upsert') rows.set(key, w.value);
                else rows.delete(key);
              }
              resolve();
            },
            fail: reject,
          });
        });
      },
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('PartitionGroupCommit', () => {
  it('sends a lone write at once, gathers the writes that arrive meanwhile, and resolves each after its transaction', async () => {
    const { calls, rows, target } = recordingTarget();
    const gc = new PartitionGroupCommit(target);
    const done: string[] = [];
    const first = gc.upsert('p', 'a', 1).then(() => done.push('a'));
    assert.equal(calls.length, 1, 'the first write left at once');
    const rest = ['b', 'c', 'd'].map((k, i) => gc.upsert('p', k, i).then(() => done.push(k)));
    await tick();
    assert.equal(calls.length, 1, 'the others wait for the transaction in flight');
    assert.deepEqual(done, [], 'nothing resolves before its transaction commits');
    calls[0]?.release();
    await first;
    await tick();
    assert.equal(calls.length, 2);
    assert.deepEqual(
      calls[1]?.writes.map((w) => w.rowKey),
      ['b', 'c', 'd'],
    );
    assert.deepEqual(done, ['a']);
    calls[1]?.release();
    await Promise.all(rest);
    assert.deepEqual(done, ['a', 'b', 'c', 'd']);
    assert.equal(rows.size, 4);
    assert.deepEqual(gc.stats(), { requests: 2, writes: 4 });
  });

  it('keeps partitions apart and puts at most 100 rows in a transaction', async () => {
    const { calls, target } = recordingTarget();
    const gc = new PartitionGroupCommit(target);
    const all = [gc.upsert('p', 'first', 0), gc.upsert('q', 'first', 0)];
    for (let i = 0; i < 250; i++) all.push(gc.upsert('p', `r${i}`, i));
    assert.deepEqual(
      calls.map((c) => c.partitionKey),
      ['p', 'q'],
      'one transaction per partition in flight, both at once',
    );
    const sizes: number[] = [];
    while (calls.length > 0) {
      for (const c of calls.splice(0)) {
        if (c.partitionKey === 'p') sizes.push(c.writes.length);
        c.release();
      }
      await tick();
    }
    await Promise.all(all);
    assert.deepEqual(sizes, [1, 100, 100, 50]);
  });

  it('merges two writes of one row queued together (the later wins) and never lets a write overtake an earlier one', async () => {
    const { calls, rows, target } = recordingTarget();
    const gc = new PartitionGroupCommit(target);
    const order: string[] = [];
    const w1 = gc.upsert('p', 'x', 1).then(() => order.push('x=1'));
    // x is in flight: these two wait, and merge into one write of the later value.
    const w2 = gc.upsert('p', 'x', 2).then(() => order.push('x=2'));
    const w3 = gc.delete('p', 'x').then(() => order.push('x deleted'));
    assert.equal(calls.length, 1);
    calls[0]?.release();
    await w1;
    await tick();
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[1]?.writes, [{ kind: 'delete', rowKey: 'x' }]);
    assert.equal(rows.get('p/x'), 1, 'the first write landed before the later ones left');
    calls[1]?.release();
    await Promise.all([w2, w3]);
    assert.deepEqual(order, ['x=1', 'x=2', 'x deleted']);
    assert.equal(rows.has('p/x'), false);
  });

  it('retries a failed transaction row by row: one row that cannot be written fails only its own caller', async () => {
    const { calls, target } = recordingTarget();
    const gc = new PartitionGroupCommit(target);
    const first = gc.upsert('p', 'lead', 0);
    const outcomes = new Map<string, string>();
    const writes = ['a', 'gone', 'b'].map((k) =>
      (k === 'gone' ? gc.delete('p', k) : gc.upsert('p', k, 1)).then(
        () => outcomes.set(k, 'ok'),
        (e: Error) => outcomes.set(k, e.message),
      ),
    );
    calls.shift()?.release();
    await first;
    await tick();
    const batch = calls.shift();
    assert.equal(batch?.writes.length, 3);
    batch?.fail(new Error('the transaction failed: row gone not found'));
    await tick();
    assert.deepEqual(
      calls.map((c) => c.writes.map((w) => w.rowKey)),
      [['a'], ['gone'], ['b']],
      'each row tried alone',
    );
    for (const c of calls.splice(0)) {
      if (c.writes[0]?.rowKey === 'gone') c.fail(new Error('not found'));
      else c.release();
    }
    await Promise.all(writes);
    assert.deepEqual(Object.fromEntries(outcomes), { a: 'ok', gone: 'not found', b: 'ok' });
  });

  it('with maxInFlight, runs several transactions of a partition at once, never two holding the same row', async () => {
    const { calls, rows, target } = recordingTarget();
    const gc = new PartitionGroupCommit(target, { maxInFlight: 2 });
    const order: string[] = [];
    const all = [
      gc.upsert('p', 'x', 1).then(() => order.push('x=1')),
      gc.upsert('p', 'y', 1),
      gc.upsert('p', 'x', 2).then(() => order.push('x=2')),
      gc.upsert('p', 'z', 1),
    ];
    assert.deepEqual(
      calls.map((c) => c.writes.map((w) => w.rowKey)),
      [['x'], ['y']],
      'two lone writes at once; the rest gather',
    );
    calls[1]?.release(); // y ends first: z may go, x=2 may not while x=1 is out
    await tick();
    assert.deepEqual(
      calls[2]?.writes.map((w) => w.rowKey),
      ['z'],
    );
    assert.equal(calls.length, 3);
    calls[0]?.release();
    await tick();
    assert.deepEqual(calls[3]?.writes, [{ kind: 'upsert', rowKey: 'x', value: 2 }]);
    calls[2]?.release();
    calls[3]?.release();
    await Promise.all(all);
    assert.deepEqual(order, ['x=1', 'x=2']);
    assert.equal(rows.get('p/x'), 2);
  });

  it('rejects a lone write with its failure', async () => {
    const { calls, target } = recordingTarget();
    const gc = new PartitionGroupCommit(target);
    const w = gc.upsert('p', 'a', 1);
    calls[0]?.fail(new Error('storage is down'));
    await assert.rejects(w, /storage is down/);
    assert.equal(calls.length, 1, 'a lone write is not tried again');
  });

  it('lets deferred writes ride along: they leave with the next write, a full transaction, or flush', async () => {
    const { calls, rows, target } = recordingTarget();
    const gc = new PartitionGroupCommit(target);
    const deferred = [gc.upsert('p', 'a', 1, { defer: true }), gc.upsert('p', 'b', 2, { defer: true })];
    await tick();
    assert.equal(calls.length, 0, 'a deferred write starts no transaction');
    const c = gc.upsert('p', 'c', 3);
    assert.deepEqual(
      calls[0]?.writes.map((w) => w.rowKey),
      ['c', 'a', 'b'],
      'the write someone waits for first, the deferred ones with it',
    );
    calls[0]?.release();
    await Promise.all([c, ...deferred]);
    // A transaction's worth of deferred rows leaves on its own.
    const many = Array.from({ length: 100 }, (_, i) => gc.upsert('q', `r${i}`, i, { defer: true }));
    assert.equal(calls.length, 2);
    assert.equal(calls[1]?.writes.length, 100);
    calls[1]?.release();
    await Promise.all(many);
    // flush sends what is left and resolves once the partition is idle.
    const last = gc.upsert('q', 'z', 9, { defer: true });
    let flushed = false;
    const flush = gc.flush('q').then(() => (flushed = true));
    assert.equal(calls.length, 3);
    await tick();
    assert.equal(flushed, false, 'flush waits for the transaction');
    calls[2]?.release();
    await Promise.all([last, flush]);
    assert.equal(rows.get('q/z'), 9);
    await gc.flush('nothing-queued');
  });
});

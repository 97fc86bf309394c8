/**
 * The worker's pipeline parts: the listing prefetch (one page ahead, failures surface in order), the group-commit
 * writer (a row is durable when `write` resolves, concurrent rows share transactions of at most 100 rows, a
 * deferred failure is never lost), and the latest-value writer (one write at a time, the last value wins).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommitWriter, LatestWriter, prefetch } from '../../../shared/services/meeting-pipeline';

const tick = () => new Promise<void>((r) => setImmediate(r));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

describe('prefetch', () => {
  it('asks for the next page while the current one is processed, never more than one ahead', async () => {
    const asked: number[] = [];
    async function* pages() {
      for (let i = 0; i < 4; i++) {
        asked.push(i);
        await tick();
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const p of prefetch(pages())) {
      await tick();
      await tick();
      // While page p is processed, page p + 1 has been asked for, and nothing beyond it.
      assert.deepEqual(
        asked,
        Array.from({ length: Math.min(4, p + 2) }, (_, i) => i),
      );
      seen.push(p);
    }
    assert.deepEqual(seen, [0, 1, 2, 3]);
  });

  it('surfaces a failed page when its turn comes, after the pages before it', async () => {
    async function* pages() {
      yield 1;
      await tick();
      throw new Error('page 2 failed');
    }
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const p of prefetch(pages())) {
        await tick();
        seen.push(p);
      }
    }, /page 2 failed/);
    assert.deepEqual(seen, [1]);
  });

  it('lets the source clean up when the consumer stops early', async () => {
    let cleaned = false;
    async function* pages() {
      try {
        for (let i = 0; ; i++) {
          await tick();
          yield i;
        }
      } finally {
        cleaned = true;
      }
    }
    for await (const p of prefetch(pages())) if (p === 2) break;
    assert.equal(cleaned, true);
  });
});

describe('GroupCommitWriter', () => {
  it('writes a lone row at once, and gathers rows that arrive while a transaction is in flight', async () => {
    const batches: number[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const writer = new GroupCommitWriter<number>((rows) => {
      batches.push(rows);
      const g = deferred();
      gates.push(g);
      return g.promise;
    }, String);
    const first = writer.write(0);
    await tick();
    assert.deepEqual(batches, [[0]], 'no waiting for company');
    const rest = Array.from({ length: 150 }, (_, i) => writer.write(i + 1));
    let restDone = false;
    void Promise.all(rest).then(() => (restDone = true));
    await tick();
    assert.equal(batches.length, 1, 'the others wait for the transaction in flight');
    gates[0]?.resolve();
    await first;
    await tick();
    assert.equal(batches[1]?.length, 100, 'at most 100 rows per transaction');
    assert.equal(restDone, false, 'a row is not reported durable before its transaction ends');
    gates[1]?.resolve();
    await tick();
    await tick();
    assert.equal(batches[2]?.length, 50);
    gates[2]?.resolve();
    await Promise.all(rest);
    assert.equal(writer.transactions, 3);
    assert.equal(writer.rows, 151);
  });

  it('merges two rows of one entity queued before their transaction (the later wins)', async () => {
    const batches: string[][] = [];
    const gate = deferred();
    const writer = new GroupCommitWriter<{ k: string; v: string }>(
      (rows) => {
        batches.push(rows.map((r) => `${r.k}=${r.v}`));
        return batches.length === 1 ? gate.promise : Promise.resolve();
      },
      (r) => r.k,
    );
    const a = writer.write({ k: 'a', v: '0' });
    const b1 = writer.write({ k: 'b', v: 'pending' });
    writer.defer({ k: 'b', v: 'updated' });
    gate.resolve();
    await Promise.all([a, b1, writer.flush()]);
    assert.deepEqual(batches, [['a=0'], ['b=updated']]);
  });

  it('sends deferred rows only with the next write (or at flush), never in a transaction of their own', async () => {
    const batches: number[][] = [];
    const writer = new GroupCommitWriter<number>((rows) => {
      batches.push(rows);
      return Promise.resolve();
    }, String);
    writer.defer(1);
    writer.defer(2);
    await tick();
    assert.deepEqual(batches, [], 'deferred rows wait for company');
    await writer.write(3);
    assert.deepEqual(batches, [[3, 1, 2]], 'the row waited for first, the deferred ones with it');
    writer.defer(4);
    await writer.flush();
    assert.deepEqual(batches, [[3, 1, 2], [4]]);
  });

  it("retries a failed transaction row by row: each write gets its own row's outcome, flush throws a deferred failure", async () => {
    const batches: number[][] = [];
    const writer = new GroupCommitWriter<number>(async (rows) => {
      batches.push(rows);
      await tick();
      if (rows.includes(2)) throw new Error('storage refused row 2');
    }, String);
    await writer.write(1);
    writer.defer(2);
    await writer.write(3);
    assert.deepEqual(batches, [[1], [3, 2], [3], [2]]);
    await assert.rejects(writer.flush(), /storage refused row 2/);
    const lost = writer.write(2);
    await assert.rejects(lost, /storage refused row 2/);
  });

  it('flush waits for every deferred row', async () => {
    const written: number[] = [];
    const writer = new GroupCommitWriter<number>(async (rows) => {
      await new Promise((r) => setTimeout(r, 5));
      written.push(...rows);
    }, String);
    for (let i = 0; i < 250; i++) writer.defer(i);
    await writer.flush();
    assert.equal(written.length, 250);
  });
});

describe('LatestWriter', () => {
  it('writes one value at a time and skips the ones overtaken meanwhile', async () => {
    const written: number[] = [];
    let running = 0;
    let peak = 0;
    const w = new LatestWriter<number>(async (v) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      written.push(v);
      running--;
    });
    for (let i = 1; i <= 10; i++) w.offer(i);
    await w.idle();
    assert.deepEqual(written, [1, 10]);
    assert.equal(peak, 1);
  });

  it('drops the value not being written yet, and idle waits only for the write under way', async () => {
    const written: number[] = [];
    const w = new LatestWriter<number>(async (v) => {
      await new Promise((r) => setTimeout(r, 5));
      written.push(v);
    });
    w.offer(1);
    w.offer(2);
    w.dropPending();
    await w.idle();
    assert.deepEqual(written, [1]);
  });

  it('keeps the first failure, stops writing, and idle throws it', async () => {
    const w = new LatestWriter<number>((v) =>
      v === 2 ? Promise.reject(new Error('superseded')) : Promise.resolve(),
    );
    w.offer(1);
    await w.idle();
    w.offer(2);
    await assert.rejects(w.idle(), /superseded/);
    assert.match(String((w.failure?.e as Error).message), /superseded/);
  });
});

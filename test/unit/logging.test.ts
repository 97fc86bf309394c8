import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvocationContext } from '@azure/functions';
import { functionLogger } from '../../functions/log';
import { formatLogLine, logFormat, RunLogger } from '../../shared/logging';

describe('logs', () => {
  it('are JSON lines on Azure and readable text elsewhere, or as LOG_FORMAT says', () => {
    assert.equal(logFormat({ WEBSITE_INSTANCE_ID: 'abc' }), 'json');
    assert.equal(logFormat({}), 'text');
    assert.equal(logFormat({ WEBSITE_INSTANCE_ID: 'abc', LOG_FORMAT: 'text' }), 'text');
    assert.equal(logFormat({ LOG_FORMAT: 'JSON' }), 'json');
  });

  it('put the run (userId, correlationId, retryCount) and the function on every line, one line per entry', () => {
    const lines: { level: string; line: string }[] = [];
    const sink = {
      info: (line: string) => lines.push({ level: 'info', line }),
      warn: (line: string) => lines.push({ level: 'warn', line }),
      error: (line: string) => lines.push({ level: 'error', line }),
    };
    const run = new RunLogger(sink, 'json', { functionName: 'migrateUser', invocationId: 'inv-1' }).with({
      userId: 'u-1',
      correlationId: 'c-1',
      retryCount: 2,
    });
    run.info('migrateUser: started');
    run.fn('migrateUser: page', { meetings: 50, userId: 'not-this-one' });
    run.error('migrateUser: failed', { error: new Error('boom\nsecond line') });
    assert.equal(lines.length, 3);
    for (const { line } of lines) {
      assert.ok(!line.includes('\n'), 'one line per entry');
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.equal(entry.functionName, 'migrateUser');
      assert.equal(entry.invocationId, 'inv-1');
      assert.equal(entry.userId, 'u-1');
      assert.equal(entry.correlationId, 'c-1');
      assert.equal(entry.retryCount, 2);
    }
    const page = JSON.parse(lines[1]?.line ?? '') as Record<string, unknown>;
    assert.equal(page.meetings, 50);
    assert.equal(page.message, 'migrateUser: page');
    const failed = JSON.parse(lines[2]?.line ?? '') as { level: string; error: { message: string } };
    assert.equal(lines[2]?.level, 'error');
    assert.equal(failed.level, 'error');
    assert.equal(failed.error.message, 'boom\nsecond line');
  });

  it('keep the readable one-line form locally', () => {
    assert.equal(
      formatLogLine('text', 'info', 'migrateUser: finished', {
        userId: 'u-1',
        state: 'Succeeded',
        note: 'a b',
      }),
      'migrateUser: finished userId=u-1 state=Succeeded note="a b"',
    );
    assert.ok(!formatLogLine('text', 'info', 'two\nlines', { x: 'y\nz' }).includes('\n'));
  });

  it('in a function: name and invocation id from the invocation context', () => {
    const seen: string[] = [];
    const context = new InvocationContext({
      functionName: 'migrateUser',
      invocationId: 'inv-9',
      logHandler: (_level, ...args) => seen.push(String(args[0])),
    });
    const saved = process.env.LOG_FORMAT;
    process.env.LOG_FORMAT = 'json';
    try {
      functionLogger(context).with({ userId: 'u-9' }).info('hello');
    } finally {
      if (saved === undefined) delete process.env.LOG_FORMAT;
      else process.env.LOG_FORMAT = saved;
    }
    assert.deepEqual(JSON.parse(seen[0] ?? ''), {
      level: 'info',
      message: 'hello',
      userId: 'u-9',
      functionName: 'migrateUser',
      invocationId: 'inv-9',
    });
  });
});

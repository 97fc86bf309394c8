import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { health } from '../../functions/health';

describe('GET /api/health', () => {
  it('answers ok with the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    const res = await health(
      new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }),
      new InvocationContext(),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.jsonBody, { status: 'ok', version: pkg.version });
  });
});

/**
 * The README's error section is what the API answers: every code its table lists is one an operation of the
 * OpenAPI registry can answer (or the 500 `internalError`), with the same status; the migrations routes' codes
 * are all listed; and the shapes it quotes are what the handlers produce.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadFunctionAppRegistrations } from '../../../dev/host/stubs/@azure/functions-core';
import { describedRoutes } from '../../../functions/http-routes';
import { issueToError } from '../../../shared/services/input';
import { identitySchema } from '../../../shared/services/request-migration';

const ROOT = join(__dirname, '..', '..', '..', '..');

/** code → statuses the registry says some operation answers it with; `routes` limits to those routes. */
function registryCodes(routes?: (route: string) => boolean): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const add = (code: string, status: number) => out.set(code, (out.get(code) ?? new Set()).add(status));
  for (const r of describedRoutes()) {
    if (routes !== undefined && !routes(r.route)) continue;
    for (const op of Object.values(r.operations)) {
      if (op === undefined) continue;
      if (op.query !== undefined || op.body !== undefined) add('invalidParameter', 400);
      if (op.body !== undefined) add('invalidJson', 400);
      for (const [status, codes] of Object.entries(op.errors ?? {})) {
        for (const c of codes ?? []) add(c, Number(status));
      }
    }
  }
  return out;
}

function readmeTable(): Map<string, number> {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf('**Errors**');
  assert.ok(start >= 0, 'the README has an Errors section');
  const rows = new Map<string, number>();
  for (const m of text.slice(start).matchAll(/^\| `(\w+)` \| (\d{3}) \|/gm)) {
    if (m[1] !== undefined && m[2] !== undefined) rows.set(m[1], Number(m[2]));
  }
  return rows;
}

describe('README: error bodies', () => {
  before(() => {
    loadFunctionAppRegistrations(join(ROOT, 'dist', 'functions', 'index.js'));
  });

  it('lists only codes the API answers, with their status', () => {
    const registry = registryCodes();
    const table = readmeTable();
    assert.ok(table.size >= 5);
    for (const [code, status] of table) {
      if (code === 'internalError') {
        assert.equal(status, 500);
        continue;
      }
      assert.ok(registry.get(code)?.has(status), `${code} ${status} is answered by some operation`);
    }
  });

  it('lists every code the migrations routes answer', () => {
    const table = readmeTable();
    for (const code of registryCodes((r) => r.startsWith('migrations')).keys()) {
      assert.ok(table.has(code), `${code} is in the README's table`);
    }
  });

  it('quotes the messages as the checks write them', () => {
    const long = `${'a'.repeat(300)}@contoso.com`;
    const r = identitySchema.safeParse(long);
    assert.ok(!r.success);
    const e = issueToError(r.error.issues, long, 'identity');
    assert.equal(e.message, 'Parameter "identity": is too long (312 characters); at most 256 characters');
  });
});

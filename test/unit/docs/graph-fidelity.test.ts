/**
 * docs/graph-fidelity.md has a row for every Graph request the gateways declare (shared/graph/routes.ts), naming
 * its permission and its documentation page, and every sandbox test it cites exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GRAPH_ROUTES } from '../../../shared/graph/routes';

const ROOT = join(__dirname, '..', '..', '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'graph-fidelity.md'), 'utf8');
const rows = doc
  .split('\n')
  .filter((l) => l.startsWith('| ') && !l.startsWith('| Behaviour') && !l.startsWith('|---'));

describe('docs/graph-fidelity.md', () => {
  it('has a row for every declared Graph request, with its permission and its page', () => {
    for (const r of GRAPH_ROUTES) {
      const page = r.doc.replace(/^api-reference\/v1\.0\//, '');
      const row = rows.find((l) => l.includes(page) && l.includes(r.permission));
      assert.ok(row, `no row cites ${page} with ${r.permission} (${r.method} ${r.path})`);
    }
  });

  it('every row says whether it was verified in a real tenant, and cites sandbox tests that exist', () => {
    assert.ok(rows.length >= GRAPH_ROUTES.length / 2);
    for (const row of rows) {
      const cells = row.split(' | ');
      assert.equal(cells.length, 6, `six columns: ${row}`);
      assert.match(cells[5] ?? '', /^(Not yet|Yes)/, row);
      for (const m of row.matchAll(/`((?:test\/[\w/.-]+|[\w.-]+)\.test\.ts)`/g)) {
        const name = m[1] ?? '';
        const found = name.includes('/')
          ? existsSync(join(ROOT, name))
          : existsSync(join(ROOT, 'test', 'integration', 'sandbox', name)) ||
            existsSync(join(ROOT, 'test', 'integration', 'migrate-user', name)) ||
            existsSync(join(ROOT, 'test', 'integration', 'preflight', name)) ||
            existsSync(join(ROOT, 'test', 'integration', 'graph', name));
        assert.ok(found, `${name} (cited in docs/graph-fidelity.md) exists`);
      }
    }
  });
});

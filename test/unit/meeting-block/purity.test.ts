import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './support';

// shared/domain is pure: the meeting-block module may import only its own locale table and well-kept parsing
// libraries, and no Node built-in (no I/O).
describe('meeting block: purity', () => {
  for (const file of ['shared/domain/meeting-block.ts', 'shared/domain/locales/meeting-block.ts']) {
    it(`${file} imports nothing outside shared/domain but htmlparser2, entities and zod`, () => {
      const source = readFileSync(join(repoRoot, file), 'utf8');
      const specifiers = [...source.matchAll(/^import\s[^;]*?from\s+'([^']+)';/gms)].map((m) => m[1]);
      assert.ok(file.includes('locales') || specifiers.length > 0, 'no imports found: the pattern is stale');
      for (const s of specifiers) {
        assert.ok(
          s === 'htmlparser2' || s === 'entities' || s === 'zod' || s === './locales/meeting-block',
          `${file} imports ${s}`,
        );
      }
      assert.ok(!/\brequire\(/.test(source), `${file} uses require`);
    });
  }
});

/**
 * shared/domain is pure: no clock, no randomness, no environment. Rules take `now` (and ids) as parameters, so the
 * same input always gives the same answer. (Imports are checked by test/unit/architecture/layers.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now() (take `now` as a parameter)'],
  [/\bnew Date\s*\(\s*\)/, 'new Date() without an argument (take `now` as a parameter)'],
  [/\bMath\.random\s*\(/, 'Math.random() (take ids and jitter as parameters)'],
  [/\bcrypto\.random\w*\s*\(|\brandomUUID\s*\(/, 'random ids (take them as parameters)'],
  [/\bprocess\.(env|hrtime|argv)\b/, 'process state (read settings in shared/config.ts)'],
  [/\bperformance\.now\s*\(/, 'performance.now()'],
];

describe('shared/domain purity', () => {
  const files = sources(join(root, 'shared', 'domain'));

  it('finds the domain sources', () => {
    assert.ok(files.some((f) => f.endsWith('status.ts')));
  });

  it('reads no clock, randomness or environment', () => {
    const problems: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const [re, what] of FORBIDDEN) {
        if (re.test(text)) problems.push(`${relative(root, f)}: ${what}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

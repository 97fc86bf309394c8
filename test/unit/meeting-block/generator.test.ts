import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { findOnlineMeetingBlock, replaceOnlineMeetingBlock } from '../../../shared/domain/meeting-block';
import { repoRoot } from './support';

// The sandbox's body generator (dev/sandbox/generator/blocks.ts, another engineer's) publishes a catalogue of
// bodies with the block's expected offsets. Loaded at run time so this file compiles before that one exists.
const compiled = join(repoRoot, 'dist', 'dev', 'sandbox', 'generator', 'blocks.js');

const catalogueSchema = z.array(
  z.object({
    name: z.string(),
    contentType: z.enum(['html', 'text']),
    body: z.string(),
    expected: z
      .object({ kind: z.enum(['skype', 'teams']), blockStart: z.number().int(), blockEnd: z.number().int() })
      .nullable(),
  }),
);

function loadCatalogue(): z.infer<typeof catalogueSchema> | null {
  if (!existsSync(compiled)) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod: unknown = require(compiled);
  const fn = z.object({ sampleBodies: z.function() }).parse(mod).sampleBodies;
  return catalogueSchema.parse(fn());
}

describe("meeting block: the sandbox generator's catalogue", () => {
  const catalogue = loadCatalogue();
  if (!catalogue) {
    it('dev/sandbox/generator/blocks.ts is not built yet', (t) =>
      t.skip('no dist/dev/sandbox/generator/blocks.js'));
    return;
  }
  it('is not empty and has both kinds and broken bodies', () => {
    assert.ok(catalogue.some((c) => c.expected?.kind === 'teams'));
    assert.ok(catalogue.some((c) => c.expected?.kind === 'skype'));
    assert.ok(catalogue.some((c) => c.expected === null));
  });
  for (const sample of catalogue) {
    it(`${sample.name} (${sample.contentType})`, () => {
      const found = findOnlineMeetingBlock(sample.body, sample.contentType);
      if (!sample.expected) {
        assert.equal(found, null);
        return;
      }
      assert.ok(found, 'no block found');
      assert.deepEqual(
        { kind: found.kind, start: found.start, end: found.end },
        { kind: sample.expected.kind, start: sample.expected.blockStart, end: sample.expected.blockEnd },
      );
      const out = replaceOnlineMeetingBlock(sample.body, sample.contentType, '');
      assert.equal(out, sample.body.slice(0, found.start) + sample.body.slice(found.end));
    });
  }
});

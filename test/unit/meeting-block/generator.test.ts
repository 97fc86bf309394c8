import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findOnlineMeetingBlock, replaceOnlineMeetingBlock } from '../../../shared/domain/meeting-block';
import { sampleBodies } from '../../../dev/sandbox/generator/blocks';

// The sandbox's body generator (dev/sandbox/generator/blocks.ts) publishes a catalogue of bodies with the block's
// expected offsets, written independently of the finder: a second corpus.
const catalogue = sampleBodies();

describe("meeting block: the sandbox generator's catalogue", () => {
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

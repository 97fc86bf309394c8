import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  findOnlineMeetingBlock,
  MeetingBlockNotFoundError,
  renderOnlineMeetingBlock,
  replaceOnlineMeetingBlock,
} from '../../../shared/domain/meeting-block';
import { loadFixtures, skypeInfo, teamsInfo } from './support';

const fixtures = loadFixtures();

describe('meeting block: fixture corpus', () => {
  it('has the corpus the tests rely on', () => {
    assert.ok(fixtures.length >= 20, `only ${fixtures.length} fixtures`);
    const kinds = new Set(fixtures.map((f) => `${f.contentType}:${f.expected?.kind ?? 'none'}`));
    for (const k of ['html:teams', 'html:skype', 'html:none', 'text:teams', 'text:skype', 'text:none']) {
      assert.ok(kinds.has(k), `no ${k} fixture`);
    }
    assert.ok(
      fixtures.some((f) => f.body.includes('\r\n')),
      'no CRLF fixture',
    );
    assert.ok(
      fixtures.some((f) => f.body.includes('x_OutJoinLink')),
      'no Skype attendee copy',
    );
    assert.ok(
      fixtures.some((f) => f.body.includes('x_me-email-text')),
      'no Teams attendee copy',
    );
  });

  for (const f of fixtures) {
    describe(f.file, () => {
      it(`finds ${f.expected ? `the ${f.expected.kind} block at exact offsets` : 'no block'} (${f.notes})`, () => {
        const found = findOnlineMeetingBlock(f.body, f.contentType);
        if (!f.expected) {
          assert.equal(found, null);
          return;
        }
        assert.ok(found, 'expected a block');
        const { head, tail, ...exp } = f.expected;
        assert.deepEqual(found, exp);
        // The manifest's offsets are where the block really is (independent check of the manifest itself).
        assert.equal(f.body.slice(found.start, found.start + head.length), head);
        assert.equal(f.body.slice(found.end - tail.length, found.end), tail);
      });

      if (f.expected) {
        const exp = f.expected;
        it('replaces only the block: prefix and suffix kept code unit for code unit', () => {
          const newBlock = '<<NEW BLOCK ✓ 😀>>';
          const out = replaceOnlineMeetingBlock(f.body, f.contentType, newBlock);
          assert.equal(out, f.body.slice(0, exp.start) + newBlock + f.body.slice(exp.end));
          assert.ok(out.startsWith(f.body.slice(0, exp.start)));
          assert.ok(out.endsWith(f.body.slice(exp.end)));
        });

        it('splices in a rendered block of the same kind, which is then the block found', () => {
          const info = exp.kind === 'teams' ? teamsInfo() : skypeInfo();
          const block = renderOnlineMeetingBlock(info, f.contentType, 'de-DE');
          const out = replaceOnlineMeetingBlock(f.body, f.contentType, block);
          const again = findOnlineMeetingBlock(out, f.contentType);
          assert.ok(again);
          assert.equal(again.kind, exp.kind);
          assert.equal(again.joinUrl, info.joinUrl);
          assert.equal(again.start, exp.start);
          assert.equal(again.end, exp.start + block.length);
          assert.equal(out.slice(0, again.start), f.body.slice(0, exp.start));
          assert.equal(out.slice(again.end), f.body.slice(exp.end));
          // Replacing again with the same block is a no-op (idempotent splice).
          assert.equal(replaceOnlineMeetingBlock(out, f.contentType, block), out);
        });
      } else {
        it('refuses to replace: MeetingBlockNotFoundError, never a guess', () => {
          assert.throws(
            () => replaceOnlineMeetingBlock(f.body, f.contentType, 'x'),
            (e: unknown) => e instanceof MeetingBlockNotFoundError && e.code === 'MEETING_BLOCK_NOT_FOUND',
          );
        });
      }
    });
  }

  it('reads content type literally: an HTML block is not found when the body is said to be text', () => {
    const f = fixtures.find((x) => x.file === 'teams-2022-graph-organizer.html');
    assert.ok(f);
    // In text mode the separator lines carry markup, so they are not separator lines.
    assert.equal(findOnlineMeetingBlock(f.body, 'text'), null);
  });
});

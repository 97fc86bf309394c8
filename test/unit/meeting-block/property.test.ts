import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  findOnlineMeetingBlock,
  renderOnlineMeetingBlock,
  replaceOnlineMeetingBlock,
  type BodyContentType,
} from '../../../shared/domain/meeting-block';
import { skypeInfo, teamsInfo } from './support';

/** Unicode text with no raw '<' '>' '&' (HTML text content), including surrogate pairs, RTL and CJK. */
const plainText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      'a',
      'Z',
      ' ',
      'é',
      'ß',
      'œ',
      '中',
      '文',
      'ع',
      'ש',
      '\u200f',
      '\u00a0',
      '😀',
      '👍🏽',
      '🇫🇷',
      '.',
      '_',
      ':',
      '#',
      '\t',
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((s) => !/[<>&]/.test(s)),
  ),
  maxLength: 40,
});

/** Runs that look like separators but are not: too short, or sharing their line/element with other text. */
const nearSeparator = fc.oneof(
  fc.integer({ min: 1, max: 79 }).map((n) => '_'.repeat(n)),
  fc.integer({ min: 1, max: 99 }).map((n) => '.'.repeat(n)),
  fc.integer({ min: 80, max: 200 }).map((n) => `x${'_'.repeat(n)}`),
  fc.integer({ min: 100, max: 200 }).map((n) => `${'.'.repeat(n)} etc`),
);

const htmlFragment = fc.oneof(
  plainText,
  nearSeparator,
  plainText.map((t) => `<p>${t}</p>`),
  nearSeparator.map((t) => `<div><span>${t}</span></div>`),
  plainText.map((t) => `<div class="x_elementToProof" style="font-family:Calibri">${t}</div>`),
  fc.constantFrom(
    '<br>',
    '<p>',
    '</p>',
    '<div>',
    '</div>',
    '</span>',
    '<o:p></o:p>',
    '&nbsp;',
    '&amp;',
    '&lt;p&gt;',
    '< ',
    '<3',
    'a < b',
    '<!-- note -->',
    '<img src="cid:x">',
  ),
  // A lone separator with no join link near it (a signature rule): pairs without a link are never blocks.
  fc.constantFrom(`<p>${'_'.repeat(80)}</p>`, `<p><span>${'.'.repeat(137)}</span></p>`),
);

const textLine = fc.oneof(
  plainText,
  nearSeparator,
  fc.constantFrom('< >', '<b>', 'a<https://example.com>', '', `${'_'.repeat(80)}`, `${'.'.repeat(137)}`),
);

const htmlSide = fc.array(htmlFragment, { maxLength: 12 }).map((a) => a.join(''));
const textSide = fc.array(textLine, { maxLength: 10 });

const infos = [
  teamsInfo(),
  skypeInfo(),
  teamsInfo({
    joinUrl: 'https://gov.teams.microsoft.us/meet/21828174047?p=Ab&c=d',
    tollNumbers: [],
    tollFreeNumbers: [],
  }),
];

describe('meeting block: property — text outside the block never changes', () => {
  for (const contentType of ['html', 'text'] as BodyContentType[]) {
    it(`${contentType}: the block inserted between arbitrary text is exactly the block found, and replacement keeps the rest`, () => {
      const sides =
        contentType === 'html'
          ? fc.tuple(htmlSide, htmlSide)
          : fc
              .tuple(textSide, textSide, fc.constantFrom('\n', '\r\n'))
              .map(
                ([a, b, nl]) => [a.length ? a.join(nl) + nl : '', b.length ? nl + b.join(nl) : ''] as const,
              );
      fc.assert(
        fc.property(
          sides,
          fc.constantFrom(...infos),
          fc.constantFrom('en-US', 'fr-FR', 'de-DE', 'es-ES', 'pt-BR', 'zh-CN', 'ja-JP'),
          ([before, after], info, locale) => {
            const block = renderOnlineMeetingBlock(info, contentType, locale);
            const body = before + block + after;
            const found = findOnlineMeetingBlock(body, contentType);
            assert.ok(found, 'block not found');
            assert.equal(found.start, before.length);
            assert.equal(found.end, before.length + block.length);
            assert.equal(found.kind, info.kind);
            assert.equal(found.joinUrl, info.joinUrl);
            const other = renderOnlineMeetingBlock(
              info.kind === 'teams' ? skypeInfo() : teamsInfo(),
              contentType,
              'ja-JP',
            );
            const replaced = replaceOnlineMeetingBlock(body, contentType, other);
            assert.equal(replaced, before + other + after);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('without a block, arbitrary text is never taken for one', () => {
    fc.assert(
      fc.property(htmlSide, textSide, (html, lines) => {
        assert.equal(findOnlineMeetingBlock(html, 'html'), null);
        assert.equal(findOnlineMeetingBlock(lines.join('\n'), 'text'), null);
      }),
      { numRuns: 300 },
    );
  });
});

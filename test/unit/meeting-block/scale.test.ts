import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  findOnlineMeetingBlock,
  renderOnlineMeetingBlock,
  replaceOnlineMeetingBlock,
} from '../../../shared/domain/meeting-block';
import { skypeInfo, teamsInfo } from './support';

// Big and pathological bodies: correctness only (speed is measured in bench/meeting-block.bench.ts).
describe('meeting block: large and pathological bodies', () => {
  it('1 MB HTML body with the block in the middle', () => {
    const para =
      '<p>Lorem ipsum dolor sit amet, café 😀 — 中文 — ____ .... <a href="https://example.com/?a=1&amp;b=2">x</a></p>\n';
    const filler = para.repeat(Math.ceil((512 * 1024) / para.length));
    const block = renderOnlineMeetingBlock(teamsInfo(), 'html', 'en-US');
    const body = `<html><body>${filler}${block}${filler}</body></html>`;
    assert.ok(body.length > 1024 * 1024);
    const found = findOnlineMeetingBlock(body, 'html');
    assert.equal(found?.start, 12 + filler.length);
    assert.equal(found?.end, 12 + filler.length + block.length);
    const out = replaceOnlineMeetingBlock(body, 'html', 'NEW');
    assert.equal(out, `<html><body>${filler}NEW${filler}</body></html>`);
  });

  it('1 MB text body with the block at the end', () => {
    const filler = 'Some line of user text, with ünïcödé and a link https://example.com/x\r\n'.repeat(15000);
    const block = renderOnlineMeetingBlock(skypeInfo(), 'text', 'en-US', { newline: '\r\n' });
    const found = findOnlineMeetingBlock(filler + block, 'text');
    assert.deepEqual(
      [found?.kind, found?.start, found?.end],
      ['skype', filler.length, filler.length + block.length],
    );
  });

  it('200k lines of 79 underscores: no block; with a real block after them, that block', () => {
    const lines = `${'_'.repeat(79)}\n`.repeat(200_000);
    assert.equal(findOnlineMeetingBlock(lines, 'text'), null);
    const block = renderOnlineMeetingBlock(teamsInfo(), 'text', 'en-US');
    const found = findOnlineMeetingBlock(lines + block, 'text');
    assert.equal(found?.start, lines.length);
    assert.equal(found?.end, lines.length + block.length);
  });

  it('100k separator lines with no join link: no block (and every pair is rejected once)', () => {
    const text = `${'_'.repeat(80)}\nno link here\n`.repeat(100_000);
    assert.equal(findOnlineMeetingBlock(text, 'text'), null);
    const html = `<p><span>${'.'.repeat(137)}</span></p>`.repeat(100_000);
    assert.equal(findOnlineMeetingBlock(html, 'html'), null);
    const block = renderOnlineMeetingBlock(skypeInfo(), 'html', 'fr-FR');
    // An odd run of stray separators before a real block: the block still comes out whole.
    const found = findOnlineMeetingBlock(`${html}<p>x</p>${block}`, 'html');
    assert.equal(found?.start, html.length + 8);
    assert.equal(found?.end, html.length + 8 + block.length);
  });

  it('100k unclosed <p> with periods, deep nesting, and a body of "http" fragments', () => {
    const unclosed = `<p>${'.'.repeat(137)}`.repeat(100_000);
    assert.equal(findOnlineMeetingBlock(unclosed, 'html'), null);
    const deep =
      '<div>'.repeat(100_000) +
      renderOnlineMeetingBlock(teamsInfo(), 'html', 'en-US') +
      '</div>'.repeat(100_000);
    const found = findOnlineMeetingBlock(deep, 'html');
    assert.equal(found?.start, 5 * 100_000);
    const https = 'https://teams.microsoft.com/l/meetup-join/'.repeat(25_000);
    assert.equal(findOnlineMeetingBlock(https, 'html'), null);
    // Separators 1 MB apart are not a block (MAX_BLOCK_REGION), even with a join link between them.
    assert.equal(findOnlineMeetingBlock(`${'_'.repeat(80)}\n${https}\n${'_'.repeat(80)}`, 'text'), null);
    const near = `${'_'.repeat(80)}\n${https.slice(0, 42 * 1000)}\n${'_'.repeat(80)}`;
    assert.equal(findOnlineMeetingBlock(near, 'text')?.joinUrl.length, 8192);
  });
});

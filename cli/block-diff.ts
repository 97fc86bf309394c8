/**
 * A readable diff of an online-meeting block before and after a migration, for `mms preview --meeting`:
 * the block is shown as the text an attendee reads (HTML reduced to lines: block elements and <br> break lines,
 * entities decoded, a link's address shown after its text when it differs), then the two texts are compared line
 * by line (jsdiff). Lines only in the old block start with `- `, lines only in the new one with `+ `, shared
 * lines with two spaces.
 */
import { diffLines } from 'diff';
import { Parser } from 'htmlparser2';
import { sanitize } from './table';

const BLOCK_ELEMENTS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'dd',
  'div',
  'dl',
  'dt',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
]);
const SKIPPED_ELEMENTS = new Set(['style', 'script', 'head', 'title']);

/** The lines an attendee reads in a block (HTML or plain text), without empty lines. */
export function readableLines(block: string, contentType: 'html' | 'text'): string[] {
  let text = '';
  if (contentType === 'text') {
    text = block;
  } else {
    const links: { href: string; at: number }[] = [];
    let skipping = 0;
    const parser = new Parser(
      {
        onopentag(name, attribs) {
          if (SKIPPED_ELEMENTS.has(name)) skipping++;
          if (BLOCK_ELEMENTS.has(name)) text += '\n';
          if (name === 'a') links.push({ href: attribs.href ?? '', at: text.length });
        },
        ontext(data) {
          if (skipping === 0) text += data;
        },
        onclosetag(name) {
          if (SKIPPED_ELEMENTS.has(name)) skipping = Math.max(0, skipping - 1);
          if (name === 'a') {
            const link = links.pop();
            if (link !== undefined && link.href !== '') {
              const shown = text.slice(link.at).trim();
              if (shown !== link.href.trim()) text += ` <${link.href.trim()}>`;
            }
          }
          if (BLOCK_ELEMENTS.has(name)) text += '\n';
        },
      },
      { decodeEntities: true, lowerCaseTags: true },
    );
    parser.write(block);
    parser.end();
  }
  return text
    .split(/\r\n|\r|\n/)
    .map((l) =>
      sanitize(l)
        .replace(/[\s\u00a0]+/g, ' ')
        .trim(),
    )
    .filter((l) => l !== '');
}

/** The diff of two blocks as `- ` / `+ ` / `  ` lines. */
export function blockDiff(before: string, after: string, contentType: 'html' | 'text'): string[] {
  const a = readableLines(before, contentType).join('\n') + '\n';
  const b = readableLines(after, contentType).join('\n') + '\n';
  const out: string[] = [];
  for (const part of diffLines(a, b)) {
    const prefix = part.added ? '+ ' : part.removed ? '- ' : '  ';
    for (const l of part.value.split('\n')) if (l !== '') out.push(prefix + l);
  }
  return out;
}

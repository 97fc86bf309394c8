/**
 * The online-meeting block of a calendar item's body: find it, replace it, render a new one.
 *
 * A block is the part of an invitation that Outlook / OWA / Teams insert for an online meeting, between two
 * separator lines (reference/mms-behaviour.md §8):
 *  - Skype for Business: a line of periods (137 in Outlook's template; any line of at least
 *    `SKYPE_MIN_PERIODS` periods and nothing else) before and after, `OutJoinLink` (`x_OutJoinLink` in attendee
 *    copies) anchor, the `[!OC([lcid])!]` language marker, a Skype join link (meet.lync.com/<tenant>/<user>/<id>
 *    or on-premises meet.<domain>/[meet/]<user>/<id>).
 *  - Teams (every generation): a line of 80 underscores (at least `TEAMS_MIN_UNDERSCORES`, nothing else) before
 *    and after a Teams join link (teams.microsoft.com/l/meetup-join/…, teams.microsoft.com/meet/<digits>?p=…,
 *    gov./dod. and .us clouds, teams.live.com).
 *
 * Rules of `findOnlineMeetingBlock`:
 *  - Separators: in text, a line whose only content (apart from white space) is the run; in HTML, a text node
 *    whose only content is the run. The separator's extent in HTML is the outermost element around that text
 *    node that holds nothing else (no other text, no image...), climbing only through block and inline
 *    formatting elements (div, p, span, font, b...), never through td, body and the like: for Teams' own markup
 *    `<div style="width:100%;height: 20px;"><span …>____</span></div>` that is the div, for Outlook desktop's
 *    `<div><p class=MsoNormal><span>____</span><o:p></o:p></p></div>` the outer div. In text, the extent is the
 *    whole line without its line break.
 *  - A block is an opening separator, the next separator of the same kind, and a join link of that kind between
 *    them (in an href or in text). The region between them must be at most `MAX_BLOCK_REGION` characters, so a
 *    stray separator far away cannot make a "block" that swallows user text.
 *  - Pairs are tried in document order, each separator paired with the next of its kind; the **first complete
 *    block** (smallest start) wins, so a stray separator line before the real block (an e-mail signature rule)
 *    does not hide it, and of two blocks the first is the one found.
 *  - HTML: the two separators' extents must be siblings (children of the same element), so the block is a
 *    well-formed run of sibling nodes and a balanced new block spliced over it keeps the markup balanced.
 *  - Anything else is no block: `null`. One separator, separators with no join link between them, a join link
 *    outside separators, a Teams link between periods or a Skype link between underscores, separators at
 *    different nesting levels.
 *  - A separator is looked for only when the body holds a literal run of `TEAMS_MIN_UNDERSCORES` underscores
 *    or `SKYPE_MIN_PERIODS` periods (a fast exit); a run spelt with character references (`&#95;`) throughout
 *    is not recognised. Microsoft's templates never do that.
 *
 * Linear time: text is scanned with indexOf; HTML is tokenised once with htmlparser2's Tokenizer (source
 * offsets), with an element stack kept here in amortised O(1) per token; join links are classified on short
 * bounded windows; each separator pair's region is visited once.
 *
 * Replacement is a splice of the original string: every code unit outside [start, end) stays as it was.
 */
import { Tokenizer } from 'htmlparser2';
import { decodeHTML } from 'entities';
import { z } from 'zod';
import { CONFERENCE_ID_LABELS, resolveMeetingBlockLocale } from './locales/meeting-block';

export type MeetingBlockKind = 'skype' | 'teams';
export type BodyContentType = 'html' | 'text';

/** What `findOnlineMeetingBlock` found. `body.slice(start, end)` is the whole block, separators included. */
export interface OnlineMeetingBlock {
  kind: MeetingBlockKind;
  start: number;
  end: number;
  /** The first join link of the block's kind inside it, HTML entities decoded. */
  joinUrl: string;
  /** Dial-in conference id, digits only ("987 654 321#" → "987654321"), when the block shows one. */
  conferenceId?: string;
  /** Skype only: the LCID of the `[!OC([lcid])!]` language marker, when present. */
  lcid?: number;
}

export const TEAMS_MIN_UNDERSCORES = 80;
export const SKYPE_MIN_PERIODS = 100;
/** Largest stretch between two separators that can still be a block (real ones are a few KB). */
export const MAX_BLOCK_REGION = 128 * 1024;
const TEAMS_RUN = '_'.repeat(TEAMS_MIN_UNDERSCORES);
const SKYPE_RUN = '.'.repeat(SKYPE_MIN_PERIODS);

/** Thrown by `replaceOnlineMeetingBlock` when the body has no block. */
export class MeetingBlockNotFoundError extends Error {
  readonly code = 'MEETING_BLOCK_NOT_FOUND';
  constructor(readonly contentType: BodyContentType) {
    super(`The ${contentType} body has no online-meeting block to replace`);
    this.name = 'MeetingBlockNotFoundError';
  }
}

/** Thrown by `renderOnlineMeetingBlock` when the info cannot make a valid block (bad or unsafe link...). */
export class MeetingBlockRenderError extends Error {
  readonly code = 'MEETING_BLOCK_RENDER_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'MeetingBlockRenderError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Join links

/** Teams join links (checked on a short window starting at "http"). */
const TEAMS_JOIN_PREFIX =
  /^https?:\/\/(?:(?:gov|dod)\.)?teams\.(?:microsoft\.(?:com|us)|live\.com)\/(?:l\/meetup-join\/|meet\/\d)/i;
/**
 * Skype for Business join links: online meet.lync.com/<tenant>/<user>/<id>; on-premises
 * <meet|join|…lync…>.<domain>/[meet/]<user>/<id>, or any host with a /meet/<user>/<id> path (Lync's simple URL).
 */
const SKYPE_JOIN_PREFIX =
  /^https?:\/\/(?:meet\.lync\.com\/[^\s"'<>/?#]+\/[^\s"'<>/?#]+\/[a-z0-9]|(?:meet|join|[a-z0-9-]*lync[a-z0-9-]*)\.[a-z0-9.-]+\/(?:meet\/)?[^\s"'<>/?#]+\/[a-z0-9]|[a-z0-9.-]+(?::\d+)?\/(?:[^\s"'<>/?#]+\/)?meet\/[^\s"'<>/?#]+\/[a-z0-9])/i;
const LINK_WINDOW = 200;
const MAX_URL_LENGTH = 8192;

function joinLinkKindAt(body: string, pos: number): MeetingBlockKind | null {
  const window = body.slice(pos, pos + LINK_WINDOW);
  if (TEAMS_JOIN_PREFIX.test(window)) return 'teams';
  if (SKYPE_JOIN_PREFIX.test(window)) return 'skype';
  return null;
}

interface LinkHit {
  pos: number;
  kind: MeetingBlockKind;
}

/** Every position where a Teams or Skype join link starts, in order. One indexOf pass plus bounded checks. */
function joinLinkPositions(body: string): LinkHit[] {
  const hits: LinkHit[] = [];
  let i = body.indexOf('http');
  while (i >= 0) {
    if (body.startsWith('://', i + 4) || body.startsWith('s://', i + 4)) {
      const kind = joinLinkKindAt(body, i);
      if (kind) hits.push({ pos: i, kind });
    }
    i = body.indexOf('http', i + 4);
  }
  return hits;
}

function isUrlTerminator(c: number, html: boolean): boolean {
  // white space, quotes, angle brackets; in text also ')' is kept (URLs may hold it).
  return (
    c <= 32 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0xa0 || (html && c === 0x27) || c === 0x60
  );
}

function extractUrl(body: string, pos: number, html: boolean): string {
  const limit = Math.min(body.length, pos + MAX_URL_LENGTH);
  let j = pos;
  while (j < limit && !isUrlTerminator(body.charCodeAt(j), html)) j++;
  const raw = body.slice(pos, j);
  if (!html) return raw;
  const decoded = decodeHTML(raw);
  let k = 0;
  while (k < decoded.length && !isUrlTerminator(decoded.charCodeAt(k), true)) k++;
  return decoded.slice(0, k);
}

// ---------------------------------------------------------------------------------------------------------
// Separators

interface Separator {
  kind: MeetingBlockKind;
  /** Extent of the separator (line, or outermost separator-only element). */
  start: number;
  end: number;
  /** Id of the element that holds the extent (HTML; 0 in text): a block's two separators must share it. */
  parent: number;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x3000 || c === 0x200b || c === 0xfeff;
}

/**
 * Incremental classifier of one text node / line: white space, one run of '_' or '.', white space. Also
 * records where the run starts and ends in the raw source (`feed` gets each chunk's raw offset; a decoded
 * entity chunk counts as one unit covering its raw extent).
 */
class RunClassifier {
  private phase: 0 | 1 | 2 | 3 = 0; // 0 leading space, 1 in run, 2 trailing space, 3 other content
  private runChar = 0;
  private runLength = 0;
  private hasContent = false;
  runStart = 0;
  runEnd = 0;

  feed(s: string, from: number, to: number, rawStart: number, rawEnd: number): void {
    const raw = rawEnd - rawStart === to - from;
    for (let i = from; i < to && this.phase !== 3; i++) {
      const c = s.charCodeAt(i);
      if (isSpace(c)) {
        if (this.phase === 1) this.phase = 2;
        continue;
      }
      this.hasContent = true;
      const pos = raw ? rawStart + (i - from) : rawStart;
      if (this.phase === 0 && (c === 0x5f || c === 0x2e)) {
        this.phase = 1;
        this.runChar = c;
        this.runLength = 1;
        this.runStart = pos;
        this.runEnd = raw ? pos + 1 : rawEnd;
      } else if (this.phase === 1 && c === this.runChar) {
        this.runLength++;
        this.runEnd = raw ? pos + 1 : rawEnd;
      } else {
        this.phase = 3;
      }
    }
  }

  /** Whether anything but white space was seen. */
  get significant(): boolean {
    return this.hasContent;
  }

  get kind(): MeetingBlockKind | null {
    if (this.phase !== 1 && this.phase !== 2) return null;
    if (this.runChar === 0x5f && this.runLength >= TEAMS_MIN_UNDERSCORES) return 'teams';
    if (this.runChar === 0x2e && this.runLength >= SKYPE_MIN_PERIODS) return 'skype';
    return null;
  }
}

function textSeparators(body: string): Separator[] {
  const seps: Separator[] = [];
  let lineStart = 0;
  for (;;) {
    let nl = body.indexOf('\n', lineStart);
    if (nl < 0) nl = body.length;
    let lineEnd = nl;
    if (lineEnd > lineStart && body.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    // Cheap pre-check: a separator line is long.
    if (lineEnd - lineStart >= TEAMS_MIN_UNDERSCORES) {
      const r = new RunClassifier();
      r.feed(body, lineStart, lineEnd, lineStart, lineEnd);
      const kind = r.kind;
      if (kind) seps.push({ kind, start: lineStart, end: lineEnd, parent: 0 });
    }
    if (nl >= body.length) break;
    lineStart = nl + 1;
  }
  return seps;
}

/** Elements a separator's extent may grow into when they hold nothing but the separator. */
const CLIMBABLE = new Set([
  'div',
  'p',
  'span',
  'font',
  'b',
  'strong',
  'i',
  'em',
  'u',
  'small',
  'big',
  'sub',
  'sup',
  'center',
  'o:p',
]);
/** Elements that are content even when empty. */
const SIGNIFICANT_EMPTY = new Set([
  'img',
  'hr',
  'input',
  'iframe',
  'object',
  'embed',
  'video',
  'audio',
  'canvas',
  'svg',
  'table',
  'select',
  'textarea',
  'button',
  'v:shape',
  'v:imagedata',
]);
/** Elements whose text is never a separator (raw text or metadata). */
const NON_CONTENT = new Set(['style', 'script', 'title', 'head', 'template', 'noscript', 'xml']);

const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'image',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/** HTML's implied end tags (the same table htmlparser2's Parser uses): opening `key` closes open `values` on top. */
const OPEN_IMPLIES_CLOSE: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const p = new Set(['p']);
  const form = new Set(['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea']);
  const m = new Map<string, ReadonlySet<string>>([
    ['tr', new Set(['tr', 'th', 'td'])],
    ['th', new Set(['th'])],
    ['td', new Set(['thead', 'th', 'td'])],
    ['body', new Set(['head', 'link', 'script'])],
    ['li', new Set(['li'])],
    ['option', new Set(['option'])],
    ['optgroup', new Set(['optgroup', 'option'])],
    ['dd', new Set(['dd', 'dt'])],
    ['dt', new Set(['dd', 'dt'])],
    ['rt', new Set(['rt', 'rp'])],
    ['rp', new Set(['rt', 'rp'])],
    ['tbody', new Set(['thead', 'tbody'])],
    ['tfoot', new Set(['thead', 'tbody'])],
  ]);
  for (const t of ['select', 'input', 'output', 'button', 'datalist', 'textarea']) m.set(t, form);
  for (const t of [
    'p',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'address',
    'article',
    'aside',
    'blockquote',
    'details',
    'div',
    'dl',
    'fieldset',
    'figcaption',
    'figure',
    'footer',
    'form',
    'header',
    'hr',
    'main',
    'nav',
    'ol',
    'pre',
    'section',
    'table',
    'ul',
  ]) {
    m.set(t, p);
  }
  return m;
})();

interface Frame {
  id: number;
  name: string;
  start: number;
  contentEnd: number;
  /** Index of the one separator this element holds, -1 for none. */
  sep: number;
  /** Holds something besides (or more than) one separator. */
  other: boolean;
  /** Inside style/script/head...: text here is never a separator. */
  raw: boolean;
}

/**
 * Separators of an HTML body, with their element extents. Tokenises with htmlparser2's Tokenizer (source
 * offsets, entity decoding, raw-text elements) and builds the element stack itself, with HTML's implied end
 * tags, so that every step is amortised O(1): htmlparser2's Parser keeps its stack with unshift/indexOf, which
 * is quadratic on deeply nested or unbalanced markup.
 */
function htmlSeparators(body: string): Separator[] {
  const seps: Separator[] = [];
  const root: Frame = { id: 0, name: '#root', start: 0, contentEnd: 0, sep: -1, other: false, raw: false };
  let nextId = 1;
  const stack: Frame[] = [root];
  /** For each tag name, the stack positions of its open elements (ascending). */
  const openByName = new Map<string, number[]>();
  let text: RunClassifier | null = null;
  let textEnd = 0;
  /** Exclusive end of the last token: where an entity chunk starts. */
  let cursor = 0;
  let pendingTag: { name: string; start: number } | null = null;
  const top = (): Frame => stack[stack.length - 1] ?? root;

  const flushText = (): void => {
    if (!text) return;
    const t = text;
    text = null;
    const frame = top();
    frame.contentEnd = Math.max(frame.contentEnd, textEnd);
    if (!t.significant) return;
    const kind = frame.raw ? null : t.kind;
    if (kind) {
      seps.push({ kind, start: t.runStart, end: t.runEnd, parent: frame.id });
      if (frame.sep >= 0 || frame.other) frame.other = true;
      else frame.sep = seps.length - 1;
    } else {
      frame.other = true;
    }
  };

  /** Feeds `data[from, to)`, which stands for the raw source `[rawStart, rawEnd)`, to the current text node. */
  const addText = (data: string, from: number, to: number, rawStart: number, rawEnd: number): void => {
    if (!text) text = new RunClassifier();
    textEnd = rawEnd;
    text.feed(data, from, to, rawStart, rawEnd);
  };

  /** Pops the top element; `end` is its explicit end tag's end, or undefined when the close is implied. */
  const pop = (end: number | undefined): void => {
    if (stack.length <= 1) return;
    const frame = stack.pop() as Frame;
    const positions = openByName.get(frame.name);
    positions?.pop();
    const parent = top();
    const extentEnd = end ?? frame.contentEnd;
    if (frame.sep >= 0 && !frame.other) {
      const sep = seps[frame.sep];
      if (sep && CLIMBABLE.has(frame.name)) {
        sep.start = frame.start;
        sep.end = extentEnd;
        sep.parent = parent.id;
        if (parent.sep >= 0 || parent.other) parent.other = true;
        else parent.sep = frame.sep;
      } else {
        parent.other = true;
      }
    } else if (frame.sep >= 0 || frame.other || SIGNIFICANT_EMPTY.has(frame.name)) {
      parent.other = true;
    }
    parent.contentEnd = Math.max(parent.contentEnd, extentEnd);
  };

  const open = (name: string, start: number, end: number): void => {
    const closes = OPEN_IMPLIES_CLOSE.get(name);
    if (closes) {
      while (stack.length > 1 && closes.has(top().name)) pop(undefined);
    }
    const parent = top();
    stack.push({
      id: nextId++,
      name,
      start,
      contentEnd: end,
      sep: -1,
      other: false,
      raw: parent.raw || NON_CONTENT.has(name),
    });
    let positions = openByName.get(name);
    if (!positions) openByName.set(name, (positions = []));
    positions.push(stack.length - 1);
    if (VOID_ELEMENTS.has(name)) pop(end);
  };

  const tokenizer = new Tokenizer(
    { xmlMode: false, decodeEntities: true },
    {
      ontext(start: number, endIndex: number) {
        addText(body, start, endIndex, start, endIndex);
        cursor = endIndex;
      },
      ontextentity(codepoint: number, endIndex: number) {
        const decoded = String.fromCodePoint(codepoint);
        addText(decoded, 0, decoded.length, cursor, endIndex);
        cursor = endIndex;
      },
      onopentagname(start: number, endIndex: number) {
        flushText();
        pendingTag = { name: body.slice(start, endIndex).toLowerCase(), start: start - 1 };
      },
      onopentagend(endIndex: number) {
        cursor = endIndex + 1;
        if (!pendingTag) return;
        const tag = pendingTag;
        pendingTag = null;
        open(tag.name, tag.start, endIndex + 1);
      },
      onselfclosingtag(endIndex: number) {
        cursor = endIndex + 1;
        if (!pendingTag) return;
        const tag = pendingTag;
        pendingTag = null;
        open(tag.name, tag.start, endIndex + 1);
        if (!VOID_ELEMENTS.has(tag.name)) pop(endIndex + 1);
      },
      onclosetag(start: number, endIndex: number) {
        flushText();
        const name = body.slice(start, endIndex).toLowerCase();
        let gt = body.indexOf('>', endIndex);
        if (gt < 0) gt = body.length - 1;
        cursor = gt + 1;
        const positions = openByName.get(name);
        const at = positions && positions.length > 0 ? (positions[positions.length - 1] as number) : -1;
        if (at <= 0 || VOID_ELEMENTS.has(name)) return;
        while (stack.length - 1 > at) pop(undefined);
        pop(gt + 1);
      },
      oncomment(_start: number, endIndex: number) {
        flushText();
        cursor = endIndex + 1;
      },
      oncdata(_start: number, endIndex: number) {
        flushText();
        top().other = true;
        cursor = endIndex + 1;
      },
      ondeclaration(_start: number, endIndex: number) {
        flushText();
        cursor = endIndex + 1;
      },
      onprocessinginstruction(_start: number, endIndex: number) {
        flushText();
        cursor = endIndex + 1;
      },
      onattribname() {},
      onattribdata() {},
      onattribentity() {},
      onattribend() {},
      onend() {
        flushText();
        while (stack.length > 1) pop(undefined);
      },
    },
  );
  tokenizer.write(body);
  tokenizer.end();
  flushText();
  return seps;
}

// ---------------------------------------------------------------------------------------------------------
// Finding

function firstBlockOfKind(
  seps: readonly Separator[],
  links: readonly LinkHit[],
  kind: MeetingBlockKind,
): { open: Separator; close: Separator; link: LinkHit } | null {
  const mine = seps.filter((s) => s.kind === kind);
  const myLinks = links.filter((l) => l.kind === kind);
  let li = 0;
  for (let i = 0; i + 1 < mine.length; i++) {
    const open = mine[i] as Separator;
    const close = mine[i + 1] as Separator;
    while (li < myLinks.length && (myLinks[li] as LinkHit).pos < open.end) li++;
    const link = myLinks[li];
    if (!link || link.pos >= close.start) continue;
    if (close.start - open.end > MAX_BLOCK_REGION) continue;
    // Separators in different elements: the stretch between them is not a well-formed fragment, and
    // splicing a new block over it would unbalance the markup around it.
    if (open.parent !== close.parent) continue;
    return { open, close, link };
  }
  return null;
}

const CONFERENCE_ID_WINDOW = 400;

function stripTags(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    if (lt < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, lt);
    const gt = s.indexOf('>', lt);
    if (gt < 0) break;
    i = gt + 1;
  }
  return out;
}

/** The conference id shown in a block, digits only. */
function parseConferenceId(block: string, kind: MeetingBlockKind, html: boolean): string | undefined {
  const lower = block.toLowerCase();
  let best: { at: number; id: string } | undefined;
  for (const label of CONFERENCE_ID_LABELS[kind]) {
    let at = lower.indexOf(label);
    while (at >= 0 && (best === undefined || at < best.at)) {
      const before = lower.slice(Math.max(0, at - 4), at);
      if (!before.endsWith('vtc ')) {
        let window = lower.slice(at + label.length, at + label.length + CONFERENCE_ID_WINDOW);
        if (html) window = decodeHTML(stripTags(window));
        const m = /^[\s\u00a0]*[:：]?[\s\u00a0]*(\d[\d \u00a0]{0,30})/.exec(window);
        const digits = m?.[1]?.replace(/[^\d]/g, '');
        if (digits && digits.length >= 4) {
          best = { at, id: digits };
          break;
        }
      }
      at = lower.indexOf(label, at + label.length);
    }
  }
  return best?.id;
}

function parseLcid(block: string): number | undefined {
  const at = block.indexOf('[!OC([');
  if (at < 0) return undefined;
  const m = /^\[!OC\(\[(\d{1,6})\]\)!\]/.exec(block.slice(at, at + 20));
  return m?.[1] ? Number(m[1]) : undefined;
}

/**
 * Finds the online-meeting block in a calendar item's body (`body.content` as Graph returns it, for
 * `body.contentType`). Returns null when there is none or it is broken; see the module comment for the rules.
 */
export function findOnlineMeetingBlock(
  body: string,
  contentType: BodyContentType,
): OnlineMeetingBlock | null {
  const html = contentType === 'html';
  // Fast exits, before any tokenising: no join link, or no run long enough to be a separator.
  const links = joinLinkPositions(body);
  if (links.length === 0) return null;
  if (!body.includes(TEAMS_RUN) && !body.includes(SKYPE_RUN)) return null;
  const seps = html ? htmlSeparators(body) : textSeparators(body);
  if (seps.length < 2) return null;
  const teams = firstBlockOfKind(seps, links, 'teams');
  const skype = firstBlockOfKind(seps, links, 'skype');
  const chosen = teams && skype ? (skype.open.start < teams.open.start ? skype : teams) : (teams ?? skype);
  if (!chosen) return null;
  const kind = chosen.link.kind;
  const start = chosen.open.start;
  const end = chosen.close.end;
  const result: OnlineMeetingBlock = { kind, start, end, joinUrl: extractUrl(body, chosen.link.pos, html) };
  const blockText = body.slice(start, end);
  const conferenceId = parseConferenceId(blockText, kind, html);
  if (conferenceId !== undefined) result.conferenceId = conferenceId;
  if (kind === 'skype') {
    const lcid = parseLcid(blockText);
    if (lcid !== undefined) result.lcid = lcid;
  }
  return result;
}

/**
 * Replaces the body's block with `newBlock`: `body.slice(0, start) + newBlock + body.slice(end)`. Throws
 * `MeetingBlockNotFoundError` when there is no block.
 */
export function replaceOnlineMeetingBlock(
  body: string,
  contentType: BodyContentType,
  newBlock: string,
): string {
  const block = findOnlineMeetingBlock(body, contentType);
  if (!block) throw new MeetingBlockNotFoundError(contentType);
  return body.slice(0, block.start) + newBlock + body.slice(block.end);
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

const httpUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .regex(/^https?:\/\/[^\s"'<>`]+$/i, 'must be an absolute http(s) URL without spaces, quotes or <>');

const dialInNumberSchema = z.object({
  /** As shown, e.g. "+1 323-555-0123". */
  number: z.string().min(3).max(40).regex(/\d/, 'must contain digits'),
  /** Where the number is, e.g. "United States, Los Angeles". */
  place: z.string().max(200),
});

export const meetingBlockInfoSchema = z.object({
  kind: z.enum(['teams', 'skype']),
  /** The meeting's join link (Teams meetup-join or /meet/ link; Skype meet link). */
  joinUrl: httpUrl,
  /** Dial-in conference id (digits, spaces allowed). */
  conferenceId: z
    .string()
    .regex(/^[\d ]{4,30}$/, 'must be digits')
    .optional(),
  /** Teams meeting id (digits, spaces allowed), shown with the passcode. */
  meetingId: z
    .string()
    .regex(/^[\d ]{4,40}$/, 'must be digits')
    .optional(),
  passcode: z.string().min(1).max(40).optional(),
  tollNumbers: z.array(dialInNumberSchema).max(50),
  tollFreeNumbers: z.array(dialInNumberSchema).max(50),
  /** "Find a local number" page. */
  dialInUrl: httpUrl.optional(),
  /** "Reset PIN" page (Teams) / "Forgot your dial-in PIN?" (Skype). */
  resetPinUrl: httpUrl.optional(),
  /** Teams "Meeting options". */
  meetingOptionsUrl: httpUrl.optional(),
  /** Teams "Learn More" (default https://aka.ms/JoinTeamsMeeting). */
  learnMoreUrl: httpUrl.optional(),
  /** Skype "Help" (default Lync's help redirect for the locale's LCID). */
  helpUrl: httpUrl.optional(),
});

export type DialInNumber = z.infer<typeof dialInNumberSchema>;
/** Everything a block shows; the migration service fills it from the user's profile and meeting. */
export type MeetingBlockInfo = z.infer<typeof meetingBlockInfoSchema>;

export interface RenderOptions {
  /** Line break for text blocks (default "\n"; pass "\r\n" to match a CRLF body). Ignored for HTML. */
  newline?: '\n' | '\r\n';
}

const DEFAULT_LEARN_MORE = 'https://aka.ms/JoinTeamsMeeting';
const DOWNLOAD_TEAMS = 'https://www.microsoft.com/microsoft-teams/download-app';
const JOIN_ON_WEB = 'https://www.microsoft.com/microsoft-teams/join-a-meeting';
const TEAMS_SEPARATOR = '_'.repeat(TEAMS_MIN_UNDERSCORES);
const SKYPE_SEPARATOR = '.'.repeat(137);

function escapeHtml(s: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case '&':
        out += '&amp;';
        break;
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '"':
        out += '&quot;';
        break;
      case "'":
        out += '&#39;';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/** "987654321" → "987 654 321" (groups of three from the left, as Teams prints ids). */
export function groupDigits(id: string): string {
  const digits = id.replace(/\D/g, '');
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3));
  return groups.join(' ');
}

/** "+1 (323) 555-0123" → "+13235550123" for tel: links. */
function telDigits(number: string): string {
  const trimmed = number.trim();
  return (trimmed.startsWith('+') ? '+' : '') + trimmed.replace(/\D/g, '');
}

function withQuery(url: string, param: string): string {
  return url + (url.includes('?') ? '&' : '?') + param;
}

function parseInfo(info: MeetingBlockInfo): MeetingBlockInfo {
  const parsed = meetingBlockInfoSchema.safeParse(info);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new MeetingBlockRenderError(
      `Invalid meeting block info${where ? ` (${where})` : ''}: ${issue?.message}`,
    );
  }
  const v = parsed.data;
  const pattern = v.kind === 'teams' ? TEAMS_JOIN_PREFIX : SKYPE_JOIN_PREFIX;
  if (!pattern.test(v.joinUrl) || (v.kind === 'skype' && TEAMS_JOIN_PREFIX.test(v.joinUrl))) {
    throw new MeetingBlockRenderError(
      `joinUrl is not a ${v.kind === 'teams' ? 'Teams' : 'Skype for Business'} join link`,
    );
  }
  return v;
}

const FONT = "'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif";
const LINK_STYLE = `font-size:14px;font-family:${FONT};text-decoration:underline;color:#6264A7;`;
const TEXT14 = 'font-size:14px;color:#252424;';

function teamsLink(href: string, label: string): string {
  return `<a class="me-email-link" style="${LINK_STYLE}" href="${escapeHtml(href)}" target="_blank" rel="noreferrer noopener">${escapeHtml(label)}</a>`;
}

function renderTeamsHtml(info: MeetingBlockInfo, locale: string): string {
  const { strings } = resolveMeetingBlockLocale(locale);
  const s = strings.teams;
  const sep = `<div style="width:100%;height: 20px;"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36;">${TEAMS_SEPARATOR}</span></div>`;
  const parts: string[] = [sep];
  parts.push(
    `<div class="me-email-text" lang="${escapeHtml(strings.tag)}" style="color:#252424;font-family:${FONT};">`,
    `<div style="margin-top:24px;margin-bottom:20px;"><span style="font-size:24px;color:#252424;">${escapeHtml(s.title)}</span></div>`,
    `<div style="margin-bottom:20px;"><div style="margin-top:0px;margin-bottom:0px;font-weight:bold;"><span style="${TEXT14}">${escapeHtml(s.joinHeading)}</span></div>`,
    `<a class="me-email-headline" style="font-size:14px;font-family:'Segoe UI Semibold',${FONT};text-decoration:underline;color:#6264A7;" href="${escapeHtml(info.joinUrl)}" target="_blank" rel="noreferrer noopener">${escapeHtml(s.joinLink)}</a></div>`,
  );
  if (info.meetingId !== undefined) {
    let idLine = `<div style="margin-bottom:20px;margin-top:20px;"><div style="margin-bottom:4px;"><span data-tid="meeting-code" style="${TEXT14}">${escapeHtml(s.meetingId)} <span style="font-size:16px;color:#252424;">${escapeHtml(groupDigits(info.meetingId))}</span></span>`;
    if (info.passcode !== undefined) {
      idLine += `<br><span style="${TEXT14}">${escapeHtml(s.passcode)} </span><span style="font-size:16px;color:#252424;">${escapeHtml(info.passcode)}</span>`;
    }
    idLine += `<div style="font-size:14px;">${teamsLink(DOWNLOAD_TEAMS, s.downloadTeams)} | ${teamsLink(JOIN_ON_WEB, s.joinOnWeb)}</div></div></div>`;
    parts.push(idLine);
  }
  const numbers = [
    ...info.tollNumbers.map((n) => ({ ...n, free: false })),
    ...info.tollFreeNumbers.map((n) => ({ ...n, free: true })),
  ];
  if (numbers.length > 0) {
    const conf = info.conferenceId?.replace(/\D/g, '');
    parts.push(
      `<div style="margin-bottom:4px;margin-top:4px;"><span style="${TEXT14}">${escapeHtml(s.callIn)}</span></div>`,
    );
    for (const n of numbers) {
      const suffix = conf ? `,,${conf}#` : '';
      const place = [n.place, n.free ? s.tollFree : ''].filter((x) => x !== '').join(' ');
      parts.push(
        `<div style="margin-bottom:4px;">${teamsLink(`tel:${telDigits(n.number)}${suffix}`, `${n.number}${suffix}`)}<span style="font-size:12px;color:#252424;">&nbsp;&nbsp; ${escapeHtml(place)}</span></div>`,
      );
    }
    if (conf) {
      parts.push(
        `<div style="margin-bottom:4px;"><span style="font-size:12px;color:#252424;">${escapeHtml(s.phoneConferenceId)} </span><span style="${TEXT14}">${escapeHtml(groupDigits(conf))}# </span></div>`,
      );
    }
    const links: string[] = [];
    if (info.dialInUrl) links.push(teamsLink(info.dialInUrl, s.findLocalNumber));
    if (info.resetPinUrl) links.push(teamsLink(info.resetPinUrl, s.resetPin));
    if (links.length > 0)
      parts.push(`<div style="font-size:14px;margin-bottom:4px;">${links.join(' | ')}</div>`);
  }
  const footer = [teamsLink(info.learnMoreUrl ?? DEFAULT_LEARN_MORE, s.learnMore)];
  if (info.meetingOptionsUrl) footer.push(teamsLink(info.meetingOptionsUrl, s.meetingOptions));
  parts.push(`<div style="margin-top:20px;margin-bottom:24px;">${footer.join(' | ')}</div>`, '</div>', sep);
  return parts.join('\n');
}

function renderTeamsText(info: MeetingBlockInfo, locale: string, nl: string): string {
  const s = resolveMeetingBlockLocale(locale).strings.teams;
  const lines: string[] = [TEAMS_SEPARATOR, s.title, s.joinHeading, `${s.joinLink}<${info.joinUrl}>`];
  if (info.meetingId !== undefined) {
    lines.push(`${s.meetingId} ${groupDigits(info.meetingId)}`);
    if (info.passcode !== undefined) lines.push(`${s.passcode} ${info.passcode}`);
    lines.push(`${s.downloadTeams}<${DOWNLOAD_TEAMS}> | ${s.joinOnWeb}<${JOIN_ON_WEB}>`);
  }
  const numbers = [
    ...info.tollNumbers.map((n) => ({ ...n, free: false })),
    ...info.tollFreeNumbers.map((n) => ({ ...n, free: true })),
  ];
  if (numbers.length > 0) {
    const conf = info.conferenceId?.replace(/\D/g, '');
    lines.push('', s.callIn);
    for (const n of numbers) {
      const suffix = conf ? `,,${conf}#` : '';
      const place = [n.place, n.free ? s.tollFree : ''].filter((x) => x !== '').join(' ');
      lines.push(`${n.number}${suffix}<tel:${telDigits(n.number)}${suffix}>   ${place}`.trimEnd());
    }
    if (conf) lines.push(`${s.phoneConferenceId} ${groupDigits(conf)}#`);
    const links: string[] = [];
    if (info.dialInUrl) links.push(`${s.findLocalNumber}<${info.dialInUrl}>`);
    if (info.resetPinUrl) links.push(`${s.resetPin}<${info.resetPinUrl}>`);
    if (links.length > 0) lines.push(links.join(' | '));
  }
  const footer = [`${s.learnMore}<${info.learnMoreUrl ?? DEFAULT_LEARN_MORE}>`];
  if (info.meetingOptionsUrl) footer.push(`${s.meetingOptions}<${info.meetingOptionsUrl}>`);
  lines.push('', footer.join(' | '), TEAMS_SEPARATOR);
  return lines.join(nl);
}

function skypeHelpUrl(lcid: number): string {
  return `https://o15.officeredir.microsoft.com/r/rlidLync15?clid=${lcid}&p1=5&p2=2009`;
}

const SKYPE_FONT = "font-family:'Segoe UI',sans-serif;";
const SKYPE_TEXT = `font-size:10.0pt;${SKYPE_FONT}color:#404040;`;

function skypeLink(href: string, label: string, style = 'color:#0066CC;'): string {
  return `<a href="${escapeHtml(href)}"><span style="${style}">${escapeHtml(label)}</span></a>`;
}

function renderSkypeHtml(info: MeetingBlockInfo, locale: string): string {
  const { strings, lcid } = resolveMeetingBlockLocale(locale);
  const s = strings.skype;
  const sep = `<p class="MsoNormal"><span style="font-size:8.0pt;${SKYPE_FONT}color:#404040;">${SKYPE_SEPARATOR}</span></p>`;
  const p = (inner: string, style = ''): string =>
    `<p class="MsoNormal"${style ? ` style="${style}"` : ''}><span style="${SKYPE_TEXT}">${inner}</span></p>`;
  const parts: string[] = [
    sep,
    `<p class="MsoNormal"><a name="OutJoinLink"></a><span style="font-size:16.0pt;${SKYPE_FONT}color:#404040;">${skypeLink(info.joinUrl, s.joinMeeting, "font-family:'Segoe UI Semibold',sans-serif;color:#0066CC;")}</span></p>`,
    p(`${escapeHtml(s.troubleJoining)} ${skypeLink(withQuery(info.joinUrl, 'sl=1'), s.tryWebApp)}`),
  ];
  const numbers = [
    ...info.tollNumbers.map((n) => ({ ...n, free: false })),
    ...info.tollFreeNumbers.map((n) => ({ ...n, free: true })),
  ];
  if (numbers.length > 0) {
    parts.push(p(escapeHtml(s.joinByPhone), 'margin-top:12.0pt;'));
    for (const n of numbers) {
      const place = [n.place ? `(${n.place})` : '', n.free ? s.tollFree : '']
        .filter((x) => x !== '')
        .join(' ');
      parts.push(p(`${skypeLink(`tel:${telDigits(n.number)}`, n.number)} ${escapeHtml(place)}`.trimEnd()));
    }
    if (info.dialInUrl) parts.push(p(skypeLink(info.dialInUrl, s.findLocalNumber)));
    if (info.conferenceId) {
      parts.push(
        p(
          `${escapeHtml(s.conferenceId)} ${escapeHtml(info.conferenceId.replace(/\D/g, ''))}`,
          'margin-top:12.0pt;',
        ),
      );
    }
    const help = skypeLink(info.helpUrl ?? skypeHelpUrl(lcid), s.help);
    parts.push(
      p(
        info.resetPinUrl
          ? `${skypeLink(info.resetPinUrl, s.forgotPin)} | ${help}`
          : `${escapeHtml(s.forgotPin)} ${help}`,
      ),
    );
  }
  parts.push(
    `<p class="MsoNormal" style="margin-top:12.0pt;"><span style="font-size:8.0pt;${SKYPE_FONT}color:#404040;">${escapeHtml(s.tagline)}</span></p>`,
    `<p class="MsoNormal"><sub><span style="font-size:1.0pt;color:white;">[!OC([${lcid}])!]</span></sub></p>`,
    sep,
  );
  return parts.join('\n');
}

function renderSkypeText(info: MeetingBlockInfo, locale: string, nl: string): string {
  const { strings, lcid } = resolveMeetingBlockLocale(locale);
  const s = strings.skype;
  const lines: string[] = [
    SKYPE_SEPARATOR,
    `${s.joinMeeting}<${info.joinUrl}>`,
    `${s.troubleJoining} ${s.tryWebApp}<${withQuery(info.joinUrl, 'sl=1')}>`,
  ];
  const numbers = [
    ...info.tollNumbers.map((n) => ({ ...n, free: false })),
    ...info.tollFreeNumbers.map((n) => ({ ...n, free: true })),
  ];
  if (numbers.length > 0) {
    lines.push(s.joinByPhone, '');
    for (const n of numbers) {
      const place = [n.place ? `(${n.place})` : '', n.free ? s.tollFree : '']
        .filter((x) => x !== '')
        .join(' ');
      lines.push(`${n.number} ${place}`.trimEnd());
    }
    if (info.dialInUrl) lines.push(`${s.findLocalNumber}<${info.dialInUrl}>`);
    if (info.conferenceId) lines.push('', `${s.conferenceId} ${info.conferenceId.replace(/\D/g, '')}`);
    const help = `${s.help}<${info.helpUrl ?? skypeHelpUrl(lcid)}>`;
    lines.push(info.resetPinUrl ? `${s.forgotPin}<${info.resetPinUrl}> | ${help}` : `${s.forgotPin} ${help}`);
  }
  lines.push('', s.tagline, '', `[!OC([${lcid}])!]`, SKYPE_SEPARATOR);
  return lines.join(nl);
}

/**
 * Renders the block for a Teams or Skype meeting with the user's current join link and dial-in coordinates,
 * in the user's language (`locale` is a BCP-47 tag; exact match, then language, then English). HTML follows
 * the Teams 2022+ / Outlook Skype templates with inline styles; text is the form Graph gives for text bodies
 * (lines, links as `label<url>`). The result is found again by `findOnlineMeetingBlock` with the same kind and
 * join link. Throws `MeetingBlockRenderError` for invalid info (e.g. a join link of the wrong kind).
 */
export function renderOnlineMeetingBlock(
  info: MeetingBlockInfo,
  contentType: BodyContentType,
  locale: string,
  options: RenderOptions = {},
): string {
  const v = parseInfo(info);
  const nl = options.newline ?? '\n';
  if (v.kind === 'teams')
    return contentType === 'html' ? renderTeamsHtml(v, locale) : renderTeamsText(v, locale, nl);
  return contentType === 'html' ? renderSkypeHtml(v, locale) : renderSkypeText(v, locale, nl);
}

/** The line break a text body uses ("\r\n" when its first line break is CRLF), for `RenderOptions.newline`. */
export function detectNewline(body: string): '\n' | '\r\n' {
  const nl = body.indexOf('\n');
  return nl > 0 && body.charCodeAt(nl - 1) === 13 ? '\r\n' : '\n';
}

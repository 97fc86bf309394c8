/**
 * Plain-text tables in the style of PowerShell's `Format-Table` (pure: no I/O, no terminal access):
 *
 *   UserPrincipalName          State     RetryCount LastMessage
 *   -----------------          -----     ---------- -----------
 *   adele.vance@contoso.com    Succeeded          0 Done: 8 of 10 meetings updated, …
 *
 * - Widths are display widths (terminal columns), not string lengths: CJK wide characters and emoji count two
 *   columns, combining marks and zero-width joiners none (`string-width`). Text is cut on grapheme boundaries
 *   (Intl.Segmenter), never inside a surrogate pair or an emoji sequence, and ends with `…` when cut.
 * - Each header is underlined with dashes as long as the header, as Format-Table does.
 * - Numbers (columns with `align: 'right'`) are right-aligned.
 * - One column may be `flex`: it gets whatever the other columns leave of `maxWidth` (at least its `minWidth`),
 *   and its values are truncated to that; the other columns are as wide as their widest value (or `maxWidth`
 *   when set on the column). Without `maxWidth` nothing is truncated. When even that is too wide, `shrink`
 *   columns are cut to their minWidth, then columns with a `dropPriority` are left out (layoutTable).
 * - Control characters (newlines, tabs, escape sequences) in values are shown as spaces so that one row stays
 *   one line and a value cannot move the cursor.
 */
import stringWidth from 'string-width';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null | undefined;
  align?: 'left' | 'right';
  /** Takes the width the other columns leave (one column per table). */
  flex?: boolean;
  /** The smallest width the flex column, or a `shrink` column, is cut to (default 12). */
  minWidth?: number;
  /** May be cut (to minWidth) when the table is too wide, after the flex column. */
  shrink?: boolean;
  /** May be left out when the table is too wide even so; the highest priority goes first. */
  dropPriority?: number;
  /** A cap for this column's width (values are truncated to it). */
  maxWidth?: number;
}

export interface TableOptions {
  /** Total line width to fit (the terminal's columns); undefined → no limit. */
  maxWidth?: number;
  /** Spaces between columns (default 1, as Format-Table). */
  gap?: number;
  /**
   * A cap for the flex column when there is no `maxWidth` (output that is not a terminal: a pipe, a file, a CI
   * log), so that a long message is cut rather than making every line hundreds of columns wide.
   */
  flexMaxWidth?: number;
}

const ELLIPSIS = '…';
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The number of terminal columns `text` takes. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** `text` with control characters (C0, DEL, C1) replaced by spaces: one line, no escape sequences. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/**
 * `text` cut to at most `width` display columns, ending with `…` when cut. Cuts between graphemes only, so a
 * wide character that would straddle the limit is dropped (the result may be one column narrower).
 */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  const budget = width - 1; // the ellipsis takes one column
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = displayWidth(segment);
    if (used + w > budget) break;
    out += segment;
    used += w;
  }
  return out.trimEnd() + ELLIPSIS;
}

/** `text` padded with spaces to `width` display columns (left- or right-aligned). */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return sanitize(String(value));
}

export interface TableLayout {
  /** Header, dashes, one line per row; trailing spaces removed. */
  lines: string[];
  /** Headers of the columns left out because the table did not fit `maxWidth`, in the order dropped. */
  omitted: string[];
}

/**
 * Lays the table out. When it is wider than `maxWidth`: the flex column shrinks to its minWidth, then the
 * columns marked `shrink` shrink to theirs, then columns with a `dropPriority` are left out, highest first (as
 * Format-Table leaves out the columns that do not fit), and the rest is laid out again. An empty `rows` still
 * gives the header and dashes.
 */
export function layoutTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: TableOptions = {},
): TableLayout {
  const gap = options.gap ?? 1;
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const natural = columns.map((c, i) => {
    const w = Math.max(displayWidth(c.header), ...cells.map((r) => displayWidth(r[i] ?? '')));
    const cap = c.maxWidth ?? (c.flex && options.maxWidth === undefined ? options.flexMaxWidth : undefined);
    return cap !== undefined ? Math.min(w, Math.max(cap, 1)) : w;
  });
  let active = columns.map((_, i) => i);
  const omitted: string[] = [];

  const fit = (): number[] => {
    const widths = [...natural];
    if (options.maxWidth === undefined) return widths;
    const total = () => active.reduce((sum, i) => sum + (widths[i] ?? 0), 0) + gap * (active.length - 1);
    const shrink = (i: number, min: number) => {
      const over = total() - (options.maxWidth ?? Infinity);
      const w = widths[i] ?? 0;
      if (over > 0 && w > min) widths[i] = Math.max(min, w - over);
    };
    for (const i of active) if (columns[i]?.flex) shrink(i, columns[i]?.minWidth ?? 12);
    for (const i of active)
      if (columns[i]?.shrink && !columns[i]?.flex) shrink(i, columns[i]?.minWidth ?? 12);
    return widths;
  };
  const tooWide = (widths: number[]) =>
    options.maxWidth !== undefined &&
    active.reduce((sum, i) => sum + (widths[i] ?? 0), 0) + gap * (active.length - 1) > options.maxWidth;

  let widths = fit();
  while (tooWide(widths)) {
    let drop: number | undefined;
    for (const i of active) {
      const p = columns[i]?.dropPriority;
      if (p !== undefined && (drop === undefined || p > (columns[drop]?.dropPriority ?? -Infinity))) drop = i;
    }
    if (drop === undefined) break;
    omitted.push(columns[drop]?.header ?? '');
    active = active.filter((i) => i !== drop);
    widths = fit();
  }

  const sep = ' '.repeat(gap);
  const line = (parts: string[]) =>
    active
      .map((i) => pad(truncate(parts[i] ?? '', widths[i] ?? 0), widths[i] ?? 0, columns[i]?.align))
      .join(sep)
      .trimEnd();
  return {
    lines: [
      line(columns.map((c) => c.header)),
      line(columns.map((c) => '-'.repeat(displayWidth(c.header)))),
      ...cells.map(line),
    ],
    omitted,
  };
}

/** layoutTable's lines. */
export function formatTableLines<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: TableOptions = {},
): string[] {
  return layoutTable(columns, rows, options).lines;
}

/**
 * The table as text; when columns had to be left out to fit, a last line says which (as Format-Table warns
 * that columns do not fit the display).
 */
export function formatTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: TableOptions = {},
): string {
  const { lines, omitted } = layoutTable(columns, rows, options);
  if (omitted.length > 0) {
    const n = omitted.length === 1 ? '1 column does' : `${omitted.length} columns do`;
    lines.push(
      `(${n} not fit the width and ${omitted.length === 1 ? 'is' : 'are'} left out: ${omitted.join(', ')})`,
    );
  }
  return lines.join('\n');
}

/**
 * A list of name/value pairs, like `Format-List`:
 *
 *   UserPrincipalName : adele.vance@contoso.com
 *   State             : Succeeded
 */
export function formatList(
  pairs: readonly (readonly [string, string | number | boolean | null | undefined])[],
): string {
  const width = Math.max(0, ...pairs.map(([k]) => displayWidth(k)));
  return pairs
    .map(([k, v]) =>
      `${pad(k, width)} : ${v === null || v === undefined ? '' : sanitize(String(v))}`.trimEnd(),
    )
    .join('\n');
}

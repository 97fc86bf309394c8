/**
 * cli/table.ts: Format-Table-like layout measured in terminal columns (CJK wide characters and emoji take two,
 * combining marks none), cut on grapheme boundaries with `…`, numbers right-aligned, one flex column fitted to
 * the terminal width, control characters neutralised.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  displayWidth,
  formatList,
  formatTable,
  formatTableLines,
  layoutTable,
  pad,
  sanitize,
  truncate,
  type Column,
} from '../../../cli/table';

interface Row {
  name: string;
  count: number;
  message: string;
}

const columns: Column<Row>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Count', value: (r) => r.count, align: 'right' },
  { header: 'Message', value: (r) => r.message, flex: true, minWidth: 8 },
];

describe('displayWidth', () => {
  it('counts terminal columns, not code units', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('日本語'), 6, 'CJK ideographs are wide');
    assert.equal(displayWidth('김민준'), 6, 'Hangul syllables are wide');
    assert.equal(displayWidth('😀'), 2, 'an emoji is wide (2 UTF-16 code units, 2 columns)');
    assert.equal(displayWidth('👩‍💻'), 2, 'a ZWJ sequence is one wide glyph');
    assert.equal(displayWidth('e\u0301'), 1, 'a combining accent takes no column');
    assert.equal(displayWidth('Łukasz Wójcik'), 13);
  });
});

describe('truncate', () => {
  it('leaves text that fits alone', () => {
    assert.equal(truncate('hello', 5), 'hello');
    assert.equal(truncate('日本', 4), '日本');
  });

  it('cuts to the width with an ellipsis', () => {
    assert.equal(truncate('hello world', 8), 'hello w…');
    assert.equal(displayWidth(truncate('hello world', 8)), 8);
    assert.equal(truncate('abc', 1), '…');
    assert.equal(truncate('abc', 0), '');
  });

  it('never splits a wide character, a surrogate pair or an emoji sequence', () => {
    // 5 columns: "日本" (4) + "…" (1); the third ideograph would straddle the limit.
    assert.equal(truncate('日本語テキスト', 5), '日本…');
    assert.equal(truncate('日本語テキスト', 6), '日本…', 'a wide char that does not fit whole is dropped');
    assert.equal(truncate('😀😀😀', 4), '😀…');
    assert.equal(truncate('👩‍💻👩‍💻👩‍💻', 5), '👩‍💻👩‍💻…');
    const cut = truncate('e\u0301e\u0301e\u0301e\u0301', 3);
    assert.equal(cut, 'e\u0301e\u0301…', 'an accent stays with its letter');
    for (const s of [truncate('😀😀😀', 4), truncate('👩‍💻👩‍💻👩‍💻', 5)]) {
      assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(s), `no lone high surrogate in ${s}`);
    }
  });
});

describe('pad and sanitize', () => {
  it('pads by display width, left or right', () => {
    assert.equal(pad('日本', 6), '日本  ');
    assert.equal(pad('7', 3, 'right'), '  7');
    assert.equal(pad('toolong', 3), 'toolong', 'never cuts');
  });

  it('turns control characters into spaces so a value stays on one line', () => {
    assert.equal(sanitize('a\nb\tc\u001b[2Jd'), 'a b c [2Jd');
  });
});

describe('formatTable', () => {
  const rows: Row[] = [
    { name: 'adele', count: 12, message: 'Done: 12 meetings updated' },
    { name: '王芳', count: 3, message: 'short' },
    { name: 'Zoë 😀', count: 100, message: 'x' },
  ];

  it('lays columns out like Format-Table: header, dashes as long as the header, aligned cells', () => {
    const lines = formatTableLines(columns, rows);
    assert.deepEqual(lines, [
      'Name   Count Message',
      '----   ----- -------',
      'adele     12 Done: 12 meetings updated',
      '王芳       3 short',
      'Zoë 😀   100 x',
    ]);
  });

  it('aligns every column at the same display column, whatever the scripts', () => {
    const lines = formatTableLines(columns, rows);
    const countEnds = lines.slice(2).map((l) => {
      const idx = l.indexOf(' ', l.search(/\d/));
      return displayWidth(l.slice(0, idx === -1 ? l.length : idx));
    });
    assert.equal(new Set(countEnds).size, 1, `the Count column ends at one column: ${countEnds.join(',')}`);
  });

  it('cuts the flex column so that every line fits the width', () => {
    const long: Row[] = [
      { name: 'adele', count: 1, message: 'A very long last message that goes on and on' },
    ];
    const lines = formatTableLines(columns, long, { maxWidth: 30 });
    for (const l of lines) assert.ok(displayWidth(l) <= 30, `fits: "${l}" (${displayWidth(l)})`);
    assert.equal(lines[2], 'adele     1 A very long last…');
  });

  it('cuts wide text in the flex column on a character boundary', () => {
    const wide: Row[] = [{ name: 'a', count: 1, message: 'ミーティングの移行が完了しました' }];
    const lines = formatTableLines(columns, wide, { maxWidth: 22 });
    assert.ok(displayWidth(lines[2] ?? '') <= 22);
    assert.equal(lines[2], 'a        1 ミーティン…', 'ミーティン is 10 columns, the ellipsis the 11th');
  });

  it('keeps the flex column at its minimum width when the terminal is too narrow', () => {
    const lines = formatTableLines(columns, rows, { maxWidth: 10 });
    assert.equal(lines[0], 'Name   Count Message');
    assert.equal(lines[2], 'adele     12 Done: 1…');
  });

  it('does not cut anything without a width', () => {
    const text = formatTable(columns, [{ name: 'a', count: 0, message: 'm'.repeat(500) }]);
    assert.ok(text.includes('m'.repeat(500)));
  });

  it('caps a column at its maxWidth', () => {
    const capped: Column<Row>[] = [{ header: 'Name', value: (r) => r.name, maxWidth: 6 }];
    assert.deepEqual(formatTableLines(capped, [{ name: 'abcdefghij', count: 0, message: '' }]), [
      'Name',
      '----',
      'abcde…',
    ]);
  });

  it('prints the header and dashes for no rows, and empty cells for null values', () => {
    assert.deepEqual(formatTableLines(columns, []), ['Name Count Message', '---- ----- -------']);
    const nullable: Column<{ v: string | null }>[] = [
      { header: 'A', value: (r) => r.v },
      { header: 'B', value: () => 'b' },
    ];
    assert.deepEqual(formatTableLines(nullable, [{ v: null }]), ['A B', '- -', '  b']);
  });
});

describe('layoutTable in a narrow terminal', () => {
  interface Wide {
    id: string;
    a: string;
    b: string;
    msg: string;
  }
  const wideColumns: Column<Wide>[] = [
    { header: 'Id', value: (r) => r.id, shrink: true, minWidth: 6 },
    { header: 'A', value: (r) => r.a, dropPriority: 1 },
    { header: 'B', value: (r) => r.b, dropPriority: 2 },
    { header: 'Msg', value: (r) => r.msg, flex: true, minWidth: 5 },
  ];
  const row: Wide = { id: 'identity-1234', a: 'aaaaaaaa', b: 'bbbbbbbb', msg: 'a message of some length' };

  it('cuts the flex column first, then the shrinkable ones', () => {
    const natural = formatTableLines(wideColumns, [row])[2] ?? '';
    assert.equal(natural, 'identity-1234 aaaaaaaa bbbbbbbb a message of some length');
    const flexOnly = layoutTable(wideColumns, [row], { maxWidth: 40 });
    assert.equal(
      flexOnly.lines[2],
      'identity-1234 aaaaaaaa bbbbbbbb a messa…',
      'the flex column alone gives way',
    );
    const t = layoutTable(wideColumns, [row], { maxWidth: 34 });
    assert.deepEqual(t.omitted, []);
    assert.equal(t.lines[2], 'identity-… aaaaaaaa bbbbbbbb a me…');
    for (const l of t.lines) assert.ok(displayWidth(l) <= 34);
  });

  it('then leaves out columns, highest dropPriority first, and says so', () => {
    const t = layoutTable(wideColumns, [row], { maxWidth: 24 });
    assert.deepEqual(t.omitted, ['B']);
    assert.deepEqual(t.lines, [
      'Id        A        Msg',
      '--        -        ---',
      'identity… aaaaaaaa a me…',
    ]);
    const narrow = layoutTable(wideColumns, [row], { maxWidth: 12 });
    assert.deepEqual(narrow.omitted, ['B', 'A']);
    assert.equal(narrow.lines[2], 'ident… a me…');
    assert.match(
      formatTable(wideColumns, [row], { maxWidth: 12 }),
      /\n\(2 columns do not fit the width and are left out: B, A\)$/,
    );
  });
});

describe('formatList', () => {
  it('aligns the names like Format-List', () => {
    assert.equal(
      formatList([
        ['State', 'Succeeded'],
        ['RetryCount', 0],
        ['Note', null],
      ]),
      ['State      : Succeeded', 'RetryCount : 0', 'Note       :'].join('\n'),
    );
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blockDiff, readableLines } from '../../../cli/block-diff';

describe('block diff', () => {
  it('reads an HTML block as the lines an attendee sees, link addresses after their text', () => {
    const html =
      '<div>________________<br><b>Microsoft Teams</b> meeting<br>' +
      '<a href="https://teams.microsoft.com/l/meetup-join/1">Join the meeting now</a>' +
      '<p>Meeting ID: 123&nbsp;456</p><style>p{}</style><div>Call in: +1&#160;425</div></div>';
    assert.deepEqual(readableLines(html, 'html'), [
      '________________',
      'Microsoft Teams meeting',
      'Join the meeting now <https://teams.microsoft.com/l/meetup-join/1>',
      'Meeting ID: 123 456',
      'Call in: +1 425',
    ]);
  });

  it('marks removed and added lines, keeps shared ones', () => {
    const diff = blockDiff('A\r\nold number\r\nC\r\n', 'A\r\nnew number\r\nC\r\n', 'text');
    assert.deepEqual(diff, ['  A', '- old number', '+ new number', '  C']);
  });

  it('shows control characters as spaces (a block cannot move the cursor)', () => {
    assert.deepEqual(readableLines('x\u001b[2Jy', 'text'), ['x [2Jy']);
  });
});

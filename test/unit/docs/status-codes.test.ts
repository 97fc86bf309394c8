/**
 * docs/status-codes.md is generated from the code's catalogues (dev/status-codes-doc.ts) and must be current:
 * every lastMessage code, skip reason and meeting error code is documented with its text.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { renderStatusCodesDoc, STATUS_CODES_DOC } from '../../../dev/status-codes-doc';
import { SKIP_REASON_CODES, SKIP_REASONS } from '../../../shared/domain/eligibility';
import { LAST_MESSAGE_CODES } from '../../../shared/domain/last-message';
import { MEETING_ERROR_CODES } from '../../../shared/services/migrate-user';

const root = resolve(__dirname, '..', '..', '..', '..');
const text = readFileSync(join(root, STATUS_CODES_DOC), 'utf8');

describe('docs/status-codes.md', () => {
  it('is what dev/status-codes-doc.ts generates (run `node dist/dev/status-codes-doc.js` after a change)', () => {
    assert.equal(text, renderStatusCodesDoc());
  });

  it('lists every lastMessage code, skip reason and meeting error code', () => {
    const codes = [...LAST_MESSAGE_CODES, ...SKIP_REASON_CODES, ...Object.keys(MEETING_ERROR_CODES)];
    for (const code of codes) assert.ok(text.includes(`| \`${code}\` |`), `${code} is documented`);
    for (const r of SKIP_REASON_CODES) assert.ok(text.includes(SKIP_REASONS[r].slice(0, 40)), r);
  });
});

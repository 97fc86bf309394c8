/**
 * The users of `mms start --file users.csv`: either a CSV with a header row (an Entra admin center "Download
 * users" export, or any sheet) whose identity column is one of UserPrincipalName, UPN, Identity, UserId, ObjectId,
 * Id (case and spaces ignored, the first found in that order), or a plain list with one UPN or object id per line.
 * Blank lines and lines starting with `#` are skipped. Pure: takes the file's text.
 */
import { parse } from 'csv-parse/sync';

const COLUMNS = ['userprincipalname', 'upn', 'identity', 'userid', 'objectid', 'id'];

export class IdentitiesFileError extends Error {}

const norm = (h: string) => h.replace(/[\s_-]+/g, '').toLowerCase();

export function parseIdentitiesFile(text: string): string[] {
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const first = lines[0];
  if (first === undefined) throw new IdentitiesFileError('the file lists no users');
  const header: string[][] = parse(first, { relax_column_count: true });
  const headers = (header[0] ?? []).map(norm);
  const column = COLUMNS.map((c) => headers.indexOf(c)).find((i) => i >= 0);
  if (column === undefined) {
    if (first.includes(',') || first.includes(';')) {
      throw new IdentitiesFileError(
        `the first row is not a header naming the users' column (one of UserPrincipalName, UPN, Identity, ` +
          `UserId, ObjectId, Id): "${first.slice(0, 120)}"`,
      );
    }
    return lines.map((l) => l.trim());
  }
  const rows: string[][] = parse(lines.join('\n'), {
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  });
  return rows
    .slice(1)
    .map((r) => r[column] ?? '')
    .filter((v) => v !== '');
}

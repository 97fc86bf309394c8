/**
 * Throughput of the meeting-block module (`npm run bench -- meeting-block`): find, replace and render over
 * bodies of 1 KB to 1 MB (HTML and text, block in the middle), and pathological inputs that would make a
 * backtracking or quadratic parser crawl. Prints figures; never fails on a slow machine.
 */
import { performance } from 'node:perf_hooks';
import {
  findOnlineMeetingBlock,
  renderOnlineMeetingBlock,
  replaceOnlineMeetingBlock,
  type BodyContentType,
  type MeetingBlockInfo,
} from '../shared/domain/meeting-block';

const teams: MeetingBlockInfo = {
  kind: 'teams',
  joinUrl:
    'https://teams.microsoft.com/l/meetup-join/19%3ameeting_OWI4ZDk3ZjMtYjQ2Mi00%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%7d',
  conferenceId: '987654321',
  meetingId: '218281740470',
  passcode: 'BPLJz4',
  tollNumbers: [{ number: '+1 323-555-0123', place: 'United States, Los Angeles' }],
  tollFreeNumbers: [{ number: '+1 866-555-0199', place: 'United States' }],
  dialInUrl: 'https://dialin.teams.microsoft.com/x?id=987654321',
  resetPinUrl: 'https://dialin.teams.microsoft.com/usp/pstnconferencing',
};

function measure(label: string, bytes: number, fn: () => unknown): void {
  fn(); // warm up
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 300 || runs < 3) {
    fn();
    runs++;
    elapsed = performance.now() - start;
  }
  const perRun = elapsed / runs;
  const mbPerSec = bytes / 1024 / 1024 / (perRun / 1000);
  console.log(
    `${label.padEnd(58)} ${(bytes / 1024).toFixed(0).padStart(8)} KiB  ${perRun.toFixed(3).padStart(10)} ms/op  ${mbPerSec.toFixed(1).padStart(8)} MiB/s`,
  );
}

function bodyOfSize(contentType: BodyContentType, size: number): string {
  const block = renderOnlineMeetingBlock(teams, contentType, 'en-US');
  const unit =
    contentType === 'html'
      ? '<p class="MsoNormal">Agenda: café ☕ — 中文 — ____ .... <a href="https://example.com/?a=1&amp;b=2">link</a></p>\n'
      : 'Agenda: café ☕ — 中文 — ____ .... https://example.com/?a=1&b=2\r\n';
  const half = unit.repeat(Math.max(0, Math.ceil((size - block.length) / 2 / unit.length)));
  return contentType === 'html'
    ? `<html><body>${half}${block}${half}</body></html>`
    : `${half}${block}\r\n${half}`;
}

console.log('findOnlineMeetingBlock / replaceOnlineMeetingBlock (block in the middle)');
for (const contentType of ['html', 'text'] as const) {
  for (const size of [1024, 10 * 1024, 100 * 1024, 1024 * 1024]) {
    const body = bodyOfSize(contentType, size);
    measure(`find ${contentType}`, body.length, () => findOnlineMeetingBlock(body, contentType));
    measure(`replace ${contentType}`, body.length, () => replaceOnlineMeetingBlock(body, contentType, 'NEW'));
  }
}

console.log('\nrenderOnlineMeetingBlock');
for (const contentType of ['html', 'text'] as const) {
  const block = renderOnlineMeetingBlock(teams, contentType, 'fr-FR');
  measure(`render teams ${contentType} fr-FR`, block.length, () =>
    renderOnlineMeetingBlock(teams, contentType, 'fr-FR'),
  );
}

console.log('\npathological inputs (each followed by a real block, so the whole body is parsed)');
const u80 = '_'.repeat(80);
const p137 = '.'.repeat(137);
const htmlBlock = renderOnlineMeetingBlock(teams, 'html', 'en-US');
const textBlock = renderOnlineMeetingBlock(teams, 'text', 'en-US');
const cases: [string, BodyContentType, string][] = [
  ['200k lines of 79 underscores', 'text', `${'_'.repeat(79)}\n`.repeat(200_000)],
  ['100k separator lines, no join link between', 'text', `${u80}\nx\n`.repeat(100_000)],
  ['1 MB single line of underscores', 'text', '_'.repeat(1024 * 1024)],
  ['100k <p> of 137 periods', 'html', `<p><span>${p137}</span></p>`.repeat(100_000)],
  ['100k unclosed <p> of 137 periods', 'html', `<p>${p137}`.repeat(100_000)],
  ['100k nested <div>', 'html', '<div>'.repeat(100_000)],
  ['50k <div> then 50k unmatched </span>', 'html', `${'<div>'.repeat(50_000)}${'</span>'.repeat(50_000)}`],
  [
    '1 MB of "https://teams.microsoft.com/l/meetup-join/"',
    'html',
    'https://teams.microsoft.com/l/meetup-join/'.repeat(25_000),
  ],
  ['1 MB of "&amp;" entities', 'html', '&amp;'.repeat(200_000)],
  ['1 MB of "<" characters', 'html', '<'.repeat(1024 * 1024)],
  ['1 MB of "<p>" with 80 underscores each', 'html', `<p>${u80}`.repeat(12_000)],
];
for (const [label, contentType, pathological] of cases) {
  const body = contentType === 'html' ? `${pathological}${htmlBlock}` : `${pathological}\n${textBlock}`;
  measure(`find ${contentType}: ${label}`, body.length, () => findOnlineMeetingBlock(body, contentType));
}

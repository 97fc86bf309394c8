import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument, DomUtils } from 'htmlparser2';
import {
  findOnlineMeetingBlock,
  groupDigits,
  MeetingBlockRenderError,
  renderOnlineMeetingBlock,
  detectNewline,
  type BodyContentType,
  type MeetingBlockInfo,
} from '../../../shared/domain/meeting-block';
import {
  MEETING_BLOCK_LOCALES,
  resolveMeetingBlockLocale,
} from '../../../shared/domain/locales/meeting-block';
import { skypeInfo, teamsInfo } from './support';

const LOCALES = ['en-US', 'fr-FR', 'de-DE', 'es-ES', 'pt-BR', 'zh-CN', 'ja-JP', 'en-GB', 'fr-CA', 'it-IT'];
const CONTENT_TYPES: BodyContentType[] = ['html', 'text'];

function hrefs(html: string): string[] {
  const doc = parseDocument(html);
  return DomUtils.findAll((e) => e.name === 'a' && e.attribs.href !== undefined, doc.children).map(
    (e) => e.attribs.href ?? '',
  );
}

function textOf(html: string): string {
  return DomUtils.textContent(parseDocument(html));
}

describe('meeting block: rendering', () => {
  describe('round trip: every locale, kind and content type is found again with its kind and join link', () => {
    for (const locale of LOCALES) {
      for (const contentType of CONTENT_TYPES) {
        for (const info of [
          teamsInfo(),
          skypeInfo(),
          teamsInfo({ joinUrl: 'https://teams.microsoft.com/meet/21828174047?p=BPLJz4xyz' }),
        ]) {
          it(`${info.kind} ${contentType} ${locale} ${info.joinUrl.slice(8, 40)}`, () => {
            const block = renderOnlineMeetingBlock(info, contentType, locale);
            const found = findOnlineMeetingBlock(block, contentType);
            assert.ok(found, 'rendered block not found');
            assert.equal(found.kind, info.kind);
            assert.equal(found.joinUrl, info.joinUrl);
            assert.equal(found.start, 0);
            assert.equal(found.end, block.length);
            assert.equal(found.conferenceId, info.conferenceId);
            if (info.kind === 'skype') assert.equal(found.lcid, resolveMeetingBlockLocale(locale).lcid);
            // Embedded in a body, it is found at its place.
            const prefix = contentType === 'html' ? '<html><body><p>Avant ✓</p>' : 'Avant ✓\r\n';
            const suffix = contentType === 'html' ? '<p>Après 😀</p></body></html>' : '\r\nAprès 😀';
            const inBody = findOnlineMeetingBlock(prefix + block + suffix, contentType);
            assert.deepEqual(inBody, { ...found, start: prefix.length, end: prefix.length + block.length });
          });
        }
      }
    }
  });

  it('recognises every shape of join link it renders: Teams clouds and /meet/ links, Skype online and on-premises', () => {
    const links: [MeetingBlockInfo['kind'], string][] = [
      ['teams', 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d'],
      ['teams', 'https://gov.teams.microsoft.us/l/meetup-join/19%3ameeting_abc%40thread.v2/0'],
      ['teams', 'https://dod.teams.microsoft.us/l/meetup-join/19%3ameeting_abc%40thread.v2/0'],
      ['teams', 'https://teams.microsoft.com/meet/21828174047?p=BPLJz4'],
      ['teams', 'https://teams.live.com/meet/9312345678901?p=Xy12'],
      ['skype', 'https://meet.lync.com/contoso/alice/F8RMKTS3'],
      ['skype', 'https://meet.contoso.com/alice/F8RMKTS3'],
      ['skype', 'https://join.contoso.com/meet/alice/F8RMKTS3'],
      ['skype', 'https://lyncweb.contoso.com/meet/alice.smith/F8RMKTS3'],
      ['skype', 'https://webconf.contoso.com/contoso.com/meet/alice/F8RMKTS3'],
    ];
    for (const [kind, joinUrl] of links) {
      for (const ct of CONTENT_TYPES) {
        const info = kind === 'teams' ? teamsInfo({ joinUrl }) : skypeInfo({ joinUrl });
        const found = findOnlineMeetingBlock(renderOnlineMeetingBlock(info, ct, 'en-US'), ct);
        assert.deepEqual([found?.kind, found?.joinUrl], [kind, joinUrl], `${ct} ${joinUrl}`);
      }
    }
  });

  it('a minimal Teams info (no dial-in, no meeting id) renders and round-trips', () => {
    const info: MeetingBlockInfo = {
      kind: 'teams',
      joinUrl: teamsInfo().joinUrl,
      tollNumbers: [],
      tollFreeNumbers: [],
    };
    for (const ct of CONTENT_TYPES) {
      const block = renderOnlineMeetingBlock(info, ct, 'en-US');
      const found = findOnlineMeetingBlock(block, ct);
      assert.equal(found?.joinUrl, info.joinUrl);
      assert.equal(found?.conferenceId, undefined);
      assert.ok(!block.includes('Or call in'), 'no phone section without numbers');
    }
  });

  it('Teams HTML follows the template: separators, styles, numbers with places, conference id, links', () => {
    const html = renderOnlineMeetingBlock(teamsInfo(), 'html', 'en-US');
    const sep =
      '<div style="width:100%;height: 20px;"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36;">' +
      '_'.repeat(80) +
      '</span></div>';
    assert.ok(html.startsWith(sep) && html.endsWith(sep));
    for (const s of ['Segoe UI', '#252424', '#6264A7', 'me-email-text', 'me-email-headline'])
      assert.ok(html.includes(s), s);
    const text = textOf(html);
    for (const s of [
      'Microsoft Teams meeting',
      'Join on your computer, mobile app or room device',
      'Click here to join the meeting',
      'Meeting ID: 218 281 740 470',
      'Passcode: BPLJz4',
      'Or call in (audio only)',
      '+1 323-555-0123,,987654321#',
      'United States, Los Angeles',
      '+1 866-555-0199,,987654321#',
      'United States (Toll-free)',
      'Phone Conference ID: 987 654 321#',
      'Find a local number',
      'Reset PIN',
      'Learn More',
      'Meeting options',
    ]) {
      assert.ok(text.includes(s), `missing "${s}"`);
    }
    const links = hrefs(html);
    assert.ok(links.includes(teamsInfo().joinUrl));
    assert.ok(links.includes('tel:+13235550123,,987654321#'));
    assert.ok(links.includes('tel:+18665550199,,987654321#'));
    assert.ok(links.includes(teamsInfo().dialInUrl ?? ''));
    assert.ok(links.includes(teamsInfo().resetPinUrl ?? ''));
    assert.ok(links.includes(teamsInfo().meetingOptionsUrl ?? ''), 'meeting options link decodes to the URL');
    assert.ok(html.includes('&amp;tenantId='), '& in URLs is written &amp;');
    assert.ok(!/&(?!amp;|nbsp;|quot;|lt;|gt;|#39;)/.test(html), 'no bare & in the HTML');
  });

  it('escapes HTML in every field: text and attributes', () => {
    const info = teamsInfo({
      joinUrl: 'https://teams.microsoft.com/meet/123456789?p=a&b=c',
      tollNumbers: [{ number: '+1 323-555-0123', place: 'Rock & Roll <script>alert(1)</script> "Hall"' }],
      passcode: '<b>&"',
    });
    const html = renderOnlineMeetingBlock(info, 'html', 'en-US');
    assert.ok(!html.includes('<script>'));
    assert.ok(!html.includes('<b>&'));
    assert.ok(html.includes('Rock &amp; Roll &lt;script&gt;alert(1)&lt;/script&gt; &quot;Hall&quot;'));
    assert.ok(html.includes('href="https://teams.microsoft.com/meet/123456789?p=a&amp;b=c"'));
    const text = textOf(html);
    assert.ok(text.includes('Rock & Roll <script>alert(1)</script> "Hall"'));
    assert.ok(text.includes('<b>&"'));
    assert.equal(findOnlineMeetingBlock(html, 'html')?.joinUrl, info.joinUrl);
  });

  it('text form: 80 underscores, LF lines, links as label<url>; CRLF on request', () => {
    const text = renderOnlineMeetingBlock(teamsInfo(), 'text', 'en-US');
    const lines = text.split('\n');
    assert.equal(lines[0], '_'.repeat(80));
    assert.equal(lines[lines.length - 1], '_'.repeat(80));
    assert.ok(!text.includes('\r'));
    assert.ok(lines.includes(`Click here to join the meeting<${teamsInfo().joinUrl}>`));
    assert.ok(
      lines.includes(
        '+1 323-555-0123,,987654321#<tel:+13235550123,,987654321#>   United States, Los Angeles',
      ),
    );
    assert.ok(lines.includes('Phone Conference ID: 987 654 321#'));
    const crlf = renderOnlineMeetingBlock(teamsInfo(), 'text', 'en-US', { newline: '\r\n' });
    assert.equal(crlf, lines.join('\r\n'));
    assert.equal(detectNewline('a\r\nb'), '\r\n');
    assert.equal(detectNewline('a\nb\r\n'), '\n');
  });

  it('Skype template: 137-period separators, OutJoinLink, web app link, [!OC([lcid])!] of the locale', () => {
    const html = renderOnlineMeetingBlock(skypeInfo(), 'html', 'de-AT');
    const periods = '.'.repeat(137);
    assert.ok(html.startsWith('<p class="MsoNormal">') && html.includes(`>${periods}</span></p>`));
    assert.ok(html.endsWith(`>${periods}</span></p>`));
    assert.ok(html.includes('<a name="OutJoinLink"></a>'));
    assert.ok(html.includes('[!OC([3079])!]'), 'de-AT LCID');
    const text = textOf(html);
    for (const s of [
      'An Skype-Besprechung teilnehmen',
      'Per Telefon teilnehmen',
      'Konferenzkennung: 84512397',
      'Ortsgebundene Nummer suchen',
    ]) {
      assert.ok(text.includes(s), s);
    }
    const links = hrefs(html);
    assert.ok(links.includes(`${skypeInfo().joinUrl}?sl=1`));
    assert.ok(links.includes('tel:+14255550100'));
    assert.ok(links.some((l) => l.includes('clid=3079')));
    const plain = renderOnlineMeetingBlock(skypeInfo(), 'text', 'en-US');
    assert.ok(plain.startsWith(`${periods}\n`) && plain.endsWith(`\n${periods}`));
    assert.ok(plain.includes('\n[!OC([1033])!]\n'));
    assert.ok(plain.includes('Conference ID: 84512397'));
  });

  it('speaks the user language: localised wording for each supported locale', () => {
    for (const l of MEETING_BLOCK_LOCALES) {
      const teams = textOf(renderOnlineMeetingBlock(teamsInfo(), 'html', l.tag));
      assert.ok(teams.includes(l.teams.title), `${l.tag} title`);
      assert.ok(teams.includes(`${l.teams.phoneConferenceId} 987 654 321#`), `${l.tag} conference id`);
      assert.ok(
        teams.includes(l.teams.findLocalNumber) && teams.includes(l.teams.resetPin),
        `${l.tag} links`,
      );
      assert.ok(teams.includes(l.teams.tollFree), `${l.tag} toll-free`);
      const skype = renderOnlineMeetingBlock(skypeInfo(), 'text', l.tag);
      assert.ok(
        skype.includes(l.skype.joinMeeting) && skype.includes(`[!OC([${l.lcid}])!]`),
        `${l.tag} skype`,
      );
    }
    assert.ok(renderOnlineMeetingBlock(teamsInfo(), 'text', 'fr-FR').includes('Réunion Microsoft Teams'));
    assert.ok(renderOnlineMeetingBlock(teamsInfo(), 'text', 'ja-JP').includes('電話会議 ID: 987 654 321#'));
  });

  it('matches locales exactly, then by language, then falls back to English', () => {
    assert.equal(resolveMeetingBlockLocale('pt-BR').strings.tag, 'pt-BR');
    assert.equal(resolveMeetingBlockLocale('PT_pt').strings.tag, 'pt-BR');
    assert.equal(resolveMeetingBlockLocale('fr-CA').strings.tag, 'fr-FR');
    assert.equal(resolveMeetingBlockLocale('fr-CA').lcid, 3084);
    assert.equal(resolveMeetingBlockLocale('zh-Hans-CN').strings.tag, 'zh-CN');
    assert.equal(resolveMeetingBlockLocale('de').strings.tag, 'de-DE');
    assert.equal(resolveMeetingBlockLocale('it-IT').strings.tag, 'en-US');
    assert.equal(resolveMeetingBlockLocale('').strings.tag, 'en-US');
    assert.equal(resolveMeetingBlockLocale(undefined).lcid, 1033);
  });

  it('formats ids as the templates do', () => {
    assert.equal(groupDigits('987654321'), '987 654 321');
    assert.equal(groupDigits('73572842'), '735 728 42');
    assert.equal(groupDigits('12345678901'), '123 456 789 01');
    assert.equal(groupDigits('987 654 321'), '987 654 321');
  });

  it('refuses info that would not make a valid, findable block', () => {
    const bad: MeetingBlockInfo[] = [
      teamsInfo({ joinUrl: 'https://example.com/l/meetup-join/x' }),
      teamsInfo({ joinUrl: skypeInfo().joinUrl }),
      skypeInfo({ joinUrl: teamsInfo().joinUrl }),
      teamsInfo({ joinUrl: 'https://teams.microsoft.com/l/meetup-join/a b' }),
      teamsInfo({ dialInUrl: 'javascript:alert(1)' }),
      teamsInfo({ conferenceId: '12ab' }),
      teamsInfo({ tollNumbers: [{ number: 'call me', place: 'x' }] }),
    ];
    for (const info of bad) {
      assert.throws(
        () => renderOnlineMeetingBlock(info, 'html', 'en-US'),
        (e: unknown) => e instanceof MeetingBlockRenderError && e.code === 'MEETING_BLOCK_RENDER_INVALID',
        JSON.stringify(info).slice(0, 120),
      );
    }
  });
});

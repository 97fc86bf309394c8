import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKYPE_SEPARATOR,
  TEAMS_ERAS,
  TEAMS_SEPARATOR,
  composeHtmlBody,
  composeTextBody,
  outlookHtmlDocument,
  receivedCopyHtml,
  sampleBodies,
  skypeBlockHtml,
  skypeBlockText,
  teamsBlockHtml,
  teamsBlockText,
  teamsMeetupJoinUrl,
  type BlockDialIn,
} from '../../../dev/sandbox/generator/blocks';

/** Visible text of an HTML fragment (tags removed, a few entities decoded). */
function visible(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const DIAL_IN: BlockDialIn = {
  phones: [
    {
      number: '+13235550123',
      display: '+1 323-555-0123',
      city: 'Los Angeles',
      country: 'United States',
      type: 'toll',
      languageName: 'English (United States)',
    },
  ],
  conferenceId: '987654321',
  findLocalNumberUrl: 'https://dialin.teams.microsoft.com/8551f4c1-bea3-441a-8738-69aa517a91c5',
};
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ORGANIZER = 'f314f192-544c-4a91-af5e-7cd2ef9df199';

describe('meeting block generators', () => {
  it('sampleBodies: the expected offsets delimit the block, separators included', () => {
    const samples = sampleBodies();
    assert.ok(samples.length >= 20);
    assert.equal(new Set(samples.map((s) => s.name)).size, samples.length, 'unique names');
    for (const s of samples) {
      if (!s.expected) continue;
      const { kind, blockStart, blockEnd } = s.expected;
      const sep = kind === 'teams' ? TEAMS_SEPARATOR : SKYPE_SEPARATOR;
      const block = s.body.slice(blockStart, blockEnd);
      const before = s.body.slice(0, blockStart);
      const after = s.body.slice(blockEnd);
      if (s.contentType === 'text') {
        assert.ok(block.startsWith(sep), `${s.name}: block begins with the separator`);
        assert.ok(block.endsWith(sep), `${s.name}: block ends with the separator`);
      } else {
        assert.ok(block.startsWith('<') && block.endsWith('>'), `${s.name}: block is whole elements`);
        assert.ok(
          visible(block).trim().startsWith(sep),
          `${s.name}: the first visible text is the separator`,
        );
        assert.ok(visible(block).trim().endsWith(sep), `${s.name}: the last visible text is the separator`);
        // The element holding the opening separator starts the block: nothing of it is left before.
        assert.ok(/>\s*$/.test(before), `${s.name}: the block starts at a tag boundary`);
        assert.ok(/^\s*</.test(after), `${s.name}: the block ends at a tag boundary`);
      }
      assert.ok(!before.includes(sep) && !after.includes(sep), `${s.name}: no separator outside the block`);
      if (s.name.includes('block-only')) assert.equal(block, s.body, 'a body that is only the block');
      else assert.match(before + after, /[\u0080-\uffff]/, `${s.name}: non-ASCII text around the block`);
      if (s.name.includes('attendee-copy') && kind === 'skype') {
        assert.ok(block.includes('name="x_OutJoinLink"') && !block.includes('name="OutJoinLink"'));
      }
      if (s.name.includes('attendee-copy') && kind === 'teams' && s.name.includes('2022')) {
        assert.ok(block.includes('class="x_me-email-text"'));
      }
    }
    const nulls = samples.filter((s) => !s.expected).map((s) => s.name);
    assert.ok(nulls.some((n) => n.startsWith('no-block')) && nulls.some((n) => n.startsWith('broken')));
    for (const kind of ['skype', 'teams'] as const) {
      for (const ct of ['html', 'text'] as const) {
        assert.ok(
          samples.some((s) => s.expected?.kind === kind && s.contentType === ct),
          `${kind} ${ct} sample`,
        );
      }
    }
  });

  it('writes the Skype for Business markers in HTML and text', () => {
    const joinUrl = 'https://meet.lync.com/contoso/jdoe/7QK4ZB2M';
    const html = skypeBlockHtml({ joinUrl, dialIn: DIAL_IN, lcid: 1033 });
    const text = skypeBlockText({ joinUrl, dialIn: DIAL_IN, lcid: 1033 });
    assert.equal(
      (html.match(new RegExp(`<p[^>]*><span[^>]*>\\.{137}</span>`, 'g')) ?? []).length,
      2,
      'a <p> of 137 periods before and after',
    );
    assert.ok(!html.includes('.'.repeat(138)));
    for (const marker of [
      '<a name="OutJoinLink">',
      'Join Skype Meeting',
      'Try Skype Web App',
      `${joinUrl}?sl=1`,
      'Join by phone',
      'href="tel:+13235550123"',
      'Los Angeles',
      'Find a local number',
      'Conference ID: 987654321',
      '[!OC([1033])!]',
      'Wingdings',
    ]) {
      assert.ok(html.includes(marker), `HTML lacks ${marker}`);
    }
    for (const marker of [
      'Join Skype Meeting<',
      'Try Skype Web App<',
      'Join by phone',
      'tel:+13235550123',
      'Find a local number<',
      'Conference ID: 987654321',
      '[!OC([1033])!]',
    ]) {
      assert.ok(text.includes(marker), `text lacks ${marker}`);
    }
    const lines = text.split('\r\n');
    assert.equal(lines[0], SKYPE_SEPARATOR);
    assert.equal(lines[lines.length - 1], SKYPE_SEPARATOR);
    const de = skypeBlockText({ joinUrl, dialIn: DIAL_IN, lcid: 1031 });
    assert.ok(
      de.includes('Skype-Besprechung teilnehmen') &&
        de.includes('Konferenzkennung:') &&
        de.includes('[!OC([1031])!]'),
    );
  });

  it('writes every Teams generation with its markers and the 80-underscore separators', () => {
    const meetup = teamsMeetupJoinUrl('4882a5da-09d2-4a21-9c09-69cf6e016c59', TENANT, ORGANIZER);
    assert.match(
      meetup,
      /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\/19%3ameeting_[A-Za-z0-9+/]+%40thread\.v2\/0\?context=%7b%22Tid%22%3a%22.+%22%2c%22Oid%22%3a%22.+%22%7d$/,
    );
    const expected: Record<string, string[]> = {
      '2019': [
        'Join Microsoft Teams Meeting',
        'United States, Los Angeles (Toll)',
        'Conference ID: 987 654 321#',
        'Local numbers',
        'Reset PIN',
        'Learn more about Teams',
        'Meeting options',
      ],
      '2020': [
        'Microsoft Teams meeting',
        'Join on your computer or mobile app',
        'Click here to join the meeting',
        'Or call in (audio only)',
        'Phone Conference ID: 987 654 321#',
        'Find a local number',
        'Reset PIN',
        'Learn More',
        'Meeting options',
      ],
      '2022': [
        'Microsoft Teams meeting',
        'Join on your computer, mobile app or room device',
        'Meeting ID: 123 456 789 01',
        'Passcode: xYzAb1',
        'Download Teams',
        'Join on the web',
        'Or call in (audio only)',
        '+1 323-555-0123,,987654321#',
        'Phone Conference ID: 987 654 321#',
        'Find a local number',
        'Reset PIN',
        'Learn More',
        'Meeting options',
      ],
      newest: [
        'Microsoft Teams',
        'Need help?',
        'teams.microsoft.com/meet/12345678901?p=xYzAb1',
        'Meeting ID: 123 456 789 01',
        'Passcode: xYzAb1',
        'Find a local number',
      ],
    };
    for (const era of TEAMS_ERAS) {
      const opts = {
        joinUrl: era === 'newest' ? 'https://teams.microsoft.com/meet/12345678901?p=xYzAb1' : meetup,
        tenantId: TENANT,
        organizerId: ORGANIZER,
        meetingId: '12345678901',
        passcode: 'xYzAb1',
        dialIn: DIAL_IN,
      };
      const html = teamsBlockHtml(era, opts);
      const text = teamsBlockText(era, opts);
      const v = visible(html);
      for (const marker of expected[era] ?? []) {
        assert.ok(v.includes(marker) || html.includes(marker), `${era} HTML lacks ${marker}`);
        assert.ok(text.includes(marker), `${era} text lacks ${marker}`);
      }
      assert.ok(html.includes(opts.joinUrl) && text.includes(opts.joinUrl));
      assert.equal(v.split(TEAMS_SEPARATOR).length - 1, 2, `${era}: two separators`);
      assert.ok(!v.includes('_'.repeat(81)));
      const lines = text.split('\r\n');
      assert.equal(lines[0], TEAMS_SEPARATOR);
      assert.equal(lines[lines.length - 1], TEAMS_SEPARATOR);
      if (era !== '2019') {
        assert.ok(
          html.includes(
            `<div style="width:100%;height: 20px;"><span style="white-space:nowrap;color:gray;opacity:.36;">${TEAMS_SEPARATOR}</span></div>`,
          ),
        );
      }
    }
    const outlook = teamsBlockHtml('2020', {
      joinUrl: meetup,
      tenantId: TENANT,
      organizerId: ORGANIZER,
      layout: 'outlook',
    });
    assert.ok(
      outlook.includes(`<span style="color:#5F5F5F">${TEAMS_SEPARATOR}</span>`) &&
        outlook.includes('class="MsoNormal"'),
    );
    const noDialIn = teamsBlockText('2022', {
      joinUrl: meetup,
      tenantId: TENANT,
      organizerId: ORGANIZER,
      dialIn: null,
    });
    assert.ok(!noDialIn.includes('Or call in'));
    assert.ok(
      teamsBlockText('2022', {
        joinUrl: meetup,
        tenantId: TENANT,
        organizerId: ORGANIZER,
        language: 'fr-FR',
      }).includes('Réunion Microsoft Teams'),
    );
  });

  it('escapes & in HTML links and keeps the rest of the document intact', () => {
    const html = teamsBlockHtml('2022', {
      joinUrl: 'https://teams.microsoft.com/l/meetup-join/x?a=1&b=2',
      tenantId: TENANT,
      organizerId: ORGANIZER,
    });
    assert.ok(html.includes('href="https://teams.microsoft.com/l/meetup-join/x?a=1&amp;b=2"'));
    assert.ok(!/&(?!amp;|quot;|lt;|gt;|#\d+;)/.test(html), 'no raw & in the HTML');
    const doc = outlookHtmlDocument(
      '<p class="MsoNormal">Før</p>',
      html,
      '<p class="MsoNormal">Efter 😀</p>',
    );
    assert.match(doc, /^<html xmlns:v=/);
    assert.ok(
      doc.includes('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">') &&
        doc.includes('<style>'),
    );
    assert.ok(
      doc.includes(html) &&
        doc.indexOf('Før') < doc.indexOf(html) &&
        doc.indexOf('Efter 😀') > doc.indexOf(html),
    );
  });

  it('compose helpers report exact offsets, for received copies too', () => {
    const block = skypeBlockHtml({ joinUrl: 'https://meet.lync.com/contoso/a/B', layout: 'owa' });
    for (const flavour of ['outlook', 'owa', 'graph'] as const) {
      for (const copy of [false, true]) {
        const c = composeHtmlBody('<div>Hé</div>', block, '<div>Ciao</div>', flavour, copy);
        assert.equal(c.body.slice(c.blockStart, c.blockEnd), copy ? receivedCopyHtml(block) : block);
      }
    }
    const t = composeTextBody('Hé', 'BLOCK', 'Ciao');
    assert.equal(t.body.slice(t.blockStart, t.blockEnd), 'BLOCK');
    assert.equal(t.body, 'Hé\r\n\r\nBLOCK\r\n\r\nCiao');
    assert.equal(
      receivedCopyHtml('<a name="OutJoinLink" class="a b"></a><a name="x_Done">'),
      '<a name="x_OutJoinLink" class="x_a x_b"></a><a name="x_Done">',
    );
  });
});

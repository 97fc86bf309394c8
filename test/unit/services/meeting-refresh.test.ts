/**
 * The pure helpers of one meeting's migration (shared/services/meeting-refresh.ts): what the new block shows
 * (dial-in from the profile and bridge, join link and meeting ID/passcode kept from the old block), the meeting
 * ID/passcode parser in every supported language, and fingerprint stability — re-running on a body the service
 * already rewrote must produce the same block and fingerprint, or every second migration would mail everyone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleBodies } from '../../../dev/sandbox/generator';
import { MEETING_BLOCK_LOCALES } from '../../../shared/domain/locales/meeting-block';
import {
  findOnlineMeetingBlock,
  replaceOnlineMeetingBlock,
  type MeetingBlockInfo,
} from '../../../shared/domain/meeting-block';
import {
  BLOCK_FINGERPRINT_VERSION,
  blockFingerprint,
  buildMeetingBlockInfo,
  parseMeetingCredentials,
  renderBlockFor,
  resetPinUrlFor,
  type BlockInfoInput,
} from '../../../shared/services/meeting-refresh';
import type { Bridge } from '../../../shared/storage/repositories/bridge-repository';

const BRIDGE: Bridge = {
  id: 'b1',
  name: 'Americas',
  isDefault: true,
  dialInUrl: 'https://dialin.teams.microsoft.com/8551f4c1-bea3-441a-8738-69aa517a91c5',
  defaultTollNumber: '+14255550100',
  defaultTollFreeNumber: '+18005550100',
  numbers: [
    { number: '+14255550100', type: 'toll', city: 'Seattle', country: 'United States', languages: ['en-US'] },
    {
      number: '+13235550123',
      type: 'toll',
      city: 'Los Angeles',
      country: 'United States',
      languages: ['en-US'],
    },
    { number: '+18005550100', type: 'tollFree', city: '', country: 'United States', languages: ['en-US'] },
  ],
};

const TEAMS_URL =
  'https://teams.microsoft.com/l/meetup-join/19%3ameeting_NGE4ZjYx%40thread.v2/0?context=%7b%22Tid%22%3a%22x%22%7d';

function input(over: Partial<BlockInfoInput> = {}): BlockInfoInput {
  return {
    kind: 'teams',
    joinUrl: TEAMS_URL,
    previous: { conferenceId: '111222333', meetingId: '234567891234', passcode: 'Xy7Pq2' },
    user: {
      audioConferencing: true,
      dialIn: {
        provider: 'Microsoft',
        enabled: true,
        bridgeId: 'b1',
        tollNumber: '+13235550123',
        tollFreeNumber: '+18005550100',
        conferenceId: '987654321',
      },
    },
    bridge: BRIDGE,
    ...over,
  };
}

describe('buildMeetingBlockInfo', () => {
  it("shows the user's numbers with their places, conference id, dial-in page and reset-PIN link", () => {
    const info = buildMeetingBlockInfo(input());
    assert.deepEqual(info.tollNumbers, [{ number: '+13235550123', place: 'United States, Los Angeles' }]);
    assert.deepEqual(info.tollFreeNumbers, [{ number: '+18005550100', place: 'United States' }]);
    assert.equal(info.conferenceId, '987654321', 'the profile wins over the old block');
    assert.equal(info.dialInUrl, BRIDGE.dialInUrl);
    assert.equal(info.resetPinUrl, 'https://dialin.teams.microsoft.com/usp/pstnconferencing');
    assert.equal(info.joinUrl, TEAMS_URL);
    assert.equal(info.meetingId, '234567891234');
    assert.equal(info.passcode, 'Xy7Pq2');
  });

  it('falls back to the bridge default toll number and the old conference id', () => {
    const info = buildMeetingBlockInfo(
      input({ user: { audioConferencing: true, dialIn: { provider: 'Microsoft', enabled: true } } }),
    );
    assert.deepEqual(info.tollNumbers, [{ number: '+14255550100', place: 'United States, Seattle' }]);
    assert.deepEqual(info.tollFreeNumbers, [], 'no toll-free number the user was not given');
    assert.equal(info.conferenceId, '111222333');
  });

  for (const [why, user] of [
    ['no Audio Conferencing', { audioConferencing: false, dialIn: input().user!.dialIn }],
    ['dial-in disabled', { audioConferencing: true, dialIn: { ...input().user!.dialIn, enabled: false } }],
    [
      'a third-party provider',
      { audioConferencing: true, dialIn: { ...input().user!.dialIn, provider: 'ThirdParty' as const } },
    ],
  ] as const) {
    it(`has no dial-in section with ${why}`, () => {
      const info = buildMeetingBlockInfo(input({ user }));
      assert.deepEqual(info.tollNumbers, []);
      assert.deepEqual(info.tollFreeNumbers, []);
      assert.equal(info.conferenceId, undefined);
      assert.equal(info.dialInUrl, undefined);
      assert.equal(info.resetPinUrl, undefined);
      assert.equal(info.meetingId, '234567891234', 'joining by meeting ID still works');
    });
  }

  it('without a stored profile keeps the dial-in the meeting showed (old conference id, bridge defaults)', () => {
    const info = buildMeetingBlockInfo(input({ user: null }));
    assert.equal(info.conferenceId, '111222333');
    assert.deepEqual(
      info.tollNumbers.map((n) => n.number),
      ['+14255550100'],
    );
    assert.deepEqual(
      info.tollFreeNumbers.map((n) => n.number),
      ['+18005550100'],
    );
    const none = buildMeetingBlockInfo(input({ user: null, previous: {} }));
    assert.deepEqual(none.tollNumbers, [], 'nothing to keep: no dial-in');
  });

  it('keeps meeting ID and passcode only for Teams blocks', () => {
    const info = buildMeetingBlockInfo(
      input({ kind: 'skype', joinUrl: 'https://meet.lync.com/contoso/alice/ABC123' }),
    );
    assert.equal(info.meetingId, undefined);
    assert.equal(info.passcode, undefined);
  });

  it('resetPinUrlFor needs an http(s) dial-in page', () => {
    assert.equal(resetPinUrlFor('mailto:x@y'), undefined);
    assert.equal(resetPinUrlFor('not a url'), undefined);
  });
});

describe('parseMeetingCredentials', () => {
  const info: MeetingBlockInfo = buildMeetingBlockInfo(input());
  for (const locale of MEETING_BLOCK_LOCALES) {
    for (const contentType of ['html', 'text'] as const) {
      it(`reads back the meeting ID and passcode of a ${locale.tag} ${contentType} block`, () => {
        const block = renderBlockFor(info, { contentType, content: '' }, locale.tag).block;
        assert.deepEqual(parseMeetingCredentials(block, contentType), {
          meetingId: '234567891234',
          passcode: 'Xy7Pq2',
        });
      });
    }
  }

  it('does not take the phone conference id for a meeting ID (ja, zh: 電話会議 ID ends with 会議 ID)', () => {
    const noId = buildMeetingBlockInfo(input({ previous: { conferenceId: '111222333' } }));
    for (const tag of ['ja-JP', 'zh-CN']) {
      for (const contentType of ['html', 'text'] as const) {
        const block = renderBlockFor(noId, { contentType, content: '' }, tag).block;
        assert.deepEqual(parseMeetingCredentials(block, contentType), {}, `${tag} ${contentType}`);
      }
    }
  });

  it("reads Microsoft's own blocks (generator samples) that show a meeting ID", () => {
    let seen = 0;
    for (const s of sampleBodies()) {
      const b = findOnlineMeetingBlock(s.body, s.contentType);
      if (!b || b.kind !== 'teams') continue;
      const creds = parseMeetingCredentials(s.body.slice(b.start, b.end), s.contentType);
      if (creds.meetingId === undefined) continue;
      seen += 1;
      assert.match(creds.meetingId, /^\d{10,14}$/, s.name);
      assert.ok(creds.passcode !== undefined && creds.passcode.length >= 4, s.name);
    }
    assert.ok(seen > 0, 'some samples show a meeting ID');
  });
});

describe('block fingerprint', () => {
  it('is the version prefix and the SHA-256 of the block, stable and sensitive', () => {
    const a = blockFingerprint('block');
    assert.equal(a, blockFingerprint('block'));
    assert.match(a, new RegExp(`^${BLOCK_FINGERPRINT_VERSION}:[0-9a-f]{64}$`));
    assert.notEqual(a, blockFingerprint('block '));
  });

  it('is a fixed point: a body the service rewrote gives the same block and fingerprint on the next run', () => {
    let checked = 0;
    for (const s of sampleBodies()) {
      const found = findOnlineMeetingBlock(s.body, s.contentType);
      if (!found) continue;
      for (const locale of ['en-US', 'fr-FR', 'de-DE', 'ja-JP', 'zh-CN', 'pt-BR', 'es-ES']) {
        const infoOf = (body: string) => {
          const b = findOnlineMeetingBlock(body, s.contentType);
          assert.ok(b, s.name);
          return buildMeetingBlockInfo(
            input({
              kind: b.kind,
              joinUrl: b.joinUrl,
              previous: {
                ...(b.conferenceId !== undefined ? { conferenceId: b.conferenceId } : {}),
                ...parseMeetingCredentials(body.slice(b.start, b.end), s.contentType),
              },
            }),
          );
        };
        const first = renderBlockFor(infoOf(s.body), { contentType: s.contentType, content: s.body }, locale);
        const rewritten = replaceOnlineMeetingBlock(s.body, s.contentType, first.block);
        const second = renderBlockFor(
          infoOf(rewritten),
          { contentType: s.contentType, content: rewritten },
          locale,
        );
        assert.equal(second.fingerprint, first.fingerprint, `${s.name} ${locale}`);
        assert.equal(replaceOnlineMeetingBlock(rewritten, s.contentType, second.block), rewritten);
        checked += 1;
      }
    }
    assert.ok(checked > 20);
  });

  it('text bodies keep their line breaks (CRLF body → CRLF block)', () => {
    const crlf = renderBlockFor(
      buildMeetingBlockInfo(input()),
      { contentType: 'text', content: 'a\r\nb' },
      'en-US',
    );
    const lf = renderBlockFor(
      buildMeetingBlockInfo(input()),
      { contentType: 'text', content: 'a\nb' },
      'en-US',
    );
    assert.ok(crlf.block.includes('\r\n'));
    assert.ok(!lf.block.includes('\r'));
    assert.notEqual(crlf.fingerprint, lf.fingerprint);
  });
});

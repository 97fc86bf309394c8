import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKYPE_ADD_IN_LINK_PROPERTY,
  BODY_FORMATS,
  EVENT_CASES,
  SKYPE_SEPARATOR,
  TEAMS_ERAS,
  TEAMS_SEPARATOR,
  generateTenant,
  parseSandboxCase,
  summarizeSeed,
} from '../../../dev/sandbox/generator';
import { tenantSeed, type TenantSeedInput } from '../../../dev/sandbox/seed';

type Ev = TenantSeedInput['events'][number];

const NOW = new Date('2026-11-21T12:00:00Z');
const tenant = generateTenant({ users: 20, meetings: 10, seed: 7, now: NOW });
const organizerCopies = tenant.events.filter((e) => e.mailboxUserId === e.organizerUserId);
const attendeeCopies = tenant.events.filter((e) => e.mailboxUserId !== e.organizerUserId);
const caseOf = (e: Ev) => {
  const c = parseSandboxCase(e.sandboxCase);
  assert.ok(c, `event without a parsable sandboxCase: ${e.sandboxCase}`);
  return c;
};
const ofCase = (name: string) => organizerCopies.filter((e) => caseOf(e).case === name);

/** [start, end) of the region between the first and last separator of either kind, or null. */
function blockRegion(body: string): { start: number; end: number; sep: string } | null {
  for (const sep of [TEAMS_SEPARATOR, SKYPE_SEPARATOR]) {
    const a = body.indexOf(sep);
    const b = body.lastIndexOf(sep);
    if (a >= 0 && b > a) return { start: a, end: b + sep.length, sep };
  }
  return null;
}

const htmlEscaped = (url: string) => url.replace(/&/g, '&amp;');
const GENUINE = new Set([
  'teams-online',
  'skype-online',
  'skype-onprem',
  'third-party-acp',
  'onprem-mailbox',
  'past',
  'series-weekly-enddate',
  'series-daily-numbered',
  'series-monthly-noend',
  'series-all-past',
  'large-meeting',
  'boundary-250',
  'cancelled',
  'attachments',
]);

describe('sandbox tenant generator', () => {
  it('produces a seed the sandbox accepts (tenantSeed schema)', () => {
    const r = tenantSeed.safeParse(tenant);
    assert.ok(r.success, r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3)));
    assert.equal(tenant.users.length, 20);
    assert.equal(organizerCopies.length, 200);
  });

  it('is deterministic for a seed, different for another seed, and stable within a day', () => {
    const again = generateTenant({ users: 20, meetings: 10, seed: 7, now: NOW });
    assert.equal(JSON.stringify(again), JSON.stringify(tenant));
    const laterSameDay = generateTenant({
      users: 20,
      meetings: 10,
      seed: 7,
      now: new Date('2026-11-21T23:59:00Z'),
    });
    assert.equal(JSON.stringify(laterSameDay), JSON.stringify(tenant));
    const other = generateTenant({ users: 20, meetings: 10, seed: 8, now: NOW });
    assert.notEqual(JSON.stringify(other), JSON.stringify(tenant));
    assert.notEqual(other.tenantId, tenant.tenantId);
  });

  it('rejects bad options', () => {
    assert.throws(() => generateTenant({ users: 0, meetings: 1 }));
    assert.throws(() => generateTenant({ users: 3, meetings: -1 }));
    assert.throws(() => generateTenant({ users: 2.5, meetings: 1 }));
  });

  it('has every meeting case, every block generation in HTML and text, and every body format', () => {
    const cases = new Set(organizerCopies.map((e) => caseOf(e).case));
    for (const c of EVENT_CASES) assert.ok(cases.has(c), `missing case ${c}`);
    const combos = new Set(
      organizerCopies.map(
        (e) => `${caseOf(e).block}|${caseOf(e).format.startsWith('html') ? 'html' : 'text'}`,
      ),
    );
    for (const tag of [...TEAMS_ERAS.map((e) => `teams-${e}`), 'skype', 'skype-onprem']) {
      assert.ok(combos.has(`${tag}|html`), `missing ${tag} in an HTML body`);
      assert.ok(combos.has(`${tag}|text`), `missing ${tag} in a text body`);
    }
    const formats = new Set(organizerCopies.map((e) => caseOf(e).format));
    for (const f of BODY_FORMATS) assert.ok(formats.has(f), `missing body format ${f}`);
    const summary = summarizeSeed(tenant);
    assert.equal(summary.organizerEvents, organizerCopies.length);
    assert.equal(summary.attendeeCopies, attendeeCopies.length);
    assert.equal(
      Object.values(summary.byCase).reduce((a, b) => a + b, 0),
      organizerCopies.length,
    );
  });

  it('dates past meetings in the past and single online meetings in the future', () => {
    const now = NOW.getTime();
    for (const e of ofCase('past'))
      assert.ok(Date.parse(`${e.end.dateTime.slice(0, 10)}T00:00:00Z`) < now - 86_400_000);
    for (const e of ofCase('teams-online'))
      assert.ok(Date.parse(`${e.start.dateTime.slice(0, 10)}T00:00:00Z`) > now);
  });

  it('has series of every pattern and range, with exceptions carrying their own body and a cancelled occurrence', () => {
    const series = organizerCopies.filter((e) => e.recurrence);
    const patterns = new Set(series.map((e) => e.recurrence?.pattern.type));
    const ranges = new Set(series.map((e) => e.recurrence?.range.type));
    for (const p of ['weekly', 'daily', 'absoluteMonthly'])
      assert.ok(patterns.has(p as never), `missing ${p} series`);
    for (const r of ['endDate', 'numbered', 'noEnd']) assert.ok(ranges.has(r as never), `missing ${r} range`);
    const today = NOW.toISOString().slice(0, 10);
    for (const e of ofCase('series-all-past')) {
      assert.equal(e.recurrence?.range.type, 'endDate');
      assert.ok((e.recurrence?.range.endDate ?? '9999') < today, 'an all-past series ends before today');
    }
    const withFuture = organizerCopies.filter((e) =>
      ['series-weekly-enddate', 'series-daily-numbered', 'series-monthly-noend'].includes(caseOf(e).case),
    );
    const exceptions = withFuture.flatMap((e) => e.exceptions ?? []);
    const own = exceptions.filter((x) => x.body && !x.isCancelled);
    const cancelled = exceptions.filter((x) => x.isCancelled);
    assert.ok(own.length > 0 && cancelled.length > 0, 'series need an edited and a cancelled occurrence');
    for (const e of withFuture) {
      for (const x of e.exceptions ?? []) {
        assert.ok(
          Date.parse(x.originalStart) > NOW.getTime(),
          'exceptions of live series are future occurrences',
        );
        if (x.body) {
          assert.notEqual(x.body.content, e.body.content, 'an exception carries its own body');
          assert.ok(blockRegion(x.body.content), 'the exception body carries the block too');
        }
      }
    }
  });

  it('gives attendee copies the organizer copy’s iCalUId, x_-prefixed anchors in HTML, and the same text', () => {
    assert.ok(attendeeCopies.length > 0);
    const byUid = new Map(organizerCopies.map((e) => [e.iCalUId, e]));
    const userById = new Map(tenant.users.map((u) => [u.id, u]));
    let skypeHtmlCopies = 0;
    for (const copy of attendeeCopies) {
      const org = byUid.get(copy.iCalUId);
      assert.ok(org, `attendee copy without organizer copy: ${copy.iCalUId}`);
      assert.equal(copy.organizerUserId, org.organizerUserId);
      const attendee = userById.get(copy.mailboxUserId);
      assert.ok(attendee);
      assert.ok(
        org.attendees?.some((a) => a.emailAddress.address === attendee.userPrincipalName),
        'the copy is in an attendee mailbox',
      );
      assert.equal(caseOf(copy).attendeeCopy, true);
      if (copy.body.contentType === 'text') assert.equal(copy.body.content, org.body.content);
      else if (org.body.content.includes('name="OutJoinLink"')) {
        skypeHtmlCopies++;
        assert.ok(copy.body.content.includes('name="x_OutJoinLink"'));
        assert.ok(!copy.body.content.includes('name="OutJoinLink"'));
      }
    }
    assert.ok(skypeHtmlCopies > 0, 'some received Skype copies in HTML');
    const uids = organizerCopies.map((e) => e.iCalUId);
    assert.equal(new Set(uids).size, uids.length, 'iCalUIds are unique per meeting');
  });

  it('makes >250-attendee meetings 251 participants (organizer included) and boundary meetings exactly 250', () => {
    const large = ofCase('large-meeting');
    const boundary = ofCase('boundary-250');
    assert.ok(large.length > 0 && boundary.length > 0);
    const upnOf = new Map(tenant.users.map((u) => [u.id, u.userPrincipalName]));
    for (const e of [...large, ...boundary]) {
      const addresses = (e.attendees ?? []).map((a) => a.emailAddress.address);
      assert.equal(new Set(addresses).size, addresses.length, 'no attendee twice');
      assert.ok(
        !addresses.includes(upnOf.get(e.organizerUserId) ?? ''),
        'the organizer is not listed as an attendee',
      );
    }
    for (const e of large) assert.ok((e.attendees?.length ?? 0) + 1 >= 251);
    for (const e of boundary) assert.equal((e.attendees?.length ?? 0) + 1, 250);
  });

  it('puts non-ASCII text (accents, CJK, emoji, right-to-left) outside the blocks and CRLF in text bodies', () => {
    const outside: string[] = [];
    for (const e of organizerCopies) {
      const r = blockRegion(e.body.content);
      if (!r) continue;
      const text = e.body.content.slice(0, r.start) + e.body.content.slice(r.end);
      assert.match(text, /[\u0080-\uffff]/, `no non-ASCII outside the block: ${e.sandboxCase}`);
      outside.push(text);
    }
    const all = outside.join('\n');
    assert.match(all, /[àéèüöäßçñ]/, 'accents');
    assert.match(all, /[\u4e00-\u9fff]/, 'CJK');
    assert.match(all, /[\u0600-\u06ff]/, 'Arabic');
    assert.match(all, /[\u0590-\u05ff]/, 'Hebrew');
    assert.match(all, /\u200d/, 'emoji ZWJ sequences');
    assert.match(all, /[\ud800-\udbff][\udc00-\udfff]/, 'surrogate pairs');
    const texts = organizerCopies.filter((e) => e.body.contentType === 'text' && blockRegion(e.body.content));
    assert.ok(texts.length > 0);
    for (const e of texts) assert.doesNotMatch(e.body.content, /(?<!\r)\n/, 'text bodies use CRLF only');
  });

  it('uses several time zones, Windows and IANA names', () => {
    const zones = new Set(tenant.events.map((e) => e.start.timeZone));
    assert.ok(
      [...zones].some((z) => / Standard Time$/.test(z)),
      'a Windows zone',
    );
    assert.ok(
      [...zones].some((z) => z.includes('/')),
      'an IANA zone',
    );
    assert.ok(zones.size >= 5);
    const mailboxZones = new Set(tenant.users.map((u) => u.mailboxTimeZone));
    assert.ok(mailboxZones.size >= 5);
  });

  it('agrees the block’s join URL with onlineMeeting.joinUrl for genuine online meetings, not for pasted blocks', () => {
    let addIn = 0;
    for (const e of organizerCopies) {
      const c = caseOf(e);
      const r = blockRegion(e.body.content);
      if (GENUINE.has(c.case) && e.onlineMeetingUrl) {
        // A Skype meeting scheduled with the Outlook add-in: Graph shows it as not online, provider unknown,
        // with the join link in onlineMeetingUrl and the add-in's PublicStrings property.
        assert.ok(r, `genuine ${c.case} meeting without a block`);
        assert.equal(e.isOnlineMeeting, false);
        assert.equal(e.onlineMeetingProvider, 'unknown');
        assert.equal(e.onlineMeeting ?? null, null);
        assert.ok(c.block.startsWith('skype'), `${e.sandboxCase}: add-in meetings are Skype meetings`);
        assert.deepEqual(e.singleValueExtendedProperties, [
          { id: SKYPE_ADD_IN_LINK_PROPERTY, value: e.onlineMeetingUrl },
        ]);
        const block = e.body.content.slice(r.start, r.end);
        assert.ok(
          block.includes(
            e.body.contentType === 'html' ? htmlEscaped(e.onlineMeetingUrl) : e.onlineMeetingUrl,
          ),
          `${e.sandboxCase}: add-in link not in block`,
        );
        addIn++;
        continue;
      }
      const join = e.onlineMeeting?.joinUrl;
      if (GENUINE.has(c.case)) {
        assert.ok(r, `genuine ${c.case} meeting without a block`);
        assert.equal(e.isOnlineMeeting, true);
        assert.ok(join);
        const block = e.body.content.slice(r.start, r.end);
        if (c.block === 'teams-newest') {
          // Graph reports the long meetup-join link; the newest template shows the short /meet/ link instead.
          assert.match(
            join,
            /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//,
            `${e.sandboxCase}: Graph link`,
          );
          assert.match(
            block,
            /https:\/\/teams\.microsoft\.com\/meet\/\d+\?p=/,
            `${e.sandboxCase}: short link`,
          );
          continue;
        }
        assert.ok(
          block.includes(e.body.contentType === 'html' ? htmlEscaped(join) : join),
          `${e.sandboxCase}: join URL not in block`,
        );
        assert.equal(
          e.onlineMeetingProvider,
          c.block.startsWith('teams') ? 'teamsForBusiness' : 'skypeForBusiness',
        );
        if (c.block === 'skype-onprem')
          assert.match(join, /^https:\/\/(meet|lyncpool01)\.contoso\.com\/(meet\/)?[a-z0-9.]+\/[A-Z0-9]{8}$/);
        if (c.block === 'skype') assert.match(join, /^https:\/\/meet\.lync\.com\//);
        if (c.block.startsWith('teams')) assert.ok(join.includes(`%22Oid%22%3a%22${e.organizerUserId}%22`));
      } else if (c.case === 'pasted-not-online') {
        assert.ok(r, 'a pasted block is present');
        assert.equal(e.isOnlineMeeting, false);
        assert.equal(e.onlineMeetingProvider, 'unknown');
      } else if (c.case === 'pasted-other-organizer') {
        assert.ok(r && join);
        assert.equal(e.isOnlineMeeting, true);
        assert.ok(
          !e.body.content.includes(htmlEscaped(join)) && !e.body.content.includes(join),
          'the block is not this meeting’s',
        );
      } else if (c.case === 'no-block') {
        assert.equal(r, null);
        assert.equal(e.isOnlineMeeting, false);
      }
    }
    assert.ok(ofCase('cancelled').every((e) => e.isCancelled === true));
    assert.ok(ofCase('attachments').every((e) => e.hasAttachments === true));
    assert.ok(addIn > 0, 'some Skype meetings were scheduled with the Outlook add-in');
  });

  it('has users in many languages, licences as Graph shows them, on-premises mailboxes and homing', () => {
    const langs = new Set(tenant.users.map((u) => u.preferredLanguage));
    for (const l of ['en-US', 'fr-FR', 'de-DE', 'es-ES', 'pt-BR', 'zh-CN', 'ja-JP', 'fi-FI'])
      assert.ok(langs.has(l), `missing ${l}`);
    assert.ok(tenant.users.some((u) => /[\u0080-\uffff]/.test(u.displayName)));
    const plan = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';
    const hasPlan = (u: (typeof tenant.users)[number]) =>
      (u.assignedPlans ?? []).some((p) => p.servicePlanId === plan && p.capabilityStatus === 'Enabled');
    const skus = (u: (typeof tenant.users)[number]) => (u.assignedLicenses ?? []).map((l) => l.skuId);
    assert.ok(
      tenant.users.some((u) => hasPlan(u) && skus(u).includes('06ebc4ee-1bb5-47dd-8120-11324bc54e06')),
      'MCOMEETADV via SPE_E5',
    );
    assert.ok(
      tenant.users.some((u) => hasPlan(u) && skus(u).includes('0c266dff-15dd-4b49-8397-2bb16070ed52')),
      'MCOMEETADV SKU',
    );
    const noConf = tenant.users.filter((u) => skus(u).join() === '26d45bd9-adf1-46cd-a9e1-51e9a5524128');
    assert.ok(
      noConf.length > 0 && noConf.every((u) => !hasPlan(u)),
      'ENTERPRISEPREMIUM_NOPSTNCONF without audio conferencing',
    );
    assert.ok(tenant.users.some((u) => u.sandboxMailboxLocation === 'onPremises'));
    assert.ok(tenant.users.some((u) => u.sandboxSipHoming === 'onPremises'));
    assert.ok(
      tenant.users.some(
        (u) => u.sandboxDialIn?.provider === 'ThirdParty' && u.sandboxDialIn.thirdPartyProviderName,
      ),
    );
    for (const u of tenant.users) {
      assert.match(u.userPrincipalName, /^[A-Za-z0-9'.\-_!#^~]+@contoso\.onmicrosoft\.com$/);
      if (u.sandboxDialIn?.provider === 'Microsoft' && u.sandboxDialIn.enabled)
        assert.ok(hasPlan(u), 'Microsoft dial-in needs the licence');
    }
  });

  it('keeps conference ids unique per bridge and numbers on their bridge', () => {
    const bridges = tenant.bridges ?? [];
    assert.ok(bridges.length >= 2 && bridges.length <= 3);
    assert.equal(bridges.filter((b) => b.isDefault).length, 1);
    for (const b of bridges) {
      const numbers = new Set(b.numbers.map((x) => x.number));
      assert.ok(numbers.has(b.defaultTollNumber));
      if (b.defaultTollFreeNumber) assert.ok(numbers.has(b.defaultTollFreeNumber));
      const users = tenant.users.filter((u) => u.sandboxDialIn?.bridgeId === b.id);
      const ids = users.map((u) => u.sandboxDialIn?.conferenceId);
      assert.equal(new Set(ids).size, ids.length, `duplicate conference id on ${b.name}`);
      for (const u of users) {
        assert.ok(numbers.has(u.sandboxDialIn?.tollNumber ?? ''), 'toll number on the bridge');
        if (u.sandboxDialIn?.tollFreeNumber) assert.ok(numbers.has(u.sandboxDialIn.tollFreeNumber));
      }
    }
    const onBridge = tenant.users.filter((u) => u.sandboxDialIn?.bridgeId);
    assert.ok(onBridge.length > 0);
    // Conference ids must also hold in a big tenant, where collisions would show.
    const big = generateTenant({ users: 1000, meetings: 0, seed: 3, now: NOW });
    for (const b of big.bridges ?? []) {
      const ids = big.users
        .filter((u) => u.sandboxDialIn?.bridgeId === b.id)
        .map((u) => u.sandboxDialIn?.conferenceId);
      assert.equal(new Set(ids).size, ids.length);
    }
  });

  it('still generates a 1,000-user tenant with meetings that validates', () => {
    const big = generateTenant({ users: 1000, meetings: 2, seed: 11, now: NOW });
    assert.equal(big.users.length, 1000);
    assert.equal(
      new Set(big.users.map((u) => u.userPrincipalName.toLowerCase())).size,
      1000,
      'UPNs are unique',
    );
    assert.equal(new Set(big.users.map((u) => u.id)).size, 1000, 'ids are unique');
    const r = tenantSeed.safeParse(big);
    assert.ok(r.success, r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3)));
  });
});

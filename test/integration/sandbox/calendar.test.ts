/**
 * Sandbox contract, calendar side (Graph docs: user-list-calendarview.md, event-list-instances.md, event-update.md,
 * singlevaluelegacyextendedproperty-get.md, outlook-get-the-body-of-an-event...): recurrence expansion with an
 * exception and a cancelled occurrence, PATCH keeping the body exactly and logging one update per attendee,
 * occurrence → exception, attendee copies, extended properties, $filter, Prefer headers, schema conformance.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type SandboxHandle } from '../../../dev/sandbox';
import { assertConformsToGraphSchema } from '../../support/graph-schema';
import { ALICE, BOB, DAVE, MEETING_ID, SERIES_ID, SERIES_UID, baseSeed, graph, graphError } from './fixture';

interface Ev {
  id: string;
  type: string;
  subject: string;
  seriesMasterId: string | null;
  originalStart?: string;
  iCalUId: string;
  start: { dateTime: string; timeZone: string };
  body: { contentType: string; content: string };
  singleValueExtendedProperties?: { id: string; value: string }[];
}

const WINDOW = 'startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-03-01T00:00:00Z';
const PROP = 'String {8ECCC264-6880-4EBE-992F-8888D2EEAA1D} Name MmsMigration';

describe('sandbox: calendar', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await startSandbox({ seed: baseSeed() });
  });
  after(async () => {
    await sb.stop();
  });

  const view = async (user: string, extra = ''): Promise<Ev[]> => {
    const r = await graph(sb, `/users/${user}/calendarView?${WINDOW}&$top=50${extra}`);
    assert.equal(r.status, 200, r.text);
    return r.json.value as Ev[];
  };

  it('/events lists single instances and series masters only', async () => {
    const r = await graph(sb, `/users/${ALICE}/events`);
    assert.equal(r.status, 200);
    const items = r.json.value as Ev[];
    assert.deepEqual(items.map((e) => e.type).sort(), ['seriesMaster', 'singleInstance']);
    for (const e of items) assertConformsToGraphSchema(e, 'event');
  });

  it('calendarView expands the series: occurrences, the moved exception, no cancelled occurrence', async () => {
    const items = await view(ALICE);
    const series = items.filter((e) => e.seriesMasterId === SERIES_ID);
    assert.deepEqual(
      series.map((e) => [e.type, e.start.dateTime, e.originalStart]),
      [
        ['occurrence', '2030-01-07T08:00:00.0000000', '2030-01-07T08:00:00Z'],
        ['exception', '2030-01-14T09:00:00.0000000', '2030-01-14T08:00:00Z'],
        ['occurrence', '2030-01-21T08:00:00.0000000', '2030-01-21T08:00:00Z'],
        ['occurrence', '2030-02-04T08:00:00.0000000', '2030-02-04T08:00:00Z'],
        ['occurrence', '2030-02-11T08:00:00.0000000', '2030-02-11T08:00:00Z'],
      ],
    );
    assert.equal(series[1]?.body.content, '<p>Exception body</p>');
    assert.equal(series[0]?.body.content, '<p>Series body</p>');
    assert.equal(series[0]?.start.timeZone, 'UTC');
    assert.equal(new Set(series.map((e) => e.iCalUId)).size, 5, 'each occurrence has its own iCalUId');
    assert.ok(items.some((e) => e.id === MEETING_ID && e.type === 'singleInstance'));
    for (const e of items) assertConformsToGraphSchema(e, 'event');
    const inst = await graph(sb, `/users/${ALICE}/events/${SERIES_ID}/instances?${WINDOW}`);
    assert.equal(inst.status, 200);
    assert.equal((inst.json.value as Ev[]).length, 5);
    const missing = await graph(sb, `/users/${ALICE}/calendarView`);
    assert.equal(missing.status, 400);
    assert.equal(graphError(missing).code, 'ErrorInvalidParameter');
  });

  it('PATCH keeps the body exactly (non-ASCII, CRLF, emoji) and logs one update per attendee', async () => {
    const content = '<html><body>\r\n<p>Café — 東京 😀 👨‍👩‍👧 مرحبا</p>\r\n<p>\u00a0tab\there</p></body></html>';
    const r = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: { body: { contentType: 'html', content } },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json.body as { content: string }).content, content);
    const got = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`);
    assert.equal((got.json.body as { content: string }).content, content);
    const raw = sb.tenant.storedEvents().find((e) => e.id === MEETING_ID);
    assert.equal(raw?.body.content, content);
    const updates = sb.tenant.updateLog().filter((u) => u.eventId === MEETING_ID);
    assert.deepEqual(updates.map((u) => u.attendee).sort(), [
      'bob@contoso.com',
      'dave@contoso.com',
      'ext@fabrikam.com',
    ]);
    assert.deepEqual(updates[0]?.changes, ['body']);
    const control = await graph(sb, `/_sandbox/updates?eventId=${MEETING_ID}`);
    assert.equal((control.json.counts as Record<string, { total: number }>)[MEETING_ID]?.total, 3);
  });

  it('a PATCH by an attendee (non-organizer) sends nothing', async () => {
    const before = sb.tenant.updateLog().length;
    const r = await graph(sb, `/users/${BOB}/events/AAMkAGseriesCopyBob`, {
      method: 'PATCH',
      body: { subject: 'My notes' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.isOrganizer, false);
    assert.equal(sb.tenant.updateLog().length, before);
  });

  it('PATCHing an occurrence turns it into an exception, updates attendees and their copies', async () => {
    const occ = (await view(ALICE)).find((e) => e.originalStart === '2030-01-21T08:00:00Z');
    assert.equal(occ?.type, 'occurrence');
    const before = sb.tenant.updateLog().length;
    const r = await graph(sb, `/users/${ALICE}/events/${occ.id}`, {
      method: 'PATCH',
      body: { subject: 'Moved agenda' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.type, 'exception');
    assert.equal(r.json.id, occ.id);
    const after = (await view(ALICE)).find((e) => e.originalStart === '2030-01-21T08:00:00Z');
    assert.equal(after?.type, 'exception');
    assert.equal(after?.subject, 'Moved agenda');
    assert.equal(sb.tenant.updateLog().length - before, 2);
    const bobCopy = (await view(BOB)).find((e) => e.originalStart === '2030-01-21T08:00:00Z');
    assert.equal(bobCopy?.subject, 'Moved agenda');
    assert.equal(bobCopy?.type, 'exception');
    const copies = await graph(sb, `/_sandbox/events?iCalUId=${SERIES_UID}`);
    assert.ok((copies.json.value as { mailboxUserId: string }[]).some((e) => e.mailboxUserId === BOB));
  });

  it('Prefer outlook.body-content-type="text" renders HTML as plain text and says so in Preference-Applied', async () => {
    const local = await startSandbox({ seed: baseSeed() });
    try {
      const r = await graph(local, `/users/${ALICE}/events/${MEETING_ID}`, {
        headers: { Prefer: 'outlook.body-content-type="text"' },
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('preference-applied'), 'outlook.body-content-type="text"');
      const body = r.json.body as { contentType: string; content: string };
      assert.equal(body.contentType, 'text');
      assert.doesNotMatch(body.content, /<p>|<html|p\{margin/);
      assert.match(body.content, /Réunion d’équipe — 会议 🎉👩🏽‍💻 שלום/);
      assert.match(body.content, /Line two & more/);
      assert.match(
        body.content,
        /Join Microsoft Teams Meeting<https:\/\/teams\.microsoft\.com\/l\/meetup-join\//,
      );
      const html = await graph(local, `/users/${ALICE}/events/${MEETING_ID}`);
      assert.equal(html.headers.get('preference-applied'), null);
      assert.equal((html.json.body as { contentType: string }).contentType, 'html');
    } finally {
      await local.stop();
    }
  });

  it('stores singleValueExtendedProperties on PATCH (not echoed), expands and filters on them', async () => {
    const r = await graph(sb, `/users/${ALICE}/events/${SERIES_ID}`, {
      method: 'PATCH',
      body: { singleValueExtendedProperties: [{ id: PROP, value: 'v1;run-7;ABC' }] },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal('singleValueExtendedProperties' in r.json, false);
    const expand = `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${PROP}')`)}`;
    const got = await graph(sb, `/users/${ALICE}/events/${SERIES_ID}?${expand}`);
    assert.deepEqual(got.json.singleValueExtendedProperties, [{ id: PROP, value: 'v1;run-7;ABC' }]);
    assertConformsToGraphSchema(got.json, 'event');
    const plain = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}?${expand}`);
    assert.equal(plain.json.singleValueExtendedProperties, undefined);
    const filter = (f: string) => `/users/${ALICE}/events?$filter=${encodeURIComponent(f)}`;
    const hit = await graph(
      sb,
      filter(`singleValueExtendedProperties/Any(ep: ep/id eq '${PROP}' and ep/value eq 'V1;RUN-7;abc')`),
    );
    assert.equal(hit.status, 200, hit.text);
    assert.deepEqual(
      (hit.json.value as Ev[]).map((e) => e.id),
      [SERIES_ID],
    );
    const miss = await graph(
      sb,
      filter(`singleValueExtendedProperties/Any(ep: ep/id eq '${PROP}' and ep/value eq 'v2')`),
    );
    assert.deepEqual(miss.json.value, []);
    assert.equal('singleValueExtendedProperties' in ((hit.json.value as Ev[])[0] ?? {}), false);
    // singlevaluelegacyextendedproperty-get.md: $expand of an extended property on a GET of one event only; a list
    // filters on them and does not return them, so the sandbox refuses $expand on lists.
    for (const list of ['events', 'calendar/events']) {
      const expanded = await graph(sb, `/users/${ALICE}/${list}?${expand}`);
      assert.equal(expanded.status, 400, list);
      assert.match(graphError(expanded).message, /\$expand/);
    }
    const raw = sb.tenant.storedEvents().find((e) => e.id === SERIES_ID);
    assert.deepEqual(raw?.extendedProperties, [{ id: PROP, value: 'v1;run-7;ABC' }]);
    // An extended-property-only PATCH is not a meeting change: no update goes out.
    assert.equal(sb.tenant.updateLog().filter((u) => u.eventId === SERIES_ID).length, 0);
  });

  it('supports the simple $filters Graph allows on events, and answers 400 to others', async () => {
    const ids = async (f: string) => {
      const r = await graph(sb, `/users/${ALICE}/events?$filter=${encodeURIComponent(f)}`);
      assert.equal(r.status, 200, r.text);
      return (r.json.value as Ev[]).map((e) => e.id);
    };
    assert.deepEqual(await ids(`isOrganizer eq true and type eq 'seriesMaster'`), [SERIES_ID]);
    assert.deepEqual(
      await ids(`start/dateTime ge '2030-02-01T00:00:00' and start/dateTime lt '2030-02-02T00:00:00'`),
      [MEETING_ID],
    );
    assert.deepEqual(await ids(`isOrganizer eq false`), []);
    const bad = await graph(sb, `/users/${ALICE}/events?$filter=${encodeURIComponent('bogus eq 1')}`);
    assert.equal(bad.status, 400);
    assert.equal(graphError(bad).code, 'ErrorInvalidUrlQueryFilter');
    const syntax = await graph(
      sb,
      `/users/${ALICE}/events?$filter=${encodeURIComponent("subject eq 'x' and")}`,
    );
    assert.equal(syntax.status, 400);
  });

  it('answers ErrorItemNotFound for an unknown event and RequestBodyRead for an unknown PATCH property', async () => {
    const nf = await graph(sb, `/users/${ALICE}/events/AAMkAGnope`);
    assert.equal(nf.status, 404);
    assert.equal(graphError(nf).code, 'ErrorItemNotFound');
    const bad = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: { iCalUId: 'x' },
    });
    assert.equal(bad.status, 400);
    assert.match(graphError(bad).message, /iCalUId/);
  });

  it('expands across a DST change in the series time zone and honours Prefer outlook.timezone', async () => {
    const seed = baseSeed();
    seed.events.push({
      id: 'AAMkAGdst',
      mailboxUserId: DAVE,
      organizerUserId: DAVE,
      subject: 'Pacific standup',
      body: { contentType: 'text', content: 'x' },
      start: { dateTime: '2030-03-05T10:00:00', timeZone: 'Pacific Standard Time' },
      end: { dateTime: '2030-03-05T10:15:00', timeZone: 'Pacific Standard Time' },
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] },
        range: { type: 'numbered', startDate: '2030-03-05', numberOfOccurrences: 3 },
      },
    });
    const local = await startSandbox({ seed });
    try {
      const path = `/users/${DAVE}/events/AAMkAGdst/instances?startDateTime=2030-03-01T00:00:00Z&endDateTime=2030-04-01T00:00:00Z`;
      const utc = await graph(local, path);
      assert.deepEqual(
        (utc.json.value as Ev[]).map((e) => e.start.dateTime),
        ['2030-03-05T18:00:00.0000000', '2030-03-12T17:00:00.0000000', '2030-03-19T17:00:00.0000000'],
      );
      const pacific = await graph(local, path, {
        headers: { Prefer: 'outlook.timezone="Pacific Standard Time"' },
      });
      assert.equal(pacific.headers.get('preference-applied'), 'outlook.timezone="Pacific Standard Time"');
      for (const e of pacific.json.value as Ev[]) {
        assert.equal(e.start.dateTime.slice(11), '10:00:00.0000000');
        assert.equal(e.start.timeZone, 'Pacific Standard Time');
      }
    } finally {
      await local.stop();
    }
  });

  it('PATCH with If-Match checks the change key (412 on a stale one); $select keeps an expanded property', async () => {
    const got = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}?$select=subject`);
    const etag = String(got.json['@odata.etag']);
    assert.match(etag, /^W\/"/);
    const okPatch = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      headers: { 'If-Match': etag },
      body: { singleValueExtendedProperties: [{ id: PROP, value: 'marker' }] },
    });
    assert.equal(okPatch.status, 200, okPatch.text);
    const stale = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      headers: { 'If-Match': etag },
      body: { subject: 'late' },
    });
    assert.equal(stale.status, 412);
    assert.equal(graphError(stale).code, 'ErrorIrresolvableConflict');
    const expand = `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${PROP}')`)}`;
    const both = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}?$select=subject,body&${expand}`);
    assert.equal(both.json.subject, 'Planning');
    assert.deepEqual(both.json.singleValueExtendedProperties, [{ id: PROP, value: 'marker' }]);
    assert.equal(both.json.attendees, undefined);
  });

  it('accepts the body type in any case (Graph samples send "HTML") and answers in lower case', async () => {
    const r = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}`, {
      method: 'PATCH',
      body: { '@odata.type': '#microsoft.graph.event', body: { contentType: 'HTML', content: '<b>x</b>' } },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.body, { contentType: 'html', content: '<b>x</b>' });
    // bodyPreview: the body's text, whether the answer carries every property or $select names it.
    assert.equal(r.json.bodyPreview, 'x');
    const selected = await graph(sb, `/users/${ALICE}/events/${MEETING_ID}?$select=bodyPreview`);
    assert.deepEqual(
      Object.keys(selected.json).filter((k) => !k.startsWith('@')),
      ['id', 'bodyPreview'],
    );
    assert.equal(selected.json.bodyPreview, 'x');
    const cancelled = (await graph(sb, `/_sandbox/events?mailbox=${ALICE}`)).json.value as {
      id: string;
      isCancelled: boolean;
    }[];
    const gone = cancelled.find((e) => e.isCancelled);
    assert.ok(gone, 'the seed has a cancelled occurrence');
    assert.equal((await graph(sb, `/users/${ALICE}/events/${gone.id}`)).status, 404);
  });

  it("answers Outlook's ErrorInvalidUser for an unknown mailbox", async () => {
    const r = await graph(sb, '/users/ghost@contoso.onmicrosoft.com/events');
    assert.equal(r.status, 404);
    assert.equal(graphError(r).code, 'ErrorInvalidUser');
  });
});

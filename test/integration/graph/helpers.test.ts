/**
 * Pure helpers of shared/graph (Retry-After, backoff, URL building, OData quoting, time parsing, expiry clamp,
 * contract errors, the keyed limiter). No server needed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { filterDateTime, graphUtcToEpoch, seriesEndedBefore } from '../../../shared/graph/calendar';
import { customHostsFor } from '../../../shared/graph/client';
import { isDeltaRestart } from '../../../shared/graph/directory';
import { GraphContractError, GraphRequestError } from '../../../shared/graph/errors';
import { KeyedLimiter } from '../../../shared/graph/limiter';
import { buildPath, odataString, segment } from '../../../shared/graph/odata';
import { MARKER_PROPERTY_ID } from '../../../shared/graph/ports';
import { backoffDelay, parseRetryAfter } from '../../../shared/graph/retry';
import { fieldPath, markerEventSchema, parseGraph, teamsMeetingSchema } from '../../../shared/graph/schemas';
import {
  clampExpiry,
  EXPIRY_MARGIN_MS,
  USER_SUBSCRIPTION_MAX_MINUTES,
} from '../../../shared/graph/subscriptions';

describe('parseRetryAfter', () => {
  it('reads whole and fractional seconds, rounding up to the millisecond', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter('2.128'), 2128);
    assert.equal(parseRetryAfter('0.0005'), 1);
    assert.equal(parseRetryAfter(' 0 '), 0);
  });
  it('reads an HTTP-date relative to now, never negative', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
  });
  it('ignores absent and unreadable values', () => {
    for (const v of [undefined, null, '', 'soon', '-1', '1e3', '+2', '2s']) {
      assert.equal(parseRetryAfter(v), undefined, String(v));
    }
  });
});

describe('backoffDelay', () => {
  const policy = { baseDelayMs: 500, maxDelayMs: 30_000 };
  it('doubles per retry and stays within [step/2, step]', () => {
    for (let retry = 0; retry < 12; retry++) {
      const step = Math.min(30_000, 500 * 2 ** retry);
      const low = backoffDelay(retry, policy, () => 0);
      const high = backoffDelay(retry, policy, () => 0.999999);
      assert.equal(low, step / 2, `retry ${retry} low`);
      assert.ok(high <= step && high >= step - 1, `retry ${retry} high ${high}`);
    }
  });
  it('is capped by maxDelayMs even for huge retry numbers', () => {
    assert.ok(backoffDelay(1000, policy, () => 0.999999) <= 30_000);
  });
  it('is jittered', () => {
    const values = new Set(Array.from({ length: 20 }, () => backoffDelay(3, policy)));
    assert.ok(values.size > 1);
  });
});

describe('URL building', () => {
  it('quotes OData strings, doubling single quotes', () => {
    assert.equal(odataString("O'Brien"), "'O''Brien'");
    assert.equal(odataString("''"), "''''''");
    assert.equal(odataString('plain'), "'plain'");
  });
  it('encodes query values so quotes, &, =, # and + cannot break the URL', () => {
    const p = buildPath('/users/x/events', {
      $filter: `subject eq ${odataString("a'b & c=d #1 + 2")}`,
      $select: ['id', 'subject'],
      $top: 5,
      skipped: undefined,
    });
    assert.equal(
      p,
      "/users/x/events?$filter=subject%20eq%20'a''b%20%26%20c%3Dd%20%231%20%2B%202'&$select=id%2Csubject&$top=5",
    );
    const query = new URLSearchParams(p.split('?')[1]);
    assert.equal(query.get('$filter'), "subject eq 'a''b & c=d #1 + 2'");
    assert.equal(query.get('$select'), 'id,subject');
  });
  it('encodes path segments (guest UPNs with #, ids with / and +)', () => {
    assert.equal(
      segment('jo_contoso.com#EXT#@fabrikam.onmicrosoft.com'),
      'jo_contoso.com%23EXT%23%40fabrikam.onmicrosoft.com',
    );
    assert.equal(segment('AAMk/a+b='), 'AAMk%2Fa%2Bb%3D');
    assert.throws(() => segment(''));
  });
  it('leaves a path without query alone', () => {
    assert.equal(buildPath('/subscriptions'), '/subscriptions');
  });
  it('puts the marker property id in a well-formed expand filter', () => {
    const p = buildPath('/e', {
      $expand: `singleValueExtendedProperties($filter=id eq ${odataString(MARKER_PROPERTY_ID)})`,
    });
    assert.equal(
      new URLSearchParams(p.split('?')[1]).get('$expand'),
      `singleValueExtendedProperties($filter=id eq '${MARKER_PROPERTY_ID}')`,
    );
    assert.match(MARKER_PROPERTY_ID, /^String \{[0-9a-f-]{36}\} Name MmsMigrationFingerprint$/);
  });
  it('gives the SDK bare custom host names, none for Graph itself', () => {
    assert.deepEqual(customHostsFor('https://127.0.0.1:8443'), new Set(['127.0.0.1']));
    assert.equal(customHostsFor('https://graph.microsoft.com'), undefined);
  });
});

describe('Graph date-times', () => {
  it('reads Graph UTC date-times with 7 fractional digits and no zone', () => {
    assert.equal(graphUtcToEpoch('2026-12-01T09:00:00.0000000'), Date.parse('2026-12-01T09:00:00Z'));
    assert.equal(graphUtcToEpoch('2026-12-01T09:00:00.1234567'), Date.parse('2026-12-01T09:00:00.123Z'));
    assert.equal(graphUtcToEpoch('2026-12-01T09:00:00Z'), Date.parse('2026-12-01T09:00:00Z'));
    assert.equal(graphUtcToEpoch('2026-12-01T09:00:00+02:00'), Date.parse('2026-12-01T07:00:00Z'));
    assert.ok(Number.isNaN(graphUtcToEpoch('next tuesday')));
  });
  it('writes filter literals in UTC without zone', () => {
    assert.equal(filterDateTime(new Date('2026-03-04T05:06:07.890Z')), '2026-03-04T05:06:07');
  });
  it('knows when a series certainly ended', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const range = (type: 'endDate' | 'noEnd' | 'numbered', endDate?: string) => ({
      recurrence: {
        pattern: { type: 'daily' as const, interval: 1 },
        range: { type, startDate: '2025-01-01', endDate },
      },
    });
    assert.equal(seriesEndedBefore(range('endDate', '2026-01-01'), now), true);
    assert.equal(
      seriesEndedBefore(range('endDate', '2026-05-31'), now),
      false,
      'a day of slack for time zones',
    );
    assert.equal(seriesEndedBefore(range('noEnd'), now), false);
    assert.equal(seriesEndedBefore(range('numbered'), now), false);
    assert.equal(seriesEndedBefore({ recurrence: null }, now), false);
  });
});

describe('subscription expiry', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('clamps to 41,760 minutes minus the margin for users', () => {
    const max = now.getTime() + USER_SUBSCRIPTION_MAX_MINUTES * 60_000 - EXPIRY_MARGIN_MS;
    assert.equal(clampExpiry('/users', now).getTime(), max);
    assert.equal(clampExpiry('users', now, new Date(now.getTime() + 90 * 86_400_000)).getTime(), max);
    const soon = new Date(now.getTime() + 3_600_000);
    assert.equal(clampExpiry('/users', now, soon).getTime(), soon.getTime());
    assert.equal(clampExpiry('/users', now, new Date(0)).getTime(), now.getTime() + EXPIRY_MARGIN_MS);
  });
  it('uses the shorter limit for other resources', () => {
    assert.equal(
      clampExpiry('/users/x/events', now).getTime(),
      now.getTime() + 4_230 * 60_000 - EXPIRY_MARGIN_MS,
    );
  });
});

describe('contract validation', () => {
  it('names the offending field with its JSON path', () => {
    const schema = z.object({ value: z.array(z.object({ start: z.object({ dateTime: z.string() }) })) });
    assert.equal(fieldPath(['value', 2, 'start', 'dateTime']), 'value[2].start.dateTime');
    assert.throws(
      () => parseGraph(schema, { value: [{ start: { dateTime: 'x' } }, { start: { dateTime: 5 } }] }, 'list'),
      (e: unknown) => e instanceof GraphContractError && e.field === 'value[1].start.dateTime',
    );
  });
  const event = {
    id: 'AAMkA=',
    type: 'singleInstance',
    subject: null,
    body: { contentType: 'html', content: '<p>x</p>' },
    start: { dateTime: '2026-12-01T09:00:00.0000000', timeZone: 'UTC' },
    end: { dateTime: '2026-12-01T10:00:00.0000000', timeZone: 'UTC' },
    isOrganizer: true,
    isCancelled: false,
    isOnlineMeeting: true,
    onlineMeetingProvider: 'teamsForBusiness',
    onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/x' },
    attendees: [{}, {}, {}],
    singleValueExtendedProperties: [{ id: MARKER_PROPERTY_ID.toUpperCase(), value: 'v1;abc' }],
  };
  it('maps an event: attendee count, marker (id compared case-insensitively), defaults', () => {
    const e = parseGraph(markerEventSchema, event, 'get');
    assert.equal(e.attendeeCount, 3);
    assert.equal(e.marker, 'v1;abc');
    assert.equal(e.subject, '');
    assert.equal(e.seriesMasterId, null);
    assert.deepEqual(e.onlineMeeting, {
      joinUrl: 'https://teams.microsoft.com/l/meetup-join/x',
      conferenceId: null,
    });
  });
  it('refuses an event without the fields classification relies on', () => {
    assert.throws(
      () => parseGraph(markerEventSchema, { ...event, isOrganizer: undefined }, 'get'),
      (e: unknown) => e instanceof GraphContractError && e.field === 'isOrganizer',
    );
    assert.throws(
      () => parseGraph(markerEventSchema, { ...event, body: { contentType: 'rtf', content: '' } }, 'get'),
      (e: unknown) => e instanceof GraphContractError && e.field === 'body.contentType',
    );
  });
  it('reads online meetings, including the "ConferenceId" spelling of Graph\'s sample', () => {
    const m = parseGraph(
      teamsMeetingSchema,
      {
        id: 'm1',
        joinWebUrl: 'https://teams.microsoft.com/l/meetup-join/abc',
        joinMeetingIdSettings: { joinMeetingId: '123 456', passcode: 'xyz', isPasscodeRequired: true },
        audioConferencing: {
          ConferenceId: '9999',
          tollNumber: '+12065550100',
          tollFreeNumbers: ['+18005550100'],
        },
      },
      'create',
    );
    assert.equal(m.conferenceId, '9999');
    assert.deepEqual(m.tollNumbers, ['+12065550100']);
    assert.deepEqual(m.tollFreeNumbers, ['+18005550100']);
    assert.equal(m.passcode, 'xyz');
  });
  it('recognises the delta restart answers', () => {
    const err = (status: number, code: string) =>
      new GraphRequestError({ status, code, message: '', operation: 'delta' });
    assert.equal(isDeltaRestart(err(400, 'syncStateNotFound')), true);
    assert.equal(isDeltaRestart(err(410, 'resyncRequired')), true);
    assert.equal(isDeltaRestart(err(400, 'BadRequest')), false);
  });
});

describe('KeyedLimiter', () => {
  const tick = () => new Promise<void>((r) => setImmediate(r));
  it('never runs more than the limit per key, keys independent, and drops idle keys', async () => {
    // No request budget: an idle key with a budget is kept until its window passes (test/unit/graph/limiter).
    const limiter = new KeyedLimiter(4, (ms) => new Promise((r) => setTimeout(r, ms)), Date.now, null);
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const task = (key: string) => async () => {
      running.set(key, (running.get(key) ?? 0) + 1);
      peak.set(key, Math.max(peak.get(key) ?? 0, running.get(key) ?? 0));
      for (let i = 0; i < 3; i++) await tick();
      running.set(key, (running.get(key) ?? 0) - 1);
    };
    const work = [];
    for (let i = 0; i < 30; i++)
      work.push(limiter.run('A', task('a')), limiter.run(i % 2 ? 'b' : 'B', task('b')));
    assert.equal(limiter.size, 2, 'keys are case-insensitive');
    await Promise.all(work);
    assert.equal(peak.get('a'), 4);
    assert.equal(peak.get('b'), 4);
    assert.equal(limiter.size, 0);
  });
  it('holds every request of a paused key', async () => {
    let clock = 0;
    const slept: number[] = [];
    const limiter = new KeyedLimiter(
      4,
      (ms) => {
        slept.push(ms);
        clock += ms;
        return Promise.resolve();
      },
      () => clock,
    );
    await limiter.run('m', () => {
      limiter.pause('m', 1500);
      return Promise.resolve();
    });
    await limiter.run('m', () => Promise.resolve());
    assert.deepEqual(slept, [1500]);
    await limiter.run('other', () => Promise.resolve());
    assert.deepEqual(slept, [1500], 'other keys are not held');
  });
});

describe('GraphRequestError classification', () => {
  const err = (status: number, code: string, retryAfterMs?: number) =>
    new GraphRequestError({
      status,
      code,
      message: 'm',
      operation: 'op',
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });

  it('throttled: 429 always, 503 only with a Retry-After', () => {
    assert.equal(err(429, 'TooManyRequests').throttled, true);
    assert.equal(err(503, 'ServiceUnavailable', 2000).throttled, true);
    assert.equal(err(503, 'ServiceUnavailable').throttled, false);
    assert.equal(err(504, 'GatewayTimeout', 2000).throttled, false);
  });

  it('forbidden: 401 and 403', () => {
    assert.deepEqual(
      [401, 403, 404].map((s) => err(s, 'x').forbidden),
      [true, true, false],
    );
  });

  it('mailbox unreachable or missing, whatever the code casing; one missing item is not a missing mailbox', () => {
    assert.equal(err(404, 'MailboxNotEnabledForRESTAPI').mailboxUnreachable, true);
    assert.equal(err(404, 'mailboxNotSupportedForRestApi').mailboxUnreachable, true);
    assert.equal(err(404, 'MailboxNotEnabledForRESTAPI').mailboxNotAvailable, true);
    assert.equal(err(404, 'ErrorMailboxNotFound').mailboxNotAvailable, true);
    assert.equal(err(404, 'ErrorItemNotFound').mailboxNotAvailable, false);
    assert.equal(err(400, 'ErrorMailboxNotFound').mailboxNotAvailable, false);
  });
});

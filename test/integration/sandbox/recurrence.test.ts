/**
 * The sandbox's recurrence expansion against Graph's recurrencePattern/recurrenceRange semantics
 * (resources/recurrencepattern.md, recurrencerange.md): each pattern type, range types, and local-time anchoring.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandRecurrence, type Recurrence } from '../../../dev/sandbox/recurrence';

const dates = (rec: Recurrence, start: string, zone = 'UTC', until = '2032-01-01T00:00:00Z') =>
  expandRecurrence(
    rec,
    { dateTime: start, timeZone: zone },
    {
      dateTime: start.replace(/T(\d\d)/, (_m, h: string) => `T${String(Number(h) + 1).padStart(2, '0')}`),
      timeZone: zone,
    },
    Date.parse(until),
  ).map((o) => new Date(o.startMs).toISOString().slice(0, 16));

describe('sandbox: recurrence expansion', () => {
  it('daily with an interval, numbered', () => {
    assert.deepEqual(
      dates(
        {
          pattern: { type: 'daily', interval: 2 },
          range: { type: 'numbered', startDate: '2030-01-01', numberOfOccurrences: 3 },
        },
        '2030-01-01T09:00:00',
      ),
      ['2030-01-01T09:00', '2030-01-03T09:00', '2030-01-05T09:00'],
    );
  });

  it('weekly on several days every other week, end date inclusive', () => {
    assert.deepEqual(
      dates(
        {
          pattern: {
            type: 'weekly',
            interval: 2,
            daysOfWeek: ['monday', 'thursday'],
            firstDayOfWeek: 'sunday',
          },
          range: { type: 'endDate', startDate: '2030-01-07', endDate: '2030-01-24' },
        },
        '2030-01-07T09:00:00',
      ),
      ['2030-01-07T09:00', '2030-01-10T09:00', '2030-01-21T09:00', '2030-01-24T09:00'],
    );
  });

  it('absoluteMonthly on the 31st skips shorter months', () => {
    assert.deepEqual(
      dates(
        {
          pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
          range: { type: 'numbered', startDate: '2030-01-31', numberOfOccurrences: 3 },
        },
        '2030-01-31T12:00:00',
      ),
      ['2030-01-31T12:00', '2030-03-31T12:00', '2030-05-31T12:00'],
    );
  });

  it('relativeMonthly on the last Friday, and relativeYearly on the fourth Thursday of November', () => {
    assert.deepEqual(
      dates(
        {
          pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' },
          range: { type: 'numbered', startDate: '2030-01-01', numberOfOccurrences: 3 },
        },
        '2030-01-25T08:00:00',
      ),
      ['2030-01-25T08:00', '2030-02-22T08:00', '2030-03-29T08:00'],
    );
    assert.deepEqual(
      dates(
        {
          pattern: {
            type: 'relativeYearly',
            interval: 1,
            month: 11,
            daysOfWeek: ['thursday'],
            index: 'fourth',
          },
          range: { type: 'numbered', startDate: '2030-01-01', numberOfOccurrences: 2 },
        },
        '2030-11-28T17:00:00',
      ),
      ['2030-11-28T17:00', '2031-11-27T17:00'],
    );
  });

  it('absoluteYearly, and noEnd stops at the window', () => {
    assert.deepEqual(
      dates(
        {
          pattern: { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 29 },
          range: { type: 'noEnd', startDate: '2028-01-01' },
        },
        '2028-02-29T10:00:00',
        'UTC',
        '2034-01-01T00:00:00Z',
      ),
      ['2028-02-29T10:00', '2032-02-29T10:00'],
    );
  });

  it('keeps the local time of day across DST in the series time zone', () => {
    assert.deepEqual(
      dates(
        {
          pattern: { type: 'daily', interval: 1 },
          range: { type: 'numbered', startDate: '2030-03-30', numberOfOccurrences: 2 },
        },
        '2030-03-30T09:00:00',
        'W. Europe Standard Time',
      ),
      ['2030-03-30T08:00', '2030-03-31T07:00'],
    );
  });
});

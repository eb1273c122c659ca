import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { HolidayCalendar, parseHolidayCalendar, parseHolidayDates } from '../../src/schedule/holidays.js';

// 20:00 UTC on Dec 24: still Christmas Eve in Berlin (21:00) but already Christmas morning in Tokyo (05:00).
const lateOnChristmasEveUtc = new Date('2026-12-24T20:00:00Z');
const christmasMorningInBerlin = new Date('2026-12-25T09:00:00Z');
const germanUnityDayNoon = new Date('2026-10-03T10:00:00Z');
const anOrdinaryWednesday = new Date('2026-10-07T10:00:00Z');

describe('schedule/holidays', () => {
  describe('explicit dates', () => {
    const calendar = new HolidayCalendar(['2026-12-25', ' 2026-12-31 ']);
    const rows: { name: string; instant: Date; tz: string; want: string | undefined }[] = [
      // Dec 24 20:00 UTC is already Dec 25 in Tokyo: the local date decides.
      { name: 'already Christmas in Tokyo', instant: lateOnChristmasEveUtc, tz: 'Asia/Tokyo', want: '2026-12-25' },
      // ...and still Dec 24 in Berlin and UTC.
      { name: 'still Christmas Eve in Berlin', instant: lateOnChristmasEveUtc, tz: 'Europe/Berlin', want: undefined },
      { name: 'still Christmas Eve in UTC', instant: lateOnChristmasEveUtc, tz: 'UTC', want: undefined },
      { name: 'New Year\'s Eve (whitespace trimmed)', instant: new Date('2026-12-31T12:00:00Z'), tz: 'UTC', want: '2026-12-31' },
      // 2026-12-31 23:30 in New York is 04:30 UTC on Jan 1: the local date is still Dec 31.
      { name: 'New York evening of Dec 31', instant: new Date('2027-01-01T04:30:00Z'), tz: 'America/New_York', want: '2026-12-31' },
    ];
    for (const row of rows) {
      it(`${row.name}`, () => {
        assert.equal(calendar.holidayOn(row.instant, row.tz)?.date, row.want);
      });
    }
    it('rejects dates that are not YYYY-MM-DD calendar dates, naming each', () => {
      assert.throws(
        () => parseHolidayDates(['2026-02-30', '25.12.2026', '2026-12-24']),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.problems.length === 2 &&
          err.message.includes('"2026-02-30"') &&
          err.message.includes('"25.12.2026"') &&
          (err.hint ?? '').includes('YYYY-MM-DD'),
      );
    });
  });

  describe('date-holidays calendar', () => {
    const de = new HolidayCalendar([], 'DE');
    it('DE includes Christmas Day and German Unity Day, in English', () => {
      assert.deepEqual(de.holidayOn(christmasMorningInBerlin, 'Europe/Berlin'), { date: '2026-12-25', name: 'Christmas Day' });
      assert.equal(de.holidayOn(germanUnityDayNoon, 'Europe/Berlin')?.date, '2026-10-03');
      assert.equal(de.holidayOn(anOrdinaryWednesday, 'Europe/Berlin'), undefined);
    });
    it('DE judges the local date: late on Dec 24 UTC is Christmas in Tokyo', () => {
      assert.equal(de.holidayOn(lateOnChristmasEveUtc, 'Asia/Tokyo')?.date, '2026-12-25');
      assert.equal(de.holidayOn(lateOnChristmasEveUtc, 'Europe/Berlin'), undefined);
    });
    it('US-NY has state holidays (Lincoln\'s Birthday) but only public ones count', () => {
      const ny = new HolidayCalendar([], 'us-ny');
      assert.equal(ny.holidayOn(new Date('2026-02-12T15:00:00Z'), 'America/New_York')?.name, "Lincoln's Birthday");
      assert.equal(ny.holidayOn(new Date('2026-07-03T15:00:00Z'), 'America/New_York')?.name, 'Independence Day (substitute day)');
      // Christmas Eve is "optional" and Valentine's Day an "observance": ordinary working days.
      assert.equal(ny.holidayOn(new Date('2026-12-24T15:00:00Z'), 'America/New_York'), undefined);
      assert.equal(ny.holidayOn(new Date('2026-02-14T15:00:00Z'), 'America/New_York'), undefined);
    });
    it('DE-BY adds regional holidays such as Epiphany', () => {
      const by = new HolidayCalendar([], 'DE-BY');
      assert.equal(by.holidayOnDate('2026-01-06')?.date, '2026-01-06');
      assert.equal(de.holidayOnDate('2026-01-06'), undefined);
    });
    it('works across years (each year computed once)', () => {
      assert.equal(de.holidayOnDate('2027-12-25')?.name, 'Christmas Day');
      assert.equal(de.holidayOnDate('2025-10-03')?.date, '2025-10-03');
    });
    it('explicit dates are added to the calendar', () => {
      const both = new HolidayCalendar(['2026-12-24'], 'DE');
      assert.equal(both.holidayOnDate('2026-12-24')?.name, 'configured holiday');
      assert.equal(both.holidayOnDate('2026-12-25')?.name, 'Christmas Day');
      assert.equal(both.describe(), '1 configured date + public holidays of DE');
      assert.equal(new HolidayCalendar().describe(), 'none');
    });
  });

  describe('parseHolidayCalendar', () => {
    it('parses COUNTRY, COUNTRY-STATE, COUNTRY-STATE-REGION and empty', () => {
      assert.equal(parseHolidayCalendar(''), undefined);
      assert.deepEqual(parseHolidayCalendar('DE'), { country: 'DE' });
      assert.deepEqual(parseHolidayCalendar('us-ny'), { country: 'US', state: 'NY' });
      assert.deepEqual(parseHolidayCalendar('DE-BY-A'), { country: 'DE', state: 'BY', region: 'A' });
    });
    const bad: { spec: string; names: string }[] = [
      { spec: 'XX', names: 'unknown country "XX"' },
      { spec: 'Germany', names: 'unknown country "GERMANY"' },
      { spec: 'DE-ZZ', names: 'has no state "ZZ"' },
      { spec: 'DE-BY-NOPE', names: 'has no region "NOPE"' },
      { spec: 'DE--BY', names: 'is not COUNTRY' },
    ];
    for (const row of bad) {
      it(`rejects ${row.spec}, naming the value and how to list codes`, () => {
        assert.throws(
          () => new HolidayCalendar([], row.spec),
          (err: unknown) =>
            err instanceof ConfigError && err.message.includes(row.names) && (err.hint ?? '').includes('getCountries'),
        );
      });
    }
  });
});

import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import {
  describeOfficeHours,
  isInOfficeHours,
  localTime,
  parseOfficeHours,
  validateTimeZone,
} from '../../src/schedule/office-hours.js';

// Named instants (all UTC). 2026-03-27 is a Friday.
const aFridayAfternoonInBerlin = new Date('2026-03-27T14:30:00Z'); // 15:30 CET
const aFridayEveningInBerlin = new Date('2026-03-27T17:30:00Z'); // 18:30 CET
const aMondayBeforeNineInNewYork = new Date('2026-03-30T12:45:00Z'); // 08:45 EDT
const aMondayMorningInNewYork = new Date('2026-03-30T13:15:00Z'); // 09:15 EDT
const aSaturdayMorningInBerlin = new Date('2026-03-28T09:30:00Z'); // 10:30 CET
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (base: Date, offsetMs: number): Date => new Date(base.getTime() + offsetMs);

describe('schedule/office-hours', () => {
  describe('localTime', () => {
    it('reads the wall clock of the zone, including the date change across midnight', () => {
      const t = localTime(new Date('2026-12-24T20:00:00Z'), 'Asia/Tokyo');
      assert.deepEqual(t, { year: 2026, month: 12, day: 25, weekday: 5, hour: 5, minute: 0, second: 0, dateString: '2026-12-25' });
      assert.equal(localTime(aFridayAfternoonInBerlin, 'Europe/Berlin').hour, 15);
      // Midnight is hour 0, never 24 (hourCycle h23).
      assert.equal(localTime(new Date('2026-03-27T23:00:00Z'), 'Europe/Berlin').hour, 0);
    });
  });

  describe('isInOfficeHours', () => {
    const rows: { name: string; spec: string; tz: string; instant: Date; want: boolean }[] = [
      // Friday 15:30 in Berlin is inside a Mon-Fri working day.
      { name: 'Friday afternoon in Berlin', spec: 'Mon-Fri 09:00-17:00', tz: 'Europe/Berlin', instant: aFridayAfternoonInBerlin, want: true },
      // The same UTC instant is 10:30 in New York — also inside.
      { name: 'same instant judged in New York', spec: 'Mon-Fri 09:00-17:00', tz: 'America/New_York', instant: aFridayAfternoonInBerlin, want: true },
      // ...but 23:30 in Tokyo, outside.
      { name: 'same instant judged in Tokyo', spec: 'Mon-Fri 09:00-17:00', tz: 'Asia/Tokyo', instant: aFridayAfternoonInBerlin, want: false },
      // Friday 18:30 is after the end of the day.
      { name: 'Friday evening in Berlin', spec: 'Mon-Fri 09:00-17:00', tz: 'Europe/Berlin', instant: aFridayEveningInBerlin, want: false },
      // 08:45 on a Monday in New York is before the window opens.
      { name: 'Monday before nine in New York', spec: 'Mon-Fri 09:00-17:00', tz: 'America/New_York', instant: aMondayBeforeNineInNewYork, want: false },
      { name: 'Monday morning in New York', spec: 'Mon-Fri 09:00-17:00', tz: 'America/New_York', instant: aMondayMorningInNewYork, want: true },
      // The start is inclusive, the end exclusive.
      { name: '09:00 sharp is in', spec: 'Mon-Fri 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-03-30T13:00:00Z'), want: true },
      { name: '16:59 is in', spec: 'Mon-Fri 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-03-30T20:59:59Z'), want: true },
      { name: '17:00 sharp is out', spec: 'Mon-Fri 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-03-30T21:00:00Z'), want: false },
      // Saturday is not a working day.
      { name: 'Saturday morning in Berlin', spec: 'Mon-Fri 09:00-17:00', tz: 'Europe/Berlin', instant: aSaturdayMorningInBerlin, want: false },
      // A single day.
      { name: 'single day: Saturday 10:30', spec: 'Sat 10:00-12:00', tz: 'Europe/Berlin', instant: aSaturdayMorningInBerlin, want: true },
      // Multiple windows: Friday ends at noon.
      { name: 'short Friday: 15:30 is out', spec: 'Mon-Thu 09:00-17:00, Fri 09:00-12:00', tz: 'Europe/Berlin', instant: aFridayAfternoonInBerlin, want: false },
      { name: 'short Friday: 11:30 is in', spec: 'Mon-Thu 09:00-17:00, Fri 09:00-12:00', tz: 'Europe/Berlin', instant: at(aFridayAfternoonInBerlin, -4 * HOUR), want: true },
      { name: 'short Friday: Thursday 15:30 is in', spec: 'Mon-Thu 09:00-17:00, Fri 09:00-12:00', tz: 'Europe/Berlin', instant: at(aFridayAfternoonInBerlin, -24 * HOUR), want: true },
      // Day lists: Friday is in the list, Thursday is not.
      { name: 'day list: Friday', spec: 'Mon,Wed,Fri 09:00-17:00', tz: 'Europe/Berlin', instant: aFridayAfternoonInBerlin, want: true },
      { name: 'day list: Thursday', spec: 'Mon,Wed,Fri 09:00-17:00', tz: 'Europe/Berlin', instant: at(aFridayAfternoonInBerlin, -24 * HOUR), want: false },
      // Across midnight: Friday 23:30 belongs to the Friday window...
      { name: 'night window: Friday 23:30', spec: 'Fri 22:00-02:00', tz: 'Europe/Berlin', instant: new Date('2026-03-27T22:30:00Z'), want: true },
      // ...and so does Saturday 01:30, the early-morning part on the next day...
      { name: 'night window: Saturday 01:30', spec: 'Fri 22:00-02:00', tz: 'Europe/Berlin', instant: new Date('2026-03-28T00:30:00Z'), want: true },
      // ...but Saturday 02:00 is the end, and Friday 01:30 belongs to Thursday night, which is not listed.
      { name: 'night window: Saturday 02:00', spec: 'Fri 22:00-02:00', tz: 'Europe/Berlin', instant: new Date('2026-03-28T01:00:00Z'), want: false },
      { name: 'night window: Friday 01:30', spec: 'Fri 22:00-02:00', tz: 'Europe/Berlin', instant: new Date('2026-03-27T00:30:00Z'), want: false },
      { name: 'night window: Saturday 22:30', spec: 'Fri 22:00-02:00', tz: 'Europe/Berlin', instant: new Date('2026-03-28T21:30:00Z'), want: false },
      // A range wrapping the weekend.
      { name: 'Fri-Mon covers Sunday', spec: 'Fri-Mon 00:00-24:00', tz: 'Europe/Berlin', instant: new Date('2026-03-29T12:00:00Z'), want: true },
      { name: 'Fri-Mon does not cover Wednesday', spec: 'Fri-Mon 00:00-24:00', tz: 'Europe/Berlin', instant: new Date('2026-03-25T12:00:00Z'), want: false },
      // always means always.
      { name: 'always: Saturday 03:00', spec: 'always', tz: 'Europe/Berlin', instant: new Date('2026-03-28T02:00:00Z'), want: true },

      // Berlin spring forward, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST.
      // 06:59Z is 08:59 CEST: not yet.
      { name: 'Berlin spring-forward day, 08:59', spec: 'Sun 09:00-17:00', tz: 'Europe/Berlin', instant: new Date('2026-03-29T06:59:00Z'), want: false },
      // 07:00Z is 09:00 CEST: the window opens on the new offset, not an hour late.
      { name: 'Berlin spring-forward day, 09:00', spec: 'Sun 09:00-17:00', tz: 'Europe/Berlin', instant: new Date('2026-03-29T07:00:00Z'), want: true },
      { name: 'Berlin spring-forward day, 16:59', spec: 'Sun 09:00-17:00', tz: 'Europe/Berlin', instant: new Date('2026-03-29T14:59:00Z'), want: true },
      { name: 'Berlin spring-forward day, 17:00', spec: 'Sun 09:00-17:00', tz: 'Europe/Berlin', instant: new Date('2026-03-29T15:00:00Z'), want: false },
      // A window starting inside the gap (02:30 does not exist): 01:59 CET is before it...
      { name: 'window starting in the gap, 01:59 CET', spec: 'Sun 02:30-05:00', tz: 'Europe/Berlin', instant: new Date('2026-03-29T00:59:00Z'), want: false },
      // ...and the very next minute is 03:00 CEST, already past 02:30: the window is open.
      { name: 'window starting in the gap, 03:00 CEST', spec: 'Sun 02:30-05:00', tz: 'Europe/Berlin', instant: new Date('2026-03-29T01:00:00Z'), want: true },
      // A window entirely inside the gap never opens that day.
      { name: 'window inside the gap, 03:00 CEST', spec: 'Sun 02:10-02:50', tz: 'Europe/Berlin', instant: new Date('2026-03-29T01:00:00Z'), want: false },

      // Berlin fall back, Sunday 2026-10-25: 03:00 CEST goes back to 02:00 CET.
      { name: 'Berlin fall-back day, 08:59 CET', spec: 'Sun 09:00-17:00', tz: 'Europe/Berlin', instant: new Date('2026-10-25T07:59:00Z'), want: false },
      { name: 'Berlin fall-back day, 09:00 CET', spec: 'Sun 09:00-17:00', tz: 'Europe/Berlin', instant: new Date('2026-10-25T08:00:00Z'), want: true },
      { name: 'Berlin fall-back day, 17:00 CET', spec: 'Sun 09:00-17:00', tz: 'Europe/Berlin', instant: new Date('2026-10-25T16:00:00Z'), want: false },
      // The repeated hour: 02:30 happens twice and is inside both times.
      { name: 'repeated hour, first 02:30 (CEST)', spec: 'Sun 02:15-02:45', tz: 'Europe/Berlin', instant: new Date('2026-10-25T00:30:00Z'), want: true },
      { name: 'repeated hour, second 02:30 (CET)', spec: 'Sun 02:15-02:45', tz: 'Europe/Berlin', instant: new Date('2026-10-25T01:30:00Z'), want: true },
      { name: 'repeated hour, between them (02:55 CEST)', spec: 'Sun 02:15-02:45', tz: 'Europe/Berlin', instant: new Date('2026-10-25T00:55:00Z'), want: false },

      // New York spring forward, Sunday 2026-03-08: 02:00 EST jumps to 03:00 EDT.
      { name: 'New York spring-forward day, 08:59 EDT', spec: 'Sun 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-03-08T12:59:00Z'), want: false },
      { name: 'New York spring-forward day, 09:00 EDT', spec: 'Sun 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-03-08T13:00:00Z'), want: true },
      { name: 'New York spring-forward day, 17:00 EDT', spec: 'Sun 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-03-08T21:00:00Z'), want: false },
      // The 02:30 a node-cron job in New York would skip: our window 02:30-03:30 opens at 03:00 EDT.
      { name: 'New York gap, 01:59 EST', spec: 'Sun 02:30-03:30', tz: 'America/New_York', instant: new Date('2026-03-08T06:59:00Z'), want: false },
      { name: 'New York gap, 03:00 EDT', spec: 'Sun 02:30-03:30', tz: 'America/New_York', instant: new Date('2026-03-08T07:00:00Z'), want: true },
      { name: 'New York gap, 03:30 EDT', spec: 'Sun 02:30-03:30', tz: 'America/New_York', instant: new Date('2026-03-08T07:30:00Z'), want: false },

      // New York fall back, Sunday 2026-11-01: 02:00 EDT goes back to 01:00 EST.
      { name: 'New York fall-back day, 08:59 EST', spec: 'Sun 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-11-01T13:59:00Z'), want: false },
      { name: 'New York fall-back day, 09:00 EST', spec: 'Sun 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-11-01T14:00:00Z'), want: true },
      { name: 'New York fall-back day, 16:59 EST', spec: 'Sun 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-11-01T21:59:00Z'), want: true },
      { name: 'New York fall-back day, 17:00 EST', spec: 'Sun 09:00-17:00', tz: 'America/New_York', instant: new Date('2026-11-01T22:00:00Z'), want: false },
      { name: 'New York repeated hour, first 01:30 (EDT)', spec: 'Sun 01:15-01:45', tz: 'America/New_York', instant: new Date('2026-11-01T05:30:00Z'), want: true },
      { name: 'New York repeated hour, second 01:30 (EST)', spec: 'Sun 01:15-01:45', tz: 'America/New_York', instant: new Date('2026-11-01T06:30:00Z'), want: true },
    ];
    for (const row of rows) {
      it(`${row.name}: ${row.spec} in ${row.tz} → ${row.want ? 'in' : 'out'}`, () => {
        assert.equal(isInOfficeHours(row.instant, parseOfficeHours(row.spec), row.tz), row.want);
      });
    }
  });

  describe('parseOfficeHours', () => {
    it('accepts spacing, case and full day names', () => {
      assert.deepEqual(parseOfficeHours(' monday - friday  9:00 - 17:00 ; SAT 10:00-12:00 '), {
        kind: 'windows',
        windows: [
          { days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020 },
          { days: [6], startMinute: 600, endMinute: 720 },
        ],
      });
      assert.deepEqual(parseOfficeHours('ALWAYS'), { kind: 'always' });
    });

    const bad: { spec: string; names: string }[] = [
      { spec: '', names: 'is empty' },
      { spec: 'Mon-Fxi 09:00-17:00', names: '"Fxi" is not a day' },
      { spec: 'Mon-Fri 09:00-17:60', names: '"17:60" is not a time of day' },
      { spec: 'Mon-Fri 9-17', names: '"9" is not a time of day' },
      { spec: 'Mon-Fri 24:00-17:00', names: '"24:00" is not a time of day' },
      { spec: 'Mon-Fri', names: '"Mon-Fri" is not a window' },
      { spec: '09:00-17:00', names: '"09:00-17:00" is not a window' },
      { spec: 'Mon-Fri 09:00-09:00', names: 'starts and ends at the same time' },
      { spec: 'Mon-Fri 09:00-17:00,', names: 'empty window' },
      { spec: 'Mon,,Fri 09:00-17:00', names: 'empty day' },
      { spec: 'Mon-Wed-Fri 09:00-17:00', names: '"Mon-Wed-Fri" is not a day or a day range' },
    ];
    for (const row of bad) {
      it(`rejects ${JSON.stringify(row.spec)}, naming the bad part and showing the syntax`, () => {
        assert.throws(
          () => parseOfficeHours(row.spec),
          (err: unknown) =>
            err instanceof ConfigError &&
            err.code === 'E_CONFIG' &&
            err.message.includes(row.names) &&
            (err.hint ?? '').includes('Mon-Fri 09:00-17:00'),
        );
      });
    }
  });

  describe('validateTimeZone', () => {
    it('accepts IANA zones and UTC', () => {
      for (const tz of ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC']) validateTimeZone(tz);
    });
    it('rejects unknown zones with a ConfigError naming the value', () => {
      for (const tz of ['Mars/Olympus_Mons', 'Berlin']) {
        assert.throws(
          () => validateTimeZone(tz),
          (err: unknown) => err instanceof ConfigError && err.message.includes(`"${tz}"`) && (err.hint ?? '').includes('Europe/Berlin'),
        );
      }
      assert.throws(() => validateTimeZone(''), ConfigError);
    });
  });

  describe('describeOfficeHours', () => {
    const rows: [string, string][] = [
      ['Mon-Fri 09:00-17:00', 'Mon-Fri 09:00-17:00'],
      ['monday,wednesday,friday 9:00-17:00', 'Mon,Wed,Fri 09:00-17:00'],
      ['Fri-Mon 00:00-24:00', 'Fri-Mon 00:00-24:00'],
      ['Fri 22:00-02:00', 'Fri 22:00-02:00 next day'],
      ['Mon-Thu 09:00-17:00, Fri 09:00-12:00', 'Mon-Thu 09:00-17:00, Fri 09:00-12:00'],
      ['always', 'always'],
    ];
    for (const [spec, want] of rows) {
      it(`${spec} → ${want}`, () => assert.equal(describeOfficeHours(parseOfficeHours(spec)), want));
    }
    it('names the zone when given', () => {
      assert.equal(describeOfficeHours(parseOfficeHours('Sat 10:00-12:00'), 'Europe/Berlin'), 'Sat 10:00-12:00 (Europe/Berlin)');
    });
  });
});

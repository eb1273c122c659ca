import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { matchesCron, nextFire, parseCron, upcoming } from '../../src/schedule/cron.js';

// A Friday afternoon, a few seconds past a minute.
const aFridayAfternoon = new Date('2026-03-27T13:07:12Z');
const newYearsEveLate = new Date('2026-12-31T23:59:30Z');

describe('schedule/cron', () => {
  describe('nextFire (UTC)', () => {
    const rows: { name: string; expr: string; after: Date; want: string }[] = [
      // Every 10 minutes: the next multiple of ten.
      { name: 'every 10 minutes', expr: '*/10 * * * *', after: aFridayAfternoon, want: '2026-03-27T13:10:00.000Z' },
      // Strictly after: exactly on a slot gives the following slot.
      { name: 'strictly after a slot', expr: '*/10 * * * *', after: new Date('2026-03-27T13:10:00Z'), want: '2026-03-27T13:20:00.000Z' },
      // Weekdays at 09:00: Friday 13:07 → Monday 09:00.
      { name: 'weekdays at 09:00 skips the weekend', expr: '0 9 * * 1-5', after: aFridayAfternoon, want: '2026-03-30T09:00:00.000Z' },
      { name: 'day names MON-FRI', expr: '0 9 * * MON-FRI', after: aFridayAfternoon, want: '2026-03-30T09:00:00.000Z' },
      // Steps within a range: minutes 1,4,7,10.
      { name: 'range with a step', expr: '1-10/3 * * * *', after: aFridayAfternoon, want: '2026-03-27T13:10:00.000Z' },
      { name: 'step of hours', expr: '0 */6 * * *', after: aFridayAfternoon, want: '2026-03-27T18:00:00.000Z' },
      // Lists.
      { name: 'list of minutes', expr: '5,35 * * * *', after: aFridayAfternoon, want: '2026-03-27T13:35:00.000Z' },
      { name: 'list of hours wrapping to tomorrow', expr: '0 8,12 * * *', after: aFridayAfternoon, want: '2026-03-28T08:00:00.000Z' },
      // Month names: the next 1st of January or July.
      { name: 'month names', expr: '0 0 1 JAN,JUL *', after: aFridayAfternoon, want: '2026-07-01T00:00:00.000Z' },
      { name: 'lower-case names', expr: '30 12 * mar sat', after: aFridayAfternoon, want: '2026-03-28T12:30:00.000Z' },
      // 7 is Sunday as well as 0.
      { name: 'Sunday as 7', expr: '0 10 * * 7', after: aFridayAfternoon, want: '2026-03-29T10:00:00.000Z' },
      // Year rollover.
      { name: 'year rollover (every minute)', expr: '* * * * *', after: newYearsEveLate, want: '2027-01-01T00:00:00.000Z' },
      { name: 'year rollover (yearly)', expr: '0 0 1 1 *', after: aFridayAfternoon, want: '2027-01-01T00:00:00.000Z' },
      // Leap day: next Feb 29 is in 2028.
      { name: 'leap day', expr: '0 12 29 2 *', after: aFridayAfternoon, want: '2028-02-29T12:00:00.000Z' },
      // Six fields: seconds first.
      { name: '6 fields, every 15 seconds', expr: '*/15 * * * * *', after: aFridayAfternoon, want: '2026-03-27T13:07:15.000Z' },
      { name: '6 fields, at second 30 of 09:00', expr: '30 0 9 * * *', after: aFridayAfternoon, want: '2026-03-28T09:00:30.000Z' },
      // Milliseconds are ignored: 13:07:12.500 → the next whole slot.
      { name: 'fractional seconds', expr: '* * * * * *', after: new Date('2026-03-27T13:07:12.500Z'), want: '2026-03-27T13:07:13.000Z' },
      // Vixie OR: both day fields restricted → the 1st OR any Monday. After Fri 27 March: Mon 30 March.
      { name: 'day-of-month OR day-of-week (Monday first)', expr: '0 9 1 * MON', after: aFridayAfternoon, want: '2026-03-30T09:00:00.000Z' },
      // ...then the 1st of April (a Wednesday).
      { name: 'day-of-month OR day-of-week (the 1st next)', expr: '0 9 1 * MON', after: new Date('2026-03-30T10:00:00Z'), want: '2026-04-01T09:00:00.000Z' },
      // Only day-of-month restricted: a `*`-led day-of-week does not widen it.
      { name: 'only day-of-month restricted', expr: '0 9 15 * *', after: aFridayAfternoon, want: '2026-04-15T09:00:00.000Z' },
      // `*/2` in day-of-month counts as unrestricted (Vixie): Mondays only.
      { name: 'star-step day-of-month leaves day-of-week in charge', expr: '0 9 */2 * MON', after: aFridayAfternoon, want: '2026-03-30T09:00:00.000Z' },
    ];
    for (const row of rows) {
      it(`${row.name}: "${row.expr}" after ${row.after.toISOString()}`, () => {
        const got = nextFire(row.expr, row.after);
        assert.equal(got.toISOString(), row.want);
        assert.ok(matchesCron(parseCron(row.expr), got));
      });
    }
  });

  describe('upcoming', () => {
    it('lists the next n slots for /status', () => {
      assert.deepEqual(
        upcoming('0 9 * * 1-5', aFridayAfternoon, 3).map((d) => d.toISOString()),
        ['2026-03-30T09:00:00.000Z', '2026-03-31T09:00:00.000Z', '2026-04-01T09:00:00.000Z'],
      );
      assert.deepEqual(upcoming('* * * * *', aFridayAfternoon, 0), []);
    });
  });

  describe('validation', () => {
    const bad: { expr: string; names: string }[] = [
      { expr: '', names: '0 fields' },
      { expr: '* * * *', names: '4 fields' },
      { expr: '* * * * * * *', names: '7 fields' },
      { expr: '60 * * * *', names: '60' },
      { expr: '* 24 * * *', names: '24' },
      { expr: '0 0 31 2 *', names: 'impossible' },
      { expr: '0 0 30 2 *', names: '"0 0 30 2 *"' },
      { expr: '0 0 L * *', names: '"L"' },
      { expr: '0 0 * * 5#2', names: '"5#2"' },
      { expr: 'every day', names: '2 fields' },
    ];
    for (const row of bad) {
      it(`rejects ${JSON.stringify(row.expr)} with a ConfigError showing the syntax`, () => {
        assert.throws(
          () => parseCron(row.expr),
          (err: unknown) =>
            err instanceof ConfigError && err.message.includes(row.names) && (err.hint ?? '').includes('*/10 * * * *'),
        );
      });
    }
  });
});

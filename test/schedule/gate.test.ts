import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { judgeSchedule, judgeSlot } from '../../src/schedule/gate.js';
import { compileSchedule, type ScheduleSettings } from '../../src/schedule/settings.js';

const berlinWeekdays: ScheduleSettings = {
  cron: '*/10 * * * *',
  timezone: 'Europe/Berlin',
  officeHours: 'Mon-Fri 09:00-17:00',
  holidays: ['2026-03-31'],
  holidayCalendar: 'DE',
  jitterSeconds: 120,
};

// Named instants. 2026-03-27 is a Friday.
const aFridayAfternoonInBerlin = new Date('2026-03-27T14:30:00Z'); // 15:30 CET
const aFridayEveningInBerlin = new Date('2026-03-27T17:30:00Z'); // 18:30 CET
const anOperatorsDayOff = new Date('2026-03-31T10:00:00Z'); // Tuesday, listed in holidays
const christmasMorningInBerlin = new Date('2026-12-25T09:00:00Z'); // Friday 10:00 CET, public holiday
const christmasNightInBerlin = new Date('2026-12-25T02:00:00Z'); // Friday 03:00 CET

describe('schedule/gate', () => {
  const schedule = compileSchedule(berlinWeekdays);
  const rows: { name: string; instant: Date; want: 'ok' | 'outside-office-hours' | 'holiday'; detail?: string }[] = [
    // An ordinary working afternoon: go.
    { name: 'a Friday afternoon in Berlin', instant: aFridayAfternoonInBerlin, want: 'ok' },
    // After 17:00: the reason names the local time, the zone and the windows.
    {
      name: 'a Friday evening in Berlin',
      instant: aFridayEveningInBerlin,
      want: 'outside-office-hours',
      detail: 'Fri 2026-03-27 18:30 in Europe/Berlin is outside office hours Mon-Fri 09:00-17:00',
    },
    // A date the operator listed.
    { name: 'an operator\'s day off', instant: anOperatorsDayOff, want: 'holiday', detail: '2026-03-31 is a holiday in Europe/Berlin: configured holiday' },
    // A public holiday from the DE calendar, inside office hours.
    { name: 'Christmas morning', instant: christmasMorningInBerlin, want: 'holiday', detail: '2026-12-25 is a holiday in Europe/Berlin: Christmas Day' },
    // At night on a holiday, office hours are the more useful reason.
    { name: 'Christmas night', instant: christmasNightInBerlin, want: 'outside-office-hours' },
  ];
  for (const row of rows) {
    it(`${row.name} → ${row.want}`, () => {
      const got = judgeSchedule(row.instant, schedule);
      if (row.want === 'ok') {
        assert.deepEqual(got, { ok: true });
        return;
      }
      assert.equal(got.ok, false);
      if (got.ok) return;
      assert.equal(got.reason, row.want);
      if (row.detail !== undefined) assert.equal(got.detail, row.detail);
      if (got.reason === 'holiday') assert.equal(got.holiday.date, got.detail.slice(0, 10));
    });
  }

  it('accepts raw settings too (compiled once and cached)', () => {
    assert.deepEqual(judgeSchedule(aFridayAfternoonInBerlin, berlinWeekdays), { ok: true });
    assert.equal(judgeSchedule(aFridayEveningInBerlin, berlinWeekdays).ok, false);
  });

  it('judges a slot at its actual (jittered) start, not at the cron slot', () => {
    // The 16:50 CET slot is inside; a start jittered to 17:01 is not.
    const scheduledAt = new Date('2026-03-27T15:50:00Z');
    assert.equal(judgeSchedule(scheduledAt, schedule).ok, true);
    const late = judgeSlot({ startedAt: new Date('2026-03-27T16:01:00Z') }, schedule);
    assert.equal(late.ok, false);
    assert.equal(!late.ok && late.reason, 'outside-office-hours');
  });

  it('always + no holidays lets everything through', () => {
    const always = compileSchedule({ ...berlinWeekdays, officeHours: 'always', holidays: [], holidayCalendar: '' });
    assert.deepEqual(judgeSchedule(christmasNightInBerlin, always), { ok: true });
  });

  describe('compileSchedule', () => {
    it('describes the whole schedule in one line', () => {
      assert.equal(
        schedule.description,
        'cron "*/10 * * * *" (UTC), jitter up to 120s, office hours Mon-Fri 09:00-17:00 (Europe/Berlin), ' +
          'holidays: 1 configured date + public holidays of DE',
      );
      assert.equal(schedule.jitterMs, 120_000);
      assert.ok(Object.isFrozen(schedule) && Object.isFrozen(schedule.settings));
    });

    it('reports every bad setting at once, each with its key', () => {
      assert.throws(
        () =>
          compileSchedule({
            cron: '61 * * * *',
            timezone: 'Europe/Berlln',
            officeHours: 'Mon-Fri 9-5',
            holidays: ['2026-13-01'],
            holidayCalendar: 'DE',
            jitterSeconds: -1,
          }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.deepEqual(
            err.problems.map((p) => p.split(':')[0]),
            ['schedule.cron', 'schedule.timezone', 'schedule.officeHours', 'schedule.holidays', 'schedule.jitterSeconds'],
          );
          assert.match(err.message, /Europe\/Berlln/);
          return true;
        },
      );
    });

    it('names an unknown holiday calendar', () => {
      assert.throws(
        () => compileSchedule({ ...berlinWeekdays, holidayCalendar: 'XY' }),
        (err: unknown) => err instanceof ConfigError && err.problems[0] === 'schedule.holidayCalendar: holiday calendar "XY": unknown country "XY"',
      );
    });
  });
});

import assert from 'node:assert/strict';
import { localTime, validateTimeZone } from '../../src/schedule/office-hours.js';

/** What ICU says the wall clock in UTC reads: the reference localTime's UTC shortcut must match. */
function viaIcu(instant: Date): Record<string, number> {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(instant)) {
    if (p.type === 'weekday') out.weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.value);
    else if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return out;
}

describe('localTime in UTC (no ICU)', () => {
  it('reads the same fields as ICU does for UTC: year ends, a leap day, DST change days elsewhere, every hour of a week', () => {
    const instants = [
      '1999-12-31T23:59:59Z',
      '2000-01-01T00:00:00Z',
      '2024-02-29T12:00:00Z',
      '2026-03-29T00:59:59Z',
      '2026-03-29T01:00:00Z',
      '2026-10-25T01:00:00Z',
      '2026-12-31T23:59:59.999Z',
      '2038-01-19T03:14:08Z',
    ].map((s) => new Date(s));
    for (let h = 0; h < 7 * 24; h++) instants.push(new Date(Date.UTC(2026, 10, 23, h, (h * 7) % 60, (h * 13) % 60)));
    for (const instant of instants) {
      const t = localTime(instant, 'UTC');
      const { year, month, day, weekday, hour, minute, second } = t;
      assert.deepEqual({ year, month, day, weekday, hour, minute, second }, viaIcu(instant), instant.toISOString());
      assert.equal(t.dateString, instant.toISOString().slice(0, 10));
    }
  });

  it('UTC is a valid zone; other names are still checked against ICU', () => {
    validateTimeZone('UTC');
    validateTimeZone('Etc/UTC');
    assert.throws(() => validateTimeZone('Mars/Olympus_Mons'), /not a known IANA zone/);
  });
});

import { ConfigError } from '../errors.js';
import { parseCron, type CronSchedule } from './cron.js';
import { HolidayCalendar, parseHolidayCalendar, parseHolidayDates } from './holidays.js';
import { describeOfficeHours, parseOfficeHours, validateTimeZone, type OfficeHours } from './office-hours.js';

/**
 * The schedule part of the configuration, as the config loader hands it over
 * (keys `schedule.*`; env in brackets):
 *  - cron (MONKEY_CRON): when cycles fire, 5 or 6 fields, evaluated in UTC.
 *  - timezone (MONKEY_TIMEZONE): IANA zone office hours and holidays are judged in.
 *  - officeHours (MONKEY_OFFICE_HOURS): `always` or windows like `Mon-Fri 09:00-17:00`.
 *  - holidays (MONKEY_HOLIDAYS): extra excluded local dates, `YYYY-MM-DD`.
 *  - holidayCalendar (MONKEY_HOLIDAY_CALENDAR): `DE`, `US-NY`, `DE-BY`, … or '' for none.
 *  - jitterSeconds: a cycle starts up to this many seconds after its slot (always less than the
 *    gap to the next slot), so kills do not land on predictable minutes.
 */
export interface ScheduleSettings {
  cron: string;
  timezone: string;
  officeHours: string;
  holidays: readonly string[];
  holidayCalendar: string;
  jitterSeconds: number;
}

/** Everything parsed and checked once at start-up; the gate and the scheduler only read it. */
export interface CompiledSchedule {
  readonly settings: Readonly<ScheduleSettings>;
  readonly cron: CronSchedule;
  readonly timezone: string;
  readonly officeHours: OfficeHours;
  readonly holidays: HolidayCalendar;
  readonly jitterMs: number;
  /** One line for start-up logs and /status. */
  readonly description: string;
}

/**
 * Validates every schedule setting and compiles it. All problems are collected into one
 * ConfigError, so an operator fixes the configuration in one round.
 * @throws ConfigError listing each bad setting, with the syntax of the first as hint.
 */
export function compileSchedule(settings: ScheduleSettings): CompiledSchedule {
  const problems: string[] = [];
  const hints: string[] = [];
  function attempt<T>(key: string, f: () => T): T | undefined {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => `schedule.${key}: ${p}`));
      if (err.hint !== undefined) hints.push(err.hint);
      return undefined;
    }
  }
  const cron = attempt('cron', () => parseCron(settings.cron));
  const timezone = attempt('timezone', () => {
    validateTimeZone(settings.timezone);
    return settings.timezone;
  });
  const officeHours = attempt('officeHours', () => parseOfficeHours(settings.officeHours));
  // Checked separately so each problem carries its own key; the calendar then re-parses (cheap).
  const datesOk = attempt('holidays', () => parseHolidayDates(settings.holidays)) !== undefined;
  const calendarOk = attempt('holidayCalendar', () => parseHolidayCalendar(settings.holidayCalendar) ?? true) !== undefined;
  const holidays = datesOk && calendarOk ? new HolidayCalendar(settings.holidays, settings.holidayCalendar) : undefined;
  const jitterOk = Number.isInteger(settings.jitterSeconds) && settings.jitterSeconds >= 0;
  if (!jitterOk) {
    problems.push(`schedule.jitterSeconds: ${settings.jitterSeconds} is not a whole number of seconds >= 0`);
    hints.push('set jitterSeconds to 0 (no jitter) or a whole number of seconds');
  }
  if (problems.length > 0 || !cron || timezone === undefined || !officeHours || !holidays) {
    throw new ConfigError(problems, hints.join('; '));
  }
  const frozen = Object.freeze({ ...settings, holidays: Object.freeze([...settings.holidays]) });
  return Object.freeze({
    settings: frozen,
    cron,
    timezone,
    officeHours,
    holidays,
    jitterMs: settings.jitterSeconds * 1000,
    description:
      `cron "${cron.expression}" (UTC), jitter up to ${settings.jitterSeconds}s, ` +
      `office hours ${describeOfficeHours(officeHours, timezone)}, holidays: ${holidays.describe()}`,
  });
}

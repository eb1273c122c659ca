import { createRequire } from 'node:module';
import type DateHolidays from 'date-holidays';
import { ConfigError } from '../errors.js';
import { localTime } from './office-hours.js';

/**
 * Days on which no cycle runs: dates the operator lists (MONKEY_HOLIDAYS) plus, optionally, the
 * public holidays of a country or region from the `date-holidays` package
 * (MONKEY_HOLIDAY_CALENDAR, e.g. `DE`, `US-NY`, `DE-BY`). Both are *local dates*: an instant is a
 * holiday when its date on the wall clock of the configured zone is one of them.
 *
 * Only holidays of type `public` count; `bank`, `optional`, `school` and `observance` days
 * (Valentine's Day, Christmas Eve in the US) are ordinary working days for this purpose.
 * A holiday is identified by the calendar date it starts on; the few multi-day entries in the
 * date-holidays data are listed day by day, so this is not a limitation in practice.
 */

export interface Holiday {
  /** Local date `YYYY-MM-DD`. */
  readonly date: string;
  readonly name: string;
}

export interface CalendarSpec {
  readonly country: string;
  readonly state?: string;
  readonly region?: string;
}

type HolidaysCtor = typeof DateHolidays;

const HOLIDAY_DATES_HINT =
  'list dates as YYYY-MM-DD separated by commas, e.g. MONKEY_HOLIDAYS=2026-12-24,2026-12-31';
const CALENDAR_HINT =
  'use an ISO country code with an optional state and region, e.g. DE, DE-BY, US-NY; ' +
  'list them with `node -e "const H=require(\'date-holidays\');const h=new H();console.log(h.getCountries())"` ' +
  '(and h.getStates(\'US\') for states); leave MONKEY_HOLIDAY_CALENDAR empty for none';

let ctor: HolidaysCtor | undefined;

/**
 * Loads date-holidays on first use: its data takes ~100 ms to load and most installations only
 * list their own dates, so the package is not imported unless a calendar is configured.
 */
function loadHolidays(): HolidaysCtor {
  if (!ctor) {
    const required = createRequire(import.meta.url)('date-holidays') as HolidaysCtor | { default: HolidaysCtor };
    ctor = 'default' in required ? required.default : required;
  }
  return ctor;
}

/** Validates a list of `YYYY-MM-DD` dates (real calendar dates) and returns them sorted and unique. */
export function parseHolidayDates(dates: readonly string[]): string[] {
  const problems: string[] = [];
  const out = new Set<string>();
  for (const raw of dates) {
    const date = raw.trim();
    if (date === '') continue;
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
    if (!d || d.toISOString().slice(0, 10) !== date) {
      problems.push(`holiday "${date}" is not a date in the form YYYY-MM-DD`);
      continue;
    }
    out.add(date);
  }
  if (problems.length > 0) throw new ConfigError(problems, HOLIDAY_DATES_HINT);
  return [...out].sort();
}

/**
 * Parses and checks `COUNTRY[-STATE[-REGION]]` against the date-holidays data.
 * Returns undefined for an empty spec (no calendar).
 * @throws ConfigError naming the unknown country, state or region.
 */
export function parseHolidayCalendar(spec: string): CalendarSpec | undefined {
  const trimmed = spec.trim();
  if (trimmed === '') return undefined;
  const parts = trimmed.split(/[-/]/).map((p) => p.trim().toUpperCase());
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new ConfigError([`holiday calendar "${spec}" is not COUNTRY, COUNTRY-STATE or COUNTRY-STATE-REGION`], CALENDAR_HINT);
  }
  const [country = '', state, region] = parts;
  const H = loadHolidays();
  const lookup = new H();
  if (!(country in lookup.getCountries())) {
    throw new ConfigError([`holiday calendar "${spec}": unknown country "${country}"`], CALENDAR_HINT);
  }
  if (state !== undefined && !(state in (lookup.getStates(country) ?? {}))) {
    throw new ConfigError([`holiday calendar "${spec}": country ${country} has no state "${state}"`], CALENDAR_HINT);
  }
  if (state !== undefined && region !== undefined && !(region in (lookup.getRegions(country, state) ?? {}))) {
    throw new ConfigError(
      [`holiday calendar "${spec}": ${country}-${state} has no region "${region}"`],
      CALENDAR_HINT,
    );
  }
  return { country, ...(state === undefined ? {} : { state }), ...(region === undefined ? {} : { region }) };
}

export class HolidayCalendar {
  private readonly explicit: ReadonlySet<string>;
  private readonly calendar: CalendarSpec | undefined;
  private instance: DateHolidays | undefined;
  /** Public holidays per year, date → name; a year's list is computed once. */
  private readonly byYear = new Map<number, ReadonlyMap<string, string>>();

  /**
   * @param dates explicit `YYYY-MM-DD` dates (validated here)
   * @param calendar `DE`, `US-NY`, `DE-BY`, … or '' for none (validated here)
   * @throws ConfigError for a bad date or an unknown country/state/region
   */
  constructor(dates: readonly string[] = [], calendar = '') {
    this.explicit = new Set(parseHolidayDates(dates));
    this.calendar = parseHolidayCalendar(calendar);
  }

  /** The holiday on the local date of `instant` in `tz`, or undefined on a working day. */
  holidayOn(instant: Date, tz: string): Holiday | undefined {
    const t = localTime(instant, tz);
    return this.holidayOnDate(t.dateString, t.year);
  }

  /** The holiday on a local date `YYYY-MM-DD`; explicit dates win over the calendar's name. */
  holidayOnDate(date: string, year = Number(date.slice(0, 4))): Holiday | undefined {
    if (this.explicit.has(date)) return { date, name: 'configured holiday' };
    const name = this.publicHolidays(year).get(date);
    return name === undefined ? undefined : { date, name };
  }

  /** `2 dates + public holidays of DE-BY` — for start-up logs and /status. */
  describe(): string {
    const parts: string[] = [];
    if (this.explicit.size > 0) parts.push(`${this.explicit.size} configured date${this.explicit.size === 1 ? '' : 's'}`);
    if (this.calendar) parts.push(`public holidays of ${calendarName(this.calendar)}`);
    return parts.length === 0 ? 'none' : parts.join(' + ');
  }

  private publicHolidays(year: number): ReadonlyMap<string, string> {
    if (!this.calendar) return EMPTY;
    let days = this.byYear.get(year);
    if (!days) {
      const map = new Map<string, string>();
      for (const h of this.dateHolidays().getHolidays(year)) {
        if (h.type !== 'public') continue;
        const date = h.date.slice(0, 10);
        // Two public holidays on one date (rare): keep both names.
        const existing = map.get(date);
        map.set(date, existing === undefined ? h.name : `${existing} / ${h.name}`);
      }
      days = map;
      this.byYear.set(year, days);
    }
    return days;
  }

  private dateHolidays(): DateHolidays {
    if (!this.instance) {
      const H = loadHolidays();
      const c = this.calendar;
      // English names for logs; date-holidays falls back to the local language where none exists.
      const opts = { languages: ['en'] };
      if (!c) this.instance = new H(opts);
      else if (c.state === undefined) this.instance = new H(c.country, opts);
      else if (c.region === undefined) this.instance = new H(c.country, c.state, opts);
      else this.instance = new H(c.country, c.state, c.region, opts);
    }
    return this.instance;
  }
}

const EMPTY: ReadonlyMap<string, string> = new Map();

function calendarName(c: CalendarSpec): string {
  return [c.country, c.state, c.region].filter((p) => p !== undefined).join('-');
}

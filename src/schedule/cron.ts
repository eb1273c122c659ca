import { parse as parseCronFields, validate as validateCron } from 'node-cron';
import { ConfigError } from '../errors.js';

/**
 * Next-fire computation for cron expressions, evaluated in UTC.
 *
 * Field *parsing* is node-cron's (`parse`): names (MON-SUN, JAN-DEC), `*`, lists, ranges,
 * wrapping ranges, steps, 7 = Sunday, an optional leading seconds field. So an expression that
 * node-cron's `validate` accepts expands to the same value sets here. *Matching* and the search
 * loop are ours, for two reasons:
 *  - node-cron's matcher ANDs day-of-month and day-of-week; we follow Vixie cron (and POSIX):
 *    when both fields are restricted, a day matches if EITHER matches (`0 9 1 * MON` = the 1st
 *    and every Monday). A field counts as unrestricted when it starts with `*` or is `?`, as in
 *    Vixie cron, so `*\/2` in day-of-month still leaves day-of-week in charge.
 *  - node-cron's next-run walks local time in a zone; ours is plain UTC arithmetic, which has no
 *    DST and so never skips or repeats a slot. Office hours are judged separately, in the zone.
 * node-cron's extensions (`L`, `W`, `5#2`, `5L`) are rejected: the OR rule above is not defined
 * for them and operators should not have to guess.
 */

export const CRON_SYNTAX =
  'use 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), evaluated in UTC, ' +
  'e.g. `*/10 * * * *` (every 10 minutes), `0 9 * * MON-FRI`, `0 */2 * * *`, `30 0 9 * * *`; ' +
  'names MON-SUN and JAN-DEC, lists, ranges and steps are accepted';

export interface CronSchedule {
  /** The expression as configured. */
  readonly expression: string;
  readonly seconds: readonly number[];
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  /** 1–12. */
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday. */
  readonly daysOfWeek: ReadonlySet<number>;
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

function cronError(expr: string, problem: string): ConfigError {
  return new ConfigError([`cron expression "${expr}": ${problem}`], CRON_SYNTAX);
}

function numbers(expr: string, field: string, values: readonly (number | string)[]): number[] {
  const out: number[] = [];
  for (const v of values) {
    if (typeof v !== 'number') {
      throw cronError(expr, `${field} uses "${v}", a node-cron extension marathon-monkey does not support`);
    }
    out.push(v);
  }
  return out;
}

function unrestricted(field: string): boolean {
  return field.startsWith('*') || field === '?';
}

/**
 * Validates and compiles an expression.
 * @throws ConfigError naming the bad field, with the accepted syntax as hint.
 */
export function parseCron(expression: string): CronSchedule {
  const expr = expression.trim();
  const fields = expr.split(/\s+/);
  if (expr === '' || (fields.length !== 5 && fields.length !== 6)) {
    throw cronError(expression, `has ${expr === '' ? 0 : fields.length} fields, expected 5 or 6`);
  }
  if (!validateCron(expr)) {
    let why = 'node-cron rejects it';
    try {
      parseCronFields(expr);
    } catch (err) {
      if (err instanceof Error) why = err.message;
    }
    throw cronError(expression, why);
  }
  const parsed = parseCronFields(expr);
  const offset = fields.length - 5;
  const schedule: CronSchedule = {
    expression,
    seconds: [...new Set(numbers(expr, 'second', parsed.second))].sort((a, b) => a - b),
    minutes: new Set(numbers(expr, 'minute', parsed.minute)),
    hours: new Set(numbers(expr, 'hour', parsed.hour)),
    daysOfMonth: new Set(numbers(expr, 'day-of-month', parsed.dayOfMonth)),
    months: new Set(numbers(expr, 'month', parsed.month)),
    daysOfWeek: new Set(numbers(expr, 'day-of-week', parsed.dayOfWeek).map((d) => d % 7)),
    domRestricted: !unrestricted(fields[offset + 2] ?? '*'),
    dowRestricted: !unrestricted(fields[offset + 4] ?? '*'),
  };
  // node-cron rejects `31 2` but accepts e.g. `30 2`; a schedule that never fires is a config error.
  if (searchNext(schedule, REFERENCE_START) === undefined) {
    throw cronError(expression, 'never fires (no date matches its day and month fields)');
  }
  return schedule;
}

/** 2000-01-01: any date pattern that can match at all matches within one 28-year calendar cycle after it. */
const REFERENCE_START = new Date(Date.UTC(2000, 0, 1));
/** 28 years repeat the Gregorian weekday/leap pattern (within 1901–2099), plus slack. */
const HORIZON_YEARS = 29;

function dayMatches(c: CronSchedule, year: number, month: number, day: number): boolean {
  const dom = c.daysOfMonth.has(day);
  const dow = c.daysOfWeek.has(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
  if (c.domRestricted && c.dowRestricted) return dom || dow;
  if (c.domRestricted) return dom;
  if (c.dowRestricted) return dow;
  return true;
}

/** True when `instant` (to the second) is a fire time of `schedule`. */
export function matchesCron(schedule: CronSchedule, instant: Date): boolean {
  const t = instant;
  return (
    t.getUTCMilliseconds() === 0 &&
    schedule.seconds.includes(t.getUTCSeconds()) &&
    schedule.minutes.has(t.getUTCMinutes()) &&
    schedule.hours.has(t.getUTCHours()) &&
    schedule.months.has(t.getUTCMonth() + 1) &&
    dayMatches(schedule, t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate())
  );
}

/**
 * Field-by-field search: when a field does not match, jump to the start of the next value of
 * that field (next month, next day, next hour, …) instead of stepping second by second.
 */
function searchNext(c: CronSchedule, after: Date): Date | undefined {
  let t = Math.floor(after.getTime() / 1000) * 1000 + 1000;
  const lastYear = new Date(t).getUTCFullYear() + HORIZON_YEARS;
  for (;;) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    if (year > lastYear) return undefined;
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    const hour = d.getUTCHours();
    const minute = d.getUTCMinutes();
    if (!c.months.has(month)) {
      t = Date.UTC(year, month, 1);
    } else if (!dayMatches(c, year, month, day)) {
      t = Date.UTC(year, month - 1, day + 1);
    } else if (!c.hours.has(hour)) {
      t = Date.UTC(year, month - 1, day, hour + 1);
    } else if (!c.minutes.has(minute)) {
      t = Date.UTC(year, month - 1, day, hour, minute + 1);
    } else {
      const second = d.getUTCSeconds();
      const next = c.seconds.find((s) => s >= second);
      if (next !== undefined) return new Date(Date.UTC(year, month - 1, day, hour, minute, next));
      t = Date.UTC(year, month - 1, day, hour, minute + 1);
    }
  }
}

function compiled(expr: string | CronSchedule): CronSchedule {
  return typeof expr === 'string' ? parseCron(expr) : expr;
}

/**
 * The first fire time strictly after `after`, in UTC.
 * @throws ConfigError for an invalid expression.
 */
export function nextFire(expr: string | CronSchedule, after: Date): Date {
  const c = compiled(expr);
  const next = searchNext(c, after);
  if (!next) throw cronError(c.expression, `does not fire within ${HORIZON_YEARS} years after ${after.toISOString()}`);
  return next;
}

/** The next `n` fire times strictly after `after` — for /status "next scheduled cycles". */
export function upcoming(expr: string | CronSchedule, after: Date, n: number): Date[] {
  const c = compiled(expr);
  const out: Date[] = [];
  let cursor = after;
  for (let i = 0; i < n; i++) {
    cursor = nextFire(c, cursor);
    out.push(cursor);
  }
  return out;
}

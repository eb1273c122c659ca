import { ConfigError } from '../errors.js';

/**
 * Office hours: the human side of the schedule. Cron decides *when a cycle fires* (in UTC);
 * this module decides whether that instant is inside the windows people wrote down, judged on
 * the wall clock of the configured IANA zone. Everything here is pure; the only outside input
 * is the ICU time-zone data behind Intl.
 *
 * Windows are wall-clock windows. On a spring-forward day a window that covers the skipped hour
 * is an hour shorter in real time, on a fall-back day one that covers the repeated hour is an
 * hour longer, and a window that starts inside the gap (02:30 in Berlin on 2026-03-29) opens at
 * the first instant whose wall time is past its start (03:00 local). That is what a person
 * reading "09:00-17:00" means, and it is why we do not convert windows to UTC offsets once.
 */

/** 0 = Sunday … 6 = Saturday, as Date#getUTCDay and cron count them. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface OfficeWindow {
  /** The days the window *starts* on. */
  readonly days: readonly Weekday[];
  /** Minutes after local midnight, inclusive. */
  readonly startMinute: number;
  /**
   * Minutes after local midnight, exclusive; 1440 means end of day. When it is not greater than
   * `startMinute` the window crosses midnight and ends on the following day.
   */
  readonly endMinute: number;
}

export type OfficeHours =
  | { readonly kind: 'always' }
  | { readonly kind: 'windows'; readonly windows: readonly OfficeWindow[] };

export interface LocalTime {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** 1–31. */
  readonly day: number;
  readonly weekday: Weekday;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** The local date as `YYYY-MM-DD`. */
  readonly dateString: string;
}

export const OFFICE_HOURS_SYNTAX =
  'use `always`, or one or more windows separated by commas: `Mon-Fri 09:00-17:00`, ' +
  '`Mon-Thu 09:00-17:00, Fri 09:00-12:00`, `Mon,Wed,Fri 09:00-17:00`, `Sat 10:00-12:00`, ' +
  '`Fri 22:00-02:00` (crosses midnight: ends Saturday 02:00); days are Mon Tue Wed Thu Fri Sat Sun, ' +
  'times are 24-hour HH:MM (24:00 = end of day)';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const DAY_LOOKUP = new Map<string, Weekday>([
  ['sun', 0], ['sunday', 0],
  ['mon', 1], ['monday', 1],
  ['tue', 2], ['tues', 2], ['tuesday', 2],
  ['wed', 3], ['wednesday', 3],
  ['thu', 4], ['thur', 4], ['thurs', 4], ['thursday', 4],
  ['fri', 5], ['friday', 5],
  ['sat', 6], ['saturday', 6],
]);
/** Monday-first order, the way people write weeks; used for describing windows. */
const WEEK_ORDER: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 0];
const MINUTES_PER_DAY = 24 * 60;

function officeHoursError(spec: string, problem: string): ConfigError {
  return new ConfigError([`office hours "${spec}": ${problem}`], OFFICE_HOURS_SYNTAX);
}

function parseDay(token: string, spec: string): Weekday {
  const day = DAY_LOOKUP.get(token.trim().toLowerCase());
  if (day === undefined) {
    throw officeHoursError(spec, `"${token.trim()}" is not a day (expected Mon, Tue, Wed, Thu, Fri, Sat or Sun)`);
  }
  return day;
}

function parseDays(text: string, spec: string): Weekday[] {
  const days = new Set<Weekday>();
  for (const item of text.split(',')) {
    if (item.trim() === '') throw officeHoursError(spec, `empty day in "${text}"`);
    const range = item.split('-');
    if (range.length === 1) {
      days.add(parseDay(item, spec));
    } else if (range.length === 2) {
      const from = parseDay(range[0] ?? '', spec);
      const to = parseDay(range[1] ?? '', spec);
      // A range may wrap the weekend (`Fri-Mon`): walk forward from `from` until `to`.
      for (let d = from; ; d = ((d + 1) % 7) as Weekday) {
        days.add(d);
        if (d === to) break;
      }
    } else {
      throw officeHoursError(spec, `"${item.trim()}" is not a day or a day range like Mon-Fri`);
    }
  }
  return WEEK_ORDER.filter((d) => days.has(d));
}

function parseClock(text: string, spec: string, allowEndOfDay: boolean): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (m) {
    const hour = Number(m[1]);
    const minute = Number(m[2]);
    if (hour === 24 && minute === 0 && allowEndOfDay) return MINUTES_PER_DAY;
    if (hour <= 23 && minute <= 59) return hour * 60 + minute;
  }
  throw officeHoursError(
    spec,
    `"${text}" is not a time of day (expected HH:MM between 00:00 and 23:59${allowEndOfDay ? ', or 24:00 as an end' : ''})`,
  );
}

const WINDOW_RE = /^(?<days>\S(?:.*\S)?)\s+(?<start>\S+?)\s*-\s*(?<end>\S+)$/;

function parseWindow(text: string, spec: string): OfficeWindow {
  const m = WINDOW_RE.exec(text.trim());
  const groups = m?.groups;
  if (!groups?.['days'] || !groups['start'] || !groups['end']) {
    throw officeHoursError(spec, `"${text.trim()}" is not a window like "Mon-Fri 09:00-17:00"`);
  }
  const days = parseDays(groups['days'].replace(/\s+/g, ''), spec);
  const startMinute = parseClock(groups['start'], spec, false);
  const endMinute = parseClock(groups['end'], spec, true);
  if (startMinute === endMinute) {
    throw officeHoursError(
      spec,
      `"${text.trim()}" starts and ends at the same time; write 00:00-24:00 for a whole day`,
    );
  }
  return { days, startMinute, endMinute };
}

/**
 * Parses `always` or comma-separated windows. Commas also separate days in a day list, so a new
 * window starts only after a comma that follows a time (`…17:00, Fri …`).
 * @throws ConfigError naming the part that could not be read, with the accepted syntax as hint.
 */
export function parseOfficeHours(spec: string): OfficeHours {
  const trimmed = spec.trim();
  if (trimmed === '') throw officeHoursError(spec, 'is empty');
  if (/^always$/i.test(trimmed)) return { kind: 'always' };
  const parts = trimmed.split(/(?<=\d:\d\d)\s*[,;]\s*/);
  const windows = parts.map((part) => {
    if (part.trim() === '') throw officeHoursError(spec, 'has an empty window (a stray comma?)');
    return parseWindow(part, spec);
  });
  return { kind: 'windows', windows };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building an Intl.DateTimeFormat costs far more than using one. */
function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** @throws ConfigError when `tz` is not an IANA zone this Node's ICU knows. */
export function validateTimeZone(tz: string): void {
  if (tz.trim() === '') {
    throw new ConfigError(['time zone is empty'], 'set an IANA zone such as Europe/Berlin, America/New_York or UTC');
  }
  if (tz === 'UTC') return;
  try {
    formatterFor(tz);
  } catch {
    throw new ConfigError(
      [`time zone "${tz}" is not a known IANA zone`],
      'use a name from the tz database such as Europe/Berlin, America/New_York or UTC ' +
        '(`node -p "Intl.supportedValuesOf(\'timeZone\').join(\'\\n\')"` lists them)',
    );
  }
}

/** The wall-clock reading of `instant` in `tz`. */
export function localTime(instant: Date, tz: string): LocalTime {
  if (tz === 'UTC') return utcTime(instant);
  const fields: Record<string, number> = {};
  for (const part of formatterFor(tz).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const year = fields['year'] ?? NaN;
  const month = fields['month'] ?? NaN;
  const day = fields['day'] ?? NaN;
  // The weekday of a calendar date does not depend on the zone, so compute it from the date.
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay() as Weekday;
  return {
    year,
    month,
    day,
    weekday,
    hour: fields['hour'] ?? NaN,
    minute: fields['minute'] ?? NaN,
    second: fields['second'] ?? NaN,
    dateString: `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`,
  };
}

/**
 * UTC, the default zone, needs no ICU: the first Intl.DateTimeFormat of a process maps in ~8 MB of
 * ICU locale and zone data (measured with Node 20), a fifth of a bare `node`. Same fields as the
 * formatter gives for 'UTC' (test/schedule/utc-time.test.ts compares them).
 */
function utcTime(instant: Date): LocalTime {
  const year = instant.getUTCFullYear();
  const month = instant.getUTCMonth() + 1;
  const day = instant.getUTCDate();
  return {
    year,
    month,
    day,
    weekday: instant.getUTCDay() as Weekday,
    hour: instant.getUTCHours(),
    minute: instant.getUTCMinutes(),
    second: instant.getUTCSeconds(),
    dateString: `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`,
  };
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** True when the window covers the local weekday and minute of the day. */
function windowCovers(w: OfficeWindow, weekday: Weekday, minuteOfDay: number): boolean {
  if (w.endMinute > w.startMinute) {
    return w.days.includes(weekday) && minuteOfDay >= w.startMinute && minuteOfDay < w.endMinute;
  }
  // Crosses midnight: the evening part belongs to the start day, the early morning to the day after.
  if (w.days.includes(weekday) && minuteOfDay >= w.startMinute) return true;
  const previous = ((weekday + 6) % 7) as Weekday;
  return w.days.includes(previous) && minuteOfDay < w.endMinute;
}

export function isInOfficeHours(instant: Date, officeHours: OfficeHours, tz: string): boolean {
  if (officeHours.kind === 'always') return true;
  const t = localTime(instant, tz);
  const minuteOfDay = t.hour * 60 + t.minute;
  return officeHours.windows.some((w) => windowCovers(w, t.weekday, minuteOfDay));
}

function describeDays(days: readonly Weekday[]): string {
  if (days.length === 7) return 'Mon-Sun';
  const has = (d: number): boolean => days.includes(((d + 7) % 7) as Weekday);
  // Walk the week circularly from the first day (Monday-first) that begins a run, so that
  // `Fri-Mon` is described as one run rather than `Mon,Fri-Sun`.
  const startIndex = WEEK_ORDER.findIndex((d) => has(d) && !has(d - 1));
  const runs: Weekday[][] = [];
  let previous: Weekday | undefined;
  for (let i = 0; i < 7; i++) {
    const d = WEEK_ORDER[(startIndex + i) % 7] as Weekday;
    if (!has(d)) continue;
    const run = runs[runs.length - 1];
    if (run && previous !== undefined && (previous + 1) % 7 === d) run.push(d);
    else runs.push([d]);
    previous = d;
  }
  return runs
    .map((run) => {
      const first = DAY_NAMES[run[0] ?? 0];
      const last = DAY_NAMES[run[run.length - 1] ?? 0];
      if (run.length === 1) return first;
      if (run.length === 2) return `${first},${last}`;
      return `${first}-${last}`;
    })
    .join(',');
}

function describeClock(minutes: number): string {
  return `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

/** A canonical, human-readable form for logs and /status, e.g. `Mon-Fri 09:00-17:00 (Europe/Berlin)`. */
export function describeOfficeHours(officeHours: OfficeHours, tz?: string): string {
  const zone = tz === undefined ? '' : ` (${tz})`;
  if (officeHours.kind === 'always') return `always${zone}`;
  const text = officeHours.windows
    .map((w) => {
      const crosses = w.endMinute <= w.startMinute ? ' next day' : '';
      return `${describeDays(w.days)} ${describeClock(w.startMinute)}-${describeClock(w.endMinute)}${crosses}`;
    })
    .join(', ');
  return `${text}${zone}`;
}

/** `Fri 2026-03-27 18:30` — how a local reading is shown in reasons and logs. */
export function describeLocalTime(t: LocalTime): string {
  return `${DAY_NAMES[t.weekday]} ${t.dateString} ${pad2(t.hour)}:${pad2(t.minute)}`;
}

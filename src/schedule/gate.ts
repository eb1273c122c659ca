import { describeLocalTime, describeOfficeHours, isInOfficeHours, localTime } from './office-hours.js';
import type { Holiday } from './holidays.js';
import { compileSchedule, type CompiledSchedule, type ScheduleSettings } from './settings.js';

/**
 * The schedule gate: the cheap check a cycle makes first (chaoskube's order: office hours, then
 * days of the year). Pure apart from the time-zone data; a "no" always says why, so the daemon
 * can journal it and /status can show it.
 */

export type ScheduleReason = 'outside-office-hours' | 'holiday';

export type ScheduleJudgement =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'outside-office-hours'; readonly detail: string }
  | { readonly ok: false; readonly reason: 'holiday'; readonly detail: string; readonly holiday: Holiday };

const compiledCache = new WeakMap<ScheduleSettings, CompiledSchedule>();

function isCompiled(s: CompiledSchedule | ScheduleSettings): s is CompiledSchedule {
  return typeof s.cron !== 'string';
}

function compiled(schedule: CompiledSchedule | ScheduleSettings): CompiledSchedule {
  if (isCompiled(schedule)) return schedule;
  const settings = schedule;
  let c = compiledCache.get(settings);
  if (!c) {
    c = compileSchedule(settings);
    compiledCache.set(settings, c);
  }
  return c;
}

/**
 * May a cycle run at `instant`? Office hours are checked first: at 03:00 on Christmas Day the
 * useful answer is "outside office hours", during office hours on Christmas Day it is "holiday".
 * Pass the CompiledSchedule from start-up; raw settings are compiled (and cached) on first use.
 */
export function judgeSchedule(instant: Date, schedule: CompiledSchedule | ScheduleSettings): ScheduleJudgement {
  const s = compiled(schedule);
  if (!isInOfficeHours(instant, s.officeHours, s.timezone)) {
    const local = describeLocalTime(localTime(instant, s.timezone));
    return {
      ok: false,
      reason: 'outside-office-hours',
      detail: `${local} in ${s.timezone} is outside office hours ${describeOfficeHours(s.officeHours)}`,
    };
  }
  const holiday = s.holidays.holidayOn(instant, s.timezone);
  if (holiday) {
    return {
      ok: false,
      reason: 'holiday',
      detail: `${holiday.date} is a holiday in ${s.timezone}: ${holiday.name}`,
      holiday,
    };
  }
  return { ok: true };
}

/**
 * The gate for a slot the Scheduler handed over: judged at the instant the cycle actually
 * starts (after jitter, or late after a pause), not at the cron slot, so a jittered start that
 * slips past the end of office hours is refused.
 */
export function judgeSlot(slot: { readonly startedAt: Date }, schedule: CompiledSchedule | ScheduleSettings): ScheduleJudgement {
  return judgeSchedule(slot.startedAt, schedule);
}

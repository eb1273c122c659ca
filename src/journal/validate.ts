/**
 * Shape checks for journal records as they are read back. A record that would make the state
 * fold throw (`"victims":[null]`) or silently mean something else is skipped with a warning
 * naming its line, like a torn line: one bad line must never stop the daemon from starting, and
 * must never be half-applied.
 *
 * Only the fields the state fold reads are checked; the rest of a record is audit text.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isInstant = (v: unknown): boolean => isString(v) && !Number.isNaN(Date.parse(v));

function arrayOf(v: unknown, field: string, item: (x: unknown) => string | null): string | null {
  if (v === undefined) return null;
  if (!Array.isArray(v)) return `${field} is not an array`;
  for (let i = 0; i < v.length; i++) {
    const problem = item(v[i]);
    if (problem !== null) return `${field}[${i}] ${problem}`;
  }
  return null;
}

const appTask = (x: unknown): string | null => {
  if (!isObject(x)) return 'is not an object';
  if (!isString(x.appId)) return 'has no string appId';
  if (!isString(x.taskId)) return 'has no string taskId';
  return null;
};
const appOnly = (x: unknown): string | null => (isObject(x) && isString(x.appId) ? null : 'has no string appId');
const stringItem = (x: unknown): string | null => (isString(x) ? null : 'is not a string');

function first(...problems: (string | null)[]): string | null {
  for (const p of problems) if (p !== null) return p;
  return null;
}

function cycleProblem(r: Json): string | null {
  return first(
    isString(r.cycleId) ? null : 'cycle has no string cycleId',
    isInstant(r.time) ? null : 'cycle has no valid time',
    r.killedAt === undefined || r.killedAt === null || isInstant(r.killedAt) ? null : 'cycle killedAt is not an instant',
    arrayOf(r.victims, 'victims', appTask),
    arrayOf(r.weaknesses, 'weaknesses', appOnly),
    arrayOf(r.quarantineLifted, 'quarantineLifted', appOnly),
    r.killResponse === undefined || r.killResponse === null
      ? null
      : isObject(r.killResponse)
        ? arrayOf(r.killResponse.matched, 'killResponse.matched', stringItem)
        : 'killResponse is not an object',
    r.halted === undefined || typeof r.halted === 'boolean' ? null : 'halted is not a boolean',
  );
}

const KILL_ANSWERS = new Set(['answered', 'rejected', 'uncertain', 'withdrawn']);

/** Why a parsed journal line cannot be folded into the state, or null when it can. */
export function recordProblem(value: unknown): string | null {
  if (!isObject(value)) return 'not a JSON object';
  if (!isString(value.type)) return 'no string "type"';
  switch (value.type) {
    case 'cycle':
      return cycleProblem(value);
    case 'kill-intent':
      return first(
        isString(value.cycleId) ? null : 'kill-intent has no string cycleId',
        isInstant(value.time) ? null : 'kill-intent has no valid time',
        Array.isArray(value.victims) ? arrayOf(value.victims, 'victims', appTask) : 'kill-intent has no victims array',
      );
    case 'kill-answer':
      return first(
        isString(value.cycleId) ? null : 'kill-answer has no string cycleId',
        isInstant(value.time) ? null : 'kill-answer has no valid time',
        KILL_ANSWERS.has(value.outcome as string) ? null : `kill-answer outcome is not one of ${[...KILL_ANSWERS].join(', ')}`,
        arrayOf(value.killedAppIds, 'killedAppIds', stringItem),
      );
    case 'halt':
    case 'pause':
      return isInstant(value.time) ? null : `${value.type} has no valid time`;
    case 'resume':
      return first(isInstant(value.time) ? null : 'resume has no valid time', arrayOf(value.unquarantine, 'unquarantine', stringItem));
    default:
      return null;
  }
}

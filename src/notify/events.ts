/**
 * What the monkey tells the outside world: a cycle record, a pause or a resume turned into
 * notification events (pure). The event shape is public interface (README "Notifications"): a
 * receiver's filters and dashboards are written against it, so fields are only ever added.
 */
import { killMayHaveHappened, type CycleRecord } from '../domain/record.js';

export type NotifyEventType = 'kill' | 'dry-run-kill' | 'recovery' | 'weakness' | 'halt' | 'pause' | 'resume';

export const NOTIFY_EVENT_TYPES: readonly NotifyEventType[] = ['kill', 'dry-run-kill', 'recovery', 'weakness', 'halt', 'pause', 'resume'];

/** What each type's `outcome` is: one value per type, so a receiver can switch on either. */
export type NotifyOutcome = 'killed' | 'unverified' | 'dry-run' | 'recovered' | 'weakness' | 'halted' | 'paused' | 'resumed';

export interface NotifyVictim {
  appId: string;
  taskId: string;
  host: string;
  rack: string | null;
}

export interface NotifyEvent {
  type: NotifyEventType;
  /** ISO instant: the kill answer, the end of the recovery watch, the pause or resume. */
  time: string;
  /** The cycle the event belongs to; null for pause and resume. */
  cycleId: string | null;
  /** The apps concerned (sorted); empty for a pause or resume that cleared no halt. */
  apps: string[];
  victims: NotifyVictim[];
  outcome: NotifyOutcome;
  /** Recovery only: from the kill answer to the first read that showed the app back. */
  timeToRecoverMs: number | null;
  /** A reason code: the weakness's reason (weakness, halt), the cleared halt's (resume); else null. */
  reason: string | null;
  /** One human sentence. */
  detail: string;
  monkey: { version: string; seed: string };
}

export interface CycleEventOptions {
  version: string;
  /** Turn dry-run (and plan) cycles into `dry-run-kill` events; off: they notify nothing. */
  includeDryRun: boolean;
  /** The kill was announced when Marathon answered it (killEvent): the record does not repeat it. */
  killAnnounced?: boolean;
}

/** A kill the moment Marathon answered it (or the request may have reached it). */
export function killEvent(
  kill: { cycleId: string; time: string; uncertain: boolean; victims: readonly NotifyVictim[] },
  monkey: { version: string; seed: string },
  target = '',
): NotifyEvent {
  const victims = kill.victims.map((v) => ({ appId: v.appId, taskId: v.taskId, host: v.host, rack: v.rack }));
  const apps = [...new Set(victims.map((v) => v.appId))].sort();
  const n = tasks(victims.length);
  return ordered({
    type: 'kill',
    time: kill.time,
    cycleId: kill.cycleId,
    apps,
    victims,
    outcome: kill.uncertain ? 'unverified' : 'killed',
    timeToRecoverMs: null,
    reason: null,
    detail: kill.uncertain
      ? `the request to kill ${n} of ${apps.join(', ')} got no usable answer and may have reached Marathon${target}`
      : `killed ${n} of ${apps.join(', ')}${target}`,
    monkey,
  });
}

/**
 * The events of one finished cycle, in the order things happened: the kill (or the would-be kill),
 * each app's recovery, each weakness, then the halt it caused. Skipped, empty and failed cycles
 * that killed nothing give none.
 */
export function cycleEvents(record: CycleRecord, o: CycleEventOptions): NotifyEvent[] {
  const base = { cycleId: record.cycleId, monkey: { version: o.version, seed: record.seed }, timeToRecoverMs: null, reason: null };
  const victims = record.victims.map((v) => ({ appId: v.appId, taskId: v.taskId, host: v.host, rack: v.rack }));
  const appsOf = (vs: readonly NotifyVictim[]): string[] => [...new Set(vs.map((v) => v.appId))].sort();
  const target = record.target === null ? '' : ` (strategy ${record.strategy}, ${record.target.kind} ${record.target.value})`;
  const end = endOf(record);

  if (record.dryRun || record.plan || record.outcome === 'dry-run') {
    if (!o.includeDryRun || victims.length === 0) return [];
    return [
      ordered({
        ...base,
        type: 'dry-run-kill',
        time: record.time,
        apps: appsOf(victims),
        victims,
        outcome: 'dry-run',
        detail: `dry run: would have killed ${tasks(victims.length)} of ${appsOf(victims).join(', ')}${target}; nothing was killed`,
      }),
    ];
  }

  const events: NotifyEvent[] = [];
  // The same rule as the kill counter: an answered kill, or one that may have reached Marathon.
  const uncertain = record.killStatus === 'uncertain';
  if (killMayHaveHappened(record) && victims.length > 0 && o.killAnnounced !== true) {
    const unmatched = new Set(record.killResponse?.unmatched ?? []);
    const killed = victims.filter((v) => !unmatched.has(v.taskId));
    if (killed.length > 0) {
      events.push(killEvent({ cycleId: record.cycleId, time: record.killedAt ?? record.time, uncertain, victims: killed }, base.monkey, target));
    }
  }
  for (const [appId, after] of Object.entries(record.after).sort(([a], [b]) => a.localeCompare(b))) {
    if (!after.recovered) continue;
    const ttr = typeof after.timeToRecoverMs === 'number' && Number.isFinite(after.timeToRecoverMs) ? Math.max(0, after.timeToRecoverMs) : null;
    const killedAt = record.killedAt === null ? NaN : Date.parse(record.killedAt);
    events.push({
      ...base,
      type: 'recovery',
      time: ttr !== null && Number.isFinite(killedAt) ? new Date(killedAt + ttr).toISOString() : end,
      apps: [appId],
      victims: victims.filter((v) => v.appId === appId),
      outcome: 'recovered',
      timeToRecoverMs: ttr,
      detail: ttr === null ? `${appId} is back in steady state` : `${appId} was back in steady state ${seconds(ttr)} after the kill`,
    });
  }
  for (const w of record.weaknesses) {
    events.push({
      ...base,
      type: 'weakness',
      time: end,
      apps: [w.appId],
      victims: victims.filter((v) => v.appId === w.appId),
      outcome: 'weakness',
      reason: w.reason,
      detail: `${w.appId} did not return to steady state: ${w.detail}`,
    });
  }
  if (record.halted === true) {
    const apps = [...new Set(record.weaknesses.map((w) => w.appId))].sort();
    events.push({
      ...base,
      type: 'halt',
      time: end,
      apps,
      victims: victims.filter((v) => apps.includes(v.appId)),
      outcome: 'halted',
      reason: record.weaknesses[0]?.reason ?? 'weakness',
      detail: `chaos halted: a weakness in ${apps.join(', ') || 'an app'}; no cycle acts until POST /resume`,
    });
  }
  return events.map(ordered);
}

/** A pause or resume that changed something (the daemon's control event, structurally). */
export interface ControlChange {
  type: 'pause' | 'resume';
  /** ISO instant. */
  at: string;
  by: string;
  reason: string;
  clearedHalt: { appId: string; reason: string; cycleId?: string } | null;
}

export function controlEvent(e: ControlChange, monkey: { version: string; seed: string }): NotifyEvent {
  const why = e.reason === '' ? '' : `: ${e.reason}`;
  const cleared = e.type === 'resume' ? e.clearedHalt : null;
  // The halt names its apps joined by ", " (several weaknesses in one cycle).
  const apps = cleared === null ? [] : cleared.appId.split(', ').filter((a) => a !== '').sort();
  return ordered({
    type: e.type,
    time: e.at,
    cycleId: cleared?.cycleId ?? null,
    apps,
    victims: [],
    outcome: e.type === 'pause' ? 'paused' : 'resumed',
    timeToRecoverMs: null,
    reason: cleared?.reason ?? null,
    detail:
      e.type === 'pause'
        ? `chaos paused by ${e.by}${why}`
        : `chaos resumed by ${e.by}${why}${cleared === null ? '' : `; cleared the halt caused by a weakness in ${cleared.appId}`}`,
    monkey: { ...monkey },
  });
}

/** The documented field order, whatever order an event was built in: the JSON reads the same every time. */
function ordered(e: NotifyEvent): NotifyEvent {
  return {
    type: e.type,
    time: e.time,
    cycleId: e.cycleId,
    apps: e.apps,
    victims: e.victims,
    outcome: e.outcome,
    timeToRecoverMs: e.timeToRecoverMs,
    reason: e.reason,
    detail: e.detail,
    monkey: e.monkey,
  };
}

/** When the cycle ended: its start plus its duration. */
function endOf(record: CycleRecord): string {
  const start = Date.parse(record.time);
  const total = record.durationsMs.total;
  return Number.isFinite(start) && Number.isFinite(total) ? new Date(start + Math.max(0, total)).toISOString() : record.time;
}

function tasks(n: number): string {
  return n === 1 ? '1 task' : `${n} tasks`;
}

/** 42000 → "42 s", 1500 → "1.5 s", 125000 → "2 min 5 s". */
export function seconds(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

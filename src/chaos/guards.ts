import picomatch from 'picomatch';
import type { MarathonApp, MarathonTask } from '../domain/marathon.js';
import { echoLabelValue, enabledLabel, parseAppLabels } from './labels.js';
import type { ChaosMemory } from '../domain/memory.js';
import type { ServiceProber } from '../domain/ports.js';
import { REASONS, type Skip } from '../domain/reasons.js';
import { LABEL_ENABLED, LABEL_FRAMEWORK, type ChaosSettings } from './settings.js';
import { healthyCount, judgeSteadyState, type Verdict } from './steady-state.js';

/** Everything a guard may look at besides the app: pure inputs, no I/O. */
export interface GuardContext {
  readonly settings: ChaosSettings;
  readonly memory: ChaosMemory;
  readonly now: number;
  readonly include: ((id: string) => boolean) | null;
  readonly exclude: ((id: string) => boolean) | null;
  /** Judges the values of the monkey.probe.* labels (no I/O); absent: probes are off. */
  readonly probes?: Pick<ServiceProber, 'declared'> | undefined;
}

export function guardContext(settings: ChaosSettings, memory: ChaosMemory, now: number, probes?: Pick<ServiceProber, 'declared'>): GuardContext {
  return {
    settings,
    memory,
    now,
    include: settings.include.length > 0 ? picomatch([...settings.include]) : null,
    exclude: settings.exclude.length > 0 ? picomatch([...settings.exclude]) : null,
    ...(probes === undefined ? {} : { probes }),
  };
}

export interface AppGuard {
  /** Stable name shown by `explain`. */
  readonly name: string;
  /** One line: what passes. */
  readonly doc: string;
  readonly check: (app: MarathonApp, ctx: GuardContext) => Verdict;
}

const OK: Verdict = Object.freeze({ ok: true });
const no = (reason: Verdict & { ok: false }): Verdict => reason;

/** The app's healthy floor (label overrides setting); undefined when the label is bad. */
export function floorOf(app: MarathonApp, settings: ChaosSettings): number | undefined {
  const parsed = parseAppLabels(app);
  if (!parsed.ok) return undefined;
  return parsed.labels.minHealthy ?? settings.minHealthy;
}

/** Recovery deadline for the app in ms (label overrides setting). */
export function recoveryTimeoutMsOf(app: MarathonApp, settings: ChaosSettings): number {
  const parsed = parseAppLabels(app);
  const seconds = parsed.ok ? (parsed.labels.recoveryTimeoutSeconds ?? settings.recoveryTimeoutSeconds) : settings.recoveryTimeoutSeconds;
  return seconds * 1000;
}

function hasPersistentVolumes(app: MarathonApp): boolean {
  return app.volumes.some((v) => v.persistent != null || v.external != null) || app.tasks.some((t) => t.localVolumes.length > 0);
}

/**
 * The flat, ordered list of app-level guards. An app must pass every one to be a candidate; the
 * first failure is the reason recorded for it. Cheap configuration checks come first, then the
 * journal, then the app's live state, then the blast radius.
 */
export const APP_GUARDS: readonly AppGuard[] = [
  {
    name: 'opt-out',
    doc: `label ${LABEL_ENABLED}=false (or no/off/0) always excludes the app; a value that is not a boolean excludes it too`,
    check: (app) => {
      // A value that is neither true nor false may have been meant as an opt-out: never a victim.
      const e = enabledLabel(app);
      if (!e.ok) return no({ ok: false, reason: REASONS.badLabel, detail: e.detail });
      return e.enabled === false ? no({ ok: false, reason: REASONS.optedOut, detail: `label ${LABEL_ENABLED}=false` }) : OK;
    },
  },
  {
    name: 'opt-in',
    doc: `with optIn, only apps labelled ${LABEL_ENABLED}=true`,
    check: (app, { settings }) => {
      if (!settings.optIn) return OK;
      const e = enabledLabel(app);
      return e.ok && e.enabled === true
        ? OK
        : no({ ok: false, reason: REASONS.notOptedIn, detail: `optIn is on and the app has no label ${LABEL_ENABLED}=true` });
    },
  },
  {
    name: 'include',
    doc: 'the app id matches an include glob (when any are configured)',
    check: (app, { include, settings }) =>
      include && !include(app.id)
        ? no({ ok: false, reason: REASONS.notIncluded, detail: `matches none of include ${settings.include.join(', ')}` })
        : OK,
  },
  {
    name: 'exclude',
    doc: 'the app id matches no exclude glob',
    check: (app, { exclude, settings }) => {
      if (!exclude?.(app.id)) return OK;
      const glob = settings.exclude.find((g) => picomatch.isMatch(app.id, g)) ?? settings.exclude.join(', ');
      return no({ ok: false, reason: REASONS.excluded, detail: `matches exclude ${glob}` });
    },
  },
  {
    name: 'self',
    doc: 'the app is not marathon-monkey itself',
    check: (app, { settings }) =>
      settings.selfAppId !== '' && app.id === settings.selfAppId
        ? no({ ok: false, reason: REASONS.self, detail: 'this is the monkey’s own app (MARATHON_APP_ID)' })
        : OK,
  },
  {
    name: 'framework',
    doc: `not a DC/OS framework (label ${LABEL_FRAMEWORK}) unless allowFrameworks`,
    check: (app, { settings }) => {
      const name = app.labels[LABEL_FRAMEWORK];
      return !settings.allowFrameworks && name !== undefined && name !== ''
        ? no({ ok: false, reason: REASONS.framework, detail: `framework ${echoLabelValue(name)}; set allowFrameworks to include it` })
        : OK;
    },
  },
  {
    name: 'persistent-volumes',
    doc: 'no persistent, external or local volumes unless allowPersistentVolumes',
    check: (app, { settings }) =>
      !settings.allowPersistentVolumes && hasPersistentVolumes(app)
        ? no({ ok: false, reason: REASONS.persistentVolumes, detail: 'stateful app; set allowPersistentVolumes to include it' })
        : OK,
  },
  {
    name: 'labels',
    doc: 'the monkey.* labels on the app are valid (monkey.probe.* included)',
    check: (app, { probes }) => {
      const parsed = parseAppLabels(app);
      if (!parsed.ok) return no({ ok: false, reason: REASONS.badLabel, detail: parsed.detail });
      // A probe that cannot be read must not let the app be killed unwatched: fail closed.
      const declared = probes?.declared(app);
      return declared?.kind === 'bad-label' ? no({ ok: false, reason: REASONS.badLabel, detail: declared.detail }) : OK;
    },
  },
  {
    name: 'quarantine',
    doc: 'the app is not quarantined by an earlier weakness',
    check: (app, { memory }) => {
      const q = memory.quarantined.get(app.id);
      return q
        ? no({ ok: false, reason: REASONS.quarantined, detail: `did not recover in cycle ${q.cycleId} (${q.since}): ${q.detail}` })
        : OK;
    },
  },
  {
    name: 'min-kill-interval',
    doc: 'the last kill of this app is at least minKillIntervalMinutes old',
    check: (app, { memory, now, settings }) => {
      const last = memory.lastKillAt.get(app.id);
      if (last === undefined) return OK;
      const waitMs = last + settings.minKillIntervalMinutes * 60_000 - now;
      return waitMs > 0
        ? no({
            ok: false,
            reason: REASONS.recentlyKilled,
            detail: `last kill ${new Date(last).toISOString()}, next allowed in ${Math.ceil(waitMs / 60_000)} min`,
          })
        : OK;
    },
  },
  {
    name: 'has-tasks',
    doc: 'the app has instances and tasks',
    check: (app) =>
      app.instances === 0 || app.tasks.length === 0
        ? no({ ok: false, reason: REASONS.noTasks, detail: `${app.instances} instances, ${app.tasks.length} tasks` })
        : OK,
  },
  {
    name: 'steady-state',
    doc: 'no deployment, fully running, healthy, no recent task failure',
    check: (app, { now, settings }) => judgeSteadyState(app, now, settings),
  },
  {
    name: 'min-healthy',
    doc: 'at least one task can die while the app keeps its healthy floor',
    check: (app, { settings }) => {
      const floor = floorOf(app, settings) ?? Number.POSITIVE_INFINITY;
      const healthy = healthyCount(app);
      return healthy - floor < 1
        ? no({ ok: false, reason: REASONS.belowMinHealthy, detail: `${healthy} healthy, floor ${floor}` })
        : OK;
    },
  },
];

/** Task-level rule: running, and old enough. Returns the victims-to-be, sorted by id. */
export function eligibleTasks(app: MarathonApp, ctx: Pick<GuardContext, 'now' | 'settings'>): { tasks: MarathonTask[]; verdict: Verdict } {
  const minAgeMs = ctx.settings.minTaskAgeSeconds * 1000;
  const tasks: MarathonTask[] = [];
  let running = 0;
  const latestStart = ctx.now - minAgeMs;
  // Marathon's timestamps are `YYYY-MM-DDTHH:mm:ss.sssZ`, which order like the instants they name:
  // comparing strings spares a Date.parse per task on clusters with tens of thousands of tasks.
  const latestIso = minAgeMs > 0 ? new Date(latestStart).toISOString() : '';
  for (const t of app.tasks) {
    if (t.state !== 'TASK_RUNNING') continue;
    running++;
    if (minAgeMs > 0) {
      const at = t.startedAt ?? t.stagedAt ?? '';
      if (at.length === 24 && at.charCodeAt(23) === 90 /* Z */ && latestIso.length === 24) {
        if (at > latestIso) continue;
      } else {
        const started = Date.parse(at);
        // A task with no readable start time counts as young: its age is unknown.
        if (Number.isNaN(started) || started > latestStart) continue;
      }
    }
    tasks.push(t);
  }
  if (running === 0) {
    return { tasks, verdict: { ok: false, reason: REASONS.noTasks, detail: 'no task in TASK_RUNNING' } };
  }
  if (tasks.length === 0) {
    return {
      tasks,
      verdict: { ok: false, reason: REASONS.tooYoung, detail: `all ${running} running tasks started less than ${ctx.settings.minTaskAgeSeconds}s ago` },
    };
  }
  tasks.sort(byId);
  return { tasks, verdict: OK };
}

export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** An app that passed every guard, with its victim tasks and how many of them may die. */
export interface Candidate {
  app: MarathonApp;
  /** Running, old-enough tasks, sorted by id. */
  tasks: MarathonTask[];
  /** Healthy instances that must remain. */
  floor: number;
  /** Kills this app can take this cycle (healthy − floor, ≥ 1). */
  budget: number;
}

/**
 * Runs the guard list over every app: candidates (sorted by app id) in, kept and dropped out. The
 * first failing guard names the reason.
 */
export function filterApps(apps: readonly MarathonApp[], ctx: GuardContext): { candidates: Candidate[]; skipped: Skip[] } {
  const candidates: Candidate[] = [];
  const skipped: Skip[] = [];
  outer: for (const app of apps) {
    for (const guard of APP_GUARDS) {
      const v = guard.check(app, ctx);
      if (!v.ok) {
        skipped.push({ appId: app.id, reason: v.reason, detail: v.detail });
        continue outer;
      }
    }
    const { tasks, verdict } = eligibleTasks(app, ctx);
    if (!verdict.ok) {
      skipped.push({ appId: app.id, reason: verdict.reason, detail: verdict.detail });
      continue;
    }
    const floor = floorOf(app, ctx.settings) ?? Number.POSITIVE_INFINITY;
    candidates.push({ app, tasks, floor, budget: healthyCount(app) - floor });
  }
  candidates.sort((a, b) => byId(a.app, b.app));
  return { candidates, skipped };
}

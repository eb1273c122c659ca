import type { ManualClock } from '../../src/platform/clock.js';
import { setTimeout as realDelay } from 'node:timers/promises';
import { judge } from '../../src/chaos/phases/watch.js';
import { REASONS, type Skip } from '../../src/domain/reasons.js';
import { baseRecord, killRequestFor, recordSkips, skippedCycleRecord } from '../../src/chaos/record.js';
import type { AfterKill, CycleRecord, Victim } from '../../src/domain/record.js';
import { memoryLogger } from '../../src/log.js';

/** A Friday afternoon in Berlin (13:30 UTC): the instant all daemon tests start from. */
export const aFridayAfternoon = new Date('2024-03-15T13:30:00.000Z');

/** One parsed Prometheus sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// Value spelling follows Go's ParseFloat, which Prometheus uses: NaN is case-insensitive (prom-client writes "Nan").
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|[Nn][Aa][Nn]|[+-]Inf)( -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus text exposition format strictly: any line that is neither comment nor sample throws. */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const raw = m[4]!;
    samples.push({ name: m[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : /nan/i.test(raw) ? NaN : Number(raw) });
  }
  return { samples, types };
}

/** The value of the one sample with this name whose labels include `labels`; undefined when absent. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples match ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

/*
 * Cycle records for the operator side (state, metrics, /status), built with the code that builds
 * real ones (baseRecord, recordSkips, killRequestFor, the cycle's judge, skippedCycleRecord), so a
 * change to CycleRecord reaches these tests through the compiler.
 */

const SETTINGS = { seed: 'office-chaos', strategy: 'task', dryRun: false } as const;

export function victim(appId: string, taskId: string, placement: Partial<Pick<Victim, 'host' | 'agentId' | 'rack' | 'zone'>> = {}): Victim {
  return { appId, taskId, host: 'agent-1', agentId: null, rack: null, zone: null, ...placement };
}

const HEALTHY = { instances: 3, tasksRunning: 3, tasksHealthy: 3, tasksUnhealthy: 0 };

/** The recovery watch's observation of an app that was back in steady state `ms` after the kill. */
export function recoveredIn(ms: number): AfterKill {
  return { recovered: true, timeToRecoverMs: ms, health: HEALTHY, timeoutMs: 300_000, polls: 3 };
}

/** An app still short of healthy tasks at its 300 s deadline. */
export function notRecovered(): AfterKill {
  return { recovered: false, timeToRecoverMs: null, health: { ...HEALTHY, tasksRunning: 2, tasksHealthy: 1 }, timeoutMs: 300_000, polls: 30, lastProblem: '1 of 3 tasks healthy' };
}

/**
 * A cycle whose one kill request Marathon answered with 200, as runCycle leaves it: every victim
 * matched, then watched (`after`) and judged; weaknesses halt chaos as with chaos.haltOnWeakness.
 */
export function answeredKill(o: { cycleId: string; at: Date; victims: Victim[]; after: Record<string, AfterKill>; skips?: Skip[]; apps?: number }): CycleRecord {
  const rec = baseRecord(SETTINGS, o.at, o.at.getTime(), { cycleId: o.cycleId });
  const ids = o.victims.map((v) => v.taskId);
  const apps = new Set(o.victims.map((v) => v.appId));
  const skips = o.skips ?? [];
  recordSkips(rec, skips);
  rec.counts = { ...rec.counts, apps: o.apps ?? apps.size + skips.length, eligible: apps.size, candidates: 2 * ids.length, victims: ids.length, killed: ids.length };
  rec.victims = o.victims;
  rec.killRequest = killRequestFor(ids);
  rec.killResponse = { matched: ids, unmatched: [] };
  rec.killedAt = new Date(o.at.getTime() + 1_000).toISOString();
  rec.killStatus = 'answered';
  for (const appId of apps) rec.before[appId] = HEALTHY;
  rec.after = o.after;
  const verdict = judge(o.after, { haltOnWeakness: true }, memoryLogger('silent').logger);
  rec.weaknesses = verdict.weaknesses;
  rec.outcome = verdict.weaknesses.length > 0 ? 'weakness' : 'killed';
  if (verdict.halted) rec.halted = true;
  return rec;
}

const dbSkip: Skip = { appId: '/shop/db', reason: REASONS.persistentVolumes, detail: 'has persistent volumes' };

/** A real kill of one task of /shop/cart that came back in 42 s. */
export const aKillThatRecovered: CycleRecord = answeredKill({
  cycleId: 'c-1',
  at: aFridayAfternoon,
  victims: [victim('/shop/cart', 'shop_cart.6f3a-1', { agentId: 'a1', rack: 'r1' })],
  after: { '/shop/cart': recoveredIn(42_000) },
  skips: [dbSkip, { appId: '/shop/search', reason: REASONS.deploying, detail: 'deployment in progress' }],
});

/** A kill after which /shop/payments never returned to its steady state. */
export const aWeakness: CycleRecord = answeredKill({
  cycleId: 'c-2',
  at: new Date('2024-03-15T14:00:00.000Z'),
  victims: [victim('/shop/payments', 'shop_payments.77-1')],
  after: { '/shop/payments': notRecovered() },
  skips: [dbSkip],
});

/** A cycle that pretended to kill. */
export const aDryRun: CycleRecord = (() => {
  const rec = baseRecord({ ...SETTINGS, dryRun: true }, new Date('2024-03-15T14:30:00.000Z'), Date.parse('2024-03-15T14:30:00.000Z'), { cycleId: 'c-3' });
  rec.outcome = 'dry-run';
  rec.victims = [victim('/shop/cart', 'shop_cart.6f3a-2')];
  rec.counts = { ...rec.counts, apps: 1, eligible: 1, candidates: 3, victims: 1 };
  rec.killRequest = killRequestFor(['shop_cart.6f3a-2']);
  return rec;
})();

/** A whole cycle skipped outside office hours. */
export const aSkippedCycle: CycleRecord = skippedCycleRecord('outside-office-hours', 'office hours are Mon-Fri 09:00-17:00 Europe/Berlin', {
  settings: SETTINGS,
  scheduledAt: new Date('2024-03-15T19:00:00.000Z'),
  now: Date.parse('2024-03-15T19:00:00.000Z'),
  cycleId: 'c-4',
});

/**
 * A kill on a busy cluster: 37 apps not opted in (counted, not listed, as runCycle records them),
 * one deploying; /shop/cart recovered in 12 s, shutdown cut /shop/api's watch short.
 */
export function aBusyClusterKill(): CycleRecord {
  const notOptedIn = Array.from({ length: 37 }, (_, i): Skip => ({ appId: `/team/app-${i}`, reason: REASONS.notOptedIn, detail: 'no monkey.enabled label' }));
  return answeredKill({
    cycleId: 'c-busy',
    at: aFridayAfternoon,
    apps: 40,
    victims: [victim('/shop/cart', 'shop_cart.1'), victim('/shop/api', 'shop_api.1', { host: 'agent-2', agentId: 'a2', rack: 'r2' })],
    after: {
      '/shop/cart': recoveredIn(12_000),
      '/shop/api': { recovered: false, timeToRecoverMs: null, health: null, timeoutMs: 300_000, polls: 1, aborted: true },
    },
    skips: [...notOptedIn, { appId: '/shop/search', reason: REASONS.deploying, detail: 'deployment in progress' }],
  });
}

/** A cycle that chose its victims and then failed before any kill request left (nothing killed). */
export function aCycleThatFailed(o: { victims?: Victim[]; code?: string; stage?: NonNullable<CycleRecord['error']>['stage'] } = {}): CycleRecord {
  const rec = baseRecord(SETTINGS, aFridayAfternoon, aFridayAfternoon.getTime(), { cycleId: 'c-failed' });
  rec.outcome = 'error';
  rec.victims = o.victims ?? [];
  rec.counts = { ...rec.counts, victims: rec.victims.length };
  rec.error = { code: o.code ?? 'E_MARATHON_UNAVAILABLE', message: 'no leader', stage: o.stage ?? 'recheck' };
  return rec;
}

/**
 * Shuts every daemon down. A test that failed mid-watch leaves a cycle sleeping on its ManualClock:
 * time is moved on until the shutdown grace period cuts it.
 */
export async function shutDownAll(running: readonly { daemon: { shutdown(reason: string): Promise<void> }; clock: ManualClock }[]): Promise<void> {
  let done = false;
  const all = Promise.all(running.map((r) => r.daemon.shutdown('test over'))).finally(() => (done = true));
  for (let i = 0; i < 100 && !done; i++) {
    for (const r of running) await r.clock.advance(1000);
    await realDelay(1);
  }
  await all;
}

/** Polls (real time) until `check` returns a value; the daemon's work is real I/O between clock steps. */
export async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 1500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realDelay(5);
  }
}

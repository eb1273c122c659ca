import type { WatchPoll } from '../chaos/recovery.js';
import type { CycleRecord, HealthSnapshot, ProbeObservation } from '../domain/record.js';

/**
 * What `once` and the demo print about the service probes (issue 11): the figures per probed app
 * after the cycle, and while the cycle waits a live line per probe round that puts Marathon's view
 * (healthy of instances) beside the users' view (probes that passed). Pure formatting, plus a small
 * tracker that joins the two callbacks of the cycle.
 */

/** One probe round of one app, as the cycle reports it (CycleContext.onProbeRound). */
export interface ProbeRound {
  appId: string;
  /** Probes of this round that passed, and all of them. */
  ok: number;
  total: number;
  /** ms since the kill answer; negative for the round just before the kill. */
  sinceKillMs: number;
}

/** `  /billing: 2/3 healthy, service 14/15 OK, 5.0 s` — health from the latest Marathon read, service cumulative. */
export function liveProbeLine(appId: string, health: HealthSnapshot | null | undefined, ok: number, total: number, sinceKillMs: number): string {
  const marathon = health ? `${health.tasksHealthy}/${health.instances} healthy` : 'Marathon not read yet';
  const when = sinceKillMs < 0 ? 'before the kill' : `${(sinceKillMs / 1000).toFixed(1)} s`;
  return `  ${appId}: ${marathon}, service ${ok}/${total} OK, ${when}`;
}

/** `40%`, `4.2%`, `0%`. */
export function percent(rate: number): string {
  const pc = rate * 100;
  return `${Number.isInteger(pc) ? pc : pc.toFixed(1)}%`;
}

/**
 * `  /shop/session service: 12/30 probes failed (40%, budget 0%), longest outage 10.0 s, p95 5 ms,
 * passed again 13.1 s after the kill; HTTP 502 ×11`
 */
export function probeObservationLine(appId: string, p: ProbeObservation): string {
  const parts = [
    `${p.failures}/${p.samples} probes failed (${percent(p.errorRate)}, budget ${percent(p.maxErrorRate)}${p.errorRate > p.maxErrorRate ? ', OVER' : ''})`,
    `longest outage ${seconds(p.outageMs)}`,
    p.latencyMs ? `p95 ${Math.round(p.latencyMs.p95)} ms` : 'no probe passed',
    p.passedAgain ? `passed again${p.serviceRecoveredMs === null ? '' : ` ${seconds(p.serviceRecoveredMs)} after the kill`}` : 'NEVER passed again',
  ];
  const kinds = Object.entries(p.failureKinds)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3)
    .map(([k, n]) => `${k} ×${n}`);
  return `  ${appId} service: ${parts.join(', ')}${kinds.length > 0 ? `; ${kinds.join(', ')}` : ''}`;
}

/**
 * The probe lines of a cycle's summary, after summarizeCycle's: the before-kill verdicts (every
 * failed one; the passed ones counted) and the figures of each probed app that was watched.
 */
export function probeSummaryLines(record: CycleRecord): string[] {
  const lines: string[] = [];
  const before = Object.entries(record.probesBefore ?? {});
  if (before.length > 0) {
    const passed = before.filter(([, v]) => v.ok).length;
    lines.push(`  probes before the kill: ${passed} of ${before.length} probed apps passed`);
    for (const [appId, v] of before) if (!v.ok) lines.push(`  ${appId}: probes FAILED, not a candidate (probe-failed) — ${v.detail}`);
  }
  for (const [appId, a] of Object.entries(record.after)) if (a.probe) lines.push(probeObservationLine(appId, a.probe));
  return lines;
}

/** summarizeCycle's text followed by the probe lines. */
export function withProbeLines(summary: string, record: CycleRecord): string {
  const extra = probeSummaryLines(record);
  return extra.length === 0 ? summary : `${summary}\n${extra.join('\n')}`;
}

/**
 * Joins the recovery watch's reads and the probe rounds into the lines a person waiting at a
 * terminal sees: an app without probes prints each read (progressLine); a probed app prints one
 * line per probe round, with the counts of the latest read, and a read only when it changes whether
 * Marathon calls the app recovered.
 */
export class WaitProgress {
  private readonly health = new Map<string, WatchPoll>();
  private readonly service = new Map<string, { ok: number; total: number }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly pollLine: (p: WatchPoll) => string,
  ) {}

  onWatchPoll(p: WatchPoll): void {
    const previous = this.health.get(p.appId);
    this.health.set(p.appId, p);
    if (!this.service.has(p.appId) || previous?.recovered !== p.recovered) this.write(this.pollLine(p));
  }

  onProbeRound(r: ProbeRound): void {
    const s = this.service.get(r.appId) ?? { ok: 0, total: 0 };
    s.ok += r.ok;
    s.total += r.total;
    this.service.set(r.appId, s);
    this.write(liveProbeLine(r.appId, this.health.get(r.appId)?.health, s.ok, s.total, r.sinceKillMs));
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

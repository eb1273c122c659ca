import type { Logger } from 'pino';
import { cycleRandom } from '../../platform/random.js';
import { filterApps, guardContext, type Candidate, type GuardContext } from '../guards.js';
import type { ChaosMemory } from '../../domain/memory.js';
import type { AgentsReader } from '../../domain/ports.js';
import type { Skip } from '../../domain/reasons.js';
import { safeError } from '../recovery.js';
import { indexAgents, placeVictims, selectVictims } from '../select.js';
import type { ChaosSettings } from '../settings.js';
import { healthSnapshot } from '../steady-state.js';
import type { CycleContext, CycleDeps } from './context.js';
import type { Discovery } from './discover.js';
import { LOG } from './log.js';
import { probeCandidates } from './probes.js';
import type { Target, Victim, HealthSnapshot, ProbeVerdict } from '../../domain/record.js';

export interface Decision {
  /** The guard context of the listing, for the re-check. */
  gctx: GuardContext;
  /** Apps that passed every guard. */
  eligible: number;
  /** Their candidate tasks. */
  candidateTasks: number;
  target: Target | null;
  victims: Victim[];
  /** Guard skips, then the target's spared tasks. */
  skips: Skip[];
  /** Per victim app, its counts at listing time. */
  before: Record<string, HealthSnapshot>;
  /** Before-kill probe verdicts of the candidates that declare probes (never in `plan`). */
  probesBefore: Record<string, ProbeVerdict>;
  ms: number;
}

type Listed = Extract<Discovery, { apps: unknown }>;

/**
 * Guards, steady state, blast radius (pure), then one round of the service probes of the remaining
 * candidates that declare some (never in `plan`), selection, and the victims' placement for the journal.
 */
export async function decide(deps: CycleDeps, settings: ChaosSettings, ctx: CycleContext, found: Listed, memory: ChaosMemory, log: Logger): Promise<Decision> {
  const gctx = guardContext(settings, memory, found.listedAt, deps.prober);
  const guarded = filterApps(found.apps, gctx);
  const probed = ctx.plan === true ? { kept: guarded.candidates, skips: [], verdicts: {} } : await probeCandidates(deps.prober, guarded.candidates, ctx.signal, log);
  const candidates = probed.kept;
  const skipped = [...guarded.skipped, ...probed.skips];
  const selection = selectVictims(candidates, settings, cycleRandom(settings.seed, ctx.scheduledAt), found.agents);
  // The rack strategy placed its victims while picking; the others pick without agents.
  const victims = found.agents ? selection.victims : await placeForJournal(deps.agents, selection.victims, candidates, settings.rackAttribute, log);
  return {
    gctx,
    eligible: candidates.length,
    candidateTasks: candidates.reduce((n, c) => n + c.tasks.length, 0),
    target: selection.target,
    victims,
    skips: [...skipped, ...selection.spared],
    before: snapshotsOf(victims, candidates),
    probesBefore: probed.verdicts,
    ms: deps.clock.now() - found.listedAt,
  };
}

/** Best effort, so the journal still says which rack a kill hit: a failing master leaves rack null. */
async function placeForJournal(agents: AgentsReader | undefined, victims: Victim[], candidates: readonly Candidate[], rackAttribute: string, log: Logger): Promise<Victim[]> {
  if (!agents || victims.length === 0) return victims;
  try {
    return placeVictims(victims, candidates, indexAgents(await agents.listAgents()), rackAttribute);
  } catch (err) {
    log.warn({ err: safeError(err) }, LOG.placementFailed);
    return victims;
  }
}

function snapshotsOf(victims: readonly Victim[], candidates: readonly Candidate[]): Record<string, HealthSnapshot> {
  const appsById = new Map(candidates.map((c) => [c.app.id, c.app]));
  const before: Record<string, HealthSnapshot> = {};
  for (const v of victims) {
    const app = appsById.get(v.appId);
    if (app) before[v.appId] = healthSnapshot(app);
  }
  return before;
}

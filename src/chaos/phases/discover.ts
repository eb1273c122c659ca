import type { Logger } from 'pino';
import type { MarathonApp } from '../../domain/marathon.js';
import type { ChaosMemory, QuarantineEntry } from '../../domain/memory.js';
import type { QuarantineLift } from '../../domain/record.js';
import { indexAgents, type AgentIndex } from '../select.js';
import type { ChaosSettings } from '../settings.js';
import { judgeSteadyState } from '../steady-state.js';
import type { CycleDeps } from './context.js';
import { LOG } from './log.js';
import { failed, type Ending } from './ending.js';

/** One listing of apps, and of agents when the strategy picks by their attributes. */
export type Discovery = { ms: number } & ({ ending: Ending } | { apps: MarathonApp[]; agents: AgentIndex | undefined; listedAt: number });

export async function discover(deps: CycleDeps, settings: Pick<ChaosSettings, 'strategy'>, startedAt: number, log: Logger): Promise<Discovery> {
  const { clock } = deps;
  let apps: MarathonApp[];
  try {
    apps = await deps.apps.listApps();
  } catch (err) {
    return { ms: clock.now() - startedAt, ending: failed(log, 'list', err, LOG.listFailed) };
  }
  let agents: AgentIndex | undefined;
  if (settings.strategy === 'rack') {
    if (deps.agents) {
      try {
        agents = indexAgents(await deps.agents.listAgents());
      } catch (err) {
        return { ms: clock.now() - startedAt, ending: failed(log, 'agents', err, LOG.agentsFailed) };
      }
    } else {
      log.warn(LOG.noAgentsReader);
    }
  }
  const listedAt = clock.now();
  return { ms: listedAt - startedAt, apps, agents, listedAt };
}

/** Quarantine ends when the app is seen in steady state again (or is gone). */
export function liftQuarantines(
  apps: readonly MarathonApp[],
  quarantined: ChaosMemory['quarantined'],
  listedAt: number,
  settings: ChaosSettings,
  log: Logger,
): QuarantineLift[] {
  const lifted: QuarantineLift[] = [];
  if (quarantined.size === 0) return lifted;
  const byId = new Map(apps.map((a) => [a.id, a]));
  for (const appId of [...quarantined.keys()].sort()) {
    const app = byId.get(appId);
    if (!app) {
      lifted.push({ appId, why: 'gone' });
    } else if (judgeSteadyState(app, listedAt, settings).ok) {
      lifted.push({ appId, why: 'steady' });
      log.info({ appId }, LOG.quarantineLifted);
    }
  }
  return lifted;
}

/** The memory the guards see: lifted quarantines no longer hold. */
export function withoutLifted(memory: ChaosMemory, lifted: readonly QuarantineLift[]): ChaosMemory {
  if (lifted.length === 0) return memory;
  const ids = new Set(lifted.map((l) => l.appId));
  const quarantined = new Map<string, QuarantineEntry>();
  for (const [id, q] of memory.quarantined) if (!ids.has(id)) quarantined.set(id, q);
  return { ...memory, quarantined };
}

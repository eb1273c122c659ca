
export { type AfterKill, type CycleOutcome, type CycleRecord, type KillRequest, type QuarantineLift, type Weakness, type Target, type Victim, STRATEGIES, type Strategy, type HealthSnapshot } from '../domain/record.js';/** The chaos cycle's public surface. */
export { runCycle, LOG as CYCLE_LOG, type CycleDeps, type CycleContext, type ProbeRoundReport } from './cycle.js';
export { explainApp, explainAppProbed, type ExplainProbes, type Explanation, type GuardResult } from './explain.js';
export {
  APP_GUARDS,
  eligibleTasks,
  filterApps,
  floorOf,
  guardContext,
  recoveryTimeoutMsOf,
  type AppGuard,
  type Candidate,
  type GuardContext,
} from './guards.js';
export { parseAppLabels, type AppLabels } from './labels.js';
export { EMPTY_MEMORY, type ChaosMemory, type HaltState, type QuarantineEntry } from '../domain/memory.js';
export type { AgentsReader, AppsReader, TaskKiller } from '../domain/ports.js';
export { REASONS, type Reason, type Skip } from '../domain/reasons.js';
export { baseRecord, killRequestFor, skippedCycleRecord, summarizeCycle } from './record.js';
export { judgeRecovered, watchRecovery, type WatchOptions } from './recovery.js';
export { indexAgents, rackOf, selectVictims, type AgentIndex, type Selection } from './select.js';
export { LABEL_ENABLED, LABEL_FRAMEWORK, LABEL_MIN_HEALTHY, LABEL_RECOVERY_TIMEOUT, type ChaosSettings } from './settings.js';
export { healthSnapshot, healthyCount, judgeSteadyState, type Verdict } from './steady-state.js';

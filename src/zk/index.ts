/**
 * Leader election, shared state and kill fencing on ZooKeeper (issue 12). The daemon wires it in
 * when MONKEY_ZK is set; without it the monkey keeps its single-instance file journal.
 */
export { parseZkUrl, maskZkUrl, type ZkTarget } from './url.js';
export {
  ZkCoordinator,
  KILL_LOG_KEEP,
  ZK_LOG,
  type ZkCoordinatorOptions,
  type ZkChange,
  type ZkRole,
  type ZkSessionState,
} from './coordinator.js';
export { FencedLedger, FENCE_LOG, type FencePort, type KillLogEntry } from './fenced-ledger.js';
export { ZkError, ZkFencedError, ZkTimeoutError, SharedVetoError } from './errors.js';
export {
  emptyShared,
  cloneShared,
  parseShared,
  serializeShared,
  sharedToMemory,
  applyCycleToShared,
  applyIntentToShared,
  applyAnswerToShared,
  settleShared,
  intentApps,
  type SharedState,
  type SharedMemory,
} from './shared.js';

/**
 * What the cycle needs to remember between cycles, as the journal reconstructs it
 * (src/journal/state.ts builds it; a restart rebuilds it from the file, so a min-kill-interval
 * and a quarantine survive restarts).
 */
export interface QuarantineEntry {
  /** Cycle that found the weakness. */
  cycleId: string;
  /** ISO instant the weakness was recorded. */
  since: string;
  detail: string;
}

export interface HaltState {
  since: string;
  reason: string;
  cycleId?: string;
}

export interface ChaosMemory {
  /** Epoch ms of the last kill request sent per app id. */
  readonly lastKillAt: ReadonlyMap<string, number>;
  /** Apps whose last kill did not recover and that have not been seen in steady state since. */
  readonly quarantined: ReadonlyMap<string, QuarantineEntry>;
  /** Set when a weakness halted chaos (or an operator did); cleared by a resume record. */
  readonly halted: HaltState | null;
}

export const EMPTY_MEMORY: ChaosMemory = Object.freeze({
  lastKillAt: new Map<string, number>(),
  quarantined: new Map<string, QuarantineEntry>(),
  halted: null,
});

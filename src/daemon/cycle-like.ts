/**
 * The part of a chaos cycle record that the operator side (state, metrics, /status) reads.
 * Structural and tolerant on purpose: the real CycleRecord lives in src/chaos and may grow or
 * shift, and every field here is optional so a record of the real type is assignable without a
 * mapping step. Anything absent is simply not counted.
 */
export type CycleOutcome = 'killed' | 'dry-run' | 'nothing-to-do' | 'weakness' | 'error' | 'skipped';

export interface CycleLike {
  readonly cycleId?: string;
  /** ISO instant the cycle ran. */
  readonly time?: string;
  /** ISO instant the cycle was scheduled for (before jitter). */
  readonly scheduledAt?: string;
  readonly seed?: string;
  readonly strategy?: string;
  readonly dryRun?: boolean;
  /** Known outcomes are listed above; an unknown string is counted as it is. */
  readonly outcome?: CycleOutcome | (string & {});
  readonly counts?: { readonly apps?: number; readonly eligible?: number; readonly candidates?: number; readonly victims?: number };
  readonly skipped?: readonly { readonly appId?: string; readonly reason?: string; readonly detail?: string }[];
  readonly victims?: readonly { readonly appId?: string; readonly taskId?: string; readonly host?: string; readonly agentId?: string; readonly rack?: string }[];
  readonly killResponse?: { readonly matched?: readonly string[]; readonly unmatched?: readonly string[] };
  readonly after?: Readonly<Record<string, { readonly recovered?: boolean; readonly timeToRecoverMs?: number } | undefined>>;
  readonly weaknesses?: readonly { readonly appId?: string; readonly reason?: string; readonly detail?: string }[];
  readonly error?: { readonly code?: string; readonly message?: string };
  readonly halted?: boolean;
  /** Why a whole cycle was skipped (outside office hours, paused, halted, …). */
  readonly reason?: string;
  readonly detail?: string;
}

/** True when the cycle only pretended to kill. */
export function isDryRun(record: CycleLike): boolean {
  return record.dryRun === true || record.outcome === 'dry-run';
}

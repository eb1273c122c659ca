/**
 * The part of a chaos cycle record that the operator side (state, metrics, /status) reads.
 * Structural and tolerant on purpose: src/chaos/record.ts's CycleRecord is assignable to it
 * (test/daemon/cycle-like.test.ts checks that), and every field is optional and may be null, so
 * the record can grow or shift without a mapping step here. Anything absent is simply not counted.
 */
export type CycleOutcome = 'killed' | 'dry-run' | 'nothing-to-do' | 'weakness' | 'error' | 'skipped';

type Opt<T> = T | undefined;

export interface AfterKillLike {
  readonly recovered?: Opt<boolean>;
  readonly timeToRecoverMs?: Opt<number | null>;
  /** The watch was cut short by shutdown: neither recovered nor a weakness. */
  readonly aborted?: Opt<boolean>;
  /** The app was deleted while watched. */
  readonly gone?: Opt<boolean>;
}

export interface CycleLike {
  readonly cycleId?: Opt<string>;
  /** ISO instant the cycle ran. */
  readonly time?: Opt<string>;
  /** ISO instant the cycle was scheduled for. */
  readonly scheduledAt?: Opt<string>;
  readonly seed?: Opt<string>;
  readonly strategy?: Opt<string>;
  readonly dryRun?: Opt<boolean>;
  /** `plan` mode: decided, never killed. Counted like a dry run. */
  readonly plan?: Opt<boolean>;
  /** Known outcomes are listed above; an unknown string is counted as it is. */
  readonly outcome?: Opt<CycleOutcome | (string & {})>;
  readonly counts?: Opt<{
    readonly apps?: Opt<number>;
    readonly eligible?: Opt<number>;
    readonly candidates?: Opt<number>;
    readonly victims?: Opt<number>;
    readonly killed?: Opt<number>;
    readonly unmatched?: Opt<number>;
    /** Every skip by reason, including apps left out of `skipped` (not opted in); preferred when present. */
    readonly skippedByReason?: Opt<Readonly<Partial<Record<string, number>>>>;
  }>;
  readonly skipped?: Opt<readonly { readonly appId?: Opt<string>; readonly reason?: Opt<string>; readonly detail?: Opt<string> }[]>;
  readonly victims?: Opt<
    readonly {
      readonly appId?: Opt<string>;
      readonly taskId?: Opt<string>;
      readonly host?: Opt<string>;
      readonly agentId?: Opt<string | null>;
      readonly rack?: Opt<string | null>;
    }[]
  >;
  /** Null or absent: no kill was sent (dry run, nothing to do, or an error before the kill). */
  readonly killResponse?: Opt<{ readonly matched?: Opt<readonly string[]>; readonly unmatched?: Opt<readonly string[]> } | null>;
  readonly after?: Opt<Readonly<Record<string, AfterKillLike | undefined>>>;
  readonly weaknesses?: Opt<readonly { readonly appId?: Opt<string>; readonly reason?: Opt<string>; readonly detail?: Opt<string> }[]>;
  readonly error?: Opt<{ readonly code?: Opt<string>; readonly message?: Opt<string>; readonly stage?: Opt<string> } | null>;
  readonly halted?: Opt<boolean>;
  /** Why a whole cycle was skipped (outside office hours, paused, halted, …): CycleRecord's shape. */
  readonly gate?: Opt<{ readonly reason?: Opt<string>; readonly detail?: Opt<string> } | null>;
  /** The same, flat, for records that carry it at the top level. */
  readonly reason?: Opt<string>;
  readonly detail?: Opt<string>;
}

/** True when the cycle only pretended to kill. */
export function isDryRun(record: CycleLike): boolean {
  return record.dryRun === true || record.plan === true || record.outcome === 'dry-run';
}

/** Whether a kill request went out: a kill response, or an outcome that implies one. */
export function killWasSent(record: CycleLike): boolean {
  if (isDryRun(record)) return false;
  return (record.killResponse !== undefined && record.killResponse !== null) || record.outcome === 'killed' || record.outcome === 'weakness';
}

/** Why a skipped cycle was skipped, from `gate` or the flat fields. */
export function gateOf(record: CycleLike): { reason: string | undefined; detail: string | undefined } {
  return { reason: record.gate?.reason ?? record.reason, detail: record.gate?.detail ?? record.detail };
}

/** Skip counts by reason: the record's complete tally when it has one, else counted from `skipped`. */
export function skipsByReason(record: CycleLike): Record<string, number> {
  const out: Record<string, number> = {};
  const tally = record.counts?.skippedByReason;
  if (tally !== undefined) {
    for (const [reason, n] of Object.entries(tally)) if (typeof n === 'number' && n > 0) out[reason] = n;
    return out;
  }
  for (const s of record.skipped ?? []) {
    const reason = s.reason ?? 'unknown';
    out[reason] = (out[reason] ?? 0) + 1;
  }
  return out;
}

/** What became of one victim's kill, as a bounded label value. */
export function killOutcome(record: CycleLike, victim: { appId?: Opt<string>; taskId?: Opt<string> }): string {
  if (victim.taskId !== undefined && record.killResponse?.unmatched?.includes(victim.taskId) === true) return 'unmatched';
  const after = victim.appId === undefined ? undefined : record.after?.[victim.appId];
  if (after === undefined || after.recovered === undefined) return 'unverified';
  if (after.recovered) return 'recovered';
  if (after.aborted === true) return 'aborted';
  if (after.gone === true) return 'app-gone';
  return 'not-recovered';
}

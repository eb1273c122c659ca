import type { Random } from '../platform/random.js';

export interface RetryDelayOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** Upper bound for any single delay (before jitter). */
  maxMs: number;
  /** Growth per attempt; 2 doubles the delay each round. */
  factor?: number;
  /**
   * Jitter source. With it the delay is drawn from [d/2, d) so that several daemons (or one
   * daemon's Marathon and Mesos clients) restarted together do not hammer a recovering leader
   * in lockstep; without it the delay is exactly d, which keeps tests deterministic.
   */
  random?: Random;
}

/**
 * Delay before retry round `attempt` (1 = first retry): exponential backoff, capped.
 * Pure policy (got's calculate-retry-delay model): one object in, one number out.
 * Only reads are ever retried; kills never come through here.
 */
export function retryDelay(attempt: number, options: RetryDelayOptions): number {
  if (!Number.isFinite(attempt) || attempt < 1) return 0;
  const factor = options.factor ?? 2;
  const base = Math.max(0, options.baseMs);
  const cap = Math.max(0, options.maxMs);
  // Computed in log space so a large attempt number cannot overflow to Infinity before the cap.
  const raw = base === 0 ? 0 : Math.exp(Math.log(base) + (attempt - 1) * Math.log(Math.max(1, factor)));
  const capped = Math.min(cap, raw);
  if (options.random === undefined) return Math.round(capped);
  return Math.round(capped / 2 + (options.random.next() * capped) / 2);
}

import seedrandom from 'seedrandom';
import { keepShape } from './keep-shape.js';

/**
 * The randomness seam. Only this module touches seedrandom; everything else receives a Random.
 * Never `Math.random`, never seedrandom's `global` option.
 */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
}

/** A generator from a seed string. */
export function seededRandom(seed: string): Random {
  // seedrandom's ARC4 state is a constructed object, a new one per cycle: keep one (keep-shape.ts).
  keepShape('seedrandom', () => seedrandom('keep-shape'));
  const prng = seedrandom(seed);
  return { next: () => prng.quick() };
}

/**
 * The generator of one cycle, derived from the configured seed and the cycle's scheduled instant,
 * so any decision can be replayed (`plan --seed S --at T`) and a restart does not replay old
 * victims. The parts are joined with a delimiter that cannot appear in an ISO instant because
 * short seeds cycle in ARC4 ('ab' and 'abab' give the same stream) and 'a'+'b1' == 'ab'+'1'.
 */
export function cycleSeed(seed: string, scheduledAt: Date): string {
  return `${seed}\u241f${scheduledAt.toISOString()}`;
}

export function cycleRandom(seed: string, scheduledAt: Date): Random {
  return seededRandom(cycleSeed(seed, scheduledAt));
}

/** Uniform integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`randomInt needs a positive integer, got ${n}`);
  return Math.min(n - 1, Math.floor(random.next() * n));
}

/**
 * `k` distinct items, without replacement (partial Fisher–Yates). The input is not modified; the
 * caller sorts it canonically first so that Marathon's response order cannot change a pick.
 */
export function sample<T>(random: Random, items: readonly T[], k: number): T[] {
  const pool = items.slice();
  const take = Math.max(0, Math.min(k, pool.length));
  for (let i = 0; i < take; i++) {
    const j = i + randomInt(random, pool.length - i);
    const tmp = pool[i] as T;
    pool[i] = pool[j] as T;
    pool[j] = tmp;
  }
  return pool.slice(0, take);
}

/** One item uniformly at random, or undefined for an empty list. */
export function pick<T>(random: Random, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[randomInt(random, items.length)];
}

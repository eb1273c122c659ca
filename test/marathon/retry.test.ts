import assert from 'node:assert/strict';
import { retryDelay } from '../../src/http/retry.js';
import type { Random } from '../../src/platform/random.js';

const fixed = (v: number): Random => ({ next: () => v });

describe('retryDelay', () => {
  const rows: [string, number, Parameters<typeof retryDelay>[1], number][] = [
    ['no delay before the first attempt', 0, { baseMs: 250, maxMs: 5000 }, 0],
    ['first retry waits the base', 1, { baseMs: 250, maxMs: 5000 }, 250],
    ['doubles per round', 2, { baseMs: 250, maxMs: 5000 }, 500],
    ['doubles again', 4, { baseMs: 250, maxMs: 5000 }, 2000],
    ['capped', 6, { baseMs: 250, maxMs: 5000 }, 5000],
    ['huge attempt numbers stay capped, never Infinity', 10_000, { baseMs: 250, maxMs: 5000 }, 5000],
    ['custom factor', 3, { baseMs: 100, maxMs: 10_000, factor: 3 }, 900],
    ['factor below 1 is treated as constant', 3, { baseMs: 100, maxMs: 10_000, factor: 0.5 }, 100],
    ['jitter at 0 gives half', 2, { baseMs: 250, maxMs: 5000, random: fixed(0) }, 250],
    ['jitter near 1 gives almost all', 2, { baseMs: 250, maxMs: 5000, random: fixed(0.999) }, 500],
    ['jitter applies after the cap', 9, { baseMs: 250, maxMs: 5000, random: fixed(0.5) }, 3750],
    ['zero base', 3, { baseMs: 0, maxMs: 5000 }, 0],
    ['negative attempt', -1, { baseMs: 250, maxMs: 5000 }, 0],
  ];
  for (const [name, attempt, options, expected] of rows) {
    it(`${name}: attempt ${attempt} → ${expected} ms`, () => assert.equal(retryDelay(attempt, options), expected));
  }
});

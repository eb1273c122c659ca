import type { Logger } from 'pino';
import type { ChaosMemory } from '../../domain/memory.js';
import { REASONS } from '../../domain/reasons.js';
import { LOG } from './log.js';
import { skipped, type Ending } from './ending.js';

/** A weakness halted chaos until an operator resumes it; `plan` still decides (it never kills). */
export function gate(memory: ChaosMemory, plan: boolean, log: Logger): Ending | undefined {
  if (!memory.halted || plan) return undefined;
  return skipped(log, REASONS.halted, `halted since ${memory.halted.since}: ${memory.halted.reason}`, LOG.halted, { halted: memory.halted });
}

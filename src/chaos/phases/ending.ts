import type { Logger } from 'pino';
import type { CycleOutcome, CycleRecord } from '../../domain/record.js';
import { safeError } from '../recovery.js';

/** How a cycle ended. Every phase that can end it returns one, already logged. */
export interface Ending {
  outcome: CycleOutcome;
  gate?: NonNullable<CycleRecord['gate']>;
  error?: NonNullable<CycleRecord['error']>;
}

export function skipped(log: Logger, reason: string, detail: string, message: string, fields?: object): Ending {
  const gate = { reason, detail };
  log.warn(fields ?? gate, message);
  return { outcome: 'skipped', gate };
}

export function failed(log: Logger, stage: NonNullable<CycleRecord['error']>['stage'], err: unknown, message: string): Ending {
  const error = { ...safeError(err), stage };
  log.error({ err: error }, message);
  return { outcome: 'error', error };
}

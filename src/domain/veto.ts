import type { HaltState } from './memory.js';

/** What a kill ledger consults before writing an intent: the journal's state or the shared state in ZooKeeper. */
export interface VetoMemory {
  readonly halted: HaltState | null;
  readonly paused: { since: string; reason?: string } | null;
  readonly quarantined: { has(appId: string): boolean };
  readonly lastKillAt: { get(appId: string): number | undefined };
}

/**
 * Why the recorded state forbids this kill, or undefined when it allows it: halted, paused, a
 * victim's app quarantined, or a victim's app killed within the minimum time between kills.
 * `where` names the state in the message ("the journal", "the shared state").
 */
export function killVeto(
  memory: VetoMemory,
  intent: { time: string; victims: readonly { appId: string }[] },
  minKillIntervalMs: number,
  where = 'the journal',
): string | undefined {
  if (memory.halted) return `${where} says chaos is halted since ${memory.halted.since}: ${memory.halted.reason}`;
  if (memory.paused) return `${where} says chaos is paused since ${memory.paused.since}${memory.paused.reason ? `: ${memory.paused.reason}` : ''}`;
  const now = Date.parse(intent.time);
  for (const appId of new Set(intent.victims.map((v) => v.appId))) {
    if (memory.quarantined.has(appId)) return `${appId} is quarantined in ${where}`;
    const last = memory.lastKillAt.get(appId);
    if (last !== undefined && now - last < minKillIntervalMs) {
      return `${appId} was killed at ${new Date(last).toISOString()}, within the minimum time between kills`;
    }
  }
  return undefined;
}

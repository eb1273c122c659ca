import assert from 'node:assert/strict';
import { parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { runCli, simEnv } from '../helpers/cli.js';

/** Fast timings: a killed task is back and healthy in about half a second. */
export const FAST = { killGraceMs: 50, relaunchDelayMs: 50, stagingMs: 50, startingMs: 50, healthyAfterMs: 150 };

const AGENTS = [
  { hostname: '10.9.1.1', attributes: { rack: 'r1' }, zone: 'z1' },
  { hostname: '10.9.1.2', attributes: { rack: 'r1' }, zone: 'z1' },
  { hostname: '10.9.2.1', attributes: { rack: 'r2' }, zone: 'z2' },
  { hostname: '10.9.2.2', attributes: { rack: 'r2' }, zone: 'z2' },
];

const HEALTH = [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];

export function app(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, instances: 3, labels: { 'monkey.enabled': 'true' }, healthChecks: HEALTH, ...extra };
}

export async function simWith(apps: Record<string, unknown>[], timings: Record<string, number> = FAST): Promise<RunningSim> {
  return startSimulator({ scenario: parseScenario({ seed: 'e2e', timings, agents: AGENTS, apps }, 'e2e test') });
}

export function kills(sim: RunningSim): number {
  return sim.requestLog.filter((r) => r.method === 'POST' && r.path === '/v2/tasks/delete').length;
}

/**
 * A journal as `once` writes it: a kill that recovers (on a cluster of `apps`), then a weakness
 * (an app that never becomes healthy again). Each cycle runs against its own simulated cluster.
 */
export async function journalWithRecoveryAndWeakness(journal: string, seed: string, apps: Record<string, unknown>[]): Promise<void> {
  const live = { MONKEY_DRY_RUN: 'false', MONKEY_RECOVERY_TIMEOUT: '5', MONKEY_SEED: seed };
  let sim = await simWith(apps);
  try {
    const first = await runCli(['once'], simEnv(sim, journal, live));
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
  } finally {
    await sim.close();
  }
  sim = await simWith([app('/weak/billing', { weakness: 'never-healthy' })]);
  try {
    const second = await runCli(['once'], simEnv(sim, journal, { ...live, MONKEY_RECOVERY_TIMEOUT: '2' }));
    assert.equal(second.code, 2, `${second.stdout}\n${second.stderr}`);
  } finally {
    await sim.close();
  }
}

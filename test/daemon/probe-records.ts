import { REASONS } from '../../src/domain/reasons.js';
import type { CycleRecord, ProbeObservation, ProbeVerdict } from '../../src/domain/record.js';
import { answeredKill, recoveredIn, victim } from './helpers.js';

/*
 * Cycle records with service probes (issue 11) for the operator side: the shapes runCycle writes
 * into `after[app].probe` and `probesBefore`, built by hand so the surfaces can be tested apart from
 * the cycle that fills them.
 */

/** What the probes of one app saw during a kill; every figure can be overridden. */
export function observation(o: Partial<ProbeObservation> = {}): ProbeObservation {
  return {
    checks: ['http /health (port-index 0)'],
    intervalMs: 500,
    maxErrorRate: 0,
    samples: 30,
    failures: 0,
    errorRate: 0,
    outageMs: 0,
    latencyMs: { p50: 3, p95: 8, max: 12 },
    passedAgain: true,
    serviceRecoveredMs: 2_500,
    failureKinds: {},
    ...o,
  };
}

export function verdict(o: Partial<ProbeVerdict> = {}): ProbeVerdict {
  return { ok: true, samples: 3, failures: 0, detail: '3 probes passed', ...o };
}

/**
 * A real kill of one task of /shop/cart and one of /shop/session (a rack kill): Marathon saw both
 * back; /shop/cart's service stayed within its budget, /shop/session's balancer kept routing to the
 * dead task for 10 s (12 of 30 probes failed: service-degraded). /shop/search was not a candidate
 * because its probe failed before the kill.
 */
export function aProbedKill(): CycleRecord {
  const rec = answeredKill({
    cycleId: 'c-probed',
    at: new Date('2024-03-15T13:45:00.000Z'),
    victims: [victim('/shop/cart', 'shop_cart.1', { rack: 'r1' }), victim('/shop/session', 'shop_session.1', { rack: 'r1' })],
    after: {
      '/shop/cart': { ...recoveredIn(4_000), probe: observation({ samples: 24, failures: 1, errorRate: 1 / 24, maxErrorRate: 0.1, outageMs: 500, latencyMs: { p50: 4, p95: 9, max: 31 } }) },
      '/shop/session': {
        ...recoveredIn(3_000),
        probe: observation({
          checks: ['http http://10.0.0.9:8080/health'],
          samples: 30,
          failures: 12,
          errorRate: 0.4,
          outageMs: 10_000,
          latencyMs: { p50: 2, p95: 5, max: 7 },
          passedAgain: true,
          serviceRecoveredMs: 13_100,
          failureKinds: { 'HTTP 502': 11, 'connection refused': 1 },
        }),
      },
    },
    skips: [{ appId: '/shop/search', reason: REASONS.probeFailed, detail: 'http://10.0.0.3:31002/health: HTTP 500' }],
  });
  rec.strategy = 'rack';
  rec.target = { kind: 'rack', value: 'r1' };
  rec.probesBefore = {
    '/shop/cart': verdict(),
    '/shop/session': verdict({ samples: 1, detail: '1 probe passed' }),
    '/shop/search': verdict({ ok: false, samples: 3, failures: 1, detail: 'http://10.0.0.3:31002/health: HTTP 500' }),
  };
  rec.weaknesses = [{ appId: '/shop/session', reason: REASONS.serviceDegraded, detail: 'error rate 40.0% over budget 0% (12 of 30 probes failed; longest outage 10.0 s)' }];
  rec.outcome = 'weakness';
  rec.halted = true;
  return rec;
}

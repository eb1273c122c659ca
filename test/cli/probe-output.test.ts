import assert from 'node:assert/strict';
import type { WatchPoll } from '../../src/chaos/recovery.js';
import { liveProbeLine, percent, probeObservationLine, probeSummaryLines, WaitProgress, withProbeLines } from '../../src/cli/probe-output.js';
import { aKillThatRecovered } from '../daemon/helpers.js';
import { aProbedKill, observation } from '../daemon/probe-records.js';

const health = (healthy: number, instances: number) => ({ instances, tasksRunning: healthy, tasksHealthy: healthy, tasksUnhealthy: 0 });

describe('once: the service probe lines (issue 11)', () => {
  it('the live line: Marathon healthy of instances beside the service OK of all probes so far', () => {
    assert.equal(liveProbeLine('/billing', health(2, 3), 14, 15, 5_000), '  /billing: 2/3 healthy, service 14/15 OK, 5.0 s');
    assert.equal(liveProbeLine('/billing', null, 3, 3, -12), '  /billing: Marathon not read yet, service 3/3 OK, before the kill');
    assert.equal(liveProbeLine('/billing', undefined, 0, 3, 12_345), '  /billing: Marathon not read yet, service 0/3 OK, 12.3 s');
  });

  it('percentages as people read them', () => {
    assert.deepEqual([0, 0.4, 1 / 24, 0.005, 1].map(percent), ['0%', '40%', '4.2%', '0.5%', '100%']);
  });

  it('the figures of one probed app, over budget or within, passed again or never', () => {
    const p = aProbedKill().after['/shop/session']!.probe!;
    assert.equal(
      probeObservationLine('/shop/session', p),
      '  /shop/session service: 12/30 probes failed (40%, budget 0%, OVER), longest outage 10.0 s, p95 5 ms, passed again 13.1 s after the kill; HTTP 502 ×11, connection refused ×1',
    );
    assert.equal(
      probeObservationLine('/a', observation({ samples: 4, failures: 4, errorRate: 1, maxErrorRate: 1, outageMs: 2_000, latencyMs: null, passedAgain: false, serviceRecoveredMs: null })),
      '  /a service: 4/4 probes failed (100%, budget 100%), longest outage 2.0 s, no probe passed, NEVER passed again',
    );
  });

  it('a cycle summary gets the before-kill verdicts and each probed app; a cycle without probes is unchanged', () => {
    assert.deepEqual(probeSummaryLines(aProbedKill()), [
      '  probes before the kill: 2 of 3 probed apps passed',
      '  /shop/search: probes FAILED, not a candidate (probe-failed) — http://10.0.0.3:31002/health: HTTP 500',
      '  /shop/cart service: 1/24 probes failed (4.2%, budget 10%), longest outage 0.5 s, p95 9 ms, passed again 2.5 s after the kill',
      '  /shop/session service: 12/30 probes failed (40%, budget 0%, OVER), longest outage 10.0 s, p95 5 ms, passed again 13.1 s after the kill; HTTP 502 ×11, connection refused ×1',
    ]);
    assert.equal(withProbeLines('summary', aKillThatRecovered), 'summary');
    assert.match(withProbeLines('summary', aProbedKill()), /^summary\n {2}probes before the kill/);
  });

  it('while waiting: a line per probe round for a probed app, the reads of others, and a read that changes the verdict', () => {
    const lines: string[] = [];
    const progress = new WaitProgress((l) => lines.push(l), (p) => `poll ${p.appId} ${p.recovered ? 'RECOVERED' : 'waiting'}`);
    const poll = (appId: string, healthy: number, recovered: boolean, elapsedMs: number): WatchPoll => ({ appId, elapsedMs, health: health(healthy, 3), recovered });
    progress.onProbeRound({ appId: '/billing', ok: 3, total: 3, sinceKillMs: -5 });
    progress.onWatchPoll(poll('/billing', 2, false, 200));
    progress.onWatchPoll(poll('/plain', 2, false, 200));
    progress.onProbeRound({ appId: '/billing', ok: 2, total: 3, sinceKillMs: 495 });
    progress.onWatchPoll(poll('/billing', 2, false, 400));
    progress.onWatchPoll(poll('/billing', 3, true, 1_400));
    progress.onProbeRound({ appId: '/billing', ok: 2, total: 3, sinceKillMs: 1_495 });
    assert.deepEqual(lines, [
      '  /billing: Marathon not read yet, service 3/3 OK, before the kill',
      'poll /billing waiting',
      'poll /plain waiting',
      '  /billing: 2/3 healthy, service 5/6 OK, 0.5 s',
      'poll /billing RECOVERED',
      '  /billing: 3/3 healthy, service 7/9 OK, 1.5 s',
    ]);
  });
});

import assert from 'node:assert/strict';
import { DaemonState } from '../../src/daemon/state.js';
import { startControlServer, type ControlServer } from '../../src/daemon/http-server.js';
import { renderStatusPage, statusViewFrom } from '../../src/daemon/status-page.js';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import { memoryLogger } from '../../src/log.js';
import { ManualClock } from '../../src/platform/clock.js';
import { aFridayAfternoon, aKillThatRecovered, aSkippedCycle, recoveredIn } from './helpers.js';
import { aProbedKill, observation, verdict } from './probe-records.js';

/** /status and the status page carry the service probes of the cycles (issue 11). */

function stateWith(...records: Parameters<DaemonState['recordCycle']>[0][]): DaemonState {
  const state = new DaemonState({ clock: new ManualClock(aFridayAfternoon) });
  state.setReady();
  for (const r of records) state.recordCycle(r);
  return state;
}

function page(state: DaemonState): string {
  return renderStatusPage(statusViewFrom({ version: '1.2.3', dryRun: false, strategy: 'rack', timezone: 'Europe/Berlin' }, state.snapshot(), aFridayAfternoon));
}

function section(html: string): string {
  return /<section id="service-probes">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
}

describe('service probes in /status and on the status page', () => {
  it('a cycle summary keeps each probed app\'s figures against its budget, degraded ones first, and the before-probe verdicts', () => {
    const [summary] = stateWith(aProbedKill()).lastCycles();
    assert.deepEqual(
      summary!.probes.map((p) => [p.appId, p.failures, p.samples, p.errorRate, p.maxErrorRate, p.withinBudget, p.outageMs, p.latencyP95Ms, p.passedAgain, p.serviceRecoveredMs]),
      [
        ['/shop/session', 12, 30, 0.4, 0, false, 10_000, 5, true, 13_100],
        ['/shop/cart', 1, 24, 1 / 24, 0.1, true, 500, 9, true, 2_500],
      ],
    );
    assert.deepEqual(summary!.probes[0]!.failureKinds, { 'HTTP 502': 11, 'connection refused': 1 });
    assert.deepEqual(
      summary!.probesBefore.map((b) => [b.appId, b.ok, b.detail]),
      [
        ['/shop/search', false, 'http://10.0.0.3:31002/health: HTTP 500'],
        ['/shop/cart', true, '3 probes passed'],
        ['/shop/session', true, '1 probe passed'],
      ],
    );
    assert.deepEqual(summary!.weaknesses.map((w) => w.reason), ['service-degraded']);
    // A cycle without probes says so with empty lists, not missing keys.
    const [plain] = stateWith(aKillThatRecovered).lastCycles();
    assert.deepEqual([plain!.probes, plain!.probesBefore], [[], []]);
  });

  it('GET /status serves the probe figures as JSON', async () => {
    const clock = new ManualClock(aFridayAfternoon);
    const state = new DaemonState({ clock });
    state.recordCycle(aProbedKill());
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    let server: ControlServer | undefined;
    try {
      server = await startControlServer({
        host: '127.0.0.1',
        port: 0,
        state,
        metrics,
        controlToken: '',
        logger: memoryLogger().logger,
        clock,
        status: () => ({ version: '0.1.0', dryRun: false, seed: 's', nextCycles: [], config: {} }),
      });
      const body = (await (await fetch(`${server.url}/status`)).json()) as { lastCycles: { probes: { appId: string; withinBudget: boolean; passedAgain: boolean }[]; probesBefore: { appId: string; ok: boolean }[] }[] };
      const [c] = body.lastCycles;
      assert.deepEqual(c!.probes.map((p) => [p.appId, p.withinBudget, p.passedAgain]), [['/shop/session', false, true], ['/shop/cart', true, true]]);
      assert.equal(c!.probesBefore.find((b) => b.appId === '/shop/search')?.ok, false);
    } finally {
      await server?.close();
      metrics.stop();
    }
  });

  it('the page shows the newest probed cycle: errors against the budget, outage, p95, passed again, and the before-probes', () => {
    // A later cycle without probes (skipped) does not hide the last probed one.
    const html = page(stateWith(aProbedKill(), aSkippedCycle));
    const s = section(html);
    assert.match(s, /Cycle c-probed, <time datetime="2024-03-15T13:45:00.000Z">Fri,? 15 Mar,? 14:45:00<\/time>/);
    const rows = [...s.matchAll(/<tr class="probed (probe-ok|probe-degraded)" data-app="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({ kind: m[1], app: m[2], html: m[3] ?? '' }));
    assert.deepEqual(rows.map((r) => `${r.app} ${r.kind}`), ['/shop/session probe-degraded', '/shop/cart probe-ok']);
    const [session, cart] = rows;
    assert.match(session!.html, /<td data-label="Failed probes" class="bad"><div>12 of 30 \(40%\), budget 0%<br><span class="muted">HTTP 502 ×11, connection refused ×1<\/span>/);
    assert.match(session!.html, /<td data-label="Longest outage"><div>10 s<\/div>/);
    assert.match(session!.html, /<td data-label="Latency p95"><div>5 ms<\/div>/);
    assert.match(session!.html, /<td data-label="Passed again" class=""><div>yes, 13 s after the kill<\/div>/);
    assert.match(session!.html, /http http:\/\/10\.0\.0\.9:8080\/health/);
    assert.match(cart!.html, /1 of 24 \(4\.2%\), budget 10%/);
    assert.match(cart!.html, /<td data-label="Longest outage"><div>500 ms<\/div>/);
    assert.match(s, /<li class="bad"><span class="app">\/shop\/search<\/span> failed, so it was not a candidate \(probe-failed\): http:\/\/10\.0\.0\.3:31002\/health: HTTP 500<\/li>/);
    assert.match(s, /<li><span class="app">\/shop\/cart<\/span> passed <span class="muted">\(3 probes passed\)<\/span><\/li>/);
    // service-degraded is a weakness like any other in the cycle's row.
    assert.match(html, /weakness in <span class="app">\/shop\/session<\/span>: service-degraded \(error rate 40\.0% over budget 0%/);
  });

  it('says when the service never passed again or no probe passed; escapes what labels and answers put there', () => {
    const rec = aProbedKill();
    rec.after = {
      '/evil<b>': {
        ...recoveredIn(3_000),
        probe: observation({ checks: ['http "><script>x</script>'], samples: 8, failures: 8, errorRate: 1, outageMs: 4_000, latencyMs: null, passedAgain: false, serviceRecoveredMs: null, failureKinds: { '<i>HTTP 500</i>': 8 } }),
      },
    };
    rec.probesBefore = { '/evil<b>': verdict({ detail: '<img src=x>' }) };
    const s = section(page(stateWith(rec)));
    assert.match(s, /<td data-label="Latency p95"><div><span class="muted">no probe passed<\/span><\/div>/);
    assert.match(s, /<td data-label="Passed again" class="bad"><div>no: never passed again within the recovery timeout<\/div>/);
    assert.ok(!/<script|<img|<b>|<i>/.test(s), s);
    assert.match(s, /&lt;i&gt;HTTP 500&lt;\/i&gt; ×8/);
  });

  it('without probed apps the section says how to get them', () => {
    assert.match(section(page(stateWith(aKillThatRecovered))), /No probed service in the last cycles: apps declare probes with <code>monkey\.probe\.\*<\/code> labels/);
  });
});

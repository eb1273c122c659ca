import assert from 'node:assert/strict';
import type { RiskReport } from '../../src/domain/risk.js';
import { DaemonState } from '../../src/daemon/state.js';
import { duration, esc, renderStatusPage, statusViewFrom, type StatusView } from '../../src/daemon/status-page.js';
import { ManualClock } from '../../src/platform/clock.js';
import { aBusyClusterKill, aDryRun, aFridayAfternoon, aKillThatRecovered, aSkippedCycle, aWeakness } from './helpers.js';

/**
 * The status page's renderer, as text: what it shows for each state, that user data is escaped,
 * that times are in the configured zone, and that the page needs nothing but itself. The browser
 * test (status-page.browser.test.ts) shows it the way a person sees it.
 */

const SCRIPT_APP = '/evil<script>alert(1)</script>';

function stateWith(setup: (s: DaemonState) => void = () => undefined): DaemonState {
  const state = new DaemonState({ clock: new ManualClock(aFridayAfternoon) });
  state.setReady();
  setup(state);
  return state;
}

function view(state: DaemonState, extras: Record<string, unknown> = {}): StatusView {
  return statusViewFrom({ version: '1.2.3', dryRun: false, strategy: 'task', timezone: 'Europe/Berlin', nextCycles: ['2024-03-15T13:40:00.000Z'], ...extras }, state.snapshot(), aFridayAfternoon);
}

const aRiskReport: RiskReport = {
  risky: true,
  apps: 3,
  tasks: 7,
  host: [],
  rack: [{ appId: '/shop/cart', chaosTarget: true, domain: 'r1', domainsAtRisk: 1, lost: 3, total: 3, healthyLeft: 0, floor: 1, severity: 'all' }],
  zone: [],
  singleInstance: [{ appId: '/shop/solo', chaosTarget: true, instances: 1 }],
  noHealthChecks: [],
  placement: { agentsKnown: true, agentsNote: null, rackAttribute: 'rack', rackFromAttribute: 7, withoutRack: 0, withoutZone: 0 },
};

describe('status page renderer', () => {
  describe('statusViewFrom', () => {
    it('takes the time zone from the status extras, else the masked config, and falls back to UTC for an unknown zone', () => {
      const state = stateWith().snapshot();
      assert.equal(statusViewFrom({ timezone: 'Asia/Tokyo' }, state, aFridayAfternoon).timezone, 'Asia/Tokyo');
      assert.equal(statusViewFrom({ config: { schedule: { timezone: 'America/New_York' } } }, state, aFridayAfternoon).timezone, 'America/New_York');
      assert.equal(statusViewFrom({ timezone: 'Mars/Olympus' }, state, aFridayAfternoon).timezone, 'UTC');
      assert.equal(statusViewFrom({}, state, aFridayAfternoon).timezone, 'UTC');
    });

    it('reads the risk the state keeps (stamped), and says "single instance" as the role', () => {
      const v = view(stateWith((s) => s.setRisk(aRiskReport)));
      assert.equal(v.role, 'single instance');
      assert.equal(v.risk?.report.apps, 3);
      assert.equal(v.risk?.assessedAt, aFridayAfternoon.toISOString());
      assert.equal(view(stateWith()).risk, undefined);
      assert.equal(view(stateWith(), { risk: { something: 'else' } }).risk, undefined, 'a value that is no risk report is ignored');
    });
  });

  describe('renderStatusPage', () => {
    it('is one self-contained document: viewport, 30 s refresh, inline CSS, no script, nothing loaded from anywhere', () => {
      const html = renderStatusPage(view(stateWith((s) => s.recordCycle(aKillThatRecovered))));
      assert.match(html, /^<!doctype html>/);
      assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
      assert.match(html, /<meta http-equiv="refresh" content="30">/);
      assert.ok(!/<script|<link rel="stylesheet"|<img|@import|url\(/i.test(html), 'something that runs or loads');
      assert.deepEqual([...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]), ['data:,', '/status', '/metrics'], 'only relative links and the empty icon');
    });

    it('escapes user data everywhere: app ids, task ids, hosts, reasons, who paused', () => {
      const html = renderStatusPage(
        view(
          stateWith((s) => {
            s.quarantineApp(SCRIPT_APP, { reason: 'weakness', detail: '"><img src=x onerror=alert(2)>', cycleId: 'c-9' });
            s.halt({ appId: SCRIPT_APP, reason: '<b>not-recovered</b>' });
            s.pause({ by: "o'hara & <co>", reason: '</title><script>alert(3)</script>' });
            s.setRisk({ ...aRiskReport, singleInstance: [{ appId: SCRIPT_APP, chaosTarget: true, instances: 1 }] });
          }),
        ),
      );
      assert.ok(!html.includes('<script'), 'a <script> tag reached the page');
      assert.ok(!html.includes('<img'), 'an <img> tag reached the page');
      assert.ok(!html.includes('<b>'), 'markup from a reason reached the page');
      assert.ok(html.includes(esc(SCRIPT_APP)));
      assert.ok(html.includes('o&#39;hara &amp; &lt;co&gt;'));
      assert.ok(html.includes('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
      assert.equal(esc(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    });

    it('names the state and why: running, dry run, paused, halted, not ready, shutting down', () => {
      const stateLine = (v: StatusView): string => /<p class="state state-([a-z-]+)" id="state"><span class="dot"><\/span>([^<]*)<\/p>/.exec(renderStatusPage(v))?.slice(1).join(': ') ?? '';
      assert.equal(stateLine(view(stateWith())), 'running: running');
      assert.equal(stateLine(view(stateWith(), { dryRun: true })), 'running: running (dry run)');
      const paused = view(stateWith((s) => s.pause({ by: 'alice', reason: 'game day' })));
      assert.equal(stateLine(paused), 'paused: paused');
      assert.match(renderStatusPage(paused), /Paused since Fri,? 15 Mar 2024,? 14:30:00 CET by alice: game day\. POST \/resume to continue\./);
      assert.match(renderStatusPage(paused), /Paused: these slots are skipped until POST \/resume\./);
      const halted = view(stateWith((s) => s.halt({ appId: '/shop/payments', reason: 'not-recovered', detail: '1 of 3 healthy' })));
      assert.equal(stateLine(halted), 'halted: halted');
      assert.match(renderStatusPage(halted), /a weakness in \/shop\/payments \(not-recovered\): 1 of 3 healthy/);
      const notReady = view(stateWith((s) => s.setNotReady('marathon-unusable', 'no leader')));
      assert.equal(stateLine(notReady), 'not-ready: running, not ready');
      assert.match(renderStatusPage(notReady), /Not ready \(marathon-unusable\): no leader/);
      assert.equal(stateLine(view(stateWith((s) => s.beginShutdown('shutting down (SIGTERM)')))), 'stopping: shutting down');
      assert.match(renderStatusPage(view(stateWith())), /<dt>Role<\/dt><dd>single instance<\/dd>/);
    });

    it('shows every time in the configured zone', () => {
      const state = stateWith((s) => s.recordCycle(aKillThatRecovered));
      const berlin = renderStatusPage(view(state));
      assert.match(berlin, /<time datetime="2024-03-15T13:40:00.000Z">Fri,? 15 Mar 2024,? 14:40:00 CET<\/time> <span class="muted">in 10 min<\/span>/);
      assert.match(berlin, /<time datetime="2024-03-15T13:30:00.000Z">Fri,? 15 Mar,? 14:30:00<\/time>/, 'the cycle row');
      const newYork = renderStatusPage(view(state, { timezone: 'America/New_York' }));
      assert.match(newYork, /Fri,? 15 Mar 2024,? 09:40:00 (EDT|GMT-4)/);
      assert.match(newYork, /Times in America\/New_York\./);
    });

    it('lists the last cycles newest first: victims with task, host and rack, time to recover, weaknesses, skips and dry runs', () => {
      const html = renderStatusPage(
        view(
          stateWith((s) => {
            for (const r of [aKillThatRecovered, aWeakness, aDryRun, aSkippedCycle, aBusyClusterKill()]) s.recordCycle(r);
          }),
        ),
      );
      const rows = [...html.matchAll(/<tr class="cycle outcome-([a-z-]+)" data-cycle-id="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({ outcome: m[1], id: m[2], html: m[3] ?? '' }));
      assert.deepEqual(
        rows.map((r) => `${r.id} ${r.outcome}`),
        ['c-busy killed', 'c-4 skipped', 'c-3 dry-run', 'c-2 weakness', 'c-1 killed'],
      );
      const [busy, skipped, dry, weak, recovered] = rows;
      assert.match(recovered!.html, /\/shop\/cart<\/span> <span class="muted">shop_cart\.6f3a-1 on agent-1, rack r1<\/span>/);
      assert.match(recovered!.html, /<td data-label="Time to recover"><div><ul class="plain"><li>42 s<\/li><\/ul>/);
      assert.match(weak!.html, /<li class="bad">not recovered<\/li>/);
      assert.match(weak!.html, /weakness in <span class="app">\/shop\/payments<\/span>: not-recovered/);
      assert.match(weak!.html, /chaos halted/);
      assert.match(dry!.html, /task, dry run/);
      assert.match(skipped!.html, /outside-office-hours: office hours are Mon-Fri 09:00-17:00 Europe\/Berlin/);
      assert.match(busy!.html, /<span class="app">\/shop\/cart<\/span> 12 s/, 'two apps watched: each names its app');
      assert.match(busy!.html, /<span class="app">\/shop\/api<\/span> not recovered/);
      assert.match(busy!.html, /40 apps, 2 eligible, 38 skipped/);
    });

    it('draws time to recover as an SVG: a point per measured recovery, a red cross per app that did not recover, a readable axis', () => {
      const html = renderStatusPage(
        view(
          stateWith((s) => {
            for (const r of [aKillThatRecovered, aWeakness, aBusyClusterKill()]) s.recordCycle(r);
          }),
        ),
      );
      const svg = /<svg id="ttr-chart"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
      assert.equal([...svg.matchAll(/<circle class="ttr-point"/g)].length, 2, '42 s and 12 s');
      assert.equal([...svg.matchAll(/<g class="ttr-miss">/g)].length, 2, '/shop/payments and /shop/api');
      assert.match(svg, /<polyline class="ttr-line" points="[\d., ]+"\/>/);
      assert.match(svg, /<title>\/shop\/cart at Fri,? 15 Mar 2024,? 14:30:00 CET: 42 s<\/title>/);
      assert.match(svg, />50 s<\/text>/, 'the axis tops at a round value');
      assert.match(html, /2 measured recoveries, median 27 s, slowest 42 s; <span class="bad">2 not recovered<\/span>/);
    });

    it('says so when there is nothing yet: no cycle, no recovery, no weakness, risk not assessed', () => {
      const html = renderStatusPage(view(stateWith(), { nextCycles: [] }));
      assert.match(html, /No cycle has run since the daemon started\./);
      assert.match(html, /No kill has been watched yet/);
      assert.ok(!html.includes('<svg'), 'an empty chart');
      assert.match(html, /No open weakness; no app is quarantined\./);
      assert.match(html, /<section id="risk">\n<h2>Placement risk<\/h2>\n<p class="empty">Not assessed yet\./);
      assert.match(html, /No cycle is scheduled\./);
    });

    it('shows the open weaknesses (quarantined apps) and the halt they caused', () => {
      const html = renderStatusPage(
        view(
          stateWith((s) => {
            s.quarantineApp('/shop/payments', { reason: 'weakness', detail: 'not back in 300 s', cycleId: 'c-2', since: '2024-03-15T13:05:00.000Z' });
            s.halt({ appId: '/shop/payments', reason: 'not-recovered', cycleId: 'c-2', since: '2024-03-15T13:05:00.000Z' });
          }),
        ),
      );
      assert.match(html, /Chaos is halted by the weakness in <span class="app">\/shop\/payments<\/span> \(not-recovered\) since Fri,? 15 Mar 2024,? 14:05:00 CET\./);
      assert.match(html, /<tr class="quarantined">\n<td data-label="App"><div><span class="app">\/shop\/payments<\/span><\/div><\/td>\n<td data-label="Why"><div>weakness: not back in 300 s<\/div><\/td>/);
    });

    it('renders the placement risk: what one failure would take, single-instance apps, how placement was known', () => {
      const html = renderStatusPage(view(stateWith((s) => s.setRisk(aRiskReport))));
      const section = /<section id="risk">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
      assert.match(section, /<span class="bad">At risk\.<\/span> 3 apps, 7 tasks assessed Fri,? 15 Mar 2024,? 14:30:00 CET\./);
      assert.match(section, /<td data-label="If one … fails"><div>rack<\/div><\/td>\n<td data-label="App"><div><span class="app">\/shop\/cart<\/span><\/div><\/td>\n<td data-label="Where"><div>r1<\/div><\/td>\n<td data-label="Lost" class="bad"><div>3 of 3 \(all\)<\/div><\/td>\n<td data-label="Healthy left"><div>0 \(floor 1\)<\/div><\/td>/);
      assert.match(section, /<h3>Single instance<\/h3><ul class="plain flags"><li><span class="app">\/shop\/solo<\/span><\/li><\/ul>/);
      assert.match(section, /Racks and zones from the Mesos agents\./);
      const safe = renderStatusPage(view(stateWith((s) => s.setRisk({ ...aRiskReport, risky: false, rack: [], singleInstance: [] }))));
      assert.match(safe, /No placement risk found\. 3 apps, 7 tasks assessed/);
    });

    it('shows the masked configuration it is given, folded', () => {
      const html = renderStatusPage(view(stateWith(), { config: { marathon: { password: '[Sensitive]', urls: ['http://m:8080'] } } }));
      assert.match(html, /<details>\n<summary>Effective configuration \(secrets masked\)<\/summary>\n<pre>\{\n {2}&quot;marathon&quot;: \{\n {4}&quot;password&quot;: &quot;\[Sensitive\]&quot;/);
    });
  });

  it('duration: ms, seconds with one decimal under 10 s, minutes, hours, days; coarse axis ticks', () => {
    const cases: [number, boolean, string][] = [
      [850, false, '850 ms'],
      [2_345, false, '2.3 s'],
      [42_000, false, '42 s'],
      [245_000, false, '4 min 5 s'],
      [7_800_000, false, '2 h 10 min'],
      [277_200_000, false, '3 d 5 h'],
      [0, true, '0'],
      [2_500, true, '2.5 s'],
      [5_000, true, '5 s'],
      [120_000, true, '2 min'],
    ];
    for (const [ms, coarse, want] of cases) assert.equal(duration(ms, coarse), want, `${ms} ms${coarse ? ' (coarse)' : ''}`);
  });
});

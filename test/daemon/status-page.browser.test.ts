import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as realDelay } from 'node:timers/promises';
import { chaosSettingsFrom, clientsFrom, scheduleFrom } from '../../src/app/wiring.js';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { startControlServer, type ControlServer } from '../../src/daemon/http-server.js';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import { DaemonState } from '../../src/daemon/state.js';
import type { RiskReport } from '../../src/domain/risk.js';
import { memoryLogger } from '../../src/log.js';
import { ManualClock } from '../../src/platform/clock.js';
import { DEFAULT_SCENARIO_FILE } from '../../src/sim/command.js';
import { loadScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { CHROMIUM_MISSING, findChromium, launchBrowser, type BrowserSession, type OpenedPage } from '../helpers/browser.js';
import { aFridayAfternoon, answeredKill, notRecovered, recoveredIn, victim } from './helpers.js';
import { skipForMissingTool } from '../helpers/tools.js';

/**
 * The status page at GET / in a real headless Chromium: the daemon on the demo's simulated
 * cluster (config/demo-scenario.json, where /demo/legacy-billing never comes back) runs real
 * cycles with kills; the page must show the state, the victims, the weakness and the recovery
 * chart, log no error, fetch nothing but itself, and fit a 390 px phone without sideways scroll.
 * Screenshots go to test-results/ (gitignored). Without a Chromium the tests skip and say why.
 */

const MINUTE = 60_000;
const PHONE = 390;
const CONTROL_TOKEN = 'status-page-test-token-5d1c';

const chromium = findChromium();
let browser: BrowserSession | undefined;

/** Everything a page check needs to hold true on any page the daemon serves. */
function assertClean(view: OpenedPage, origin: string): void {
  assert.equal(view.status, 200);
  assert.deepEqual(view.problems, [], 'console errors, page errors or failed requests');
  const foreign = view.requests.filter((u) => !u.startsWith(`${origin}/`));
  assert.deepEqual(foreign, [], 'the page fetched something other than itself');
  assert.deepEqual(view.requests, [`${origin}/`], 'the page loads nothing besides its own HTML');
}


describe('status page in Chromium (GET /)', function () {
  this.timeout(60_000);

  before(async function () {
    if (chromium === undefined) {
      skipForMissingTool(this, CHROMIUM_MISSING);
    }
    browser = await launchBrowser(chromium);
  });

  after(async () => {
    await browser?.close();
    browser = undefined;
  });

  describe('the daemon on the demo cluster, after real kills and a weakness', () => {
    let dir: string;
    let sim: RunningSim | undefined;
    let daemon: Daemon | undefined;
    let clock: ManualClock;
    let url: string;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'monkey-status-page-'));
      // 14:30 on a Friday in Berlin: inside office hours.
      clock = new ManualClock(aFridayAfternoon);
      sim = await startSimulator({ scenario: loadScenario(DEFAULT_SCENARIO_FILE), clock, tickMs: 10 });
      const loaded = loadConfig({
        env: {
          MONKEY_MARATHON_URLS: sim.marathonUrl,
          MONKEY_MESOS_URL: sim.mesosUrl,
          MONKEY_MARATHON_USERNAME: 'monkey',
          MONKEY_MARATHON_PASSWORD: 'not-on-the-page-9f2e',
          MONKEY_CONTROL_TOKEN: CONTROL_TOKEN,
          MONKEY_JOURNAL: join(dir, 'journal.jsonl'),
          MONKEY_DRY_RUN: 'false',
          MONKEY_SEED: 'status-page',
          MONKEY_CRON: '* * * * *',
          MONKEY_JITTER: '0',
          MONKEY_TIMEZONE: 'Europe/Berlin',
          MONKEY_OFFICE_HOURS: 'Mon-Fri 09:00-17:00',
          MONKEY_HALT_ON_WEAKNESS: 'false',
          MONKEY_MIN_TASK_AGE: '0',
          MONKEY_MIN_KILL_INTERVAL: '0',
          MONKEY_RECOVERY_TIMEOUT: '5',
          MONKEY_RECOVERY_POLL_MS: '250',
          MONKEY_INCLUDE: '/shop/cart,/shop/catalog,/demo/legacy-billing',
        },
      });
      const { config } = loaded;
      const log = memoryLogger('silent');
      daemon = new Daemon({
        settings: chaosSettingsFrom(config, config.chaos.seed),
        schedule: scheduleFrom(config),
        clients: clientsFrom(config, { clock, logger: log.logger }),
        journalPath: config.journal.path,
        clock,
        logger: log.logger,
        server: { host: '127.0.0.1', port: 0, controlToken: CONTROL_TOKEN },
        maskedConfig: loaded.masked,
        version: '0.0.0-test',
        shutdownGraceMs: 1000,
        metrics: new MonkeyMetrics({ version: '0.0.0-test', defaultMetrics: false }),
      });
      url = (await daemon.start()).url;

      // Slot after slot until the history holds recoveries and a weakness (the seed decides the order).
      const d = daemon;
      const done = (): boolean => {
        const cycles = d.state.lastCycles();
        const recovered = cycles.flatMap((c) => c.recovery).filter((r) => r.recovered).length;
        return recovered >= 2 && cycles.some((c) => c.weaknesses.length > 0);
      };
      for (let slot = 1; slot <= 10 && !done(); slot++) {
        const now = clock.now();
        await clock.advance(Math.ceil((now + 1) / MINUTE) * MINUTE - now);
        for (let step = 0; step < 200 && d.state.getCounters().cycles < slot; step++) {
          await clock.advance(250);
          await realDelay(2);
        }
        assert.equal(d.state.getCounters().cycles, slot, `cycle #${slot} did not finish`);
      }
      assert.ok(done(), `no weakness and two recoveries after 10 cycles: ${JSON.stringify(d.state.lastCycles().map((c) => [c.outcome, c.victims.map((v) => v.appId)]))}`);
    });

    after(async () => {
      if (daemon) {
        let stopped = false;
        const stopping = daemon.shutdown('test over').finally(() => (stopped = true));
        for (let i = 0; i < 100 && !stopped; i++) {
          await clock.advance(1000);
          await realDelay(1);
        }
        await stopping;
      }
      await sim?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('shows the state, the next cycles in Berlin time, the victims, the weakness and the recovery chart; nothing else is fetched; no error', async () => {
      const res = await fetch(`${url}/`);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const html = await res.text();
      assert.ok(!html.includes('not-on-the-page-9f2e'), 'the Marathon password is on the page');
      assert.ok(!html.includes(CONTROL_TOKEN), 'the control token is on the page');

      const view = await browser!.open(`${url}/`, { width: 1100 });
      try {
        assertClean(view, url);
        const headings = await view.texts('h1, h2');
        // The demo's /demo/session-cache declares a service probe, so its figures have a section.
        assert.deepEqual(headings, ['marathon-monkey', 'State', 'Next cycles', 'Last cycles', 'Time to recover', 'Service probes', 'Open weaknesses and quarantines', 'Placement risk']);
        assert.equal(await view.text('#state'), 'running');
        const facts = await view.text('#daemon');
        assert.match(facts, /single instance/);
        assert.match(facts, /Europe\/Berlin/);
        const next = await view.texts('#next-cycles li');
        assert.equal(next.length, 5);
        assert.match(next[0]!, /Fri,? 15 Mar 2024,? 1\d:\d\d:00 CET/, `next cycles in the configured zone: ${next[0]}`);

        const rows = await view.texts('#last-cycles tr.cycle');
        assert.ok(rows.length >= 3, `${rows.length} cycle rows`);
        assert.ok(rows.some((r) => /\/shop\/(cart|catalog)/.test(r) && /\d s/.test(r)), 'a victims row with its time to recover');
        assert.ok(rows.some((r) => /weakness in \/demo\/legacy-billing/.test(r) && /not recovered/.test(r)), 'the weakness row');
        const quarantined = await view.texts('#weaknesses tr.quarantined');
        assert.equal(quarantined.length, 1);
        assert.match(quarantined[0]!, /\/demo\/legacy-billing/);

        const chart = {
          points: await view.count('#ttr-chart circle.ttr-point'),
          misses: await view.count('#ttr-chart g.ttr-miss'),
          width: await view.evaluate<number>(`document.querySelector('#ttr-chart').getBoundingClientRect().width`),
        };
        assert.ok(chart.points >= 2, `${chart.points} recovery points`);
        assert.ok(chart.misses >= 1, 'the weakness is on the chart');
        assert.ok(chart.width > 300, `chart ${chart.width} px wide`);
        // The daemon assesses placement risk from each cycle's listing (DaemonState.setRisk).
        assert.match(await view.text('#risk'), /(At risk\.|No placement risk found\.) 8 apps, \d+ tasks assessed/);
        assert.match(await view.text('#config'), /\[Sensitive\]/);
        await view.screenshot('status-page-desktop');
      } finally {
        await view.close();
      }
    });

    it(`fits a ${PHONE} px phone: no sideways scroll, the cycle table becomes cards`, async () => {
      const view = await browser!.open(`${url}/`, { width: PHONE, height: 844, scale: 2, mobile: true });
      try {
        assertClean(view, url);
        const scrollWidth = await view.scrollWidth();
        assert.ok(scrollWidth <= PHONE, `the page is ${scrollWidth} px wide on a ${PHONE} px screen`);
        const headerShown = await view.evaluate<boolean>(`getComputedStyle(document.querySelector('#last-cycles thead')).display !== 'none'`);
        assert.equal(headerShown, false, 'the table header is hidden on a phone (each cell is labelled)');
        await view.screenshot('status-page-phone');
      } finally {
        await view.close();
      }
    });
  });

  describe('user data on the page', () => {
    let server: ControlServer | undefined;
    let clock: ManualClock;

    after(async () => {
      // Chromium keeps its connection alive: the server's grace period runs on the ManualClock.
      const closing = server?.close();
      await clock.advance(2000);
      await closing;
    });

    it('an app id, pause reason and risk entry holding <script> are shown as text and never run', async () => {
      const hostile = '/x<script>document.title="pwned";console.error("ran")</script>';
      clock = new ManualClock(aFridayAfternoon);
      const state = new DaemonState({ clock });
      state.recordCycle(
        answeredKill({ cycleId: 'c-1', at: aFridayAfternoon, victims: [victim('/shop/cart', 'shop_cart.1')], after: { '/shop/cart': recoveredIn(8_000) } }),
      );
      const weak = answeredKill({ cycleId: 'c-2', at: new Date(aFridayAfternoon.getTime() + 10 * MINUTE), victims: [victim(hostile, 'x.1', { rack: '<b>r1</b>' })], after: { [hostile]: notRecovered() } });
      state.recordCycle(weak);
      state.quarantineApp(hostile, { reason: 'weakness', detail: '<img src=x onerror=alert(1)>', cycleId: 'c-2' });
      state.halt({ appId: hostile, reason: 'not-recovered', cycleId: 'c-2' });
      state.pause({ by: '<i>mallory</i>', reason: '</title><script>alert(2)</script>' });
      state.setReady();
      const risk: RiskReport = {
        risky: true,
        apps: 2,
        tasks: 4,
        host: [{ appId: hostile, chaosTarget: true, domain: '<h1>agent</h1>', domainsAtRisk: 1, lost: 2, total: 2, healthyLeft: 0, floor: 1, severity: 'all' }],
        rack: [],
        zone: [],
        singleInstance: [{ appId: '/solo"onmouseover="alert(3)', chaosTarget: false, instances: 1 }],
        noHealthChecks: [],
        placement: { agentsKnown: true, agentsNote: null, rackAttribute: 'rack', rackFromAttribute: 4, withoutRack: 0, withoutZone: 0 },
      };
      state.setRisk(risk);
      server = await startControlServer({
        host: '127.0.0.1',
        port: 0,
        state,
        metrics: new MonkeyMetrics({ version: '0.0.0-test', defaultMetrics: false }),
        controlToken: CONTROL_TOKEN,
        logger: memoryLogger('silent').logger,
        clock,
        status: () => ({ version: '0.0.0-test', dryRun: false, strategy: 'task', timezone: 'Europe/Berlin', nextCycles: [] }),
      });
      const view = await browser!.open(`${server.url}/`, { width: PHONE, mobile: true });
      try {
        assertClean(view, server.url);
        assert.equal(await view.page.title(), 'marathon-monkey: halted', 'the title holds no script result');
        assert.equal(await view.count('script, img, b, i'), 0, 'user data became markup');
        assert.equal(await view.count('h1'), 1, 'user data became a heading');
        const text = await view.visibleText();
        assert.ok(text.includes(hostile), 'the app id is shown as text');
        assert.ok(text.includes('<img src=x onerror=alert(1)>'));
        assert.ok(text.includes('</title><script>alert(2)</script>'));
        assert.ok(text.includes('<h1>agent</h1>'));
        assert.ok(text.includes('/solo"onmouseover="alert(3)'));
        assert.equal(await view.text('#state'), 'halted');
        assert.match(await view.text('#risk'), /At risk\./);
        const scrollWidth = await view.scrollWidth();
        assert.ok(scrollWidth <= PHONE, `the page is ${scrollWidth} px wide on a ${PHONE} px screen`);
        await view.screenshot('status-page-user-data');
      } finally {
        await view.close();
      }
    });
  });
});

import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunningSim } from '../../src/sim/index.js';
import { CHROMIUM_MISSING, findChromium, launchBrowser } from '../helpers/browser.js';
import { cleanEnv, runCli, simEnv, tempDir } from '../helpers/cli.js';
import { killCycle, recovered, victim } from '../report/fixtures.js';
import { app, journalWithRecoveryAndWeakness, simWith } from './scenarios.js';
import { skipForMissingTool } from '../helpers/tools.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the test reads off the page in Chromium. */
interface Seen {
  title: string;
  scripts: number;
  charts: { title: string; width: number }[];
  points: number;
  bars: number;
  segments: number;
  bold: number;
  text: string;
}

/** An app id no Marathon would accept, written into the journal by hand: it must stay text. */
const EVIL = '/evil/<script>document.title="pwned";console.error("xss")</script>';

/**
 * The real binary: `once` kills against the simulated cluster (one app recovers, one never does,
 * one is skipped as deploying), then `report` reads that journal in every format. The HTML report
 * is opened in a real Chromium (test/helpers/browser.ts) and photographed into test-results/.
 */
describe('marathon-monkey report (the real binary, on a journal written by once)', function () {
  this.timeout(60_000);
  let dir: string;
  let journal: string;
  let sim: RunningSim | undefined;

  before(async () => {
    dir = tempDir('monkey-report-');
    journal = join(dir, 'journal.jsonl');
    await journalWithRecoveryAndWeakness(journal, 'report', [app('/shop/cart'), app('/guard/deploying', { deploying: true })]);
    appendFileSync(journal, `${JSON.stringify(killCycle(new Date().toISOString(), [victim(EVIL, 9, { host: '<b>host</b>' })], { [EVIL]: recovered(1234) }))}\n`);
    // A torn last line (a writer killed mid-append) is counted, not fatal.
    appendFileSync(journal, '{"type":"cycle","cycleId":"torn');
  });

  after(async () => {
    await sim?.close();
  });

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => cleanEnv({ MONKEY_JOURNAL: journal, ...extra });

  it('json: the computed report', async () => {
    const r = await runCli(['report', '--format', 'json'], env());
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Json;
    const apps = new Map<string, Json>((report.apps as Json[]).map((a): [string, Json] => [String(a.appId), a]));
    assert.equal(apps.get('/shop/cart')?.kills, 1);
    assert.equal(apps.get('/shop/cart')?.recovered, 1);
    assert.ok(apps.get('/shop/cart')?.ttr.p50Ms > 0);
    assert.equal(apps.get('/weak/billing')?.notRecovered, 1);
    assert.deepEqual((report.weaknesses as Json[]).map((w) => `${String(w.appId)} ${String(w.status)}`), ['/weak/billing open']);
    assert.equal((report.skipReasonsPerDay as Json[])[0]?.counts.deploying, 1);
    assert.equal(report.totals.ignoredLines, 1);
    assert.equal(report.placementRisk, undefined, 'no Marathon configured, no risk section');
  });

  it('md: to stdout by default, with the kill timeline as table rows', async () => {
    const r = await runCli(['report'], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# Chaos report$/m);
    assert.match(r.stdout, /^\| [0-9-]+ [0-9:]+Z \| \/shop\/cart \| shop\\_cart\.instance-[^|]+ \| 10\.9\.\d\.\d \| r\d \| recovered \| [0-9.]+ (ms|s) \|$/m);
    assert.match(r.stdout, /^\| [0-9-]+ [0-9:]+Z \| \/weak\/billing \| .* \| did not recover \| – \|$/m);
    assert.ok(!r.stdout.includes('<script'));
  });

  it('html: --out FILE.html writes one self-contained file; --since later than everything leaves an empty report', async () => {
    const out = join(dir, 'report.html');
    const r = await runCli(['report', '--out', out], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /report written to .*report\.html \(html: 3 tasks killed, 1 weaknesses/);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(!html.includes('<script'), 'the app id from the journal is escaped');
    const future = await runCli(['report', '--since', '2999-01-01', '--format', 'json'], env());
    assert.equal((JSON.parse(future.stdout) as Json).timeline.length, 0);
  });

  it('with a Marathon configured, adds the placement risk now', async () => {
    sim = await simWith([app('/shop/cart', { instances: 1 })]);
    const r = await runCli(['report', '--format', 'md'], simEnv(sim, journal));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^## Placement risk \(now\)$/m);
    assert.match(r.stdout, /^### Single instance$/m);
    await sim.close();
    sim = undefined;
  });

  it('exits 1 with E_JOURNAL for a journal that is not there, and E_USAGE naming --since for a bad date', async () => {
    const missing = await runCli(['report'], cleanEnv({ MONKEY_JOURNAL: join(dir, 'nope.jsonl') }));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /E_JOURNAL: cannot read the journal .*nope\.jsonl \(ENOENT\)/);
    assert.match(missing.stderr, /fix: set MONKEY_JOURNAL/);
    const bad = await runCli(['report', '--since', 'last week'], env());
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /E_USAGE: --since must be a UTC day/);
    const unwritable = await runCli(['report', '--out', join(dir, 'no', 'such', 'dir', 'r.html')], env());
    assert.equal(unwritable.code, 1);
    assert.match(unwritable.stderr, /E_REPORT_OUT: cannot write the report .*ENOENT/);
  });

  describe('the HTML report in Chromium', () => {
    const chromium = findChromium();

    it('renders with no console error, fetches nothing, draws its charts, and a <script> app id stays text', async function () {
      if (chromium === undefined) {
        skipForMissingTool(this, CHROMIUM_MISSING);
      }
      const out = join(dir, 'browser.html');
      assert.equal((await runCli(['report', '--format', 'html', '--out', out], env())).code, 0);
      const browser = await launchBrowser(chromium);
      try {
        const url = pathToFileURL(out).href;
        const view = await browser.open(url, { width: 1100 });
        const dialogs: string[] = [];
        view.page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        assert.deepEqual(view.problems, [], 'console errors, page errors or failed requests');
        assert.deepEqual(view.requests, [url], 'the report loads nothing besides itself');
        // A string: the tests compile without the DOM library.
        const seen = (await view.page.evaluate(`({
          title: document.title,
          scripts: document.querySelectorAll('script').length,
          charts: [...document.querySelectorAll('svg.chart')].map((s) => ({ title: s.querySelector('title')?.textContent ?? '', width: s.getBoundingClientRect().width })),
          points: document.querySelectorAll('svg.chart circle.point').length,
          bars: document.querySelectorAll('svg.chart rect.bar').length,
          segments: document.querySelectorAll('svg.chart rect.segment').length,
          bold: document.querySelectorAll('#timeline b').length,
          text: document.body.innerText,
        })`)) as Seen;
        assert.equal(seen.scripts, 0);
        assert.doesNotMatch(seen.title, /pwned/);
        assert.deepEqual(
          seen.charts.map((c) => c.title),
          ['Time to recover over time', 'Tasks killed per day', 'Skip reasons per day'],
        );
        for (const c of seen.charts) assert.ok(c.width > 100, `${c.title} is drawn`);
        assert.equal(seen.points, 2, 'one dot per recovery');
        assert.ok(seen.bars >= 1);
        assert.ok(seen.segments >= 1);
        assert.equal(seen.bold, 0, 'a tag in a host name is not markup');
        assert.ok(seen.text.includes(EVIL), 'the app id is shown as the text it is');
        assert.ok(seen.text.includes('<b>host</b>'));
        assert.deepEqual(dialogs, []);
        const shot = await view.screenshot('report');
        assert.ok(readFileSync(shot).length > 10_000, 'a real screenshot');
      } finally {
        await browser.close();
      }
    });
  });
});

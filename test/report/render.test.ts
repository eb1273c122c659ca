import assert from 'node:assert/strict';
import { REASONS } from '../../src/domain/reasons.js';
import type { RiskReport } from '../../src/domain/risk.js';
import { computeReport, type Report } from '../../src/report/compute.js';
import { formatMs } from '../../src/report/format.js';
import { renderHtml } from '../../src/report/render-html.js';
import { mdCell, renderMarkdown } from '../../src/report/render-md.js';
import { barChart, niceMax, stackedBarChart } from '../../src/report/svg.js';
import { asJournal, gatedCycle, killCycle, notRecovered, quietCycle, recovered, skip, victim } from './fixtures.js';

const EVIL = '/evil/<script>alert("x")</script>|*bold*&amp;';

function sample(): Report {
  return computeReport(
    asJournal([
      killCycle('2026-11-20T10:00:00.000Z', [victim('/shop/cart', 1)], { '/shop/cart': recovered(4200) }, { cycleId: 'c-1' }),
      killCycle('2026-11-21T10:00:00.000Z', [victim(EVIL, 2, { host: '<img src=x onerror=alert(1)>' })], { [EVIL]: notRecovered() }),
      quietCycle('2026-11-21T11:00:00.000Z', [skip('/a', REASONS.unhealthy), skip(EVIL, REASONS.quarantined)]),
      gatedCycle('2026-11-22T20:00:00.000Z', 'holiday'),
    ]),
    { journal: '/var/lib/<monkey>/journal.jsonl', generatedAt: '2026-11-25T12:00:00.000Z' },
  );
}

const RISK: RiskReport = {
  risky: true,
  apps: 2,
  tasks: 4,
  host: [{ appId: '/shop/<b>pay</b>', chaosTarget: true, domain: '10.0.0.1', domainsAtRisk: 1, lost: 2, total: 2, healthyLeft: 0, floor: 1, severity: 'all' }],
  rack: [],
  zone: [],
  singleInstance: [{ appId: '/solo', chaosTarget: false, instances: 1 }],
  noHealthChecks: [],
  placement: { agentsKnown: true, agentsNote: null, rackAttribute: 'rack', rackFromAttribute: 4, withoutRack: 0, withoutZone: 4 },
};

describe('report: rendering', () => {
  it('Markdown: one table row per kill, cells escaped so an app id cannot break the table or become HTML', () => {
    const md = renderMarkdown(sample());
    assert.match(md, /^\| Cycle time \| App \| Task \| Host \| Rack \| Outcome \| TTR \|$/m);
    assert.match(md, /^\| 2026-11-20 10:00:00Z \| \/shop\/cart \| shop\\_cart\.instance-1 \| 10\.0\.0\.1 \| r1 \| recovered \| 4\.2 s \|$/m);
    assert.ok(!md.includes('<script'), 'no raw tag from the journal');
    assert.ok(!md.includes('<img'), 'no raw tag from the journal');
    assert.ok(md.includes(mdCell(EVIL)));
    assert.equal(mdCell('a|b\nc<d>_e'), 'a\\|b c&lt;d&gt;\\_e');
    // Every table row has as many cells as its header.
    const cells = (row: string): number => (row.match(/(?<!\\)\|/g) ?? []).length;
    for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) {
      const [head, ...rows] = block.split('\n');
      for (const row of rows) assert.equal(cells(row), cells(head!), row);
    }
    assert.match(md, /^## Weaknesses$/m);
    assert.match(md, /did not recover/);
    assert.match(md, /^\| 2026-11-22 \| 1 \|$/m, 'gated cycles per day');
    assert.doesNotMatch(md, /<svg/);
  });

  it('HTML: everything from the journal is escaped, so a <script> in an app id is inert text', () => {
    const html = renderHtml(sample());
    assert.ok(!html.includes('<script'), 'no script element at all');
    assert.ok(!html.includes('<img'), 'no element from a host name');
    assert.ok(!html.includes('<monkey>'));
    assert.ok(html.includes('/evil/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;|*bold*&amp;amp;'));
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  });

  it('HTML: one self-contained file with the three charts as inline SVG', () => {
    const html = renderHtml(sample());
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<style>/);
    assert.doesNotMatch(html, /<link|<script|<[^>]*\s(src|href)=|url\(|@import/i, 'nothing external, no script');
    assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 3);
    assert.match(html, /<circle class="point"/);
    assert.match(html, /<rect class="bar"/);
    assert.match(html, /<rect class="segment"/);
    for (const id of ['summary', 'charts', 'apps', 'weaknesses', 'skips', 'timeline']) assert.match(html, new RegExp(`<section id="${id}">`));
    assert.doesNotMatch(html, /id="risk"/, 'no placement-risk section when none was assessed');
  });

  it('charts are left out when there is nothing to draw', () => {
    const empty = computeReport([], { journal: 'j', generatedAt: '2026-11-25T12:00:00.000Z' });
    const html = renderHtml(empty);
    assert.doesNotMatch(html, /<svg/);
    assert.match(html, /No kill in this period/);
    assert.match(renderMarkdown(empty), /No kill in this period/);
  });

  it('renders the placement risk assessed now, escaped, in both formats', () => {
    const r = { ...sample(), placementRisk: { assessedAt: '2026-11-25T12:00:00.000Z', risk: RISK } };
    const html = renderHtml(r);
    assert.match(html, /<h2>Placement risk \(now\)<\/h2>/);
    assert.match(html, /If one host fails/);
    assert.ok(html.includes('/shop/&lt;b&gt;pay&lt;/b&gt;'));
    assert.match(html, /all instances lost/);
    const md = renderMarkdown(r);
    assert.match(md, /^## Placement risk \(now\)$/m);
    assert.match(md, /^\| \/solo \| no \| 1 \|$/m);
    const down = renderMarkdown({ ...sample(), placementRisk: { assessedAt: '2026-11-25T12:00:00.000Z', unavailable: 'E_MARATHON_UNREACHABLE: connect ECONNREFUSED' } });
    assert.match(down, /not assessed: E\\_MARATHON\\_UNREACHABLE/);
  });

  it('chart helpers: nice axis bounds and escaped labels', () => {
    assert.deepEqual([0, 0.3, 1, 3, 7, 10, 11, 240].map(niceMax), [1, 0.5, 1, 5, 10, 10, 20, 500]);
    assert.equal(barChart('t', [], 'x'), '');
    const svg = stackedBarChart('t<', [{ label: '11-20', values: { '<b>': 2, ok: 1 } }], 'skips');
    assert.ok(!svg.includes('<b>'));
    assert.ok(svg.includes('&lt;b&gt;'));
    assert.equal((svg.match(/class="segment"/g) ?? []).length, 2);
    assert.deepEqual([450, 4200, 185_000, null].map(formatMs), ['450 ms', '4.2 s', '3 min 5 s', '–']);
  });
});

import assert from 'node:assert/strict';
import { explainApp } from '../../src/chaos/explain.js';
import { EMPTY_MEMORY } from '../../src/domain/memory.js';
import { baseRecord, skippedCycleRecord, summarizeCycle } from '../../src/chaos/record.js';
import { testSettings } from '../helpers/settings.js';
import { agent, app, aTuesdayMorning, MINUTE } from './fixtures.js';

describe('explainApp', () => {
  const now = aTuesdayMorning;

  it('lists every guard, passing or not, in the cycle’s order', () => {
    const e = explainApp('/a', [app('/a')], null, testSettings(), EMPTY_MEMORY, now);
    assert.equal(e.eligible, true);
    assert.deepEqual(
      e.guards.map((g) => g.guard),
      ['exists', 'opt-out', 'opt-in', 'include', 'exclude', 'self', 'framework', 'persistent-volumes', 'labels', 'quarantine', 'min-kill-interval', 'has-tasks', 'steady-state', 'min-healthy', 'tasks'],
    );
    assert.equal(e.candidateTasks.length, 3);
    assert.equal(e.budget, 2);
  });

  it('shows all failing guards, not just the first', () => {
    const a = app('/infra/dns', { instances: 1, labels: { 'monkey.enabled': '' }, app: { deployments: [{ id: 'd' }] } });
    const memory = { ...EMPTY_MEMORY, lastKillAt: new Map([['/infra/dns', now.getTime() - MINUTE]]) };
    const e = explainApp('/infra/dns', [a], null, testSettings({ exclude: ['/infra/*'] }), memory, now);
    assert.equal(e.eligible, false);
    assert.deepEqual(
      e.guards.filter((g) => !g.ok).map((g) => g.reason),
      ['not-opted-in', 'excluded', 'recently-killed', 'deploying', 'below-min-healthy'],
    );
  });

  it('says when the app does not exist', () => {
    const e = explainApp('/nope', [app('/a')], null, testSettings(), EMPTY_MEMORY, now);
    assert.equal(e.eligible, false);
    assert.equal(e.guards[0]!.guard, 'exists');
  });

  it('adds the rack guard for the rack strategy', () => {
    const a = app('/a', { taskOverrides: (i) => ({ slaveId: `S${i}`, host: `h${i}` }) });
    const ok = explainApp('/a', [a], [agent('S0', 'h0', { rack: 'r1' })], testSettings({ strategy: 'rack' }), EMPTY_MEMORY, now);
    assert.equal(ok.guards.at(-1)!.guard, 'rack');
    assert.ok(ok.guards.at(-1)!.ok);
    const none = explainApp('/a', [a], [], testSettings({ strategy: 'rack' }), EMPTY_MEMORY, now);
    assert.equal(none.guards.at(-1)!.reason, 'no-rack');
  });
});

describe('cycle records', () => {
  const settings = testSettings({ seed: 's1' });

  it('skippedCycleRecord explains a gate', () => {
    const rec = skippedCycleRecord('outside-office-hours', 'Mon-Fri 09:00-17:00 Europe/Berlin', { settings, scheduledAt: aTuesdayMorning, now: aTuesdayMorning.getTime() });
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.type, 'cycle');
    assert.deepEqual(rec.gate, { reason: 'outside-office-hours', detail: 'Mon-Fri 09:00-17:00 Europe/Berlin' });
    assert.match(summarizeCycle(rec), /gate: outside-office-hours/);
  });

  it('summarizeCycle names victims, the request of a dry run, and weaknesses', () => {
    const rec = baseRecord(settings, aTuesdayMorning, aTuesdayMorning.getTime(), { cycleId: 'c1' });
    rec.outcome = 'dry-run';
    rec.victims = [{ appId: '/a', taskId: 'a.instance-1._app.1', host: 'h1', agentId: 'S1', rack: 'r1', zone: null }];
    rec.killRequest = { method: 'POST', path: '/v2/tasks/delete?scale=false', body: { ids: ['a.instance-1._app.1'] } };
    rec.counts.skippedByReason = { 'not-opted-in': 4, deploying: 1 };
    const text = summarizeCycle(rec);
    assert.match(text, /cycle c1 \(dry-run, strategy task/);
    assert.match(text, /would kill a\.instance-1\._app\.1 of \/a on h1 \(rack r1\)/);
    assert.match(text, /skipped: not-opted-in 4, deploying 1/);
    assert.match(text, /request: POST \/v2\/tasks\/delete\?scale=false \{"ids":\["a\.instance-1\._app\.1"\]\}/);
    rec.weaknesses = [{ appId: '/a', reason: 'not-recovered', detail: 'x' }];
    rec.halted = true;
    assert.match(summarizeCycle(rec), /HALTED[\s\S]*WEAKNESS \/a: not-recovered/);
  });
});

describe('explainApp and monkey.enabled values', () => {
  const now = aTuesdayMorning;
  const labelled = (labels: Record<string, string>) => app('/a', { app: { labels } });
  const explain = (labels: Record<string, string>, optIn: boolean) => explainApp('/a', [labelled(labels)], null, testSettings({ optIn }), EMPTY_MEMORY, now);
  const guard = (e: ReturnType<typeof explain>, name: string) => e.guards.find((g) => g.guard === name)!;

  for (const optIn of [false, true]) {
    for (const labels of [
      { 'monkey.enabled': 'no' },
      { 'monkey.enabled': '0' },
      { 'monkey.enabled': 'off' },
      { 'monkey.enabled': '"false"' },
      { 'Monkey.Enabled': 'false' },
    ]) {
      it(`${JSON.stringify(labels)} with optIn ${optIn}: not eligible, opted out`, () => {
        const e = explain(labels, optIn);
        assert.equal(e.eligible, false);
        assert.equal(guard(e, 'opt-out').reason, 'opted-out');
      });
    }
    for (const labels of [{ 'monkey.enabled': 'maybe' }, { 'monkey.enabled': 'true', 'Monkey.Enabled': 'false' }]) {
      it(`${JSON.stringify(labels)} with optIn ${optIn}: not eligible, bad-label`, () => {
        const e = explain(labels, optIn);
        assert.equal(e.eligible, false);
        assert.equal(guard(e, 'opt-out').reason, 'bad-label');
        assert.equal(guard(e, 'labels').reason, 'bad-label');
      });
    }
  }
  for (const value of ['yes', '1', 'on', '"true"']) {
    it(`monkey.enabled=${value} with optIn: eligible`, () => {
      assert.equal(explain({ 'monkey.enabled': value }, true).eligible, true);
    });
  }
  it('a 500 KB label value is shortened in every guard detail', () => {
    const e = explain({ 'monkey.enabled': 'z'.repeat(500_000) }, false);
    assert.equal(e.eligible, false);
    const text = JSON.stringify(e);
    assert.ok(text.length < 4000, `explanation is ${text.length} characters`);
    assert.match(text, /… \(500000 bytes\)/);
  });
});

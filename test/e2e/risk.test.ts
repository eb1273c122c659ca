import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { runCli, simEnv, tempDir } from '../helpers/cli.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const scenarioFile = (name: string) => fileURLToPath(new URL(`../../config/scenarios/${name}`, import.meta.url));

describe('marathon-monkey risk (the real binary against the simulated cluster)', function () {
  this.timeout(30_000);
  let sim: RunningSim | undefined;
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  const start = async (name: string) => (sim = await startSimulator({ scenario: loadScenario(scenarioFile(name)) }));
  const env = (extra: Record<string, string> = {}) => simEnv(sim!, join(dir, 'journal.jsonl'), extra);

  it('risky placements: a table per kind of risk, exit 2', async () => {
    await start('risky.json');
    const r = await runCli(['risk'], env());
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /If one host fails \(2 apps\):/);
    assert.match(r.stdout, /\/risky\/one-host\s+no\s+10\.5\.2\.21\s+2 of 2\s+0 \/ 1\s+all instances lost/);
    assert.match(r.stdout, /If one rack fails \(3 apps\):[\s\S]*\/risky\/one-rack\s+yes\s+r1\s+2 of 2/);
    assert.match(r.stdout, /\/risky\/tight-floor\s+yes\s+r1 \(\+2 more\)\s+1 of 3\s+2 \/ 3\s+below the healthy floor/);
    assert.match(r.stdout, /If one zone fails \(3 apps\):[\s\S]*eu-1a/);
    assert.match(r.stdout, /Single instance[^\n]*\n[^\n]*\n\s+\/risky\/single\s+yes\s+1/);
    assert.match(r.stdout, /No health checks[^\n]*\n[^\n]*\n\s+\/risky\/no-health\s+yes\s+3/);
    assert.match(r.stdout, /^RISK: /m);
    assert.doesNotMatch(r.stdout, /\/fine\/spread/);
    assert.equal(sim!.requestLog.filter((q) => q.method !== 'GET').length, 0, 'risk only reads');
  });

  it('--json: the RiskReport', async () => {
    await start('risky.json');
    const r = await runCli(['risk', '--json'], env());
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout) as Json;
    assert.deepEqual(Object.keys(report).sort(), ['apps', 'host', 'noHealthChecks', 'placement', 'rack', 'risky', 'singleInstance', 'tasks', 'zone']);
    assert.equal(report.risky, true);
    assert.equal(report.apps, 6);
    assert.equal(report.tasks, 14);
    assert.deepEqual(report.host[0], { appId: '/risky/one-host', chaosTarget: false, total: 2, floor: 1, domain: '10.5.2.21', domainsAtRisk: 1, lost: 2, healthyLeft: 0, severity: 'all' });
    assert.deepEqual((report.rack as Json[]).map((l): unknown[] => [l.appId, l.domain, l.severity]), [
      ['/risky/one-host', 'r2', 'all'],
      ['/risky/one-rack', 'r1', 'all'],
      ['/risky/tight-floor', 'r1', 'below-floor'],
    ]);
    assert.deepEqual((report.zone as Json[]).map((l) => String(l.domain)), ['eu-1b', 'eu-1a', 'eu-1a']);
    assert.deepEqual(report.singleInstance, [{ appId: '/risky/single', chaosTarget: true, instances: 1 }]);
    assert.deepEqual(report.noHealthChecks, [{ appId: '/risky/no-health', chaosTarget: true, instances: 3 }]);
    assert.deepEqual(report.placement, { agentsKnown: true, agentsNote: null, rackAttribute: 'rack', rackFromAttribute: 14, withoutRack: 0, withoutZone: 0 });
  });

  it('a well-spread cluster: no risk, exit 0 (text and JSON)', async () => {
    await start('well-spread.json');
    const r = await runCli(['risk'], env());
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^no placement risk: 4 apps, 14 tasks/m);
    const j = await runCli(['risk', '--json'], env());
    assert.equal(j.code, 0, j.stderr);
    const report = JSON.parse(j.stdout) as Json;
    assert.equal(report.risky, false);
    for (const k of ['host', 'rack', 'zone', 'singleInstance', 'noHealthChecks']) assert.deepEqual(report[k], [], k);
  });

  it('Mesos agents unavailable: still a verdict, from the tasks, and says so', async () => {
    await start('risky.json');
    const r = await runCli(['risk', '--json'], env({ MONKEY_MESOS_URL: 'http://127.0.0.1:1', MONKEY_HTTP_RETRIES: '0' }));
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout) as Json;
    assert.equal(report.placement.agentsKnown, false);
    assert.match(String(report.placement.agentsNote), /Mesos agents unavailable/);
    // Racks fall back to the zones Marathon reports on the tasks.
    assert.deepEqual((report.rack as Json[]).map((l) => String(l.domain)), ['eu-1b', 'eu-1a', 'eu-1a']);
    const t = await runCli(['risk'], env({ MONKEY_MESOS_URL: 'http://127.0.0.1:1', MONKEY_HTTP_RETRIES: '0' }));
    assert.match(t.stdout, /^note: Mesos agents unavailable .*racks and zones from the tasks' zones only$/m);
  });

  it('Marathon unusable: no verdict, exit 1 with the error', async () => {
    await start('risky.json');
    const r = await runCli(['risk'], env({ MONKEY_MARATHON_URLS: 'http://127.0.0.1:1', MONKEY_HTTP_RETRIES: '0' }));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /E_MARATHON_UNREACHABLE/);
    assert.match(r.stderr, /fix: /);
  });
});

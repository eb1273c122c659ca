import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as realDelay } from 'node:timers/promises';
import { runCycle } from '../../src/chaos/cycle.js';
import type { AgentIndex } from '../../src/chaos/select.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { DaemonState, type RiskSnapshot } from '../../src/daemon/state.js';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import type { MarathonApp } from '../../src/domain/marathon.js';
import type { RiskReport } from '../../src/domain/risk.js';
import { memoryLogger } from '../../src/log.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { MesosClient } from '../../src/mesos/client.js';
import { ManualClock } from '../../src/platform/clock.js';
import { compileSchedule } from '../../src/schedule/settings.js';
import { parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { testSettings } from '../helpers/settings.js';
import { app, agent, captureLogger, FakeAgents, FakeApps, FakeKiller, RecordingLedger } from '../chaos/fixtures.js';

const aFridayAfternoon = new Date('2024-03-15T13:30:00.000Z');
const HC = [{ protocol: 'MESOS_HTTP', path: '/health' }];

describe('placement risk in the daemon', () => {
  it('the cycle tells onListing its listing, with the agents when the strategy lists them', async () => {
    const clock = new ManualClock(aFridayAfternoon);
    const seen: [readonly MarathonApp[], AgentIndex | null][] = [];
    const deps = {
      apps: new FakeApps([app('/a')]),
      killer: new FakeKiller(),
      ledger: new RecordingLedger(),
      agents: new FakeAgents([agent('agent-S0', '10.0.0.1', { rack: 'r1' })]),
      clock,
      logger: captureLogger().logger,
    };
    const onListing = (apps: readonly MarathonApp[], agents: AgentIndex | null) => seen.push([apps, agents]);
    await runCycle(deps, testSettings({ strategy: 'task' }), { scheduledAt: aFridayAfternoon, plan: true, onListing });
    await runCycle(deps, testSettings({ strategy: 'rack' }), { scheduledAt: aFridayAfternoon, plan: true, onListing });
    assert.deepEqual(seen.map(([apps, agents]) => [apps.map((a) => a.id), agents === null ? null : [...agents.byHost.keys()]]), [
      [['/a'], null],
      [['/a'], ['10.0.0.1']],
    ]);
  });

  it('DaemonState keeps the latest assessment, stamped, in the snapshot', async () => {
    const clock = new ManualClock(aFridayAfternoon);
    const state = new DaemonState({ clock });
    assert.equal(state.snapshot().risk, null);
    const report = { risky: false, apps: 0, tasks: 0 } as RiskReport;
    state.setRisk(report);
    await clock.advance(1000);
    state.setRisk({ ...report, apps: 2 });
    assert.deepEqual(state.snapshot().risk, { ...report, apps: 2, assessedAt: '2024-03-15T13:30:01.000Z' });
  });

  describe('the daemon against the simulator', () => {
    let dir: string;
    let sim: RunningSim | undefined;
    let daemon: Daemon | undefined;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'monkey-risk-'));
    });
    afterEach(async () => {
      await daemon?.shutdown('test over');
      await sim?.close();
      daemon = undefined;
      sim = undefined;
      await rm(dir, { recursive: true, force: true });
    });

    for (const strategy of ['task', 'rack'] as const) {
      it(`assesses the risk from each cycle's listing and shows it on /status (strategy ${strategy})`, async () => {
        const clock = new ManualClock(aFridayAfternoon);
        const scenario = parseScenario(
          {
            seed: 'risk',
            timings: { killGraceMs: 100, relaunchDelayMs: 100, stagingMs: 100, startingMs: 100, healthyAfterMs: 100 },
            agents: [
              { hostname: '10.0.0.1', attributes: { rack: 'r1' }, zone: 'za' },
              { hostname: '10.0.0.2', attributes: { rack: 'r1' }, zone: 'za' },
              { hostname: '10.0.0.3', attributes: { rack: 'r2' }, zone: 'zb' },
            ],
            apps: [
              { id: '/one-rack', instances: 2, labels: { 'monkey.enabled': 'true' }, healthChecks: HC, pinnedToRack: 'r1' },
              { id: '/single', instances: 1, healthChecks: HC },
            ],
          },
          'risk-test',
        );
        sim = await startSimulator({ scenario, clock, tickMs: 10, noLeaderHoldMs: 20 });
        const marathon = new MarathonClient({ urls: sim.marathonUrls, timeoutMs: 2000, retries: 0, clock });
        const mesos = new MesosClient({ url: sim.mesosUrl, timeoutMs: 2000, retries: 0, clock });
        daemon = new Daemon({
          settings: testSettings({ seed: 'risk', strategy, minTaskAgeSeconds: 0 }),
          schedule: compileSchedule({ cron: '* * * * *', timezone: 'UTC', officeHours: 'always', holidays: [], holidayCalendar: '', jitterSeconds: 0 }),
          clients: { marathon, agents: { listAgents: () => mesos.listAgents() } },
          journalPath: join(dir, 'journal.jsonl'),
          clock,
          logger: memoryLogger('warn').logger,
          server: { host: '127.0.0.1', port: 0, controlToken: 'risk-test-token-0001' },
          maskedConfig: {},
          version: '0.0.0-test',
          shutdownGraceMs: 1000,
          metrics: new MonkeyMetrics({ version: '0.0.0-test', defaultMetrics: false }),
        });
        const { url } = await daemon.start();
        await clock.advance(60_000);
        let risk: RiskSnapshot | null = null;
        for (let i = 0; i < 300 && risk === null; i++) {
          await realDelay(5);
          risk = daemon.state.getRisk();
        }
        assert.ok(risk, 'an assessment after the first cycle');
        const body = (await (await fetch(`${url}/status`)).json()) as { risk: RiskSnapshot };
        assert.equal(body.risk.assessedAt, risk.assessedAt);
        assert.equal(body.risk.risky, true);
        assert.deepEqual(body.risk.singleInstance.map((f) => f.appId), ['/single']);
        // Without the agents (task strategy), racks are the zones Marathon reports on the tasks.
        assert.deepEqual(body.risk.rack.map((l) => [l.appId, l.domain, l.severity]), [['/one-rack', strategy === 'rack' ? 'r1' : 'za', 'all']]);
        assert.equal(body.risk.placement.agentsKnown, strategy === 'rack');
        if (strategy === 'task') assert.match(String(body.risk.placement.agentsNote), /not listed by this cycle \(strategy task/);
      });
    }
  });
});

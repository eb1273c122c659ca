// Benchmark: how exactly, and at what cost in requests, a recovery watch times a recovery, with
// Marathon's event stream (recovery.events=true) and with polling alone (false).
//
//   npm run build && node scripts/bench-recovery.mjs
//
// The simulator on loopback (system clock, model ticking every 5 ms) runs one app with health
// checks; N real kill cycles (runCycle with the real MarathonClient, and MarathonEvents for the event
// runs) kill one of its tasks and watch it recover, alternating events / polling so that both see the
// same conditions. The simulator knows the instant the replacement became healthy (its
// health_status_changed_event); per kill:
//   TTR error   recorded time to recover − (healthy instant − kill answer), ms
//   requests    HTTP requests of the watch: GET /v2/apps/{id} reads (+ GET /v2/events for events)
// Timings are the simulator's defaults (relaunch 300 ms, staging 200, starting 200, healthy 500
// plus a seeded 0–400 ms per kill pair: ~1.4–1.8 s to recover) with recoveryPollMs 200: a tenth of the 2 s default against a tenth of a ~12 s
// real relaunch, so polling reads about as often per recovery as in production.
// BENCH_KILLS (per mode, default 20), BENCH_POLL_MS (default 200).
import { pino } from 'pino';
import { chaosSettingsFrom } from '../dist/app/wiring.js';
import { runCycle } from '../dist/chaos/cycle.js';
import { schemaDefaults } from '../dist/config/schema.js';
import { MarathonClient } from '../dist/marathon/client.js';
import { MarathonEvents } from '../dist/marathon/events.js';
import { systemClock } from '../dist/platform/clock.js';
import { parseScenario, startSimulator } from '../dist/sim/index.js';

const KILLS = Number(process.env.BENCH_KILLS ?? 20);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 200);
const APP = '/bench/web';

const hc = [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];
const scenario = parseScenario(
  {
    seed: 'bench-recovery',
    agents: [{ hostname: '10.0.0.1' }, { hostname: '10.0.0.2' }, { hostname: '10.0.0.3' }],
    apps: [
      { id: APP, instances: 3, labels: { 'monkey.enabled': 'true' }, healthChecks: hc },
      { id: '/bench/noise', instances: 3, healthChecks: hc },
    ],
  },
  'bench-recovery',
);

const sim = await startSimulator({ scenario, tickMs: 5 });
const logger = pino({ level: 'silent' });
const client = new MarathonClient({ urls: sim.marathonUrls, timeoutMs: 5000, retries: 1, logger });
const events = new MarathonEvents({ urls: sim.marathonUrls, preferred: () => client.baseUrl(), logger });
const ledger = { recordIntent: async () => undefined, recordAnswer: async () => undefined };
const config = schemaDefaults();
const settings = Object.freeze({
  ...chaosSettingsFrom(config, 'bench-recovery'),
  dryRun: false,
  include: [APP],
  minTaskAgeSeconds: 0,
  minKillIntervalMinutes: 0,
  recoveryPollMs: POLL_MS,
  recoveryTimeoutSeconds: 30,
});

const healthyAt = [];
sim.cluster.onEvent((e) => {
  if (e.eventType === 'health_status_changed_event' && e.payload.appId === APP && e.payload.alive === true) healthyAt.push(Date.parse(e.payload.timestamp));
});

// Real recoveries vary; fixed ones would phase-lock with the poll interval and flatter polling.
// Each pair of kills (one per mode) gets the same seeded extra health-check delay, 0–400 ms.
let lcg = 12345;
const jitter = () => ((lcg = (lcg * 1103515245 + 12345) % 2147483648) / 2147483648) * 400;
const baseHealthyAfter = sim.cluster.timings.healthyAfterMs;

const results = { events: [], polling: [] };
for (let i = 0; i < 2 * KILLS; i++) {
  const mode = i % 2 === 0 ? 'events' : 'polling';
  if (mode === 'events') sim.cluster.timings = { ...sim.cluster.timings, healthyAfterMs: Math.round(baseHealthyAfter + jitter()) };
  const from = sim.requestLog.length;
  const rec = await runCycle(
    { apps: client, killer: client, ledger, clock: systemClock, logger, ...(mode === 'events' ? { events } : {}) },
    settings,
    { scheduledAt: new Date(Date.UTC(2026, 0, 1, 0, i)) },
  );
  const after = rec.after[APP];
  if (rec.outcome !== 'killed' || !after?.recovered) {
    console.error(`kill ${i} (${mode}): ${rec.outcome} ${JSON.stringify(rec.error ?? after ?? rec.skipped)}`);
    continue;
  }
  const killedAt = Date.parse(rec.killedAt);
  const healthy = healthyAt.filter((t) => t >= killedAt).at(-1);
  const log = sim.requestLog.slice(from).filter((r) => r.instance >= 0);
  const kill = log.findIndex((r) => r.method === 'POST' && r.path === '/v2/tasks/delete');
  const watch = log.slice(kill + 1).filter((r) => r.path.startsWith('/v2/apps/') || r.path === '/v2/events');
  results[mode].push({ error: killedAt + after.timeToRecoverMs - healthy, requests: watch.length, via: after.recoveredVia, ttr: after.timeToRecoverMs });
}
await sim.close();

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
console.log(`recovery timing: ${KILLS} kills per mode, recoveryPollMs ${POLL_MS}, node ${process.version}`);
console.log('| Mode | TTR error median | p95 | max | min | requests per watch (median, max) | recoveredVia |');
console.log('|---|---|---|---|---|---|---|');
for (const [mode, rs] of Object.entries(results)) {
  const errs = rs.map((r) => r.error);
  const reqs = rs.map((r) => r.requests);
  const vias = [...new Set(rs.map((r) => r.via))].join(', ');
  console.log(`| ${mode} | ${q(errs, 0.5)} ms | ${q(errs, 0.95)} ms | ${Math.max(...errs)} ms | ${Math.min(...errs)} ms | ${q(reqs, 0.5)}, ${Math.max(...reqs)} | ${vias} |`);
}
const ttr = results.events.map((r) => r.ttr);
console.log(`(time to recover with events: median ${q(ttr, 0.5)} ms)`);

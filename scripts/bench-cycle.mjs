// Benchmark: one chaos planning cycle over a big simulated cluster.
//
//   npm run bench:cycle        (builds, then runs this with --expose-gc)
//
// Three fresh child processes, so that every figure is the process's own:
//   simulator  the simulated Marathon on loopback (its model and rendering never count);
//   floor      fetches the payload, then times a bare JSON.parse of it;
//   cycle      the measured process: the real MarathonClient + runCycle, planning cycles
//              (gc() before each, as the idle time between cycles would), then one real kill cycle.
// Parses and cycles take turns, one at a time (floor, cycle, cycle, floor, …), so that both see
// the same conditions: on a shared host the speed can drift by tens of percent within a minute, and a
// ratio of figures taken minutes apart measured the drift more than the code.
// This (parent) process only coordinates and reads the simulator's request log.
// Figures:
//   payload       bytes of GET /v2/apps?embed=… (what the cycle has to read)
//   parse floor   median time of a bare JSON.parse of that payload (no cycle can beat it), taken
//                 in turns with the cycles; also taken back to back before the turns (faster)
//   plan cycle    median time of runCycle({plan:true}) via the real MarathonClient on loopback:
//                 listing, parsing, guards, selection, no kill
//   ratio         plan cycle / parse floor              (target ≤ 2.0)
//     strict      plan cycle / back-to-back parse floor (the same target, read strictly)
//   peak RSS      maxRSS of the cycle process, kill cycle included (target ≤ 4 × payload + 100 MB)
//   requests      HTTP requests one real kill cycle makes to Marathon
//                 (target: 1 listing + 1 kill + recovery reads of the affected apps only)
// BENCH_CYCLE_NODE_ARGS adds node flags to the cycle process only, e.g. to see where its time goes:
//   BENCH_CYCLE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' or '--trace-gc'.
// For context (no target): the simulator's time to first byte and the transfer (both inside the
// plan cycle's wall time but not the client's work), and the CPU time the cycle process spent.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, receive } from './shared.mjs';

const APPS = Number(process.env.BENCH_APPS ?? 5000);
const TASKS_PER_APP = Number(process.env.BENCH_TASKS_PER_APP ?? 10);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 200);
const RACKS = Number(process.env.BENCH_RACKS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const MB = 1024 * 1024;
const QUERY = 'embed=apps.tasks&embed=apps.counts&embed=apps.deployments&embed=apps.lastTaskFailure';

if (process.argv[2] === '--sim-child') {
  await simChild();
} else if (process.argv[2] === '--floor-child') {
  await floorChild(process.argv[3]);
} else if (process.argv[2] === '--cycle-child') {
  await cycleChild(JSON.parse(process.argv[3]));
} else {
  await main();
}

/** The child: a simulator on loopback, answering the parent's questions about its request log. */
async function simChild() {
  const { startSimulator, generateSyntheticScenario } = await import('../dist/sim/index.js');
  const scenario = generateSyntheticScenario({ apps: APPS, tasksPerApp: TASKS_PER_APP, agents: AGENTS, racks: RACKS, seed: 'bench' });
  const sim = await startSimulator({ scenario });
  process.on('message', async (msg) => {
    if (msg.type === 'log-length') process.send({ type: 'log-length', value: sim.requestLog.length });
    else if (msg.type === 'log-since') process.send({ type: 'log-since', value: sim.requestLog.slice(msg.from) });
    else if (msg.type === 'close') {
      await sim.close();
      process.exit(0);
    }
  });
  process.send({ type: 'ready', value: { marathonUrls: sim.marathonUrls, mesosUrl: sim.mesosUrl } });
}

/**
 * The floor, in a fresh process: fetch the payload (timed: time to the response headers, which is
 * the simulator rendering the listing, and the transfer), then, each time the parent asks, one
 * bare JSON.parse of it.
 */
async function floorChild(marathonUrl) {
  const ttfbTimes = [];
  const fetchTimes = [];
  let payload;
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const resp = await fetch(`${marathonUrl}/v2/apps?${QUERY}`);
    ttfbTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    payload = await resp.text();
    fetchTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  // Back to back, as a process that does nothing else would (for context: no idle time between).
  const backToBack = [];
  for (let i = 0; i < RUNS; i++) {
    gc();
    const t = process.hrtime.bigint();
    const parsed = JSON.parse(payload);
    backToBack.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (parsed.apps.length !== APPS) throw new Error(`expected ${APPS} apps, got ${parsed.apps.length}`);
  }
  process.on('message', (msg) => {
    if (msg.type === 'parse') {
      gc();
      const c = process.cpuUsage();
      const t = process.hrtime.bigint();
      const parsed = JSON.parse(payload);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const cpu = cpuMs(process.cpuUsage(c));
      if (parsed.apps.length !== APPS) throw new Error(`expected ${APPS} apps, got ${parsed.apps.length}`);
      process.send({ type: 'parse', value: { ms, cpu } });
    } else if (msg.type === 'done') {
      process.send({ type: 'done', value: { maxRss: process.resourceUsage().maxRSS * 1024 } });
      process.disconnect();
    }
  });
  process.send({ type: 'fetched', value: { payloadBytes: Buffer.byteLength(payload), ttfbTimes, fetchTimes, backToBack } });
}

/** The measured process: planning cycles, then (when the parent asks) one real kill cycle. */
async function cycleChild(urls) {
  const { runCycle } = await import('../dist/chaos/cycle.js');
  const { chaosSettingsFrom } = await import('../dist/app/wiring.js');
  const { schemaDefaults } = await import('../dist/config/schema.js');
  // The schema's defaults through the daemon's own builder, then what the bench changes.
  const settings = (overrides) => Object.freeze({ ...chaosSettingsFrom(schemaDefaults(), 'bench'), ...overrides });
  const { MarathonClient } = await import('../dist/marathon/client.js');
  const { systemClock } = await import('../dist/platform/clock.js');
  const { pino } = await import('pino');
  const logger = pino({ level: 'silent' });
  const { Journal } = await import('../dist/journal/journal.js');
  const { JournalLedger } = await import('../dist/journal/ledger.js');
  const { emptyJournalState } = await import('../dist/journal/state.js');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const client = new MarathonClient({ urls, timeoutMs: 60_000, retries: 0 });
  // The kill cycle writes its intent ahead of the request, as the daemon does (a synced append).
  const memory = emptyJournalState();
  const ledger = new JournalLedger(new Journal(join(mkdtempSync(join(tmpdir(), 'bench-cycle-')), 'journal.jsonl')), memory, { minKillIntervalMs: 0 });
  const deps = { apps: client, killer: client, ledger, clock: systemClock, logger, journal: memory };
  const startRss = process.memoryUsage().rss;

  const planSettings = settings({ strategy: 'task', minTaskAgeSeconds: 0 });
  let runs = 0;
  await new Promise((resolve) => {
    const onMessage = async (msg) => {
      if (msg.type === 'planned') {
        process.off('message', onMessage);
        process.send({ type: 'planned', value: { startRss, planMaxRss: process.resourceUsage().maxRSS * 1024 } });
        resolve();
        return;
      }
      if (msg.type !== 'cycle') return;
      gc();
      const c = process.cpuUsage();
      const t = process.hrtime.bigint();
      const rec = await runCycle(deps, planSettings, { scheduledAt: new Date(Date.UTC(2024, 2, 5, 10, runs++)), plan: true });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const cpu = cpuMs(process.cpuUsage(c));
      if (rec.outcome !== 'dry-run') throw new Error(`planning cycle ended ${rec.outcome}: ${JSON.stringify(rec.error ?? rec.counts)}`);
      process.send({
        type: 'cycle',
        value: { ms, cpu, list: rec.durationsMs.list, plan: rec.durationsMs.plan, counts: { eligible: rec.counts.eligible, candidates: rec.counts.candidates } },
      });
    };
    process.on('message', onMessage);
    process.send({ type: 'ready', value: {} });
  });

  await new Promise((resolve) => process.once('message', resolve));
  gc();
  const killSettings = settings({
    strategy: 'task',
    dryRun: false,
    minTaskAgeSeconds: 0,
    recoveryPollMs: 250,
    recoveryTimeoutSeconds: 60,
  });
  // The recovery watch sleeps on unref'd timers (a daemon must not be kept alive by them); this
  // process has nothing else to wait on, so hold the event loop open while it runs.
  const keepAlive = setInterval(() => {}, 1_000);
  const rec = await runCycle(deps, killSettings, { scheduledAt: new Date(Date.UTC(2024, 2, 5, 11, 0)) });
  clearInterval(keepAlive);
  process.send({
    type: 'killed',
    value: { outcome: rec.outcome, victims: rec.victims.map((v) => v.appId), after: rec.after, maxRss: process.resourceUsage().maxRSS * 1024 },
  });
  process.disconnect();
}

function cpuMs(u) {
  return (u.user + u.system) / 1000;
}

function runChild(args, execArgv = []) {
  return fork(fileURLToPath(import.meta.url), args, { env: { ...process.env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function ask(child, type, extra = {}) {
  const answer = receive(child, type);
  child.send({ type, ...extra });
  return answer;
}

function gc() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

async function main() {
  if (typeof globalThis.gc !== 'function') console.warn('(run with --expose-gc for steadier figures: npm run bench:cycle)');
  const sim = runChild(['--sim-child'], ['--max-old-space-size=4096']);
  const children = [sim];
  try {
    const ready = await receive(sim, 'ready');
    const marathonUrl = ready.marathonUrls[0];
    console.log(`cluster: ${APPS} apps × ${TASKS_PER_APP} tasks = ${APPS * TASKS_PER_APP} tasks on ${AGENTS} agents in ${RACKS} racks (simulator in child pid ${sim.pid})`);

    // 1. The payload, in a fresh process that will time bare JSON.parses of it.
    const floorProc = runChild(['--floor-child', marathonUrl], ['--expose-gc']);
    children.push(floorProc);
    const fetched = await receive(floorProc, 'fetched');
    const payloadBytes = fetched.payloadBytes;

    // 2. Planning cycles through the real client, in another fresh process (listing → victims, no
    //    kill), taking turns with the bare parses: floor, cycle, cycle, floor, floor, cycle, …
    const cycleProc = runChild(['--cycle-child', JSON.stringify(ready.marathonUrls)], ['--expose-gc', ...(process.env.BENCH_CYCLE_NODE_ARGS ?? '').split(' ').filter(Boolean)]);
    children.push(cycleProc);
    await receive(cycleProc, 'ready');
    const floorRuns = [];
    const cycleRuns = [];
    for (let i = 0; i < RUNS; i++) {
      const floorFirst = i % 2 === 0;
      if (floorFirst) floorRuns.push(await ask(floorProc, 'parse'));
      cycleRuns.push(await ask(cycleProc, 'cycle'));
      if (!floorFirst) floorRuns.push(await ask(floorProc, 'parse'));
    }
    const floor = { ...fetched, ...(await ask(floorProc, 'done')), parseTimes: floorRuns.map((r) => r.ms), parseCpu: floorRuns.map((r) => r.cpu) };
    const planned = {
      ...(await ask(cycleProc, 'planned')),
      cycleTimes: cycleRuns.map((r) => r.ms),
      cycleCpu: cycleRuns.map((r) => r.cpu),
      listTimes: cycleRuns.map((r) => r.list),
      planTimes: cycleRuns.map((r) => r.plan),
      counts: cycleRuns[cycleRuns.length - 1].counts,
    };
    const parseMs = median(floor.parseTimes);
    const cycleMs = median(planned.cycleTimes);
    const ratio = cycleMs / parseMs;
    const pairRatios = planned.cycleTimes.map((t, i) => t / floor.parseTimes[i]);

    // 3. One real kill cycle in the same process, to count the requests it makes to Marathon.
    const before = await ask(sim, 'log-length');
    const killed = await ask(cycleProc, 'killed');
    const log = (await ask(sim, 'log-since', { from: before })).filter((r) => r.instance >= 0);
    const byKind = new Map();
    for (const r of log) byKind.set(`${r.method} ${r.path}`, (byKind.get(`${r.method} ${r.path}`) ?? 0) + 1);
    const affected = new Set(killed.victims.map((appId) => `/v2/apps${appId}`));
    const listings = byKind.get('GET /v2/apps') ?? 0;
    const kills = byKind.get('POST /v2/tasks/delete') ?? 0;
    const appReads = log.filter((r) => r.method === 'GET' && affected.has(r.path)).length;
    const other = log.length - listings - kills - appReads;
    const polls = Object.values(killed.after).reduce((n, a) => n + a.polls, 0);
    const requestsOk = listings === 1 && kills === 1 && other === 0;

    const maxRss = killed.maxRss;
    const rssTarget = 4 * payloadBytes + 100 * MB;
    const mb = (b) => `${(b / MB).toFixed(0)} MB`;
    const fmt = (ms) => `${ms.toFixed(0)} ms`;
    const runs = (xs) => xs.map((t) => t.toFixed(0)).join(', ');
    const ttfbMs = median(floor.ttfbTimes);
    const pairs = pairRatios.map((r) => r.toFixed(2)).join(', ');
    const transferMs = median(floor.fetchTimes.map((t, i) => t - floor.ttfbTimes[i]));
    const cycleCpuMs = median(planned.cycleCpu);
    const parseCpuMs = median(floor.parseCpu);

    console.log(`payload:        ${(payloadBytes / MB).toFixed(1)} MB (GET /v2/apps?${QUERY})`);
    console.log(`parse floor:    ${fmt(parseMs)} median (runs: ${runs(floor.parseTimes)}; CPU ${fmt(parseCpuMs)}; that process peaked at ${mb(floor.maxRss)})`);
    console.log(`  for context:  the same parse back to back in that process, before the turns: ${fmt(median(floor.backToBack))} median (runs: ${runs(floor.backToBack)})`);
    console.log(`  for context:  simulator time to first byte ${fmt(ttfbMs)} + transfer ${fmt(transferMs)} (medians of a bare fetch; both are inside the plan cycle's wall time)`);
    console.log(`plan cycle:     ${fmt(cycleMs)} median (runs: ${runs(planned.cycleTimes)}; ${planned.counts.eligible} eligible apps, ${planned.counts.candidates} candidate tasks)`);
    console.log(`  of which:     listing (HTTP + client parse/normalise) ${fmt(median(planned.listTimes))}, decisions (guards + selection) ${fmt(median(planned.planTimes))}`);
    console.log(`  per pair:     ratio ${median(pairRatios).toFixed(2)} median of each cycle over the parse next to it (${pairs})`);
    console.log(`  CPU:          ${fmt(cycleCpuMs)} median of the cycle process (runs: ${runs(planned.cycleCpu)}) = ${(cycleCpuMs / parseCpuMs).toFixed(2)} × the parse floor's CPU`);
    console.log(`peak RSS:       ${mb(maxRss)} maxRSS of the cycle process (${mb(planned.startRss)} after loading, ${mb(planned.planMaxRss)} after the planning cycles)`);
    console.log(
      `requests:       ${log.length} for one kill cycle (outcome ${killed.outcome}): ${listings} listing + ${kills} kill + ${appReads} reads of the ${affected.size} affected app(s) (1 re-check + ${polls} recovery polls) + ${other} other`,
    );
    if (other > 0) console.log(`                other: ${JSON.stringify([...byKind].filter(([k]) => !k.startsWith('GET /v2/apps') && k !== 'POST /v2/tasks/delete'))}`);
    for (const [appId, a] of Object.entries(killed.after)) {
      console.log(`recovery:       ${appId} ${a.recovered ? `recovered in ${a.timeToRecoverMs} ms` : 'did NOT recover'} after ${a.polls} polls`);
    }

    const verdict = (ok) => (ok ? 'PASS' : 'MISS');
    const line = (name, value, target, ok) => console.log(`${name.padEnd(13)}${value.padEnd(40)}${target.padEnd(46)}${ok === undefined ? '' : verdict(ok)}`.trimEnd());
    console.log('');
    console.log(`== cycle benchmark: ${APPS} apps / ${APPS * TASKS_PER_APP} tasks / ${AGENTS} agents, medians of ${RUNS} ==`);
    line('payload', `${(payloadBytes / MB).toFixed(1)} MB`, '');
    line('parse floor', fmt(parseMs), '(bare JSON.parse)');
    line('plan cycle', fmt(cycleMs), '(listing → victims, no kill)');
    line('ratio', ratio.toFixed(2), 'target ≤ 2.0', ratio <= 2.0);
    // The floor parsed back to back (no idle time between) is faster: the stricter reading of the target.
    const strictRatio = cycleMs / median(floor.backToBack);
    line('  strict', strictRatio.toFixed(2), `vs the back-to-back floor ${fmt(median(floor.backToBack))}`, strictRatio <= 2.0);
    line('peak RSS', mb(maxRss), `target ≤ 4 × payload + 100 MB = ${mb(rssTarget)}`, maxRss <= rssTarget);
    line('requests', `${log.length} = ${listings} list + ${kills} kill + ${appReads} app reads`, `target 1 + 1 + ${affected.size} affected app(s) only`, requestsOk);
  } finally {
    sim.send({ type: 'close' });
    for (const c of children.slice(1)) if (c.exitCode === null && c.signalCode === null) c.kill();
  }
}

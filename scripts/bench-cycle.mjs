// Benchmark: one chaos planning cycle over a big simulated cluster.
//
//   npm run bench:cycle        (builds, then runs this with --expose-gc)
//
// The simulator runs in a child process so that its own memory (the model of 50,000 tasks and
// the rendered payload) does not count in the peak RSS of the measured process; the bare-parse
// floor is measured in a second child so that its payload-sized garbage does not either. The
// measured (parent) process runs only chaos cycles. Figures:
//   payload       bytes of GET /v2/apps?embed=… (what the cycle has to read)
//   parse floor   median time of a bare JSON.parse of that payload (no cycle can beat it)
//   plan cycle    median time of runCycle({plan:true}) via the real MarathonClient on loopback:
//                 listing, parsing, guards, selection, no kill
//   ratio         plan cycle / parse floor              (target ≤ 2.0)
//   peak RSS      of this process                        (target ≤ 4 × payload + 100 MB)
//   requests      HTTP requests one real kill cycle makes to Marathon
//                 (target: 1 listing + 1 kill + recovery reads of the affected apps only)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const APPS = Number(process.env.BENCH_APPS ?? 5000);
const TASKS_PER_APP = Number(process.env.BENCH_TASKS_PER_APP ?? 10);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 200);
const RACKS = Number(process.env.BENCH_RACKS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MB = 1024 * 1024;
const QUERY = 'embed=apps.tasks&embed=apps.counts&embed=apps.deployments&embed=apps.lastTaskFailure';

if (process.argv[2] === '--sim-child') {
  await simChild();
} else if (process.argv[2] === '--floor-child') {
  await floorChild(process.argv[3]);
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
  process.send({ type: 'ready', marathonUrls: sim.marathonUrls, mesosUrl: sim.mesosUrl });
}

/** The floor: fetch the payload once (timed: simulator render + loopback transfer), then bare JSON.parse it. */
async function floorChild(marathonUrl) {
  const fetchTimes = [];
  let payload;
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    payload = await (await fetch(`${marathonUrl}/v2/apps?${QUERY}`)).text();
    fetchTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const parseTimes = [];
  for (let i = 0; i < RUNS; i++) {
    gc();
    const t = process.hrtime.bigint();
    const parsed = JSON.parse(payload);
    parseTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (parsed.apps.length !== APPS) throw new Error(`expected ${APPS} apps, got ${parsed.apps.length}`);
  }
  process.send({
    type: 'floor',
    value: { payloadBytes: Buffer.byteLength(payload), parseTimes, fetchTimes, maxRss: process.resourceUsage().maxRSS * 1024 },
  });
  process.disconnect();
}

function runChild(args, execArgv = []) {
  return fork(fileURLToPath(import.meta.url), args, { env: { ...process.env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function ask(child, type, extra = {}) {
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg.type !== type) return;
      child.off('message', onMessage);
      resolve(msg.value);
    };
    child.on('message', onMessage);
    child.send({ type, ...extra });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function gc() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

async function main() {
  if (typeof globalThis.gc !== 'function') console.warn('(run with --expose-gc for steadier figures: npm run bench:cycle)');
  const { runCycle } = await import('../dist/chaos/cycle.js');
  const { chaosSettings } = await import('../dist/chaos/settings.js');
  const { MarathonClient } = await import('../dist/marathon/client.js');
  const { systemClock } = await import('../dist/platform/clock.js');
  const { pino } = await import('pino');

  const child = runChild(['--sim-child'], ['--max-old-space-size=4096']);
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`simulator child exited with ${code}`)));
  });
  const marathonUrl = ready.marathonUrls[0];

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  sampler.unref();

  try {
    console.log(`cluster: ${APPS} apps × ${TASKS_PER_APP} tasks = ${APPS * TASKS_PER_APP} tasks on ${AGENTS} agents in ${RACKS} racks (simulator in child pid ${child.pid})`);

    // 1. The payload and the floor (in its own process): a bare JSON.parse of it.
    const floorProc = runChild(['--floor-child', marathonUrl], ['--expose-gc']);
    const floor = await new Promise((resolve, reject) => {
      floorProc.once('message', (m) => resolve(m.value));
      floorProc.once('exit', (code) => code !== 0 && reject(new Error(`floor child exited with ${code}`)));
    });
    const payloadBytes = floor.payloadBytes;
    const parseTimes = floor.parseTimes;
    const parseMs = median(parseTimes);
    const fetchMs = median(floor.fetchTimes);
    const query = QUERY;
    peakRss = process.memoryUsage().rss;

    // 2. Full planning cycles through the real client: listing → victims, no kill.
    const logger = pino({ level: 'silent' });
    const client = new MarathonClient({ urls: ready.marathonUrls, timeoutMs: 60_000, retries: 0 });
    const planSettings = chaosSettings({ seed: 'bench', strategy: 'task', minTaskAgeSeconds: 0 });
    const cycleTimes = [];
    let lastPlan;
    const listTimes = [];
    const planTimes = [];
    for (let i = 0; i < RUNS; i++) {
      gc();
      const t = process.hrtime.bigint();
      lastPlan = await runCycle({ apps: client, killer: client, clock: systemClock, logger }, planSettings, {
        scheduledAt: new Date(Date.UTC(2024, 2, 5, 10, i)),
        plan: true,
      });
      cycleTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
      listTimes.push(lastPlan.durationsMs.list);
      planTimes.push(lastPlan.durationsMs.plan);
      if (lastPlan.outcome !== 'dry-run') throw new Error(`planning cycle ended ${lastPlan.outcome}: ${JSON.stringify(lastPlan.error ?? lastPlan.counts)}`);
    }
    const cycleMs = median(cycleTimes);
    const ratio = cycleMs / parseMs;
    gc();

    // 3. One real kill cycle, to count the requests it makes to Marathon.
    const before = await ask(child, 'log-length');
    const killSettings = chaosSettings({
      seed: 'bench',
      strategy: 'task',
      dryRun: false,
      minTaskAgeSeconds: 0,
      recoveryPollMs: 250,
      recoveryTimeoutSeconds: 60,
    });
    const killRec = await runCycle({ apps: client, killer: client, clock: systemClock, logger }, killSettings, {
      scheduledAt: new Date(Date.UTC(2024, 2, 5, 11, 0)),
    });
    const log = (await ask(child, 'log-since', { from: before })).filter((r) => r.instance >= 0);
    const byKind = new Map();
    for (const r of log) byKind.set(`${r.method} ${r.path}`, (byKind.get(`${r.method} ${r.path}`) ?? 0) + 1);
    const affected = new Set(killRec.victims.map((v) => `/v2/apps${v.appId}`));
    const listings = byKind.get('GET /v2/apps') ?? 0;
    const kills = byKind.get('POST /v2/tasks/delete') ?? 0;
    const appReads = log.filter((r) => r.method === 'GET' && affected.has(r.path)).length;
    const other = log.length - listings - kills - appReads;
    const polls = Object.values(killRec.after).reduce((n, a) => n + a.polls, 0);

    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const rssTarget = 4 * payloadBytes + 100 * MB;

    const fmt = (ms) => `${ms.toFixed(1)} ms`;
    const ok = (b) => (b ? 'OK' : 'OVER TARGET');
    console.log(`payload:        ${(payloadBytes / MB).toFixed(1)} MB (GET /v2/apps?${query})`);
    console.log(`parse floor:    ${fmt(parseMs)} median of ${RUNS} (runs: ${parseTimes.map((t) => t.toFixed(0)).join(', ')}; that process peaked at ${(floor.maxRss / MB).toFixed(0)} MB)`);
    console.log(`  for context:  bare fetch of the payload (simulator render + loopback transfer) ${fmt(fetchMs)} median`);
    console.log(
      `plan cycle:     ${fmt(cycleMs)} median of ${RUNS} (runs: ${cycleTimes.map((t) => t.toFixed(0)).join(', ')}; ${lastPlan.counts.eligible} eligible apps, ${lastPlan.counts.candidates} candidate tasks)`,
    );
    console.log(`  of which:     listing (HTTP + client parse/normalise) ${fmt(median(listTimes))} median, decisions (guards + selection) ${fmt(median(planTimes))} median`);
    console.log(`ratio:          ${ratio.toFixed(2)} (target ≤ 2.0) ${ok(ratio <= 2.0)}`);
    console.log(
      `peak RSS:       ${(Math.max(peakRss, maxRss) / MB).toFixed(0)} MB (sampled ${(peakRss / MB).toFixed(0)} MB, maxRSS ${(maxRss / MB).toFixed(0)} MB; target ≤ ${(rssTarget / MB).toFixed(0)} MB) ${ok(Math.max(peakRss, maxRss) <= rssTarget)}`,
    );
    console.log(
      `requests:       ${log.length} for one kill cycle (outcome ${killRec.outcome}): ${listings} listing + ${kills} kill + ${appReads} reads of the ${affected.size} affected app(s) (1 re-check + ${polls} recovery polls) + ${other} other ${ok(listings === 1 && kills === 1 && other === 0)}`,
    );
    if (other > 0) console.log(`                other: ${JSON.stringify([...byKind].filter(([k]) => !k.startsWith('GET /v2/apps') && k !== 'POST /v2/tasks/delete'))}`);
    for (const [appId, a] of Object.entries(killRec.after)) {
      console.log(`recovery:       ${appId} ${a.recovered ? `recovered in ${a.timeToRecoverMs} ms` : 'did NOT recover'} after ${a.polls} polls`);
    }
  } finally {
    clearInterval(sampler);
    child.send({ type: 'close' });
  }
}

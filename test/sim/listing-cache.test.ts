import assert from 'node:assert/strict';
import { ManualClock } from '../../src/platform/clock.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { renderDefinition, tasksOf, countsOf } from '../../src/sim/render.js';
import { killRequest, scenarioWith } from './helpers.js';

interface WireApp {
  id: string;
  tasksHealthy: number;
  tasks?: { id: string; state: string }[];
}
const wire = (text: string): { apps: WireApp[] } => JSON.parse(text) as { apps: WireApp[] };

const aMondayMorning = Date.parse('2024-03-04T09:00:00.000Z');
const EMBED = 'embed=apps.tasks&embed=apps.counts&embed=apps.deployments&embed=apps.lastTaskFailure';

/**
 * The listing body is reused while nothing changed (render.ts appsListBody). What a client sees must
 * be exactly what a fresh render says after every kind of change, including the transitions the
 * model applies lazily when time has passed.
 */
describe('sim: cached app listing', () => {
  let sim: RunningSim;
  let clock: ManualClock;
  afterEach(async () => sim.close());

  async function listing(query = EMBED): Promise<{ text: string; length: string | null }> {
    const res = await fetch(`${sim.marathonUrl}/v2/apps?${query}`);
    assert.equal(res.status, 200);
    const length = res.headers.get('content-length');
    return { text: await res.text(), length };
  }

  /** The listing rendered from scratch through the uncached object path. */
  function fresh(): unknown {
    const apps = [...sim.cluster.apps.values()].map((app) => {
      const o: Record<string, unknown> = { ...renderDefinition(app), ...countsOf(app), deployments: app.deployments.map((id) => ({ id })) };
      o.tasks = tasksOf(app);
      if (app.lastTaskFailure) o.lastTaskFailure = app.lastTaskFailure;
      return o;
    });
    return { apps };
  }

  async function assertFresh(): Promise<string> {
    const { text, length } = await listing();
    assert.equal(length, String(Buffer.byteLength(text)), 'Content-Length is the body length');
    sim.cluster.advance();
    assert.deepEqual(JSON.parse(text), fresh());
    return text;
  }

  const states = (text: string): string[] => wire(text).apps.flatMap((a) => (a.tasks ?? []).map((t) => t.state));

  it('answers the same bytes while nothing changed, and follows kills, lazy transitions and health', async () => {
    clock = new ManualClock(aMondayMorning);
    sim = await startSimulator({ scenario: scenarioWith(), clock, tickMs: 60_000 });
    const first = await assertFresh();
    assert.equal(await assertFresh(), first);
    assert.deepEqual(states(first), ['TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING']);

    const victim = wire(first).apps[0]?.tasks?.[0]?.id ?? '';
    assert.equal((await killRequest(sim.marathonUrl, [victim])).status, 200);
    const killing = await assertFresh();
    assert.deepEqual(states(killing), ['TASK_KILLING', 'TASK_RUNNING', 'TASK_RUNNING']);
    assert.equal(await assertFresh(), killing);

    // Nothing calls advance() but the request itself: the listing must not be the cached one.
    await clock.advance(100);
    assert.deepEqual(states(await assertFresh()), ['TASK_KILLED', 'TASK_RUNNING', 'TASK_RUNNING']);
    await clock.advance(100);
    assert.deepEqual(states(await assertFresh()), ['TASK_STAGING', 'TASK_RUNNING', 'TASK_RUNNING']);
    await clock.advance(100);
    assert.deepEqual(states(await assertFresh()), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_RUNNING']);
    await clock.advance(100);
    const running = await assertFresh();
    assert.deepEqual(states(running), ['TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING']);
    assert.equal(wire(running).apps[0]?.tasksHealthy, 1, 'not yet healthy again');
    await clock.advance(100);
    const healthy = await assertFresh();
    assert.equal(wire(healthy).apps[0]?.tasksHealthy, 2, 'the health change is in the listing');
    assert.equal(await assertFresh(), healthy);
  });

  it('keeps filtered and unfiltered listings apart, and a listing without tasks apart from one with', async () => {
    sim = await startSimulator({ scenario: scenarioWith(), tickMs: 60_000 });
    const ids = (text: string): string[] => wire(text).apps.map((a) => a.id);
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(ids((await listing()).text), ['/shop/cart', '/plain']);
      assert.deepEqual(ids((await listing(`${EMBED}&label=tier==db`)).text), ['/plain']);
      assert.deepEqual(ids((await listing('label=tier==web')).text), ['/shop/cart']);
      const bare = wire((await listing('')).text);
      assert.equal(bare.apps.length, 2);
      assert.equal(bare.apps[0]?.tasks, undefined, 'no tasks without embed=apps.tasks');
    }
  });

  it('applies the malformed and truncated body faults to a cached listing', async () => {
    sim = await startSimulator({ scenario: scenarioWith(), tickMs: 60_000 });
    const good = (await listing()).text;
    sim.setFaults({ malformedJson: true });
    const bad = await (await fetch(`${sim.marathonUrl}/v2/apps?${EMBED}`)).text();
    assert.equal(bad, `${good.slice(0, 24)}<html><body><h2>502 Bad Gateway</h2></body></html>`);
    sim.setFaults({ malformedJson: false, truncatedJson: true });
    await assert.rejects(async () => (await fetch(`${sim.marathonUrl}/v2/apps?${EMBED}`)).text());
    sim.setFaults({ truncatedJson: false });
    assert.equal((await listing()).text, good);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningSim } from '../../src/sim/index.js';
import { cleanEnv, journalRecords, runCli, simEnv, tempDir } from '../helpers/cli.js';
import { journalProblems } from '../export/validate.js';
import { app, journalWithRecoveryAndWeakness, simWith } from './scenarios.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The real binary: `once` kills on the simulated cluster (an app that recovers, then one that never
 * does, then a dry run), and `export --format chaostoolkit` turns that journal into Chaos Toolkit
 * journals that the schema of test/fixtures/chaostoolkit accepts.
 */
describe('marathon-monkey export --format chaostoolkit (the real binary, on a journal written by once)', function () {
  this.timeout(60_000);
  let dir: string;
  let journal: string;
  let sim: RunningSim | undefined;
  let cycles: Json[];

  before(async () => {
    dir = tempDir('monkey-export-');
    journal = join(dir, 'journal.jsonl');
    await journalWithRecoveryAndWeakness(journal, 'export', [app('/shop/cart')]);
    sim = await simWith([app('/shop/other')]);
    await runCli(['resume'], simEnv(sim, journal));
    const dry = await runCli(['once'], simEnv(sim, journal, { MONKEY_DRY_RUN: 'true' }));
    assert.equal(dry.code, 0, `${dry.stdout}\n${dry.stderr}`);
    await sim.close();
    sim = undefined;
    cycles = journalRecords(journal).filter((r) => r.type === 'cycle');
    assert.deepEqual(cycles.map((c) => String(c.outcome)), ['killed', 'weakness', 'dry-run']);
  });

  after(async () => {
    await sim?.close();
  });

  const env = (): NodeJS.ProcessEnv => cleanEnv({ MONKEY_JOURNAL: journal });

  it('by default the last cycle that killed: the weakness, deviated and failed, to stdout', async () => {
    const r = await runCli(['export', '--format', 'chaostoolkit'], env());
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Json;
    assert.deepEqual(journalProblems(j), []);
    assert.equal(j.experiment.extensions[0].cycleId, cycles[1]!.cycleId);
    assert.equal(j.status, 'failed');
    assert.equal(j.deviated, true);
    assert.equal(j.steady_states.after.steady_state_met, false);
    assert.equal(j.steady_states.after.probes[0].activity.name, 'marathon-app-healthy');
    assert.deepEqual(j.run[0].activity.provider.arguments.ids, cycles[1]!.killRequest.body.ids);
  });

  it('--cycle and --out: the recovered kill, completed, with the recorded counts as probe outputs', async () => {
    const out = join(dir, 'cart.json');
    const id = String(cycles[0]!.cycleId);
    const r = await runCli(['export', '--format', 'chaostoolkit', '--cycle', id, '--out', out], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`cycle ${id} written to .*cart\\.json as a Chaos Toolkit journal \\(status completed\\)`));
    const j = JSON.parse(readFileSync(out, 'utf8')) as Json;
    assert.deepEqual(journalProblems(j), []);
    assert.equal(j.status, 'completed');
    assert.equal(j.deviated, false);
    assert.equal(j.experiment.title, '/shop/cart recovers from losing a task');
    assert.deepEqual(j.steady_states.before.probes[0].output.body.app, { id: '/shop/cart', ...cycles[0]!.before['/shop/cart'] });
    assert.deepEqual(j.steady_states.after.probes[0].output.body.app, { id: '/shop/cart', ...cycles[0]!.after['/shop/cart'].health });
    assert.equal(j.steady_states.after.probes[0].tolerance_met, true);
    assert.equal(j.run[0].status, 'succeeded');
    assert.deepEqual(j.run[0].output.body, cycles[0]!.killResponse);
  });

  it('errors: an unknown cycle, a dry-run cycle, a missing journal: one line and a fix, exit 1', async () => {
    const missing = await runCli(['export', '--format', 'chaostoolkit', '--cycle', 'c-nope'], env());
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^marathon-monkey: E_NO_SUCH_CYCLE: no cycle "c-nope" in the journal .*\n {2}fix: list the cycle ids with `marathon-monkey report --format json`/);
    const dry = await runCli(['export', '--format', 'chaostoolkit', '--cycle', String(cycles[2]!.cycleId)], env());
    assert.equal(dry.code, 1);
    assert.match(dry.stderr, /E_NOTHING_TO_EXPORT: cycle .* killed nothing \(it was a dry run\)/);
    const none = await runCli(['export', '--format', 'chaostoolkit'], cleanEnv({ MONKEY_JOURNAL: join(dir, 'absent.jsonl') }));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /E_JOURNAL: cannot read the journal .*absent\.jsonl \(ENOENT\)/);
    assert.doesNotMatch(`${missing.stderr}${dry.stderr}${none.stderr}`, /\n\s+at /, 'no stack trace');
  });
});

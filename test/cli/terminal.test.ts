import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main, type CliContext } from '../../src/cli/main.js';
import type { RunningSim } from '../../src/sim/index.js';
import { simEnv, tempDir } from '../helpers/cli.js';
import { app, simWith } from '../e2e/scenarios.js';

/** A CliContext as the entry point builds it, with the terminal flags chosen by the test. */
function context(env: NodeJS.ProcessEnv, tty: boolean): { ctx: CliContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    ctx: { env, stdout: (t) => out.push(t), stderr: (t) => err.push(t), stdoutIsTTY: tty, stderrIsTTY: tty, stopRequested: new Promise(() => undefined) },
  };
}

describe('the CLI on a terminal: progress while `once` waits, human-readable logs', function () {
  this.timeout(20_000);
  let sim: RunningSim;
  let dir: string;
  beforeEach(async () => {
    sim = await simWith([app('/shop/cart')]);
    dir = tempDir();
  });
  afterEach(async () => {
    await sim.close();
  });

  const env = (extra: Record<string, string> = {}) => simEnv(sim, join(dir, 'journal.jsonl'), { MONKEY_DRY_RUN: 'false', MONKEY_SEED: 'terminal', ...extra });

  it('`once` prints a progress line per recovery poll on a terminal, ending with the recovery', async () => {
    // Polled: with the event stream the first read may already be the recovered one.
    const { ctx, out, err } = context(env({ MONKEY_RECOVERY_EVENTS: 'false' }), true);
    assert.equal(await main(['once'], ctx), 0, err.join(''));
    const lines = err.join('').split('\n').filter((l) => l.includes('after the kill'));
    assert.ok(lines.length >= 2, `one line per poll: ${err.join('')}`);
    for (const l of lines) assert.match(l, /^ {2}\/shop\/cart: (\d+\/3 healthy, \d+ running|no answer yet), \d+\.\d s after the kill — /);
    assert.match(lines.at(-1)!, /RECOVERED$/);
    assert.match(lines[0]!, /waiting/);
    assert.match(out.join(''), /\/shop\/cart recovered in/);
  });

  it('no progress lines when stderr is not a terminal (pipelines, --json)', async () => {
    const { ctx, out, err } = context(env(), false);
    assert.equal(await main(['once', '--json'], ctx), 0, err.join(''));
    assert.ok(!err.join('').includes('after the kill'));
    assert.equal((JSON.parse(out.join('')) as { outcome: string }).outcome, 'killed');
  });

  it('logs are human-readable on a terminal, JSON elsewhere or with MONKEY_LOG_FORMAT=json', async () => {
    const tty = context(env({ MONKEY_LOG_LEVEL: 'info' }), true);
    await main(['once'], tty.ctx);
    const ttyLog = tty.err.join('').split('\n').find((l) => l.includes('chaos cycle started'));
    assert.ok(ttyLog, tty.err.join(''));
    assert.ok(!ttyLog.trimStart().startsWith('{'), `pretty, not JSON: ${ttyLog}`);
    assert.match(ttyLog, /INFO/);

    for (const [extra, isTty] of [[{ MONKEY_LOG_FORMAT: 'json' }, true], [{}, false]] as const) {
      const c = context(env({ MONKEY_LOG_LEVEL: 'info', ...extra }), isTty);
      await main(['once'], c.ctx);
      const line = c.err.join('').split('\n').find((l) => l.includes('chaos cycle started'));
      assert.ok(line);
      assert.equal((JSON.parse(line) as { msg: string }).msg, 'chaos cycle started');
    }
  });
});

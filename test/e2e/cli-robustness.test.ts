import assert from 'node:assert/strict';
import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { RunningSim } from '../../src/sim/index.js';
import { CLI, cleanEnv, runCli, simEnv, tempDir, type CliResult } from '../helpers/cli.js';
import { app, simWith } from './scenarios.js';

/**
 * The binary when its output goes somewhere that stops taking it: a pipeline's reader that quits
 * (`… | head -1`, EPIPE), a full disk (ENOSPC), and the simulator given impossible input (a
 * scenario too large for memory, a port already taken). Each is an outcome an operator causes,
 * so each gets a clear line and an exit status, never a stack trace or "this is a bug".
 */

const BIN = CLI;

/** How the child's stdout is consumed. */
type Reader = 'closed' | 'first-line' | { fd: number };

function run(args: string[], env: NodeJS.ProcessEnv, reader: Reader, timeoutMs = 15_000): Promise<CliResult> {
  const stdio: StdioOptions = typeof reader === 'object' ? ['ignore', reader.fd, 'pipe'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  if (reader === 'closed') {
    // The reader is gone before the first write: every write fails with EPIPE, deterministically.
    child.stdout?.destroy();
  } else if (reader === 'first-line') {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) child.stdout?.destroy();
    });
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}

function withDevFull(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const fd = openSync('/dev/full', 'w');
  const result = run(args, env, { fd });
  // The child holds its own copy of the descriptor once spawned.
  closeSync(fd);
  return result;
}

function assertNoCrash(r: CliResult): void {
  assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace:\n${r.stderr}`);
  assert.ok(!/internal error|this is a bug|Unhandled 'error' event/i.test(r.stderr), `not reported as a bug:\n${r.stderr}`);
}

describe('marathon-monkey when its output or input is impossible (the real binary)', function () {
  this.timeout(30_000);
  let dir: string;
  let sim: RunningSim | undefined;
  let blocker: Server | undefined;
  beforeEach(() => {
    dir = tempDir('monkey-robust-');
  });
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    if (blocker) await new Promise((r) => blocker!.close(r));
    blocker = undefined;
  });

  const marathonEnv = (): NodeJS.ProcessEnv => simEnv(sim!, join(dir, 'journal.jsonl'), { MONKEY_SEED: 'robust' });

  describe('a pipeline reader that quits (EPIPE) ends the command quietly with its own status', () => {
    for (const args of [['validate'], ['help', 'config'], ['help'], ['version']]) {
      it(`${args.join(' ')} | (reader already gone)`, async () => {
        const r = await run(args, cleanEnv({ MONKEY_JOURNAL: join(dir, 'j.jsonl') }), 'closed');
        assertNoCrash(r);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, '');
      });
    }

    it('help config | head -1', async () => {
      const r = await run(['help', 'config'], cleanEnv(), 'first-line');
      assertNoCrash(r);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Configuration keys/);
    });

    for (const reader of ['closed', 'first-line'] as const) {
      it(`plan and explain against Marathon, reader ${reader === 'closed' ? 'already gone' : 'gone after one line'}`, async () => {
        sim = await simWith([app('/shop/cart'), app('/shop/web')]);
        for (const args of [['plan'], ['explain', '/shop/cart'], ['plan', '--json']]) {
          const r = await run(args, marathonEnv(), reader);
          assertNoCrash(r);
          assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
          assert.equal(r.stderr, '', args.join(' '));
        }
      });
    }
  });

  it('a long-running command whose reader is gone (sim | …) stops cleanly and exits 141 (128 + SIGPIPE)', async () => {
    // Like any program it notices at its next write; the simulator writes its banner at once.
    const r = await run(['sim', '--port', '0'], cleanEnv(), 'closed');
    assertNoCrash(r);
    assert.equal(r.code, 141, r.stderr);
    assert.match(r.stderr, /^marathon-monkey: E_OUTPUT: standard output was closed \(EPIPE\); stopping as on SIGTERM\n$/);
  });

  describe('output that cannot be stored (ENOSPC) is one clear line on stderr and exit 1', () => {
    for (const args of [['help', 'config'], ['validate'], ['version']]) {
      it(`${args.join(' ')} > /dev/full`, async () => {
        const r = await withDevFull(args, cleanEnv({ MONKEY_JOURNAL: join(dir, 'j.jsonl') }));
        assertNoCrash(r);
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, /^marathon-monkey: E_OUTPUT: cannot write to standard output \(ENOSPC/);
      });
    }

    it('explain > /dev/full', async () => {
      sim = await simWith([app('/shop/cart')]);
      const r = await withDevFull(['explain', '/shop/cart'], marathonEnv());
      assertNoCrash(r);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /E_OUTPUT: .*ENOSPC/);
    });
  });

  describe('sim', () => {
    it('a scenario with 100,000,000 instances is refused with E_SCENARIO naming the app and the limit, not a heap crash', async () => {
      const file = join(dir, 'huge.json');
      writeFileSync(file, JSON.stringify({ agents: [{ hostname: '10.0.0.1' }], apps: [{ id: '/huge/app', instances: 100_000_000 }] }));
      const r = await runCli(['sim', '--port', '0', '--scenario', file], cleanEnv(), 15_000);
      assertNoCrash(r);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /E_SCENARIO/);
      assert.match(r.stderr, /apps\[0\]\.instances/);
      assert.match(r.stderr, /\/huge\/app/);
      assert.match(r.stderr, /10,?000/);
    });

    it('a busy --port is E_PORT_IN_USE with a hint to choose another port', async () => {
      blocker = createServer();
      const port = await new Promise<number>((resolve) => blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)));
      const r = await runCli(['sim', '--port', String(port)], cleanEnv(), 15_000);
      assertNoCrash(r);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`E_PORT_IN_USE: .*127\\.0\\.0\\.1:${port}`));
      assert.match(r.stderr, /--port/);
    });
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningSim } from '../../src/sim/index.js';
import { app, simWith } from '../e2e/scenarios.js';
import { startCli, tempDir, type RunningCli } from '../helpers/cli.js';
import { parseDockerfile, parseEnvArgs, stageEnv, type Stage } from './dockerfile.js';
import { PROMTOOL_MISSING, havePromtool, promtoolCheckMetrics } from './promtool.js';

const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

function runtimeStage(): Stage {
  const stages = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
  const runtime = stages.at(-1);
  assert.ok(runtime !== undefined && stages.length >= 2, 'a build stage and a runtime stage');
  assert.equal(runtime.name, 'runtime');
  return runtime;
}

/** A port nobody listens on right now, as Marathon hands out in PORT0. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(url: string, cli: RunningCli, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(`${url}/health`);
    } catch (err) {
      if (cli.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`nothing answers ${url}/health (${(err as Error).message}); daemon ${cli.child.exitCode === null ? 'running' : `exited ${cli.child.exitCode}`}\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('Dockerfile ENV parser', () => {
  it('reads ENV pairs, quotes, escapes and line continuations with comment lines inside', () => {
    const stages = parseDockerfile(
      [
        'FROM node:22 AS build',
        'ENV A=1',
        'FROM --platform=linux/amd64 node:22-slim AS runtime',
        '# a comment',
        'ENV B=2 \\',
        '    # dropped by the builder',
        '    C="two words" \\',
        "    D='$not expanded' E=a\\ b",
        'env LEGACY the rest of the line',
        'RUN echo hi',
      ].join('\n'),
    );
    assert.deepEqual(stages.map((s) => [s.from, s.name]), [['node:22', 'build'], ['node:22-slim', 'runtime']]);
    assert.deepEqual(stageEnv(stages[0]!), { A: '1' });
    assert.deepEqual(stageEnv(stages[1]!), { B: '2', C: 'two words', D: '$not expanded', E: 'a b', LEGACY: 'the rest of the line' });
    assert.deepEqual(stages[1]!.instructions.map((i) => [i.keyword, i.line]), [['ENV', 5], ['ENV', 9], ['RUN', 10]]);
  });

  it('refuses what it does not understand instead of guessing', () => {
    assert.throws(() => parseEnvArgs('PATH=$PATH:/x', 3), /line 3: variable references/);
    assert.throws(() => parseEnvArgs('A="unterminated', 4), /line 4: cannot read ENV/);
    assert.throws(() => parseDockerfile('ENV A=1\n'), /before any FROM/);
  });
});

describe('the image pins no port: under Marathon the daemon listens on PORT0', function () {
  this.timeout(30_000);
  let sim: RunningSim | undefined;
  let cli: RunningCli | undefined;
  afterEach(async () => {
    cli?.cleanup();
    if (cli !== undefined) await cli.exited;
    cli = undefined;
    await sim?.close();
    sim = undefined;
  });

  it('the runtime stage sets neither MONKEY_PORT nor PORT0, and its HEALTHCHECK follows MONKEY_PORT, PORT0, 8000', () => {
    const runtime = runtimeStage();
    const env = stageEnv(runtime);
    assert.equal(env.MONKEY_PORT, undefined, 'ENV MONKEY_PORT would win over the PORT0 Marathon assigns (and health-checks)');
    assert.equal(env.PORT0, undefined);
    const healthcheck = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    assert.ok(healthcheck);
    assert.match(healthcheck.args, /process\.env\.MONKEY_PORT\s*\|\|\s*process\.env\.PORT0\s*\|\|\s*8000/);
  });

  it('`run` with exactly the image environment plus PORT0 answers /health (and lint-clean /metrics) on PORT0', async () => {
    sim = await simWith([app('/shop/cart')]);
    const imageEnv = stageEnv(runtimeStage());
    const port0 = await freePort();
    const journalDir = tempDir('monkey-image-env-');
    const env: NodeJS.ProcessEnv = {
      ...imageEnv,
      // What the Marathon app definition and Marathon add: the cluster's URLs, the assigned port.
      MONKEY_MARATHON_URLS: sim.marathonUrl,
      MONKEY_MESOS_URL: sim.mesosUrl,
      PORT0: String(port0),
      // Test-machine necessities that do not touch the port: the image's journal directory
      // exists only inside the image, and the daemon binds loopback only (the image binds 0.0.0.0).
      MONKEY_JOURNAL: join(journalDir, 'journal.jsonl'),
      MONKEY_HOST: '127.0.0.1',
    };
    cli = startCli(['run'], env);
    const url = `http://127.0.0.1:${port0}`;
    const health = await waitForHealth(url, cli, 15_000);
    assert.equal(health.status, 200);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^marathon_monkey_build_info\{/m);
    if (havePromtool()) {
      const verdict = promtoolCheckMetrics(metrics);
      assert.equal(verdict.status, 0, `promtool check metrics on the daemon's /metrics:\n${verdict.output}`);
    } else {
      process.stderr.write(`\n  NOT LINTED: ${PROMTOOL_MISSING}\n`);
    }
    cli.signal('SIGTERM');
    const result = await cli.exited;
    assert.equal(result.code, 0, result.stderr);
  });
});

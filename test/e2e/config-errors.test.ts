import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { RunningSim } from '../../src/sim/index.js';
import { cleanEnv, runCli, startCli, tempDir, type RunningCli } from '../helpers/cli.js';
import { app, simWith } from './scenarios.js';

/**
 * `marathon-monkey validate` (and start-up) against configurations that used to crash, hang, leak
 * a secret or pass although they could never work, through the real binary.
 */
describe('the binary and configurations that cannot work', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = tempDir('monkey-config-e2e-');
  });

  const validate = (extra: Record<string, string>) => runCli(['validate'], cleanEnv({ MONKEY_JOURNAL: join(dir, 'journal.jsonl'), ...extra }));

  it('MONKEY_CONFIG=/dev/zero: a clear E_CONFIG, no crash', async () => {
    const r = await validate({ MONKEY_CONFIG: '/dev/zero' });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.signal, null);
    assert.match(r.stderr, /E_CONFIG: invalid configuration:\n {2}- MONKEY_CONFIG=\/dev\/zero: is a device, not a regular file/);
    assert.doesNotMatch(r.stderr, /bad_alloc|internal error/);
  });

  it('MONKEY_CONFIG=<a directory>: a clear E_CONFIG', async () => {
    const r = await validate({ MONKEY_CONFIG: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /E_CONFIG: .*\n.*is a directory, not a regular file/);
  });

  it('a config file with a syntax error next to a secret: line and column, not the secret', async () => {
    const file = join(dir, 'monkey.json');
    writeFileSync(file, '{\n  "marathon": {\n    "username": "monkey",\n    "password": CFGSECRET4"\n  }\n}\n');
    const r = await validate({ MONKEY_CONFIG: file });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not valid JSON: line 4, column 17/);
    assert.ok(!r.stderr.includes('CFGSECRET4') && !r.stdout.includes('CFGSECRET4'), r.stderr);
  });

  it('MONKEY_JOURNAL empty: every command refuses, naming MONKEY_JOURNAL', async () => {
    for (const args of [['validate'], ['once'], ['resume']]) {
      const r = await runCli(args, cleanEnv({ MONKEY_JOURNAL: '', MONKEY_MARATHON_URLS: 'http://127.0.0.1:1' }));
      assert.equal(r.code, 1, `${args[0]}: ${r.stdout}`);
      assert.match(r.stderr, /E_CONFIG: .*\n.*journal\.path \(MONKEY_JOURNAL; environment: MONKEY_JOURNAL\) is empty/);
    }
  });

  it('a journal that cannot be created: validate names MONKEY_JOURNAL and the fix', async () => {
    // Below a regular file (ENOTDIR for every user, root included: the suite runs as root, where
    // a chmod 000 directory would pass access checks and prove nothing).
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const r = await validate({ MONKEY_JOURNAL: join(file, 'journal.jsonl') });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /E_CONFIG: invalid configuration: journal\.path \(MONKEY_JOURNAL=.*\): .*plain-file is a file, not a directory/);
    assert.match(r.stderr, /point MONKEY_JOURNAL at/);
    mkdirSync(join(dir, 'journal-dir'));
    const d = await validate({ MONKEY_JOURNAL: join(dir, 'journal-dir') });
    assert.equal(d.code, 1);
    assert.match(d.stderr, /is a directory: name a file inside it/);
  });

  it('MONKEY_HOST=😀 and a control token with a space are rejected; the token is not echoed', async () => {
    const r = await validate({ MONKEY_HOST: '😀', MONKEY_CONTROL_TOKEN: 'TOKSECRET with space' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /server\.host: must be an IP address .*\(environment: MONKEY_HOST\)/);
    // Convict reports the host first; once it is fixed, the token.
    const t = await validate({ MONKEY_CONTROL_TOKEN: 'TOKSECRET with space' });
    assert.equal(t.code, 1);
    assert.match(t.stderr, /MONKEY_CONTROL_TOKEN.*could ever match/);
    assert.ok(!t.stderr.includes('TOKSECRET'));
  });

  it('a bad value in the file is blamed on the file key, not on the environment variable', async () => {
    const file = join(dir, 'monkey.json');
    writeFileSync(file, '{"chaos": {"maxKills": 0}}');
    const r = await validate({ MONKEY_CONFIG: file });
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`chaos.maxKills: must be a whole number from 1 up (config file ${file}, key chaos.maxKills)`), r.stderr);
  });

  it('a config file with a UTF-8 byte order mark is valid', async () => {
    const file = join(dir, 'monkey.json');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"chaos": {"seed": "bom"}}')]));
    const r = await validate({ MONKEY_CONFIG: file });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"seed": "bom"/);
  });

  it('the HTTP port: MONKEY_PORT, then PORT0, then 8000 (validate says which)', async () => {
    const both = await validate({ MONKEY_PORT: '9000', PORT0: '31005', MONKEY_HOST: '127.0.0.1' });
    assert.equal(both.code, 0, both.stderr);
    assert.match(both.stdout, /run serves HTTP on 127\.0\.0\.1:9000 \(port from environment: MONKEY_PORT\)/);
    const port0 = await validate({ PORT0: '31005' });
    assert.match(port0.stdout, /run serves HTTP on 0\.0\.0\.0:31005 \(port from environment: PORT0\)/);
    const cleared = await validate({ MONKEY_PORT: '', PORT0: '31005' });
    assert.match(cleared.stdout, /:31005 \(port from environment: PORT0\)/);
    const neither = await validate({});
    assert.match(neither.stdout, /run serves HTTP on 0\.0\.0\.0:8000 \(port from default\)/);
  });
});

describe('the daemon under Marathon listens on PORT0', function () {
  this.timeout(30_000);
  let sim: RunningSim | undefined;
  let cli: RunningCli | undefined;
  afterEach(async () => {
    cli?.cleanup();
    cli = undefined;
    await sim?.close();
    sim = undefined;
  });

  /** A port free a moment ago on 127.0.0.1 (Marathon hands the monkey such a port as PORT0). */
  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('run with PORT0 and no MONKEY_PORT serves /health on PORT0', async () => {
    sim = await simWith([app('/shop/cart')]);
    const port = await freePort();
    const dir = tempDir('monkey-port0-');
    cli = startCli(
      ['run'],
      cleanEnv({
        MONKEY_MARATHON_URLS: sim.marathonUrl,
        MONKEY_MESOS_URL: sim.mesosUrl,
        MONKEY_JOURNAL: join(dir, 'journal.jsonl'),
        MONKEY_HOST: '127.0.0.1',
        MONKEY_LOG_LEVEL: 'warn',
        PORT0: String(port),
      }),
    );
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      if (cli.child.exitCode !== null) assert.fail(`exited early:\n${cli.stdout}\n${cli.stderr}`);
      status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200, `nothing answered /health on PORT0=${port}\n${cli.stdout}\n${cli.stderr}`);
    cli.signal('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });
});

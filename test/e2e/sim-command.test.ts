import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, runCli, startCli, tempDir, type RunningCli } from '../helpers/cli.js';

describe('marathon-monkey sim (the real binary)', function () {
  this.timeout(20_000);
  let cli: RunningCli | undefined;
  afterEach(() => {
    cli?.cleanup();
    cli = undefined;
  });

  it('serves the demo scenario, prints the settings that point at it, and stops on SIGINT', async () => {
    cli = startCli(['sim', '--port', '0'], cleanEnv());
    await cli.waitFor((o) => /MONKEY_MESOS_URL=/.test(o.stdout), 10_000, 'the printed URLs');
    const marathon = /MONKEY_MARATHON_URLS=(\S+)/.exec(cli.stdout)?.[1];
    const mesos = /MONKEY_MESOS_URL=(\S+)/.exec(cli.stdout)?.[1];
    assert.ok(marathon && mesos, cli.stdout);
    const apps = (await (await fetch(`${marathon}/v2/apps?embed=apps.tasks`)).json()) as { apps: { id: string; tasks: unknown[] }[] };
    assert.ok(apps.apps.some((a) => a.id === '/demo/legacy-billing' && a.tasks.length === 2));
    const agents = (await (await fetch(`${mesos}/master/slaves`)).json()) as { slaves: { attributes: Record<string, unknown> }[] };
    assert.deepEqual([...new Set(agents.slaves.map((s) => s.attributes.rack))].sort(), ['r1', 'r2', 'r3']);
    cli.signal('SIGINT');
    const result = await cli.exited;
    assert.equal(result.code, 0, result.stderr);
  });

  it('rejects a scenario with errors, naming each field and the fix, exit 1', async () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ seed: 'x', agents: [], apps: [{ id: 'shop', instances: -1 }], bogus: true }));
    const r = await runCli(['sim', '--scenario', file], cleanEnv());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /E_SCENARIO/);
    assert.match(r.stderr, /bogus: unknown key/);
    assert.match(r.stderr, /apps\[0\]\.id/);
    assert.match(r.stderr, /apps\[0\]\.instances/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chaosSettingsFrom, scheduleFrom } from '../../src/app/wiring.js';
import { configReference, loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers/cli.js';
import { MEASURED_PEAK_RSS_MB, MEM_HEADROOM, idProblems, ossProblems, ruleProblems, schemaProblems, type Json } from './app-definition.js';

const DIR = fileURLToPath(new URL('../../config/marathon/', import.meta.url));
const OSS = 'marathon-monkey.json';
const DCOS = 'marathon-monkey-dcos.json';
const HA = 'marathon-monkey-ha.json';

function load(name: string): Json {
  return JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Json;
}

function edited(name: string, edit: (d: Json) => void): Json {
  const d = load(name);
  edit(d);
  return d;
}

/**
 * The monkey's own deployment rules: its environment is a valid configuration (secret values and
 * container-only files stood in for), names only real settings, pins no port (Marathon's checks
 * go to PORT0), gives the daemon time to shut down, and memory over the measured peak.
 */
function monkeyProblems(def: Json): string[] {
  const out: string[] = [];
  const known = new Set(configReference().map((k) => k.env));
  const env: Record<string, string> = {};
  const standIn = join(tempDir('monkey-appdef-'), 'stand-in');
  writeFileSync(standIn, '');
  for (const [k, v] of Object.entries((def.env as Json | undefined) ?? {})) {
    if (k.startsWith('MONKEY_') && !known.has(k)) out.push(`env.${k} is not a marathon-monkey setting`);
    // A secret's value and a file inside the container (the DC/OS CA bundle) do not exist here.
    env[k] = typeof v !== 'string' ? `secret-value-of-${String((v as Json).secret)}` : k === 'MONKEY_CA_FILE' ? standIn : v;
  }
  if ('MONKEY_PORT' in env) out.push('env.MONKEY_PORT would win over PORT0, where Marathon sends its health and readiness checks');
  try {
    const { config } = loadConfig({ env });
    // What `run` compiles before it starts: the schedule (cron, office hours, holidays) and the chaos settings.
    scheduleFrom(config);
    chaosSettingsFrom(config, 'seed');
    if (typeof def.taskKillGracePeriodSeconds !== 'number' || def.taskKillGracePeriodSeconds * 1000 <= config.shutdown.graceMs) {
      out.push(`taskKillGracePeriodSeconds must exceed the shutdown grace (${config.shutdown.graceMs} ms), or Mesos kills the daemon mid-shutdown`);
    }
  } catch (err) {
    out.push(`env is not a valid configuration: ${(err as Error).message}`);
  }
  const minMem = MEASURED_PEAK_RSS_MB * MEM_HEADROOM;
  if (typeof def.mem !== 'number' || def.mem < minMem) out.push(`mem ${String(def.mem)} MB: at least ${minMem} (${MEM_HEADROOM} x the ${MEASURED_PEAK_RSS_MB} MB peak RSS at 50,000 tasks)`);
  if (env.MONKEY_ZK === undefined || env.MONKEY_ZK === '') {
    if (def.instances !== 1) out.push('instances must be 1: two monkeys would double the kills and fight over the journal (several instances need MONKEY_ZK)');
  } else {
    // Several instances elect a leader on ZooKeeper and keep their state there: nothing pins them to an agent.
    if (typeof def.instances !== 'number' || def.instances < 2) out.push('with MONKEY_ZK, instances must be 2 or more: a standby takes over when the leader goes');
    const volumes = ((def.container as Json | undefined)?.volumes as Json[] | undefined) ?? [];
    if (volumes.some((v) => v.persistent !== undefined)) out.push('with MONKEY_ZK, no persistent volume: it would pin each instance to one agent, and the state lives in ZooKeeper');
    const constraints = (def.constraints as unknown[][] | undefined) ?? [];
    if (!constraints.some((c) => c[0] === 'hostname' && c[1] === 'UNIQUE')) out.push('with MONKEY_ZK, constraints must hold ["hostname", "UNIQUE"]: two instances on one agent die together');
    const min = (def.upgradeStrategy as Json | undefined)?.minimumHealthCapacity;
    if (typeof min !== 'number' || min * (def.instances as number) < 1) out.push('with MONKEY_ZK, upgradeStrategy.minimumHealthCapacity must keep one instance running during a deployment');
  }
  if (def.labels?.['monkey.enabled'] !== 'false') out.push('label monkey.enabled must be "false": the monkey never targets itself');
  return out;
}

describe('shipped Marathon app definitions (config/marathon/)', () => {
  it('ships exactly an open-source, a DC/OS and a high-availability (ZooKeeper) definition', () => {
    assert.deepEqual(readdirSync(DIR).sort(), [DCOS, HA, OSS].sort());
  });

  for (const name of [OSS, DCOS, HA]) {
    describe(name, () => {
      it("passes Marathon's published app-definition schema", () => {
        assert.deepEqual(schemaProblems(load(name)), []);
      });
      it("passes Marathon's rules beyond the schema (id, port references, persistent volumes, secrets)", () => {
        assert.deepEqual(ruleProblems(load(name)), []);
      });
      it("passes the monkey's deployment rules (valid configuration, no pinned port, shutdown time, memory)", () => {
        assert.deepEqual(monkeyProblems(load(name)), []);
      });
    });
  }

  it('the open-source definition uses no DC/OS Enterprise feature; the DC/OS one keeps its credentials in secrets', () => {
    assert.deepEqual(ossProblems(load(OSS)), []);
    const dcos = load(DCOS);
    assert.ok(ossProblems(dcos).length > 0, 'the DC/OS definition uses secrets');
    assert.deepEqual(dcos.env.MONKEY_DCOS_PRIVATE_KEY, { secret: 'serviceAccountKey' });
    assert.equal(dcos.env.MONKEY_DCOS_SERVICE_ACCOUNT, 'marathon-monkey');
    for (const v of Object.values(load(OSS).env as Json)) assert.equal(typeof v, 'string');
    assert.deepEqual(ossProblems(load(HA)), []);
    assert.equal(load(OSS).env.MONKEY_CONTROL_TOKEN, undefined, 'a token in plain env is readable by everyone who can read the app');
  });
});

describe('the app-definition checks reject broken definitions', () => {
  const rows: { name: string; base?: string; edit: (d: Json) => void; layer: 'schema' | 'rules' | 'oss' | 'monkey'; problem: RegExp }[] = [
    { name: 'uppercase and underscore in the id', edit: (d) => (d.id = '/ops/Marathon_Monkey'), layer: 'rules', problem: /id: segment 2 "Marathon_Monkey"/ },
    { name: 'a segment ending in a dash', edit: (d) => (d.id = '/ops/monkey-'), layer: 'rules', problem: /segment 2 "monkey-"/ },
    { name: 'an empty segment', edit: (d) => (d.id = '/ops//monkey'), layer: 'rules', problem: /segment 2 ""/ },
    { name: 'a misspelt field', edit: (d) => void (d.healthcheck = d.healthChecks), layer: 'schema', problem: /additional properties \(healthcheck\)/ },
    { name: 'instances as a string', edit: (d) => (d.instances = '1'), layer: 'schema', problem: /\/instances: must be integer/ },
    { name: 'maximumOverCapacity above 1', edit: (d) => (d.upgradeStrategy.maximumOverCapacity = 1.5), layer: 'schema', problem: /maximumOverCapacity: must be <= 1/ },
    { name: 'an unknown health check protocol', edit: (d) => (d.healthChecks[0].protocol = 'GRPC'), layer: 'schema', problem: /protocol: must be equal to one of the allowed values/ },
    { name: 'a port name with capitals', edit: (d) => (d.portDefinitions[0].name = 'HTTP'), layer: 'schema', problem: /portDefinitions\/0\/name: must match pattern/ },
    { name: 'an env value that is a number', edit: (d) => (d.env.MONKEY_MAX_KILLS = 1), layer: 'schema', problem: /\/env\/MONKEY_MAX_KILLS/ },
    { name: 'a health check on a port the app does not have', edit: (d) => (d.healthChecks[0].portIndex = 1), layer: 'rules', problem: /portIndex 1 is out of range: the app has 1 port/ },
    { name: 'a readiness check on an unnamed port', edit: (d) => (d.readinessChecks[0].portName = 'admin'), layer: 'rules', problem: /portName "admin" names no port/ },
    { name: 'a persistent volume with a rolling upgrade', edit: (d) => (d.upgradeStrategy = { minimumHealthCapacity: 1, maximumOverCapacity: 1 }), layer: 'rules', problem: /persistent volumes needs upgradeStrategy/ },
    { name: 'a persistent volume replaced when unreachable', edit: (d) => delete d.unreachableStrategy, layer: 'rules', problem: /persistent volumes needs "unreachableStrategy": "disabled"/ },
    { name: 'a nested persistent containerPath', edit: (d) => (d.container.volumes[0].containerPath = 'var/journal'), layer: 'rules', problem: /single relative path segment/ },
    { name: 'a mount of a persistent volume that is not there', edit: (d) => (d.container.volumes[1].hostPath = 'jornal'), layer: 'rules', problem: /hostPath "jornal" names no persistent volume/ },
    { name: 'an env secret without a declaration', base: DCOS, edit: (d) => delete d.secrets.controlToken, layer: 'rules', problem: /env\.MONKEY_CONTROL_TOKEN refers to secret "controlToken"/ },
    { name: 'a declared secret nobody uses', base: DCOS, edit: (d) => (d.secrets.spare = { source: 'x' }), layer: 'rules', problem: /secrets\.spare is declared but nothing refers to it/ },
    { name: 'secrets on open-source Marathon', edit: (d) => ((d.env.MONKEY_CONTROL_TOKEN = { secret: 't' }), (d.secrets = { t: { source: 'x' } })), layer: 'oss', problem: /"secrets" needs DC\/OS Enterprise/ },
    { name: 'a pinned port', edit: (d) => (d.env.MONKEY_PORT = '8000'), layer: 'monkey', problem: /MONKEY_PORT would win over PORT0/ },
    { name: 'a setting that does not exist', edit: (d) => (d.env.MONKEY_DRYRUN = 'false'), layer: 'monkey', problem: /MONKEY_DRYRUN is not a marathon-monkey setting/ },
    { name: 'an invalid setting value', edit: (d) => (d.env.MONKEY_STRATEGY = 'datacenter'), layer: 'monkey', problem: /not a valid configuration: .*chaos\.strategy/s },
    { name: 'an invalid cron', edit: (d) => (d.env.MONKEY_CRON = '61 * * * *'), layer: 'monkey', problem: /not a valid configuration/ },
    { name: 'invalid office hours', edit: (d) => (d.env.MONKEY_OFFICE_HOURS = 'Mon-Fri 9-5'), layer: 'monkey', problem: /not a valid configuration/ },
    { name: 'the old 192 MB', edit: (d) => (d.mem = 192), layer: 'monkey', problem: /mem 192 MB: at least 376/ },
    { name: 'a kill grace shorter than the shutdown grace', edit: (d) => (d.taskKillGracePeriodSeconds = 20), layer: 'monkey', problem: /taskKillGracePeriodSeconds must exceed the shutdown grace/ },
  ];
  const layers = { schema: schemaProblems, rules: ruleProblems, oss: ossProblems, monkey: monkeyProblems };
  for (const row of rows) {
    it(`${row.name}: ${row.layer}`, () => {
      const problems = layers[row.layer](edited(row.base ?? OSS, row.edit));
      assert.ok(problems.some((p) => row.problem.test(p)), `expected ${String(row.problem)}, got ${JSON.stringify(problems)}`);
    });
  }

  it('accepts the id forms Marathon does: nested, dotted, single-character segments, relative', () => {
    for (const id of ['/ops/marathon-monkey', 'ops/marathon-monkey', '/a', '/prod/eu-1.shop/cart-2']) assert.deepEqual(idProblems(id), [], id);
    for (const id of ['', '/', '/ops/', '/ops/.monkey', '/ops/a..b', '/ops/ä']) assert.notDeepEqual(idProblems(id), [], id);
  });

  it('the high-availability definition: two instances on ZooKeeper, on different agents, one kept running during a deployment', () => {
    const ha = load(HA);
    assert.equal(ha.instances, 2);
    assert.equal(ha.env.MONKEY_ZK, 'zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/marathon-monkey');
    assert.deepEqual(ha.upgradeStrategy, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
    // The same checks and the same safety settings as the single-instance definition.
    assert.deepEqual(ha.healthChecks, load(OSS).healthChecks);
    assert.deepEqual(ha.readinessChecks, load(OSS).readinessChecks);
    for (const k of ['MONKEY_DRY_RUN', 'MONKEY_MAX_KILLS', 'MONKEY_OPT_IN', 'MONKEY_CRON', 'MONKEY_OFFICE_HOURS']) assert.equal(ha.env[k], load(OSS).env[k], k);
    const broken: [string, (d: Json) => void, RegExp][] = [
      ['one instance', (d) => (d.instances = 1), /instances must be 2 or more/],
      ['a persistent volume', (d) => void (d.container.volumes = load(OSS).container.volumes), /no persistent volume/],
      ['no spreading constraint', (d) => delete d.constraints, /hostname", "UNIQUE"/],
      ['an upgrade that stops both', (d) => (d.upgradeStrategy.minimumHealthCapacity = 0), /keep one instance running/],
      ['a malformed ZooKeeper URL', (d) => (d.env.MONKEY_ZK = 'zk://zk-1.zk:2181'), /not a valid configuration: .*state\.zk/s],
    ];
    for (const [what, edit, problem] of broken) {
      const problems = monkeyProblems(edited(HA, edit));
      assert.ok(problems.some((p) => problem.test(p)), `${what}: expected ${String(problem)}, got ${JSON.stringify(problems)}`);
    }
    // Without MONKEY_ZK, two instances are refused as before.
    assert.ok(monkeyProblems(edited(OSS, (d) => (d.instances = 2))).some((p) => /instances must be 1/.test(p)));
  });

  it('the app definition shipped before (secrets in an open-source definition, 192 MB) is refused', () => {
    // config/marathon-monkey.json up to this change, in short.
    const old = edited(DCOS, (d) => {
      d.mem = 192;
      delete d.user;
    });
    assert.ok(ossProblems(old).length > 0);
    assert.ok(monkeyProblems(old).some((p) => /mem 192/.test(p)));
  });
});

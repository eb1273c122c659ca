import assert from 'node:assert/strict';
import { MesosClient, resolveMesosUrl } from '../../src/mesos/client.js';
import { MesosError } from '../../src/mesos/errors.js';
import { joinTasksToAgents } from '../../src/mesos/join.js';
import type { MarathonInfo, MarathonTask } from '../../src/domain/marathon.js';
import type { MesosAgent } from '../../src/domain/agent.js';
import { refusedUrl, sendJson, sendText, ServerPool } from '../helpers/http-server.js';

const slaves = {
  slaves: [
    {
      id: '8d1c0b7a-5e44-4c3f-9d55-2b7e0f6a1c11-S3',
      hostname: '10.1.0.11',
      port: 5051,
      attributes: { rack: 'r1', zone: 'west', level: 10, weight: 0.5, ssd_slots: '[0-3]', ports: '[1-5, 8-9]', tags: '{gpu,fast}' },
      domain: { fault_domain: { region: { name: 'eu-1' }, zone: { name: 'eu-1a' } } },
      pid: 'slave(1)@10.1.0.11:5051',
      resources: { cpus: 8, mem: 30000, ports: '[31000-32000]' },
      active: true,
      deactivated: false,
      version: '1.11.0',
    },
    { id: '8d1c0b7a-5e44-4c3f-9d55-2b7e0f6a1c11-S9', hostname: '10.1.0.27', port: 5051, attributes: { rack: 'r2' }, active: false },
  ],
  recovered_slaves: [{ id: 'old-S1', hostname: '10.1.0.99', port: 5051, attributes: { rack: 'r3' } }],
};

describe('MesosClient', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  it('lists agents with every attribute type as Mesos renders it, fault domain and active flag', async () => {
    const master = await pool.start((req, res) => (req.path === '/master/slaves' ? sendJson(res, 200, slaves) : sendJson(res, 404, {})));
    const agents = await new MesosClient({ url: master.url, timeoutMs: 500, retries: 0 }).listAgents();
    assert.deepEqual(agents, [
      {
        id: '8d1c0b7a-5e44-4c3f-9d55-2b7e0f6a1c11-S3',
        hostname: '10.1.0.11',
        port: 5051,
        attributes: { rack: 'r1', zone: 'west', level: 10, weight: 0.5, ssd_slots: '[0-3]', ports: '[1-5, 8-9]', tags: '{gpu,fast}' },
        region: 'eu-1',
        zone: 'eu-1a',
        active: true,
      },
      { id: '8d1c0b7a-5e44-4c3f-9d55-2b7e0f6a1c11-S9', hostname: '10.1.0.27', port: 5051, attributes: { rack: 'r2' }, active: false },
    ]);
  });

  it('keeps a DC/OS path prefix (https://cluster/mesos → /mesos/master/slaves)', async () => {
    const master = await pool.start((req, res) => (req.path === '/mesos/master/slaves' ? sendJson(res, 200, slaves) : sendJson(res, 404, {})));
    assert.equal((await new MesosClient({ url: `${master.url}/mesos/`, timeoutMs: 500, retries: 0 }).listAgents()).length, 2);
  });

  it('follows a non-leading master’s 307 with a protocol-relative Location, keeping auth when discovered masters are trusted', async () => {
    const leader = await pool.start((_req, res) => sendJson(res, 200, slaves));
    const standby = await pool.start((_req, res) => sendText(res, 307, '', 'text/plain', { Location: `//${leader.hostPort}/master/slaves` }));
    const agents = await new MesosClient({ url: standby.url.replace('http://', 'http://ops:pw@'), timeoutMs: 500, retries: 0, trustAnyMaster: true }).listAgents();
    assert.equal(agents.length, 2);
    assert.equal(leader.requests[0]!.path, '/master/slaves');
    assert.equal(leader.requests[0]!.headers.authorization, `Basic ${Buffer.from('ops:pw').toString('base64')}`);
  });

  it('a redirect loop stops with E_MESOS_HTTP', async () => {
    const loop = await pool.start((req, res) => sendText(res, 307, '', 'text/plain', { Location: `//127.0.0.1:${String(req.headers.host).split(':')[1]}/master/slaves` }));
    await assert.rejects(new MesosClient({ url: loop.url, timeoutMs: 500, retries: 0 }).listAgents(), (e: unknown) => e instanceof MesosError && e.code === 'E_MESOS_HTTP');
    assert.equal(loop.requests.length, 4);
  });

  it('503 (no leading master) → E_MESOS_NO_LEADER after the retries', async () => {
    const master = await pool.start((_req, res) => sendText(res, 503, 'Service Unavailable'));
    await assert.rejects(
      new MesosClient({ url: master.url, timeoutMs: 500, retries: 1, backoff: { baseMs: 1, maxMs: 1 } }).listAgents(),
      (e: unknown) => e instanceof MesosError && e.code === 'E_MESOS_NO_LEADER' && e.status === 503 && /no leading master/.test(e.message),
    );
    assert.equal(master.requests.length, 2);
  });

  it('unreachable, auth and malformed answers are typed', async () => {
    const dead = await refusedUrl();
    await assert.rejects(new MesosClient({ url: dead, timeoutMs: 500, retries: 0 }).listAgents(), (e: unknown) => e instanceof MesosError && e.code === 'E_MESOS_UNREACHABLE');
    const denied = await pool.start((_req, res) => sendText(res, 401, 'no'));
    await assert.rejects(new MesosClient({ url: denied.url, timeoutMs: 500, retries: 0 }).listAgents(), (e: unknown) => e instanceof MesosError && e.code === 'E_MESOS_AUTH');
    const html = await pool.start((_req, res) => sendText(res, 200, '<html>login</html>', 'text/html'));
    await assert.rejects(
      new MesosClient({ url: html.url, timeoutMs: 500, retries: 0 }).listAgents(),
      (e: unknown) => e instanceof MesosError && e.code === 'E_MESOS_BAD_RESPONSE' && /GET \/master\/slaves: .*HTML/.test(e.message),
    );
  });
});

describe('resolveMesosUrl', () => {
  const marathon = (ui: string | undefined, base = 'https://cluster.example.com/service/marathon') => ({
    info: (): Promise<MarathonInfo> => Promise.resolve({ name: 'marathon', version: '1.10.17', elected: true, leader: null, ...(ui === undefined ? {} : { mesosLeaderUiUrl: ui }) }),
    baseUrl: () => base,
  });

  it('absolute and DC/OS-relative mesos_leader_ui_url', async () => {
    assert.equal(await resolveMesosUrl(marathon('http://10.0.0.2:5050/')), 'http://10.0.0.2:5050');
    assert.equal(await resolveMesosUrl(marathon('/mesos')), 'https://cluster.example.com/mesos');
  });

  it('absent → E_MESOS_URL_UNKNOWN', async () => {
    await assert.rejects(resolveMesosUrl(marathon(undefined)), (e: unknown) => e instanceof MesosError && e.code === 'E_MESOS_URL_UNKNOWN');
  });
});

describe('joinTasksToAgents', () => {
  const agent = (id: string, hostname: string, active = true): MesosAgent => ({ id, hostname, attributes: { rack: id }, active });
  const task = (id: string, host: string, slaveId?: string): MarathonTask => ({
    id,
    appId: '/a',
    host,
    ...(slaveId === undefined ? {} : { slaveId }),
    state: 'TASK_RUNNING',
    localVolumes: [],
  });

  it('by slaveId, else by a hostname naming one (active) agent, else none', () => {
    const agents = [agent('S1', 'h1'), agent('S2', 'h2'), agent('S3', 'dup'), agent('S4', 'dup'), agent('S5', 'h5', false), agent('S6', 'h5')];
    const joined = joinTasksToAgents(
      [task('t1', 'elsewhere', 'S1'), task('t2', 'h2'), task('t3', 'h2', 'S-gone'), task('t4', 'dup'), task('t5', 'h5'), task('t6', 'nowhere')],
      agents,
    );
    assert.deepEqual(
      joined.map((j) => [j.task.id, j.agent?.id]),
      [
        ['t1', 'S1'], // slaveId wins over host
        ['t2', 'S2'], // old Marathon: no slaveId
        ['t3', 'S2'], // agent re-registered under a new id
        ['t4', undefined], // ambiguous host: no guess
        ['t5', 'S6'], // the active one of two
        ['t6', undefined],
      ],
    );
  });
});

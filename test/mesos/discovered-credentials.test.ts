/**
 * A Mesos master nobody configured (named by Marathon's /v2/info, or by a master's redirect) gets
 * the credentials only when the operator allows it (mesos.trustDiscovered).
 */
import assert from 'node:assert/strict';
import { clientsFrom } from '../../src/app/wiring.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { memoryLogger } from '../../src/log.js';
import { MesosClient } from '../../src/mesos/client.js';
import { MesosError } from '../../src/mesos/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { sendJson, sendText, ServerPool, type Handler, type TestServer } from '../helpers/http-server.js';

const TOKEN = 'tok-SECRET';
const slaves = { slaves: [{ id: 'S1', hostname: '10.1.0.11', port: 5051, attributes: { rack: 'r1' }, active: true }], recovered_slaves: [] };
const master: Handler = (req, res) => (req.path.endsWith('/master/slaves') ? sendJson(res, 200, slaves) : sendJson(res, 404, {}));

/** A Marathon whose /v2/info names `ui` as the Mesos leader; it also serves /mesos/master/slaves (DC/OS Admin Router). */
function marathonNaming(ui: () => string): Handler {
  return (req, res, raw) => {
    if (req.path === '/v2/info') return sendJson(res, 200, { name: 'marathon', version: '1.10.17', elected: true, leader: null, marathon_config: { mesos_leader_ui_url: ui() } });
    if (req.path === '/mesos/master/slaves') return master(req, res, raw);
    return sendJson(res, 404, { message: 'not found' });
  };
}

function agentsVia(marathonUrl: string, extraEnv: Record<string, string> = {}) {
  const { logger, lines } = memoryLogger('info');
  const { config } = loadConfig({ env: { MONKEY_MARATHON_URLS: marathonUrl, MONKEY_MARATHON_TOKEN: TOKEN, MONKEY_HTTP_RETRIES: '0', ...extraEnv } });
  const { agents } = clientsFrom(config, { clock: new ManualClock(0), logger });
  return { agents, lines };
}

const authOf = (s: TestServer): (string | undefined)[] => s.requests.map((r) => r.headers.authorization);

describe('credentials and discovered Mesos masters', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  it('MONKEY_MESOS_URL unset: the master named by /v2/info is queried WITHOUT the Marathon token, and that is logged once', async () => {
    const mesos = await pool.start(master);
    const marathon = await pool.start(marathonNaming(() => `${mesos.url}/`));
    const { agents, lines } = agentsVia(marathon.url);
    assert.equal((await agents.listAgents()).length, 1);
    assert.equal((await agents.listAgents()).length, 1);
    assert.deepEqual(authOf(mesos), [undefined, undefined]);
    assert.deepEqual(authOf(marathon), [`token=${TOKEN}`], 'Marathon itself still gets it');
    const notes = lines().filter((l) => String(l.msg).includes('without credentials'));
    assert.equal(notes.length, 1);
    assert.equal(notes[0]!.target, mesos.url);
    assert.ok(!JSON.stringify(lines()).includes(TOKEN));
  });

  it('MONKEY_MESOS_TRUST_DISCOVERED=true: the discovered master gets the credentials', async () => {
    const mesos = await pool.start(master);
    const marathon = await pool.start(marathonNaming(() => mesos.url));
    const { agents } = agentsVia(marathon.url, { MONKEY_MESOS_TRUST_DISCOVERED: 'true' });
    await agents.listAgents();
    assert.deepEqual(authOf(mesos), [`token=${TOKEN}`]);
  });

  it('a relative mesos_leader_ui_url (DC/OS /mesos) is on the configured Marathon origin: credentials go there', async () => {
    let url = '';
    const marathon = await pool.start(marathonNaming(() => url));
    url = '/mesos';
    const { agents } = agentsVia(marathon.url);
    await agents.listAgents();
    const mesosRequest = marathon.requests.find((r) => r.path === '/mesos/master/slaves');
    assert.equal(mesosRequest?.headers.authorization, `token=${TOKEN}`);
  });

  it('a configured master redirecting to another one: the other gets no credentials unless trusted, and its 401 says why', async () => {
    const leader = await pool.start((req, res, raw) => (req.headers.authorization === undefined ? sendText(res, 401, 'no') : master(req, res, raw)));
    const standby = await pool.start((_req, res) => sendText(res, 307, '', 'text/plain', { Location: `//${leader.hostPort}/master/slaves` }));
    const configured = standby.url.replace('http://', 'http://ops:pw@');
    await assert.rejects(
      new MesosClient({ url: configured, timeoutMs: 1000, retries: 0 }).listAgents(),
      (e: unknown) => e instanceof MesosError && e.code === 'E_MESOS_AUTH' && /MONKEY_MESOS_TRUST_DISCOVERED/.test(e.message),
    );
    assert.deepEqual(authOf(leader), [undefined]);
    assert.ok(standby.requests[0]!.headers.authorization, 'the configured master itself got them');
    assert.equal((await new MesosClient({ url: configured, timeoutMs: 1000, retries: 0, trustAnyMaster: true }).listAgents()).length, 1);
    assert.equal(authOf(leader)[1], `Basic ${Buffer.from('ops:pw').toString('base64')}`);
  });

  it('the setting is a strict boolean, off by default', () => {
    assert.equal(loadConfig({ env: {} }).config.mesos.trustDiscovered, false);
    assert.equal(loadConfig({ env: { MONKEY_MESOS_TRUST_DISCOVERED: 'yes' } }).config.mesos.trustDiscovered, true);
    assert.throws(() => loadConfig({ env: { MONKEY_MESOS_TRUST_DISCOVERED: 'maybe' } }), ConfigError);
  });
});

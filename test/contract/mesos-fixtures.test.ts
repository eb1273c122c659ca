import assert from 'node:assert/strict';
import { MesosError } from '../../src/mesos/errors.js';
import { parseAgents } from '../../src/mesos/parse.js';
import { fixture } from './fixtures.js';

describe('contract: the Mesos parser accepts real master payloads', () => {
  it('/master/state (Mesos 1.2.0, DC/OS): agents with public_ip attribute', () => {
    const agents = parseAgents(fixture('mesos/master-state_mesos-1.2.0_dcos-ui.json'), '/master/state');
    assert.equal(agents.length, 2);
    assert.deepEqual(agents[0], { id: '74f1836b-6784-4030-816e-aacbdd45ff57-S1', hostname: '10.0.2.121', attributes: {}, active: true });
    assert.ok(agents.some((a) => a.attributes.public_ip === 'true'));
  });

  it('/master/slaves agent objects with fault domain (dcos-ui SlaveNodes)', () => {
    const agents = parseAgents({ slaves: fixture('mesos/agents-with-attributes-and-domain_dcos-ui.json') });
    assert.deepEqual(agents, [
      { id: '1', hostname: '10.0.2.66', port: 5051, attributes: {}, region: 'us-west-2', zone: 'us-west-2a', active: true },
      { id: '2', hostname: '10.0.5.89', port: 5051, attributes: { public_ip: 'true' }, active: true },
    ]);
  });

  it('rejects an attribute that is neither string nor number, naming the path', () => {
    assert.throws(
      () => parseAgents({ slaves: [{ id: 'S1', hostname: 'h', active: true, attributes: { rack: ['r1'] } }] }),
      (e: unknown) => e instanceof MesosError && e.code === 'E_MESOS_BAD_RESPONSE' && /GET \/master\/slaves: .*\$\.slaves\[0\]\.attributes\.rack: expected a number, got an array/.test(e.message),
    );
  });
});

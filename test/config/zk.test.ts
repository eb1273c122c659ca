import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { zkUrlProblem } from '../../src/config/schema.js';
import { problemsOf } from '../helpers/config.js';

describe('configuration: ZooKeeper (state.zk, MONKEY_ZK)', () => {
  it('is off by default: one instance, its state in the journal', () => {
    const { config } = loadConfig({ env: {} });
    assert.equal(config.state.zk, '');
    assert.equal(config.state.zkSessionTimeoutMs, 10000);
  });

  it('reads MONKEY_ZK and MONKEY_ZK_SESSION_TIMEOUT_MS', () => {
    const { config } = loadConfig({ env: { MONKEY_ZK: 'zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/marathon-monkey', MONKEY_ZK_SESSION_TIMEOUT_MS: '4000' } });
    assert.equal(config.state.zk, 'zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/marathon-monkey');
    assert.equal(config.state.zkSessionTimeoutMs, 4000);
  });

  const table: [string, RegExp | undefined][] = [
    ['zk://127.0.0.1:2181/monkey', undefined],
    ['zk://a:2181,b:2182/mesos/monkey', undefined],
    ['zk://alice:s3cret@zk-1:2181/monkey', undefined],
    ['zk://[::1]:2181/monkey', undefined],
    ['http://zk-1:2181/monkey', /not a ZooKeeper URL/],
    ['zk://zk-1:2181', /needs a path/],
    ['zk://zk-1:2181/', /needs a path/],
    ['zk://zk-1/monkey', undefined],
    ['zk://zk-1:99999/monkey', /must be host or host:port/],
    ['zk://zk-1:2181,/monkey', /must be host or host:port/],
    ['zk://alice@zk-1:2181/monkey', /user:password/],
  ];
  for (const [url, problem] of table) {
    it(`${url}: ${problem === undefined ? 'accepted' : String(problem)}`, () => {
      const found = zkUrlProblem(url);
      if (problem === undefined) assert.equal(found, undefined);
      else assert.match(found ?? '', problem);
    });
  }

  it('never repeats the password in a problem, even one that escapes the mask', () => {
    for (const url of ['zk://alice:s3cret@zk-1:0/monkey', 'zk://alice:s3/cret@zk-1:2181', 'zk://alice:s3cret@zk-1:2181']) {
      const problems = problemsOf({ MONKEY_ZK: url });
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0] ?? '', /MONKEY_ZK/);
      assert.doesNotMatch(problems.join('\n'), /s3cret|s3\/cret|cret/);
    }
  });

  it('masks the credentials in the effective configuration (/status, logs)', () => {
    const { masked } = loadConfig({ env: { MONKEY_ZK: 'zk://alice:s3cret@zk-1:2181/monkey' } });
    const text = JSON.stringify(masked);
    assert.doesNotMatch(text, /s3cret/);
    assert.match(text, /zk:\/\/\*\*\*@zk-1:2181\/monkey/);
  });

  it('rejects a session timeout below a second', () => {
    const problems = problemsOf({ MONKEY_ZK_SESSION_TIMEOUT_MS: '500' });
    assert.match(problems.join('\n'), /MONKEY_ZK_SESSION_TIMEOUT_MS/);
    assert.match(problems.join('\n'), /from 1000 to 600000/);
  });
});

import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { maskZkUrl, parseZkUrl } from '../../src/zk/index.js';

describe('zk:// URLs (parseZkUrl, maskZkUrl)', () => {
  const good: [url: string, servers: string, root: string, auth?: { user: string; password: string }][] = [
    ['zk://zk-1:2181/marathon-monkey', 'zk-1:2181', '/marathon-monkey'],
    ['zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/marathon-monkey', 'zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181', '/marathon-monkey'],
    ['zk://10.0.0.1,10.0.0.2:2182/chaos/monkey', '10.0.0.1:2181,10.0.0.2:2182', '/chaos/monkey'],
    ['zk://[::1]:2181/m', '[::1]:2181', '/m'],
    ['ZK://h:1/m', 'h:1', '/m'],
    ['zk://monkey:s3cret@zk-1:2181/marathon-monkey', 'zk-1:2181', '/marathon-monkey', { user: 'monkey', password: 's3cret' }],
    ['zk://monkey:p%40ss%3Aw%2Frd@zk-1:2181/m', 'zk-1:2181', '/m', { user: 'monkey', password: 'p@ss:w/rd' }],
    ['zk://h:65535/a.b_c-d', 'h:65535', '/a.b_c-d'],
  ];
  for (const [url, servers, root, auth] of good) {
    it(`reads ${url}`, () => {
      assert.deepEqual(parseZkUrl(url), { servers, root, ...(auth ? { auth } : {}) });
    });
  }

  const bad: [url: string, message: RegExp][] = [
    ['', /is empty/],
    [' zk://h:2181/m', /spaces/],
    ['zk-1:2181/m', /must start with zk:\/\//],
    ['http://h:2181/m', /scheme http:\/\/ — only zk:\/\//],
    ['zk:///m', /names no ZooKeeper host/],
    ['zk://h1,,h2/m', /empty host/],
    ['zk://h1,/m', /empty host/],
    ['zk://h:0/m', /port 0 for h/],
    ['zk://h:65536/m', /port 65536/],
    ['zk://h:abc/m', /port abc/],
    ['zk://h:/m', /port \(empty\)/],
    ['zk://h:2181', /has no path/],
    ['zk://h:2181/', /has no path.*root \/ is refused/],
    ['zk://h:2181/m/', /ends with \//],
    ['zk://h:2181/a//b', /empty segment/],
    ['zk://h:2181/a/../b', /\.\. segment/],
    ['zk://h:2181/zookeeper/m', /reserves/],
    ['zk://h:2181/m?x=1', /no query/],
    ['zk://:secret@h:2181/m', /password but no user/],
    ['zk://monkey@h:2181/m', /user monkey but no password/],
    ['zk://monkey:@h:2181/m', /user monkey but no password/],
    ['zk://@h:2181/m', /no credentials/],
    ['zk://u:p@ss@h:2181/m', /more than one @.*%40/],
    ['zk://u:%zz@h:2181/m', /badly percent-encoded/],
    ['zk://h_ost!:2181/m', /not a host name/],
  ];
  for (const [url, message] of bad) {
    it(`refuses ${JSON.stringify(url)}: ${message.source}`, () => {
      assert.throws(
        () => parseZkUrl(url),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.code, 'E_CONFIG');
          assert.match(err.message, message);
          assert.match(err.message, /state\.zk \(MONKEY_ZK\)=/);
          assert.match(err.hint ?? '', /zk:\/\/\[user:password@\]host1:2181/);
          return true;
        },
      );
    });
  }

  it('names every problem of a URL at once', () => {
    assert.throws(() => parseZkUrl('zk://:pw@h:0,/'), (err: ConfigError) => err.problems.length === 4);
  });

  it('never repeats the password in an error', () => {
    for (const url of ['zk://u:topsecret@h:0/m', 'zk://u:topsecret@h:2181', 'zk://u:top@secret@h/m', 'zk://u:topsecret@/m']) {
      assert.throws(() => parseZkUrl(url), (err: ConfigError) => !err.message.includes('secret') && err.message.includes('u:***@'));
    }
  });

  const masks: [string, string][] = [
    ['zk://monkey:s3cret@zk-1:2181,zk-2:2181/m', 'zk://monkey:***@zk-1:2181,zk-2:2181/m'],
    ['zk://zk-1:2181/m', 'zk://zk-1:2181/m'],
    ['zk://u:p@ss@h:2181/m', 'zk://u:***@h:2181/m'],
    ['zk://:pw@h/m', 'zk://:***@h/m'],
    ['zk://monkey@h/m', 'zk://monkey@h/m'],
    ['u:pw@h/m', 'u:***@h/m'],
  ];
  for (const [url, masked] of masks) {
    it(`masks ${masked}`, () => assert.equal(maskZkUrl(url), masked));
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { problemsOf } from '../helpers/config.js';


function configFile(text: string | Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'monkey-config-')), 'monkey.json');
  writeFileSync(file, text);
  return file;
}

describe('configuration file: read safely, errors that quote nothing', () => {
  it('a JSON syntax error names line and column, never the text around it', () => {
    const file = configFile('{\n  "marathon": {\n    "username": "monkey",\n    "password": CFGSECRET4"\n  }\n}\n');
    const problems = problemsOf({ MONKEY_CONFIG: file });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /not valid JSON: line 4, column 17: expected a value/);
    assert.ok(!problems.join('\n').includes('CFGSECRET4'), problems[0]);
    assert.ok(!problems.join('\n').includes('assword'), problems[0]);
  });

  const syntaxRows: { text: string; line: number; column: number; problem: RegExp }[] = [
    { text: '', line: 1, column: 1, problem: /empty/ },
    { text: '{"chaos": ', line: 1, column: 11, problem: /ends where a value is expected/ },
    { text: '{"chaos": {"seed": "x",}}', line: 1, column: 24, problem: /property name.*no comma before \}/ },
    { text: '[1, 2,]', line: 1, column: 7, problem: /no comma before \]/ },
    { text: "{'chaos': 1}", line: 1, column: 2, problem: /property name in double quotes/ },
    { text: '{"a" 1}', line: 1, column: 6, problem: /expected :/ },
    { text: '{"a": "SECRET\n"}', line: 1, column: 14, problem: /line break/ },
    { text: '{"a": "SECRET', line: 1, column: 7, problem: /not closed/ },
    { text: '{"a": "\\x"}', line: 1, column: 8, problem: /escape/ },
    { text: '{"a": 01}', line: 1, column: 8, problem: /expected , or \}/ },
    { text: '{"a": -}', line: 1, column: 7, problem: /malformed number/ },
    { text: '{"a": 1} x', line: 1, column: 10, problem: /more text/ },
    { text: '{\r\n"a": [1 2]}', line: 2, column: 9, problem: /expected , or \]/ },
    { text: '{"a": [[[', line: 1, column: 10, problem: /ends where a value/ },
    { text: '{"a": {"b": 1}', line: 1, column: 15, problem: /closing \}/ },
    { text: '{"a": tru}', line: 1, column: 7, problem: /expected a value/ },
  ];
  for (const row of syntaxRows) {
    it(`${JSON.stringify(row.text)} → line ${row.line}, column ${row.column}`, () => {
      const [p] = problemsOf({ MONKEY_CONFIG: configFile(row.text) });
      assert.match(p!, new RegExp(`not valid JSON: line ${row.line}, column ${row.column}: `));
      assert.match(p!, row.problem);
      assert.ok(!p!.includes('SECRET'), p);
    });
  }

  it('a deeply nested file is judged without overflowing the stack', () => {
    const [p] = problemsOf({ MONKEY_CONFIG: configFile(`{"a": ${'['.repeat(500_000)}`) });
    assert.match(p!, /line 1, column 500007: the text ends where a value is expected/);
  });

  it('a file starting with a UTF-8 byte order mark is read (the mark is dropped)', () => {
    const file = configFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"chaos": {"seed": "bom"}}')]));
    assert.equal(loadConfig({ env: { MONKEY_CONFIG: file } }).config.chaos.seed, 'bom');
  });

  it('a UTF-16 file is named as such', () => {
    const file = configFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{}', 'utf16le')]));
    assert.match(problemsOf({ MONKEY_CONFIG: file })[0]!, /UTF-16/);
  });

  it('reads only regular files up to 1 MB', () => {
    assert.match(problemsOf({ MONKEY_CONFIG: '/dev/zero' })[0]!, /MONKEY_CONFIG=\/dev\/zero: is a device, not a regular file/);
    const dir = mkdtempSync(join(tmpdir(), 'monkey-config-'));
    assert.match(problemsOf({ MONKEY_CONFIG: dir })[0]!, /is a directory, not a regular file/);
    assert.match(problemsOf({ MONKEY_CONFIG: join(dir, 'missing.json') })[0]!, /no such file/);
    const big = configFile(`{"chaos": {"seed": "${'s'.repeat(MAX_CONFIG_BYTES)}"}}`);
    assert.match(problemsOf({ MONKEY_CONFIG: big })[0]!, /at most 1048576 bytes/);
    // Exactly at the limit is fine.
    const seed = 's'.repeat(MAX_CONFIG_BYTES - '{"chaos": {"seed": ""}}'.length);
    assert.equal(loadConfig({ env: { MONKEY_CONFIG: configFile(`{"chaos": {"seed": "${seed}"}}`) } }).config.chaos.seed.length, seed.length);
  });

  for (const text of ['{"__proto__": {"chaos": {"dryRun": false}}}', '{"constructor": {"prototype": {"x": 1}}}', '{"chaos": {"__proto__": {"dryRun": false}}}', '{"chaos": {"prototype": 1}}']) {
    it(`${text}: the reserved key is an unknown key, an error naming it`, () => {
      const problems = problemsOf({ MONKEY_CONFIG: configFile(text) });
      const key = /"(__proto__|constructor|prototype)"/.exec(text)![1]!;
      assert.ok(problems.some((p) => p.includes(key) && p.includes('unknown keys are errors')), problems.join('\n'));
    });
  }
});

describe('configuration: a bad value is blamed where it came from', () => {
  it('a value from the file names the file and key, not the environment variable', () => {
    const file = configFile('{"chaos": {"maxKills": 0}, "server": {"host": "not a host"}}');
    const problems = problemsOf({ MONKEY_CONFIG: file });
    const maxKills = problems.find((p) => p.startsWith('chaos.maxKills'))!;
    assert.ok(maxKills.includes(`config file ${file}, key chaos.maxKills`), maxKills);
    assert.ok(!maxKills.includes('MONKEY_MAX_KILLS'), maxKills);
    assert.ok(problems.find((p) => p.startsWith('server.host'))!.includes(`config file ${file}, key server.host`));
  });

  it('a value from the environment names the variable, even when the file has the key too', () => {
    const file = configFile('{"chaos": {"maxKills": 2}}');
    const [p] = problemsOf({ MONKEY_CONFIG: file, MONKEY_MAX_KILLS: '0' });
    assert.match(p!, /^chaos\.maxKills: .*\(environment: MONKEY_MAX_KILLS\)$/);
  });

  it('a bad PORT0 is blamed on PORT0', () => {
    assert.match(problemsOf({ PORT0: 'abc' })[0]!, /^server\.port: .*\(environment: PORT0\)$/);
  });
});

describe('configuration: values that pass checks but can never work', () => {
  for (const token of ['SECRETX SECRETY', ' SECRETX', 'SECRETX ', 'SECRETX\tSECRETY', 'SECRETX\nSECRETY', 'pässSECRETX', 'SECRETX\u0001']) {
    it(`control token ${JSON.stringify(token)} is rejected without being echoed`, () => {
      const problems = problemsOf({ MONKEY_CONTROL_TOKEN: token });
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /MONKEY_CONTROL_TOKEN/);
      assert.match(problems[0]!, /could ever match/);
      assert.ok(!problems[0]!.includes('SECRET'), problems[0]);
    });
  }
  it('a printable ASCII control token is fine', () => {
    assert.equal(loadConfig({ env: { MONKEY_CONTROL_TOKEN: 'a-Z_0.9~+/=' } }).config.server.controlToken, 'a-Z_0.9~+/=');
  });
  it('a control token from the file is blamed on the file', () => {
    const file = configFile('{"server": {"controlToken": "with space"}}');
    const [p] = problemsOf({ MONKEY_CONFIG: file });
    assert.ok(p!.includes(`config file ${file}, key server.controlToken`) && !p!.includes('with space'), p);
  });

  for (const host of ['😀', '', 'http://0.0.0.0', '[::1]', 'a b', '-lead.example', 'under_score', 'x'.repeat(64), `${'a.'.repeat(127)}a`, '0.0.0.0:8000', '1.2.3.999', '10.0.0', '8000']) {
    it(`MONKEY_HOST=${JSON.stringify(host.length > 30 ? `${host.slice(0, 20)}…` : host)} is rejected`, () => {
      const problems = problemsOf({ MONKEY_HOST: host });
      assert.ok(problems.some((p) => p.startsWith('server.host') && p.includes('MONKEY_HOST')), problems.join('\n'));
    });
  }
  for (const host of ['0.0.0.0', '127.0.0.1', '::', '::1', 'fe80::1', 'localhost', 'monkey.marathon.mesos', 'node-1.example.com.', 'x'.repeat(63)]) {
    it(`MONKEY_HOST=${host.length > 30 ? `${host.slice(0, 20)}…` : host} is accepted`, () => {
      assert.equal(loadConfig({ env: { MONKEY_HOST: host } }).config.server.host, host);
    });
  }

  it('an empty journal path is rejected by every command, naming MONKEY_JOURNAL', () => {
    for (const path of ['', '   ']) {
      const problems = problemsOf({ MONKEY_JOURNAL: path });
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /journal\.path \(MONKEY_JOURNAL; environment: MONKEY_JOURNAL\) is empty: set it to a file path/);
    }
    const file = configFile('{"journal": {"path": ""}}');
    assert.match(problemsOf({ MONKEY_CONFIG: file })[0]!, /config file .*, key journal\.path\) is empty/);
  });
});

describe('configuration: the HTTP port', () => {
  const port = (env: NodeJS.ProcessEnv) => {
    const loaded = loadConfig({ env });
    return [loaded.config.server.port, loaded.origin?.('server.port')];
  };
  it('MONKEY_PORT first, then PORT0 (Marathon’s assignment), then 8000', () => {
    assert.deepEqual(port({ MONKEY_PORT: '9000', PORT0: '31005' }), [9000, 'environment: MONKEY_PORT']);
    assert.deepEqual(port({ PORT0: '31005' }), [31005, 'environment: PORT0']);
    assert.deepEqual(port({}), [8000, 'default']);
  });
  it('an empty MONKEY_PORT (how an app definition clears the image’s value) counts as unset', () => {
    assert.deepEqual(port({ MONKEY_PORT: '', PORT0: '31005' }), [31005, 'environment: PORT0']);
    assert.deepEqual(port({ MONKEY_PORT: '' }), [8000, 'default']);
  });
  it('PORT0 wins over server.port in a file; MONKEY_PORT wins over both', () => {
    const file = configFile('{"server": {"port": 9100}}');
    assert.deepEqual(port({ MONKEY_CONFIG: file }), [9100, `config file ${file}, key server.port`]);
    assert.deepEqual(port({ MONKEY_CONFIG: file, PORT0: '31005' }), [31005, 'environment: PORT0']);
    assert.deepEqual(port({ MONKEY_CONFIG: file, PORT0: '31005', MONKEY_PORT: '9000' }), [9000, 'environment: MONKEY_PORT']);
  });
});

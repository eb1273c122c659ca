import assert from 'node:assert/strict';
import type { MarathonTask } from '../../src/domain/marathon.js';
import { parseHostAllowList } from '../../src/platform/host-allow.js';
import { parseStatusRanges, statusIn } from '../../src/platform/status-ranges.js';
import { parseProbeLabels, type ProbeDefaults, type ProbeLabelParse, type ProbeSpec } from '../../src/probe/labels.js';
import { probeTargets } from '../../src/probe/targets.js';

const defaults: ProbeDefaults = { intervalMs: 500, timeoutMs: 2000, tolerance: [[200, 399]] };

function spec(labels: Record<string, string>): ProbeSpec | undefined {
  const parsed = parseProbeLabels(labels, defaults);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  return parsed.spec;
}

function problem(labels: Record<string, string>): Exclude<ProbeLabelParse, { ok: true }> {
  const parsed = parseProbeLabels(labels, defaults);
  assert.equal(parsed.ok, false, `expected a problem for ${JSON.stringify(labels)}`);
  return parsed;
}

describe('probe labels: the monkey.probe.* contract', () => {
  it('no probe labels (other monkey.* labels are the chaos core’s): no spec', () => {
    assert.equal(spec({}), undefined);
    assert.equal(spec({ 'monkey.enabled': 'true', team: 'x', 'monkey.probe.http': '' }), undefined);
  });

  const good: [string, Record<string, string>, ProbeSpec][] = [
    ['a service URL, defaults from the configuration', { 'monkey.probe.http': 'http://svc.example.com:8080/health?deep=1' }, { checks: [{ protocol: 'http', target: { kind: 'url', url: 'http://svc.example.com:8080/health?deep=1' }, tolerance: [[200, 399]] }], timeoutMs: 2000, intervalMs: 500, maxErrorRate: 0 }],
    ['a path for every task, port index, every override', { 'monkey.probe.http': '/health', 'monkey.probe.http.port-index': '2', 'monkey.probe.tolerance': '200-299, 503', 'monkey.probe.timeout-ms': '750', 'monkey.probe.interval-ms': '250', 'monkey.probe.max-error-rate': '0.05' }, { checks: [{ protocol: 'http', target: { kind: 'tasks', path: '/health', portIndex: 2 }, tolerance: [[200, 299], [503, 503]] }], timeoutMs: 750, intervalMs: 250, maxErrorRate: 0.05 }],
    ['tcp host:port with send and expect', { 'monkey.probe.tcp': 'db.example.com:5432', 'monkey.probe.tcp.send': 'PING', 'monkey.probe.tcp.expect': 'PONG' }, { checks: [{ protocol: 'tcp', target: { kind: 'address', host: 'db.example.com', port: 5432 }, send: 'PING', expect: 'PONG' }], timeoutMs: 2000, intervalMs: 500, maxErrorRate: 0 }],
    ['tcp port-index and an IPv6 address; keys in any case, quoted values', { 'Monkey.Probe.TCP': '"port-index:1"', ' monkey.probe.max-error-rate ': '1' }, { checks: [{ protocol: 'tcp', target: { kind: 'tasks', portIndex: 1 } }], timeoutMs: 2000, intervalMs: 500, maxErrorRate: 1 }],
    ['both http and tcp', { 'monkey.probe.http': '/h', 'monkey.probe.tcp': '[::1]:9000' }, { checks: [{ protocol: 'http', target: { kind: 'tasks', path: '/h', portIndex: 0 }, tolerance: [[200, 399]] }, { protocol: 'tcp', target: { kind: 'address', host: '::1', port: 9000 } }], timeoutMs: 2000, intervalMs: 500, maxErrorRate: 0 }],
  ];
  for (const [name, labels, want] of good) {
    it(`reads ${name}`, () => assert.deepEqual(spec(labels), want));
  }

  const bad: [Record<string, string>, string, RegExp][] = [
    [{ 'monkey.probe.http': 'svc:8080/health' }, 'monkey.probe.http', /http:\/\/ or https:\/\/ URL|full http/],
    [{ 'monkey.probe.http': 'ftp://svc/x' }, 'monkey.probe.http', /http:\/\/ or https:\/\//],
    [{ 'monkey.probe.http': 'http://user:pw@svc/health' }, 'monkey.probe.http', /credentials/],
    [{ 'monkey.probe.http': '/he alth' }, 'monkey.probe.http', /path/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.http.port-index': '-1' }, 'monkey.probe.http.port-index', /whole number from 0/],
    [{ 'monkey.probe.http': 'http://svc/h', 'monkey.probe.http.port-index': '1' }, 'monkey.probe.http.port-index', /only when/],
    [{ 'monkey.probe.tcp': 'db.example.com' }, 'monkey.probe.tcp', /host:port/],
    [{ 'monkey.probe.tcp': 'db:0' }, 'monkey.probe.tcp', /host:port/],
    [{ 'monkey.probe.tcp': 'db:70000' }, 'monkey.probe.tcp', /host:port/],
    [{ 'monkey.probe.tcp': 'port-index:x' }, 'monkey.probe.tcp', /port-index:N/],
    [{ 'monkey.probe.tcp': 'db:1', 'monkey.probe.tcp.send': 'a\nb' }, 'monkey.probe.tcp.send', /one line/],
    [{ 'monkey.probe.tcp': 'db:1', 'monkey.probe.tcp.expect': 'x'.repeat(5000) }, 'monkey.probe.tcp.expect', /one line/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.tcp.send': 'PING' }, 'monkey.probe.tcp.send', /only with monkey.probe.tcp/],
    [{ 'monkey.probe.tcp': 'db:1', 'monkey.probe.tolerance': '200' }, 'monkey.probe.tolerance', /only with monkey.probe.http/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.tolerance': '2xx' }, 'monkey.probe.tolerance', /200-299,503/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.tolerance': '299-200' }, 'monkey.probe.tolerance', /ranges/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.tolerance': '600' }, 'monkey.probe.tolerance', /100-599/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.timeout-ms': '0' }, 'monkey.probe.timeout-ms', /milliseconds from 1/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.timeout-ms': '1.5' }, 'monkey.probe.timeout-ms', /whole number/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.interval-ms': 'soon' }, 'monkey.probe.interval-ms', /milliseconds/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.max-error-rate': '1.5' }, 'monkey.probe.max-error-rate', /from 0 to 1/],
    [{ 'monkey.probe.http': '/h', 'monkey.probe.max-error-rate': '5%' }, 'monkey.probe.max-error-rate', /from 0 to 1/],
    [{ 'monkey.probe.timeout-ms': '100' }, 'monkey.probe.timeout-ms', /needs monkey.probe.http or monkey.probe.tcp/],
    [{ 'monkey.probe.htp': '/h' }, 'monkey.probe.htp', /not a marathon-monkey label/],
    [{ 'monkey.probe.http': '/a', 'Monkey.Probe.Http': '/b' }, 'monkey.probe.http, Monkey.Probe.Http', /different values/],
  ];
  for (const [labels, label, message] of bad) {
    it(`refuses ${JSON.stringify(labels).slice(0, 90)}`, () => {
      const p = problem(labels);
      assert.equal(p.label, label);
      assert.match(p.problem, message);
      assert.ok(p.detail.includes(label.split(', ')[0]!), p.detail);
    });
  }

  it('echoes a bad value cut to 64 characters', () => {
    const p = problem({ 'monkey.probe.http': 'x'.repeat(500_000) });
    assert.ok(p.detail.length < 300, p.detail);
    assert.match(p.detail, /… \(500000 bytes\)/);
  });
});

describe('status ranges (probe.tolerance, monkey.probe.tolerance)', () => {
  const cases: [string, [number, number][] | undefined][] = [
    ['200-399', [[200, 399]]],
    ['200-299,503', [[200, 299], [503, 503]]],
    [' 204 , 300 - 302 ', [[204, 204], [300, 302]]],
    ['', undefined],
    [',', undefined],
    ['200-', undefined],
    ['99', undefined],
    ['200-600', undefined],
    ['2000', undefined],
    ['abc', undefined],
  ];
  for (const [text, want] of cases) {
    it(`${JSON.stringify(text)} → ${want === undefined ? 'a problem' : JSON.stringify(want)}`, () => {
      const parsed = parseStatusRanges(text);
      if (want === undefined) assert.equal(parsed.ok, false);
      else assert.deepEqual(parsed, { ok: true, ranges: want });
    });
  }
  it('statusIn judges inclusive bounds', () => {
    const r = [[200, 299], [503, 503]] as const;
    assert.deepEqual([199, 200, 299, 300, 503, 504].map((s) => statusIn(r, s)), [false, true, true, false, true, false]);
  });
});

describe('host allow-list (probe.allow): globs and CIDRs', () => {
  function allow(entries: string[]): (h: string) => boolean {
    const parsed = parseHostAllowList(entries);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problem);
    return (h) => parsed.list.allows(h);
  }
  it('empty allows any host', () => assert.ok(allow([])('anything.example')));
  it('CIDRs and single addresses, IPv4 and IPv6', () => {
    const a = allow(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    assert.deepEqual(['10.1.2.3', '11.0.0.1', '192.168.1.7', '192.168.1.8', 'fd12::1', '[fd12::1]', '::1'].map(a), [true, false, true, false, true, true, false]);
  });
  it('globs of host names, any case, a trailing dot ignored; an address is not matched by a glob', () => {
    const a = allow(['*.svc.example.com', 'db-?'.replace('?', '1')]);
    assert.deepEqual(['api.svc.example.com', 'API.SVC.EXAMPLE.COM.', 'a.b.svc.example.com', 'svc.example.com', 'db-1', 'db-2', 'evil.com'].map(a), [true, true, true, false, true, false, false]);
    assert.equal(allow(['*'])('10.0.0.1'), false);
  });
  for (const entry of ['10.0.0.0/33', '10.0.0.0/x', 'fd00::/129', 'a b', 'http://x', '']) {
    it(`refuses ${JSON.stringify(entry)}`, () => assert.equal(parseHostAllowList([entry]).ok, false));
  }
});

describe('probe targets', () => {
  const task = (id: string, host: string, ports: number[] | undefined, state: MarathonTask['state'] = 'TASK_RUNNING'): MarathonTask => ({ id, appId: '/a', host, state, localVolumes: [], ...(ports === undefined ? {} : { ports }) });
  const tasks = [task('t1', '10.0.0.1', [31000, 31001]), task('t2', 'fd00::2', [31002]), task('t3', 'h3', [31003], 'TASK_STAGING'), task('t4', 'h4', undefined)];

  it('a service URL is one target, whatever the tasks', () => {
    const { targets, unprobed } = probeTargets(spec({ 'monkey.probe.http': 'https://svc.example.com/h' })!, tasks);
    assert.deepEqual(targets, [{ protocol: 'http', url: 'https://svc.example.com/h', host: 'svc.example.com', port: 443, tolerance: [[200, 399]], name: 'https://svc.example.com/h' }]);
    assert.deepEqual(unprobed, []);
  });

  it('a path: one target per running task at its host and port; tasks without that port are listed', () => {
    const { targets, unprobed } = probeTargets(spec({ 'monkey.probe.http': '/health', 'monkey.probe.http.port-index': '0' })!, tasks);
    assert.deepEqual(
      targets.map((t) => [t.name, t.host, t.port, t.taskId]),
      [
        ['http://10.0.0.1:31000/health', '10.0.0.1', 31000, 't1'],
        ['http://[fd00::2]:31002/health', 'fd00::2', 31002, 't2'],
      ],
    );
    assert.deepEqual(unprobed, [{ taskId: 't4', reason: 'has no port at index 0' }]);
  });

  it('tcp: the address, or each running task at port-index N, with send and expect', () => {
    assert.deepEqual(probeTargets(spec({ 'monkey.probe.tcp': 'db:5432', 'monkey.probe.tcp.expect': 'ok' })!, tasks).targets, [{ protocol: 'tcp', host: 'db', port: 5432, name: 'db:5432', expect: 'ok' }]);
    const per = probeTargets(spec({ 'monkey.probe.tcp': 'port-index:1' })!, tasks);
    assert.deepEqual(per.targets, [{ protocol: 'tcp', host: '10.0.0.1', port: 31001, taskId: 't1', name: '10.0.0.1:31001' }]);
    assert.deepEqual(per.unprobed.map((u) => u.taskId), ['t2', 't4']);
  });
});

import assert from 'node:assert/strict';
import { parseCommand, USAGE } from '../../src/cli/args.js';
import { formatRisk } from '../../src/cli/risk.js';
import type { RiskReport } from '../../src/domain/risk.js';
import { UsageError } from '../../src/errors.js';

const NONE: RiskReport = {
  risky: false,
  apps: 2,
  tasks: 6,
  host: [],
  rack: [],
  zone: [],
  singleInstance: [],
  noHealthChecks: [],
  placement: { agentsKnown: true, agentsNote: null, rackAttribute: 'rack', rackFromAttribute: 6, withoutRack: 0, withoutZone: 0 },
};

describe('cli: risk', () => {
  it('parses `risk` and `risk --json`, and rejects other flags', () => {
    assert.deepEqual(parseCommand(['risk']), { name: 'risk', json: false });
    assert.deepEqual(parseCommand(['risk', '--json']), { name: 'risk', json: true });
    assert.throws(() => parseCommand(['risk', '--rack']), (e: unknown) => e instanceof UsageError && /--json/.test(e.hint ?? ''));
    assert.throws(() => parseCommand(['risk', 'extra']), UsageError);
    assert.match(USAGE, /marathon-monkey risk \[--json\]/);
  });

  it('formats no risk as one line', () => {
    assert.equal(formatRisk(NONE), 'no placement risk: 2 apps, 6 tasks survive the loss of any one host, rack or zone above their healthy floor\n');
  });

  it('says when racks are zones, when agents are unknown, and what could not be placed', () => {
    assert.match(formatRisk({ ...NONE, placement: { ...NONE.placement, rackFromAttribute: 0 } }), /^note: no agent has the attribute "rack"/);
    const unknown = formatRisk({ ...NONE, placement: { ...NONE.placement, agentsKnown: false, agentsNote: 'Mesos agents unavailable (refused)', rackFromAttribute: 0, withoutRack: 6, withoutZone: 6 } });
    assert.match(unknown, /^note: Mesos agents unavailable \(refused\); hosts from the tasks/);
    assert.match(unknown, /note: 6 of 6 tasks have no known rack, 6 no known zone/);
    assert.doesNotMatch(unknown, /attribute "rack"/);
  });

  it('a table per kind, with the floor and the number of other domains at risk', () => {
    const text = formatRisk({
      ...NONE,
      risky: true,
      host: [{ appId: '/a', chaosTarget: false, domain: 'h1', domainsAtRisk: 3, lost: 1, total: 3, healthyLeft: 2, floor: 3, severity: 'below-floor' }],
      zone: [{ appId: '/b', chaosTarget: true, domain: 'z1', domainsAtRisk: 1, lost: 2, total: 2, healthyLeft: 0, floor: null, severity: 'all' }],
      singleInstance: [{ appId: '/c', chaosTarget: true, instances: 1 }],
    });
    assert.equal(
      text,
      [
        'If one host fails (1 app):',
        '  APP  TARGET  HOST          LOST    HEALTHY LEFT / FLOOR  RISK',
        '  /a   no      h1 (+2 more)  1 of 3  2 / 3                 below the healthy floor',
        '',
        'If one zone fails (1 app):',
        '  APP  TARGET  ZONE  LOST    HEALTHY LEFT / FLOOR  RISK',
        '  /b   yes     z1    2 of 2  0 / bad label         all instances lost',
        '',
        'Single instance (lost with any failure) (1 app):',
        '  APP  TARGET  INSTANCES',
        '  /c   yes     1',
        '',
        'RISK: 1 at risk from one host, 1 from one zone, 1 single-instance (2 apps, 6 tasks assessed)',
        '',
      ].join('\n'),
    );
  });
});

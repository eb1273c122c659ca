import type { CycleLike } from '../../src/daemon/cycle-like.js';

/** A Friday afternoon in Berlin (13:30 UTC): the instant all daemon tests start from. */
export const aFridayAfternoon = new Date('2024-03-15T13:30:00.000Z');

/** One parsed Prometheus sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// Value spelling follows Go's ParseFloat, which Prometheus uses: NaN is case-insensitive (prom-client writes "Nan").
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|[Nn][Aa][Nn]|[+-]Inf)( -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus text exposition format strictly: any line that is neither comment nor sample throws. */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const raw = m[4]!;
    samples.push({ name: m[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : /nan/i.test(raw) ? NaN : Number(raw) });
  }
  return { samples, types };
}

/** The value of the one sample with this name whose labels include `labels`; undefined when absent. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples match ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

/** A real kill of one task of /shop/cart that came back in 42 s. */
export const aKillThatRecovered: CycleLike = {
  cycleId: 'c-1',
  time: aFridayAfternoon.toISOString(),
  scheduledAt: aFridayAfternoon.toISOString(),
  seed: 'seed',
  strategy: 'task',
  dryRun: false,
  outcome: 'killed',
  counts: { apps: 3, eligible: 1, candidates: 2, victims: 1 },
  skipped: [
    { appId: '/shop/db', reason: 'persistent-volumes', detail: 'has persistent volumes' },
    { appId: '/shop/search', reason: 'deploying', detail: 'deployment in progress' },
  ],
  victims: [{ appId: '/shop/cart', taskId: 'shop_cart.6f3a-1', host: 'agent-1', agentId: 'a1', rack: 'r1' }],
  killResponse: { matched: ['shop_cart.6f3a-1'], unmatched: [] },
  after: { '/shop/cart': { recovered: true, timeToRecoverMs: 42_000 } },
  weaknesses: [],
};

/** A kill after which /shop/payments never returned to its steady state. */
export const aWeakness: CycleLike = {
  cycleId: 'c-2',
  time: '2024-03-15T14:00:00.000Z',
  strategy: 'task',
  dryRun: false,
  outcome: 'weakness',
  skipped: [{ appId: '/shop/db', reason: 'persistent-volumes', detail: 'has persistent volumes' }],
  victims: [{ appId: '/shop/payments', taskId: 'shop_payments.77-1' }],
  killResponse: { matched: ['shop_payments.77-1'], unmatched: [] },
  after: { '/shop/payments': { recovered: false } },
  weaknesses: [{ appId: '/shop/payments', reason: 'not-recovered', detail: 'not healthy after 300 s' }],
  halted: true,
};

/** A cycle that pretended to kill. */
export const aDryRun: CycleLike = {
  cycleId: 'c-3',
  time: '2024-03-15T14:30:00.000Z',
  strategy: 'task',
  dryRun: true,
  outcome: 'dry-run',
  victims: [{ appId: '/shop/cart', taskId: 'shop_cart.6f3a-2' }],
  weaknesses: [],
};

/** A whole cycle skipped outside office hours. */
export const aSkippedCycle: CycleLike = {
  cycleId: 'c-4',
  time: '2024-03-15T19:00:00.000Z',
  outcome: 'skipped',
  reason: 'outside-office-hours',
  detail: 'office hours are Mon-Fri 09:00-17:00 Europe/Berlin',
};

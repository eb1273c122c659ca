import { badLabel, findLabel, type FoundLabel, type LabelProblem, monkeyLabels, unknownLabel, unquote } from '../platform/labels.js';
import { parseStatusRanges, type StatusRanges } from '../platform/status-ranges.js';
import { PROBE_LABELS } from '../domain/probe-labels.js';

/**
 * The per-app probe contract: `monkey.probe.*` labels → a ProbeSpec, or the first bad label. The
 * label names (PROBE_LABELS, in the domain so the chaos label parser knows them too) are public
 * interface (README "Service probes").
 */
export { PROBE_LABELS };

const KNOWN: ReadonlySet<string> = new Set(Object.values(PROBE_LABELS));

/** Defaults of the labels, from the configuration (`probe.*`). */
export interface ProbeDefaults {
  intervalMs: number;
  timeoutMs: number;
  tolerance: StatusRanges;
}

/** Where an HTTP probe goes: the service as clients reach it, or every running task. */
export type HttpProbeTarget = { kind: 'url'; url: string } | { kind: 'tasks'; path: string; portIndex: number };

/** Where a TCP probe goes: the service's `host:port`, or every running task's port. */
export type TcpProbeTarget = { kind: 'address'; host: string; port: number } | { kind: 'tasks'; portIndex: number };

export interface HttpCheck {
  protocol: 'http';
  target: HttpProbeTarget;
  /** Statuses that count as healthy. */
  tolerance: StatusRanges;
}

export interface TcpCheck {
  protocol: 'tcp';
  target: TcpProbeTarget;
  /** Line sent after connecting (a newline is added). */
  send?: string;
  /** Text the answer must contain. */
  expect?: string;
}

export type ProbeCheck = HttpCheck | TcpCheck;

/** An app's probe settings, validated, with the configuration's defaults filled in. */
export interface ProbeSpec {
  /** One or two checks (HTTP and TCP may both be set); each runs against its targets. */
  checks: ProbeCheck[];
  timeoutMs: number;
  intervalMs: number;
  /** Share of failed probes the app may have during a kill, 0–1. */
  maxErrorRate: number;
}

/** `spec` is undefined when the app has no probe labels. */
export type ProbeLabelParse = { ok: true; spec: ProbeSpec | undefined } | LabelProblem;

const INTEGER = /^\d+$/;
const RATE = /^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/;
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const MAX_PORT_INDEX = 1000;
const MAX_MS = 600_000;
const MAX_LINE = 4096;

/**
 * Reads the `monkey.probe.*` labels of an app (keys in any case, values trimmed and unquoted, as
 * every `monkey.*` label). An empty value is the same as no label. A bad value is a problem naming
 * the label and what is allowed, never a fallback to a default: a probe that silently checks
 * something else than the operator wrote would pass a broken service.
 */
export function parseProbeLabels(labels: Record<string, string>, defaults: ProbeDefaults): ProbeLabelParse {
  const found = new Map([...monkeyLabels(labels)].filter(([name]) => name.startsWith('monkey.probe.')));
  for (const [name, list] of found) {
    if (!KNOWN.has(name)) return unknownLabel(list[0]!.key, list[0]!.value, KNOWN);
  }
  const read: Partial<Record<keyof typeof PROBE_LABELS, FoundLabel & { text: string }>> = {};
  for (const [field, name] of Object.entries(PROBE_LABELS) as [keyof typeof PROBE_LABELS, string][]) {
    const label = findLabel(found, name);
    if (label === undefined) continue;
    if ('ok' in label) return label;
    const text = unquote(label.value);
    if (text !== '') read[field] = { ...label, text };
  }
  if (read.http === undefined && read.tcp === undefined) {
    const stray = Object.values(read)[0];
    if (stray !== undefined) return badLabel(stray.key, stray.value, `needs ${PROBE_LABELS.http} or ${PROBE_LABELS.tcp} (what to probe)`);
    return { ok: true, spec: undefined };
  }

  const checks: ProbeCheck[] = [];
  if (read.http !== undefined) {
    const http = httpTarget(read.http, read.httpPortIndex);
    if ('ok' in http) return http;
    let tolerance = defaults.tolerance;
    if (read.tolerance !== undefined) {
      const parsed = parseStatusRanges(read.tolerance.text);
      if (!parsed.ok) return badLabel(read.tolerance.key, read.tolerance.value, parsed.problem);
      tolerance = parsed.ranges;
    }
    checks.push({ protocol: 'http', target: http, tolerance });
  } else {
    for (const only of [read.httpPortIndex, read.tolerance]) {
      if (only !== undefined) return badLabel(only.key, only.value, `applies only with ${PROBE_LABELS.http}`);
    }
  }
  if (read.tcp !== undefined) {
    const tcp = tcpTarget(read.tcp);
    if ('ok' in tcp) return tcp;
    const check: TcpCheck = { protocol: 'tcp', target: tcp };
    if (read.tcpSend !== undefined) {
      const line = textLine(read.tcpSend);
      if (typeof line !== 'string') return line;
      check.send = line;
    }
    if (read.tcpExpect !== undefined) {
      const line = textLine(read.tcpExpect);
      if (typeof line !== 'string') return line;
      check.expect = line;
    }
    checks.push(check);
  } else {
    for (const only of [read.tcpSend, read.tcpExpect]) {
      if (only !== undefined) return badLabel(only.key, only.value, `applies only with ${PROBE_LABELS.tcp}`);
    }
  }

  const timeoutMs = read.timeoutMs === undefined ? defaults.timeoutMs : wholeMs(read.timeoutMs);
  if (typeof timeoutMs !== 'number') return timeoutMs;
  const intervalMs = read.intervalMs === undefined ? defaults.intervalMs : wholeMs(read.intervalMs);
  if (typeof intervalMs !== 'number') return intervalMs;
  let maxErrorRate = 0;
  if (read.maxErrorRate !== undefined) {
    const { key, value, text } = read.maxErrorRate;
    if (!RATE.test(text) || !(Number(text) >= 0 && Number(text) <= 1)) return badLabel(key, value, 'must be a number from 0 to 1 (the share of probes that may fail, e.g. 0.05)');
    maxErrorRate = Number(text);
  }
  return { ok: true, spec: { checks, timeoutMs, intervalMs, maxErrorRate } };
}

type Read = FoundLabel & { text: string };

function httpTarget(http: Read, portIndex: Read | undefined): HttpProbeTarget | LabelProblem {
  const { key, value, text } = http;
  if (text.startsWith('/')) {
    if (/[\s#]/.test(text) || text.length > MAX_LINE) return badLabel(key, value, 'must be a path such as /health (no spaces or #) or a full http(s):// URL');
    let index = 0;
    if (portIndex !== undefined) {
      if (!INTEGER.test(portIndex.text) || Number(portIndex.text) > MAX_PORT_INDEX) return badLabel(portIndex.key, portIndex.value, `must be a whole number from 0 to ${MAX_PORT_INDEX} (which of the task's ports)`);
      index = Number(portIndex.text);
    }
    return { kind: 'tasks', path: text, portIndex: index };
  }
  if (portIndex !== undefined) return badLabel(portIndex.key, portIndex.value, `applies only when ${PROBE_LABELS.http} is a path such as /health (a full URL names its port)`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return badLabel(key, value, 'must be a full http(s):// URL or a path such as /health');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return badLabel(key, value, 'must be an http:// or https:// URL, or a path such as /health');
  // The probe never carries credentials: a URL that asks for some is refused rather than stripped.
  if (url.username !== '' || url.password !== '') return badLabel(key, value, 'must not carry credentials (user:password@): probes are anonymous');
  url.hash = '';
  return { kind: 'url', url: url.href };
}

function tcpTarget(tcp: Read): TcpProbeTarget | LabelProblem {
  const { key, value, text } = tcp;
  const rule = 'must be host:port of the service (db.example.com:5432, [::1]:5432) or port-index:N for every task';
  const index = /^port-index\s*:\s*(\d+)$/i.exec(text);
  if (index) {
    const n = Number(index[1]);
    if (n > MAX_PORT_INDEX) return badLabel(key, value, rule);
    return { kind: 'tasks', portIndex: n };
  }
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/i.exec(text);
  if (!m) return badLabel(key, value, rule);
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return badLabel(key, value, rule);
  if (m[1] === undefined && !(HOST_NAME.test(host) || IPV4.test(host))) return badLabel(key, value, rule);
  return { kind: 'address', host, port };
}

function textLine(label: Read): string | LabelProblem {
  if (/[\r\n]/.test(label.text) || label.text.length > MAX_LINE) return badLabel(label.key, label.value, `must be one line of text (at most ${MAX_LINE} characters)`);
  return label.text;
}

function wholeMs(label: Read): number | LabelProblem {
  const n = INTEGER.test(label.text) ? Number(label.text) : NaN;
  if (!(n >= 1 && n <= MAX_MS)) return badLabel(label.key, label.value, `must be a whole number of milliseconds from 1 to ${MAX_MS}`);
  return n;
}

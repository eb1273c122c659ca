import type { MarathonTask } from '../domain/marathon.js';
import type { StatusRanges } from '../platform/status-ranges.js';
import type { ProbeSpec } from './labels.js';

/** One thing to probe: an HTTP URL or a TCP address, with what judges the answer. */
export type ProbeTarget = HttpTarget | TcpTarget;

interface TargetBase {
  /** Host as connected to (no brackets around IPv6). */
  host: string;
  port: number;
  /** Set when the target is one task at its own host (always allowed by the allow-list). */
  taskId?: string;
  /** Stable name for samples and figures: the URL, or host:port. */
  name: string;
}

export interface HttpTarget extends TargetBase {
  protocol: 'http';
  url: string;
  /** Statuses that count as healthy. */
  tolerance: StatusRanges;
}

export interface TcpTarget extends TargetBase {
  protocol: 'tcp';
  send?: string;
  expect?: string;
}

/** A task a per-task check could not reach, and why (no such port). */
export interface Unprobed {
  taskId: string;
  reason: string;
}

export interface Targets {
  targets: ProbeTarget[];
  unprobed: Unprobed[];
}

/**
 * The targets of an app's probe: the service's own URL or address, or one per running task at its
 * host and the port the label names. Tasks that are not running are not probed (a staging task is
 * not serving yet, and a killed one is the chaos itself); a running task without that port is
 * listed in `unprobed`.
 */
export function probeTargets(spec: ProbeSpec, tasks: readonly MarathonTask[]): Targets {
  const targets: ProbeTarget[] = [];
  const unprobed: Unprobed[] = [];
  const running = tasks.filter((t) => t.state === 'TASK_RUNNING');
  /** Each running task with its port at `portIndex`; a task without one is noted as unprobed. */
  const atPort = (portIndex: number) =>
    running.flatMap((task) => {
      const port = task.ports?.[portIndex];
      if (port !== undefined) return [{ task, port }];
      unprobed.push({ taskId: task.id, reason: `has no port at index ${portIndex}` });
      return [];
    });
  for (const check of spec.checks) {
    if (check.protocol === 'http') {
      if (check.target.kind === 'url') {
        const url = new URL(check.target.url);
        targets.push({ protocol: 'http', url: url.href, host: unbracket(url.hostname), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), tolerance: check.tolerance, name: url.href });
        continue;
      }
      for (const { task, port } of atPort(check.target.portIndex)) {
        const url = `http://${hostForUrl(task.host)}:${port}${check.target.path}`;
        targets.push({ protocol: 'http', url, host: task.host, port, taskId: task.id, tolerance: check.tolerance, name: url });
      }
      continue;
    }
    const extra = { ...(check.send === undefined ? {} : { send: check.send }), ...(check.expect === undefined ? {} : { expect: check.expect }) };
    if (check.target.kind === 'address') {
      const { host, port } = check.target;
      targets.push({ protocol: 'tcp', host, port, name: `${hostForUrl(host)}:${port}`, ...extra });
      continue;
    }
    for (const { task, port } of atPort(check.target.portIndex)) {
      targets.push({ protocol: 'tcp', host: task.host, port, taskId: task.id, name: `${hostForUrl(task.host)}:${port}`, ...extra });
    }
  }
  return { targets, unprobed };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

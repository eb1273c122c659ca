import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { MonkeyError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { HostAllowList } from '../platform/host-allow.js';
import { statusIn } from '../platform/status-ranges.js';
import type { HttpTarget, ProbeTarget, TcpTarget } from './targets.js';

/** What one probe saw. */
export interface ProbeResult {
  ok: boolean;
  /** From the start of the connection to the verdict, by the injected clock. */
  latencyMs: number;
  /** HTTP status, when an answer came. */
  status?: number;
  /** Why it failed, in a few words (never a header or a body). */
  error?: string;
  /** The probe was stopped by its caller before a verdict: not a sample. */
  aborted?: true;
}

export interface ProbeOptions {
  timeoutMs: number;
  allow: HostAllowList;
  clock: Clock;
  /** Stops the probe (its result is then `aborted`). */
  signal?: AbortSignal;
}

/** Most body an HTTP probe reads before it closes the connection: the status is the verdict. */
export const MAX_PROBE_BODY_BYTES = 4096;
/** Most answer a TCP probe reads while it looks for the expected text. */
export const MAX_PROBE_ANSWER_BYTES = 4096;

/** A probe target outside `probe.allow`: a configuration problem, never a failed probe. */
export class ProbeNotAllowedError extends MonkeyError {
  override readonly name = 'ProbeNotAllowedError';
  readonly targets: readonly string[];
  constructor(targets: readonly string[]) {
    super('E_PROBE_NOT_ALLOWED', `probe target${targets.length === 1 ? '' : 's'} outside probe.allow: ${targets.slice(0, 5).join(', ')}${targets.length > 5 ? ` and ${targets.length - 5} more` : ''}`, {
      hint: "add the host to MONKEY_PROBE_ALLOW (a host-name glob or a CIDR), or fix the app's monkey.probe.http / monkey.probe.tcp label",
    });
    this.targets = targets;
  }
}

/** Whether the allow-list lets a probe reach this target; a task's own host always may. */
export function targetAllowed(target: ProbeTarget, allow: HostAllowList): boolean {
  return target.taskId !== undefined || allow.allows(target.host);
}

/** Throws ProbeNotAllowedError naming every target the allow-list refuses; checked before any connection. */
export function checkAllowed(targets: readonly ProbeTarget[], allow: HostAllowList): void {
  const refused = targets.filter((t) => !targetAllowed(t, allow)).map((t) => t.name.slice(0, 200));
  if (refused.length > 0) throw new ProbeNotAllowedError(refused);
}

type Verdict = Omit<ProbeResult, 'latencyMs'>;

/**
 * The reason a probe's timeout timer is cancelled once it has a verdict. One shared instance: an
 * abort without a reason builds a DOMException with a stack trace for every probe, which was the
 * probe's largest cost of its own on the probes benchmark (~60 of ~600 ms of probing CPU).
 */
const SETTLED = new Error('probe settled');

/**
 * One probe of one target. Never throws for what the service does (refused, reset, slow, wrong
 * status): that is a failed result. Throws ProbeNotAllowedError for a target outside the allow-list,
 * before connecting.
 */
export async function probe(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  checkAllowed([target], options.allow);
  const { clock, timeoutMs, signal } = options;
  const started = clock.now();
  if (signal?.aborted) return { ok: false, latencyMs: 0, error: 'aborted', aborted: true };
  const stop = new AbortController();
  const verdict = await new Promise<Verdict>((resolve) => {
    let settled = false;
    // Filled once the probe starts: finish() may run before that returns (never in practice).
    const handle: { run?: Running } = {};
    function finish(v: Verdict): void {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      stop.abort(SETTLED);
      handle.run?.close();
      resolve(v);
    }
    handle.run = target.protocol === 'http' ? httpProbe(target, finish) : tcpProbe(target, finish);
    if (settled) handle.run.close();
    function onAbort(): void {
      finish({ ok: false, error: 'aborted', aborted: true });
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    clock.sleep(timeoutMs, stop.signal).then(
      () => finish({ ok: false, error: `no verdict within ${timeoutMs} ms` }),
      () => undefined,
    );
  });
  return { ...verdict, latencyMs: Math.max(0, clock.now() - started) };
}

interface Running {
  close(): void;
}

function httpProbe(target: HttpTarget, finish: (v: Verdict) => void): Running {
  const url = new URL(target.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  // Built from parts, never from the URL object: Node turns a URL's user:password into an
  // Authorization header, and a probe must not carry credentials by construction. No agent: no
  // pooled connection, so closing the request closes its socket.
  const req: ClientRequest = request({
    protocol: url.protocol,
    hostname: target.host,
    port: target.port,
    path: `${url.pathname}${url.search}`,
    method: 'GET',
    agent: false,
    headers: { 'user-agent': 'marathon-monkey-probe', accept: '*/*', connection: 'close' },
  });
  req.on('response', (res: IncomingMessage) => {
    const status = res.statusCode ?? 0;
    const judged: Verdict = statusIn(target.tolerance, status) ? { ok: true, status } : { ok: false, status, error: `status ${status}` };
    let read = 0;
    res.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read >= MAX_PROBE_BODY_BYTES) finish(judged);
    });
    res.on('end', () => finish(judged));
    res.on('error', () => finish({ ok: false, status, error: 'connection closed during the answer' }));
    res.on('close', () => finish(res.complete ? judged : { ok: false, status, error: 'connection closed during the answer' }));
  });
  req.on('error', (e) => finish({ ok: false, error: describe(e) }));
  req.end();
  return { close: () => req.destroy() };
}

function tcpProbe(target: TcpTarget, finish: (v: Verdict) => void): Running {
  const socket = connect({ host: target.host, port: target.port });
  let answer = Buffer.alloc(0);
  socket.on('connect', () => {
    if (target.send === undefined) {
      if (target.expect === undefined) finish({ ok: true });
      return;
    }
    socket.write(`${target.send}\n`, () => {
      if (target.expect === undefined) finish({ ok: true });
    });
  });
  socket.on('data', (chunk: Buffer) => {
    if (target.expect === undefined) return;
    answer = Buffer.concat([answer, chunk]).subarray(0, MAX_PROBE_ANSWER_BYTES);
    if (answer.toString('utf8').includes(target.expect)) finish({ ok: true });
    else if (answer.length >= MAX_PROBE_ANSWER_BYTES) finish({ ok: false, error: `the answer's first ${MAX_PROBE_ANSWER_BYTES} bytes lack the expected text` });
  });
  socket.on('error', (e) => finish({ ok: false, error: describe(e) }));
  socket.on('close', () => finish({ ok: false, error: answer.length === 0 ? 'closed without an answer' : 'closed before the expected text' }));
  return { close: () => socket.destroy() };
}

/** A socket error in a few words: its code (ECONNREFUSED, ENOTFOUND, …), else its message's first line. */
function describe(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return code;
  return (e.message.split('\n')[0] ?? 'error').slice(0, 200);
}

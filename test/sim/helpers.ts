/* eslint-disable @typescript-eslint/no-explicit-any --
   these tests walk raw JSON from the wire on purpose: the point is to check what the simulator sends, not a typed view of it. */
import { request } from 'node:http';
import { parseScenario, type Scenario } from '../../src/sim/index.js';

/** A small cluster: 3 agents in 3 racks, an app with health checks, one without. Timings are 100 ms steps. */
export function baseRaw(): Record<string, unknown> {
  return {
    seed: 'test-seed',
    timings: { killGraceMs: 100, relaunchDelayMs: 100, stagingMs: 100, startingMs: 100, healthyAfterMs: 100 },
    agents: [
      { hostname: '10.0.0.1', attributes: { rack: 'r1', level: 10, slots: '[0-3]', tags: '{gpu,fast}' }, region: 'eu-1', zone: 'eu-1a' },
      { hostname: '10.0.0.2', attributes: { rack: 'r2', level: 20 }, region: 'eu-1', zone: 'eu-1b' },
      { hostname: '10.0.0.3', attributes: { rack: 'r3', level: 30 }, region: 'eu-1', zone: 'eu-1c' },
    ],
    apps: [
      {
        id: '/shop/cart',
        instances: 2,
        cmd: './cart',
        labels: { 'monkey.enabled': 'true', tier: 'web' },
        healthChecks: [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }],
        constraints: [['rack', 'GROUP_BY']],
      },
      { id: '/plain', instances: 1, labels: { tier: 'db' } },
    ],
  };
}

export function scenarioWith(mutate: (raw: Record<string, unknown>) => void = () => undefined): Scenario {
  const raw = baseRaw();
  mutate(raw);
  return parseScenario(raw, 'test');
}

export function appsOf(raw: Record<string, unknown>): Record<string, unknown>[] {
  return raw.apps as Record<string, unknown>[];
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the caller checks
  }
  return { status: res.status, body, headers: res.headers };
}

export function killRequest(base: string, ids: unknown, query = '', contentType = 'application/json'): Promise<{ status: number; body: any; headers: Headers }> {
  return getJson(`${base}/v2/tasks/delete${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof ids === 'string' ? ids : JSON.stringify({ ids }),
  });
}

export interface SseClient {
  frames: { event: string; data: any }[];
  raw: () => string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  close: () => void;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  waitFor: (pred: (f: { event: string; data: any }) => boolean, timeoutMs?: number) => Promise<void>;
  /** Resolves once the raw text read so far satisfies `pred` (heartbeats are not frames). */
  waitForRaw: (pred: (raw: string) => boolean, timeoutMs?: number) => Promise<void>;
}

/** Resolves once `pred` holds, checking every few milliseconds; rejects naming `what` after `timeoutMs`. */
export async function until(pred: () => boolean, what: string, timeoutMs = 1500): Promise<void> {
  const start = performance.now();
  while (!pred()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A minimal SSE reader over node:http that keeps the raw text (to check CRLF framing and heartbeats). */
export function openSse(url: string, accept = 'text/event-stream'): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept } }, (res) => {
      let text = '';
      const frames: { event: string; data: any }[] = [];
      let consumed = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (;;) {
          const end = text.indexOf('\r\n\r\n', consumed);
          if (end < 0) break;
          const block = text.slice(consumed, end);
          consumed = end + 4;
          const ev = /^event: (.*)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (ev && data) frames.push({ event: ev[1]!.trim(), data: JSON.parse(data[1]!) });
        }
      });
      res.on('error', () => undefined);
      const ended = new Promise<void>((done) => {
        res.on('end', () => done());
        res.on('close', () => done());
      });
      resolve({
        ended,
        frames,
        raw: () => text,
        status: res.statusCode ?? 0,
        headers: res.headers,
        close: () => req.destroy(),
        waitFor: (pred, timeoutMs = 1500) => until(() => frames.some(pred), `an event (got ${frames.map((f) => f.event).join(', ')})`, timeoutMs),
        waitForRaw: (pred, timeoutMs = 1500) => until(() => pred(text), 'the stream text', timeoutMs),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

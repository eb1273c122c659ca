import type { IncomingMessage, ServerResponse } from 'node:http';

/** Operator endpoints answer JSON that must never be cached by a proxy in between. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  sendText(res, status, text, 'application/json; charset=utf-8', headers);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export type BodyResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; status: 400 | 413; message: string };

/**
 * Reads an optional JSON object body, at most `limit` bytes. An empty body is `{}`. A body over
 * the limit is answered before it is read to the end, so a client cannot make the daemon buffer
 * megabytes.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { ok: true, value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, message: 'the request body is not valid JSON; send {"reason": "..."} or nothing' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, status: 400, message: 'the request body must be a JSON object, e.g. {"reason": "..."}' };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}

function tooLarge(limit: number): BodyResult {
  return { ok: false, status: 413, message: `the request body is larger than ${limit} bytes; send only {"reason": "..."}` };
}

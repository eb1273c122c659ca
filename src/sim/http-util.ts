import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small HTTP helpers shared by the simulated Marathon and Mesos servers. */

export const NO_CACHE_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  Expires: '0',
};

export const JSON_TYPE = 'application/json; charset=utf-8';
export const HTML_TYPE = 'text/html;charset=iso-8859-1';

export interface Reply {
  status: number;
  /** Text, or its UTF-8 bytes when they are kept ready (big cached listings). */
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body: typeof body === 'string' ? body : JSON.stringify(body), contentType: JSON_TYPE, ...(headers ? { headers } : {}) };
}

export function message(status: number, text: string, extra: Record<string, unknown> = {}): Reply {
  return json(status, { message: text, ...extra });
}

/** Jetty's default error page: what Marathon answers when no JSON mapper handles the failure. */
export function jettyError(status: number, reason: string, path: string): Reply {
  const body =
    `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n` +
    `<title>Error ${status} ${escapeHtml(reason)}</title>\n</head>\n<body><h2>HTTP ERROR ${status}</h2>\n` +
    `<p>Problem accessing ${escapeHtml(path)}. Reason:\n<pre>    ${escapeHtml(reason)}</pre></p>\n</body>\n</html>\n`;
  return { status, body, contentType: HTML_TYPE };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

export function readBody(req: IncomingMessage, limit = 8 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, {
    ...NO_CACHE_HEADERS,
    ...extraHeaders,
    ...reply.headers,
    'Content-Type': reply.contentType,
    'Content-Length': String(Buffer.byteLength(reply.body)),
  });
  res.end(reply.body);
}

/** Tracks real timers so close() can cancel them; every timer is unref'd so it never keeps a process alive. */
export class Timers {
  private readonly pending = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pending.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      entry.timer.unref();
      this.pending.add(entry);
    });
  }

  cancelAll(): void {
    for (const e of this.pending) {
      clearTimeout(e.timer);
      e.resolve();
    }
    this.pending.clear();
  }
}

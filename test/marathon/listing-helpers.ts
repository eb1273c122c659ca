/** Shared by the listing tests (listing.test.ts): the streamed read is held to the whole-body parse. */
import { appListingSink, readAppListing } from '../../src/marathon/listing/index.js';
import { parseAppList, parseBody } from '../../src/marathon/parse.js';

export const ctx = { method: 'GET', endpoint: '/v2/apps', status: 200 };

/** A minimal raw app as Marathon would list it, one running task. */
export function app(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    instances: 1,
    labels: { team: 'x' },
    tasksStaged: 0,
    tasksRunning: 1,
    tasksHealthy: 0,
    tasksUnhealthy: 0,
    tasks: [{ id: `${id.slice(1)}.t1`, appId: id, host: 'h', state: 'TASK_RUNNING', ports: [1] }],
    ...extra,
  };
}

/** The value or the error message: two parsers agree when these are deep-equal. */
export function outcome(f: () => unknown): { value?: unknown; error?: string } {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The answer of the fallback, the whole-body parse (parseBody + parseAppList): what the streamed read is held to. */
export function wholeText(text: string, contentType = 'application/json'): { value?: unknown; error?: string } {
  return outcome(() => parseAppList(parseBody(text, contentType, ctx), ctx));
}

/** `b` cut before each offset in `cuts`. */
export function pieces(b: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  for (const c of [...cuts, b.length]) {
    if (c > p) out.push(Buffer.from(b.subarray(p, c)));
    p = c;
  }
  return out;
}

/**
 * The answer of readAppListing for `b` fed to a sink in the given pieces (one piece by default),
 * and whether the sink read it while it arrived (false: the whole-body parse answered).
 */
export function streamed(b: Buffer, options: { cuts?: number[]; batchBytes?: number | undefined; contentType?: string } = {}): { result: { value?: unknown; error?: string }; streaming: boolean; body: Buffer } {
  const sink = appListingSink(options.batchBytes);
  for (const piece of pieces(b, options.cuts ?? [])) sink.write(piece);
  const result = outcome(() => readAppListing(sink, options.contentType ?? 'application/json', ctx));
  return { result, streaming: sink.streaming, body: sink.body.bytes() };
}

import { pino, type Logger, type DestinationStream } from 'pino';
import { MonkeyError } from './errors.js';

export type { Logger } from 'pino';

/**
 * Paths pino censors wherever they appear in a log object. Redaction does not reach the message
 * string, which is why no code interpolates URLs, headers or tokens into messages.
 */
export const REDACT_PATHS = [
  'password',
  'token',
  'privateKey',
  'authorization',
  'controlToken',
  '*.password',
  '*.token',
  '*.privateKey',
  '*.authorization',
  '*.controlToken',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'config.marathon.password',
  'config.marathon.token',
  'config.marathon.serviceAccount.privateKey',
  'config.server.controlToken',
];

/**
 * Fields of an error that are safe and useful in a log line. An allowlist, not "every own
 * property": a library's error can carry request options with headers and credentials.
 */
const ERROR_FIELDS = ['code', 'hint', 'stage', 'method', 'endpoint', 'status', 'statusCode', 'failure', 'syscall', 'appId'] as const;

export interface LoggedError {
  type?: string;
  code?: string;
  message: string;
  hint?: string;
  problems?: string[];
  cause?: LoggedError;
  /** Only for errors that are not ours (a bug or a library failure): there the stack is the clue. */
  stack?: string;
  [field: string]: unknown;
}

/**
 * The `err` (and `error`) serializer. pino's standard one turns a plain `{code, message}` into
 * `{"type":"Object","stack":""}` noise and hides nothing of a library error; this one gives every
 * error, thrown or plain, the code, message and hint the CLI prints, plus the safe context fields.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return { message: String(value) };
  if (typeof value !== 'object') return { message: `a ${typeof value}` };
  const e = value as Record<string, unknown>;
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : undefined;
  // Key order is reading order in the JSON line: what kind, which code, what happened, how to fix.
  const out: LoggedError = {
    ...(value instanceof Error ? { type: value.name } : {}),
    ...(code === undefined ? {} : { code }),
    // Something without a message still says what it is rather than nothing.
    message: typeof e.message === 'string' && e.message !== '' ? e.message : (code ?? describeObject(value)),
  };
  const fields: Record<string, unknown> = out;
  for (const f of ERROR_FIELDS) {
    const v = e[f];
    if (f !== 'code' && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) fields[f] = v;
  }
  if (Array.isArray(e.problems) && e.problems.every((p) => typeof p === 'string')) out.problems = e.problems;
  const cause = (value as { cause?: unknown }).cause;
  if (depth < 3 && cause !== undefined && cause !== null && typeof cause === 'object') out.cause = serializeError(cause, depth + 1) as LoggedError;
  if (value instanceof Error && !(value instanceof MonkeyError) && typeof value.stack === 'string') out.stack = value.stack;
  return out;
}

function describeObject(value: object): string {
  const tag = Object.prototype.toString.call(value);
  return tag === '[object Object]' ? 'an error without a message' : tag;
}

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; default stdout. Tests pass an in-memory sink and assert on parsed lines. */
  destination?: DestinationStream;
}

/** The one root logger; components take `logger.child({component: …})`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'marathon-monkey',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that records JSON lines in memory (for tests and the CLI's quiet modes). */
export function memoryLogger(level = 'trace'): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const destination: DestinationStream = { write: (s: string) => void chunks.push(s) };
  const logger = createLogger({ level, destination });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

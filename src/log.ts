import { createRequire } from 'node:module';
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
  // Webhook URLs carry their secret in the path (Slack: /services/T…/B…/token).
  'config.notify.webhook',
  'config.notify.slack',
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

/**
 * How log lines look (config log.format): json, one JSON object a line for log collectors;
 * pretty, pino-pretty's human-readable lines; auto, pretty only when the destination is a terminal.
 */
export type LogFormat = 'auto' | 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

/** The format a logger writes: `auto` becomes pretty on a terminal and json everywhere else. */
export function resolveLogFormat(format: LogFormat, destinationIsTTY: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (destinationIsTTY ? 'pretty' : 'json') : format;
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go; default stdout. Tests pass an in-memory sink and assert on parsed lines. */
  destination?: DestinationStream;
  /** Default json. `auto` asks `tty`, which the caller (the CLI) knows for its destination. */
  format?: LogFormat;
  /** Whether the destination is a terminal: decides `auto`, and colours pretty lines. */
  tty?: boolean;
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
    prettyIf(options, options.destination ?? pino.destination({ dest: 1, sync: true })),
  );
}

/**
 * pino-pretty in-process and synchronous: each JSON line pino writes is rewritten on the spot
 * (no transport worker thread, so nothing is lost at exit and the destination stays the caller's).
 * Loaded only when asked for, so the JSON path of a production daemon does not carry it.
 */
function prettyIf(options: LoggerOptions, destination: DestinationStream): DestinationStream {
  const tty = options.tty === true;
  if (resolveLogFormat(options.format ?? 'json', tty) === 'json') return destination;
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({ colorize: tty, ignore: 'pid,hostname,name', translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o' });
  return { write: (line: string) => destination.write(prettify(line)) };
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

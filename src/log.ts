import { pino, type Logger, type DestinationStream } from 'pino';

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

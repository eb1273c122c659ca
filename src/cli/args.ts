import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

/** The commands and their flags: the public command-line interface (README "Commands"). */
export type Command =
  | { name: 'start' }
  | { name: 'run' }
  | { name: 'once'; json: boolean }
  | { name: 'plan'; json: boolean; at?: Date; seed?: string }
  | { name: 'explain'; appId: string; json: boolean }
  | { name: 'risk'; json: boolean }
  | { name: 'validate' }
  | { name: 'resume'; reason?: string }
  | { name: 'sim'; port?: number; scenario?: string }
  | { name: 'report'; format: ReportFormat; since?: Date; out?: string }
  | { name: 'export'; format: ExportFormat; cycle?: string; out?: string }
  | { name: 'help'; topic?: string }
  | { name: 'version' };

export type ReportFormat = 'html' | 'md' | 'json';

export type ExportFormat = 'chaostoolkit';

export const USAGE = `marathon-monkey — chaos engineering for Marathon

Usage:
  marathon-monkey start                      the daemon; with no MONKEY_MARATHON_URLS, on the built-in simulated cluster (demo)
  marathon-monkey run                        the daemon against the configured Marathon
  marathon-monkey once [--json]              run one cycle now and exit: 0 steady state held, 2 weakness found, 1 error
  marathon-monkey plan [--at ISO] [--seed S] [--json]
                                             what a cycle at that instant would do (never kills)
  marathon-monkey explain APP_ID [--json]    why an app is or is not eligible, guard by guard
  marathon-monkey risk [--json]              apps one host, rack or zone failure would empty or take below their
                                             healthy floor; single-instance apps; apps without health checks:
                                             exit 2 when a risk is found, 0 when none, 1 on errors
  marathon-monkey validate                   check the whole configuration and exit
  marathon-monkey resume [--reason TEXT]     clear a halt (after a weakness) recorded in the journal;
                                             a running daemon is resumed with POST /resume instead
  marathon-monkey report [--since DATE] [--format html|md|json] [--out FILE]
                                             kills, time to recover, weaknesses and skips from the
                                             journal; the format follows --out's extension, else md
  marathon-monkey export --format chaostoolkit [--cycle ID] [--out FILE]
                                             a journaled cycle (default: the last that killed) as a
                                             Chaos Toolkit journal (experiment, steady states, run)
  marathon-monkey sim [--port N] [--scenario FILE]
                                             serve a simulated Marathon + Mesos master on 127.0.0.1
  marathon-monkey help [config]              this text, or every configuration key
  marathon-monkey --version

Configuration comes from MONKEY_CONFIG (a JSON file) and MONKEY_* environment variables;
\`marathon-monkey help config\` lists them all.`;

const COMMANDS = ['start', 'run', 'once', 'plan', 'explain', 'risk', 'validate', 'resume', 'report', 'export', 'sim', 'help'];

/** Parses argv (without node and script). Every mistake is a UsageError that names it and the fix. */
export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    return rest[0] === undefined ? { name: 'help' } : { name: 'help', topic: rest[0] };
  }
  if (first === '--version' || first === '-v' || first === 'version') return { name: 'version' };
  if (!COMMANDS.includes(first)) {
    throw new UsageError(`unknown command "${first}"; the commands are: ${COMMANDS.join(', ')}`);
  }
  switch (first) {
    case 'start':
    case 'run':
    case 'validate':
      strictParse(first, rest, {});
      return { name: first };
    case 'once': {
      const { values } = strictParse(first, rest, { json: { type: 'boolean' } });
      return { name: 'once', json: values.json === true };
    }
    case 'plan': {
      const { values } = strictParse(first, rest, { json: { type: 'boolean' }, at: { type: 'string' }, seed: { type: 'string' } });
      const cmd: Command = { name: 'plan', json: values.json === true };
      if (typeof values.at === 'string') cmd.at = parseInstant(values.at);
      if (typeof values.seed === 'string') {
        if (values.seed === '') throw new UsageError('--seed needs a value, e.g. --seed team-sre-2026');
        cmd.seed = values.seed;
      }
      return cmd;
    }
    case 'risk': {
      const { values } = strictParse(first, rest, { json: { type: 'boolean' } });
      return { name: 'risk', json: values.json === true };
    }
    case 'explain': {
      const { values, positionals } = strictParse(first, rest, { json: { type: 'boolean' } }, true);
      const appId = positionals[0];
      if (appId === undefined || positionals.length !== 1) {
        throw new UsageError('explain needs exactly one app id, e.g. `marathon-monkey explain /shop/cart`');
      }
      return { name: 'explain', appId: appId.startsWith('/') ? appId : `/${appId}`, json: values.json === true };
    }
    case 'resume': {
      const { values } = strictParse(first, rest, { reason: { type: 'string' } });
      return typeof values.reason === 'string' ? { name: 'resume', reason: values.reason } : { name: 'resume' };
    }
    case 'report':
      return parseReport(rest);
    case 'export':
      return parseExport(rest);
    case 'sim': {
      const { values } = strictParse(first, rest, { port: { type: 'string' }, scenario: { type: 'string' } });
      const cmd: Command = { name: 'sim' };
      if (typeof values.port === 'string') {
        const port = /^\d+$/.test(values.port) ? Number(values.port) : NaN;
        if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be a TCP port from 0 to 65535, got "${values.port}"`);
        cmd.port = port;
      }
      if (typeof values.scenario === 'string') cmd.scenario = values.scenario;
      return cmd;
    }
    default:
      return { name: 'help' };
  }
}

const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'md', 'json'];

/**
 * `--format` wins; otherwise the extension of `--out` (.html/.htm, .md, .json) decides; otherwise
 * Markdown (to stdout, or to the file). A report is never guessed into HTML on a terminal.
 */
function parseReport(args: string[]): Command {
  const { values } = strictParse('report', args, { since: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } });
  let format: ReportFormat | undefined;
  if (typeof values.format === 'string') {
    if (!REPORT_FORMATS.includes(values.format as ReportFormat)) {
      throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${values.format}"`, 'e.g. `marathon-monkey report --format html --out report.html`');
    }
    format = values.format as ReportFormat;
  }
  if (values.out === '') throw new UsageError('--out needs a file name, e.g. --out chaos-report.html');
  if (typeof values.out === 'string') format ??= formatOfFile(values.out);
  const cmd: Command = { name: 'report', format: format ?? 'md' };
  if (typeof values.since === 'string') cmd.since = parseSince(values.since);
  if (typeof values.out === 'string') cmd.out = values.out;
  return cmd;
}

const EXPORT_FORMATS: readonly ExportFormat[] = ['chaostoolkit'];

/** `--format` is required: the one format today, named so that others can come without a default changing. */
function parseExport(args: string[]): Command {
  const { values } = strictParse('export', args, { format: { type: 'string' }, cycle: { type: 'string' }, out: { type: 'string' } });
  const example = 'e.g. `marathon-monkey export --format chaostoolkit --out journal.json`';
  if (values.format === undefined) throw new UsageError('export needs --format chaostoolkit', example);
  if (!EXPORT_FORMATS.includes(values.format as ExportFormat)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${String(values.format)}"`, example);
  if (values.cycle === '') throw new UsageError('--cycle needs a cycle id, e.g. --cycle c-20261123T100000Z-mb1x2', 'list the cycle ids with `marathon-monkey report --format json`');
  if (values.out === '') throw new UsageError('--out needs a file name, e.g. --out journal.json');
  const cmd: Command = { name: 'export', format: values.format as ExportFormat };
  if (typeof values.cycle === 'string') cmd.cycle = values.cycle;
  if (typeof values.out === 'string') cmd.out = values.out;
  return cmd;
}

function formatOfFile(file: string): ReportFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === 'html' || ext === 'htm') return 'html';
  if (ext === 'json') return 'json';
  if (ext === 'md' || ext === 'markdown') return 'md';
  return undefined;
}

/** A UTC day (2026-11-01, from its midnight) or an ISO-8601 instant with a time zone. */
function parseSince(value: string): Date {
  const form = 'a UTC day (2026-11-01) or an ISO-8601 instant with a time zone (2026-11-01T09:00:00Z)';
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  if (!day && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new UsageError(`--since must be ${form}, got "${value}"`);
  }
  const date = new Date(day ? `${value}T00:00:00Z` : value);
  // Date accepts 2026-02-31 as March 3rd: a day that does not exist is a typo, not a date.
  if (Number.isNaN(date.getTime()) || (day && date.toISOString().slice(0, 10) !== value)) throw new UsageError(`--since "${value}" is not a real date; it must be ${form}`);
  return date;
}

type Options = Record<string, { type: 'boolean' | 'string' }>;

function strictParse(command: string, args: string[], options: Options, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    const flags = Object.keys(options).map((o) => `--${o}`);
    throw new UsageError(
      `${command}: ${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`,
      flags.length === 0 ? `\`${command}\` takes no flags` : `\`${command}\` takes ${flags.join(', ')}`,
    );
  }
}

function parseInstant(value: string): Date {
  // Require an explicit offset: a bare local time would mean different instants on different hosts.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new UsageError(`--at must be an ISO-8601 instant with a time zone, e.g. 2026-11-23T10:00:00Z, got "${value}"`);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--at "${value}" is not a real instant`);
  return date;
}

import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import convict from 'convict';
import { ConfigError } from '../errors.js';
import { locateJsonError } from './json-syntax.js';
import { schema, safeUrl, type Config } from './schema.js';
import { maskUrlCredentialsIn, maskUrlCredentials } from '../http/url.js';

/**
 * The validated configuration downstream code receives: typed, frozen, loaded once. Its type is
 * read off the schema (Config), so a key, its format and its default are written in one place.
 */
export type MonkeyConfig = Config;

export interface LoadedConfig {
  config: MonkeyConfig;
  /** The effective configuration as JSON with secrets masked (convict's toString), for logs and /status. */
  masked: Record<string, unknown>;
  /** Keys that were set explicitly (by file or environment), not left at their default. */
  explicit: ReadonlySet<string>;
  /**
   * Where a key's value came from, for messages: `environment: MONKEY_PORT`, `environment: PORT0`,
   * `config file /etc/monkey.json, key server.port`, `command line` or `default`.
   */
  origin?: (path: string) => string;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides from CLI flags, applied last (dotted keys, e.g. `chaos.seed`). */
  overrides?: Record<string, unknown>;
}

/**
 * Loads MONKEY_CONFIG (a JSON file), then the environment, then CLI overrides, and validates the
 * result strictly: an unknown key, a bad value or an inconsistent combination is a ConfigError that
 * lists every problem with key, value and fix, so an operator fixes them in one round.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = { ...(options.env ?? process.env) };
  // Port precedence: MONKEY_PORT, then PORT0 (Marathon's assignment, where its health checks go),
  // then server.port from the file, then 8000. An app definition cannot unset a variable the image
  // sets, only empty it: an empty MONKEY_PORT counts as unset.
  if (env.MONKEY_PORT === '') delete env.MONKEY_PORT;
  const portFromPort0 = env.MONKEY_PORT === undefined && env.PORT0 !== undefined && env.PORT0 !== '';
  if (portFromPort0) env.MONKEY_PORT = env.PORT0;

  const problems: string[] = [];
  const explicit = new Set<string>();
  const fileKeys = new Set<string>();
  const conf = convict(schema, { env, args: [] });

  const file = env.MONKEY_CONFIG;
  if (file !== undefined && file !== '') {
    const text = readConfigFile(file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // V8's message quotes the text around the error, and a secret often sits right there.
      const at = locateJsonError(text);
      throw new ConfigError(
        [`MONKEY_CONFIG=${file} is not valid JSON${at === null ? '' : `: line ${at.line}, column ${at.column}: ${at.problem}`}`],
        'fix the JSON syntax at that place (config/example.json is a valid example)',
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError([`MONKEY_CONFIG=${file} must contain a JSON object`]);
    }
    problems.push(...reservedKeyProblems(parsed as Record<string, unknown>, '', file));
    collectKeys(parsed as Record<string, unknown>, '', fileKeys);
    for (const k of fileKeys) explicit.add(k);
    try {
      conf.load(withoutReservedKeys(parsed as Record<string, unknown>));
    } catch (err) {
      problems.push(`MONKEY_CONFIG=${file}: ${(err as Error).message}`);
    }
  }
  const envOfPath = new Map(envKeys(schema, '').map((k) => [k.path, k.env]));
  const origin = (path: string): string => {
    if (path in (options.overrides ?? {})) return 'command line';
    if (path === 'server.port' && portFromPort0) return 'environment: PORT0';
    const name = envOfPath.get(path);
    if (name !== undefined && env[name] !== undefined) return `environment: ${name}`;
    if (fileKeys.has(path)) return `config file ${file ?? ''}, key ${path}`;
    return 'default';
  };
  for (const key of envKeys(schema, '')) {
    if (env[key.env] !== undefined) explicit.add(key.path);
  }
  problems.push(...unknownEnvProblems(env));
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    try {
      conf.set(key, value);
      explicit.add(key);
    } catch (err) {
      problems.push(`${key}: ${(err as Error).message}`);
    }
  }

  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    problems.push(...blameOrigins(convictProblems((err as Error).message), origin));
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config = deepFreeze(conf.getProperties() as unknown as MonkeyConfig);
  problems.push(...crossChecks(config), ...originChecks(config, origin));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, masked: maskUrlCredentialsIn(JSON.parse(conf.toString()) as Record<string, unknown>), explicit, origin };
}

/** Largest config file read: a real one is a few KB; /dev/zero or a mistaken log file is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The config file's text: a regular file of at most MAX_CONFIG_BYTES, UTF-8, a leading byte order
 * mark dropped (editors on Windows write one; it is invisible and JSON.parse rejects it). Opened
 * non-blocking so a FIFO cannot hang start-up, and judged by fstat of the opened file so a swap
 * between the check and the read cannot slip a device in.
 */
function readConfigFile(file: string): string {
  const fail = (problem: string, hint = 'point MONKEY_CONFIG at a JSON config file, or unset it'): never => {
    throw new ConfigError([`MONKEY_CONFIG=${file}: ${problem}`], hint);
  };
  const kind = (st: Stats): string =>
    st.isDirectory() ? 'a directory' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : 'not a regular file';
  const check = (st: Stats): void => {
    if (!st.isFile()) fail(`is ${kind(st)}, not a regular file`);
    if (st.size > MAX_CONFIG_BYTES) fail(`is ${st.size} bytes; a config file may be at most ${MAX_CONFIG_BYTES} bytes (1 MB)`);
  };
  let fd: number;
  try {
    check(statSync(file));
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') fail('no such file');
    if (code === 'EACCES' || code === 'EPERM') fail('not readable by this user', 'make the file readable by the user the monkey runs as, or point MONKEY_CONFIG elsewhere');
    return fail(`cannot be read (${code ?? 'error'})`);
  }
  let bytes: Buffer;
  try {
    check(fstatSync(fd));
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) fail(`is larger than ${MAX_CONFIG_BYTES} bytes (1 MB), the most a config file may be`);
    }
    bytes = buf.subarray(0, length);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    closeSync(fd);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    fail('is UTF-16 encoded (it starts with a UTF-16 byte order mark)', 'save the file as UTF-8');
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * JSON.parse makes `__proto__` an own key, but convict merges the file without it (and without
 * `constructor`/`prototype`), so its strict check never sees them: an unknown key that would pass
 * as valid. They are errors like every other unknown key, and never reach convict.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function reservedKeyProblems(obj: Record<string, unknown>, prefix: string, file: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (RESERVED_KEYS.has(k)) {
      out.push(`configuration param '${path}' not declared in the schema (config file ${file}) — unknown keys are errors; check the spelling against README "Configuration"`);
    } else if (isPlainObject(v)) {
      out.push(...reservedKeyProblems(v, path, file));
    }
  }
  return out;
}

function withoutReservedKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (!RESERVED_KEYS.has(k)) out[k] = isPlainObject(v) ? withoutReservedKeys(v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * convictProblems names the environment variable of every bad key; a value that came from the
 * config file (or from PORT0) is blamed on where it really came from, or the operator edits the
 * wrong place.
 */
function blameOrigins(problems: string[], origin: (path: string) => string): string[] {
  return problems.map((line) => {
    const key = /^([\w.]+):/.exec(line)?.[1];
    const env = / \(environment: (\w+)\)$/.exec(line);
    if (key === undefined || env === null) return line;
    const from = origin(key);
    return from === 'default' || from === `environment: ${env[1] ?? ''}` ? line : `${line.slice(0, env.index)} (${from})`;
  });
}

/** Checks whose message names where the value came from (file or environment) and never echoes it. */
function originChecks(c: MonkeyConfig, origin: (path: string) => string): string[] {
  const out: string[] = [];
  // checkBearer compares one run of visible characters from the header: a token with whitespace or
  // non-ASCII characters could never match, and /pause and /resume would be closed for good.
  if (c.server.controlToken !== '' && !/^[\x21-\x7e]+$/.test(c.server.controlToken)) {
    out.push(
      `server.controlToken (MONKEY_CONTROL_TOKEN; ${origin('server.controlToken')}) contains whitespace, a control character or a non-ASCII character, so no Authorization: Bearer header could ever match it; use printable ASCII only, e.g. the output of \`openssl rand -hex 32\``,
    );
  }
  if (c.journal.path.trim() === '') {
    out.push(`journal.path (MONKEY_JOURNAL; ${origin('journal.path')}) is empty: set it to a file path, e.g. /var/lib/marathon-monkey/journal.jsonl, or unset it for the default`);
  }
  return out;
}

/**
 * A misspelt MONKEY_* variable would otherwise be ignored without a word (MONKEY_DRYRUN=false
 * leaves dry-run on; MONKEY_OPTIN=false leaves opt-in on): it is an error that names the
 * variable it probably meant.
 */
function unknownEnvProblems(env: NodeJS.ProcessEnv): string[] {
  const known = new Set(['MONKEY_CONFIG', ...envKeys(schema, '').map((k) => k.env)]);
  return Object.keys(env)
    .filter((name) => name.startsWith('MONKEY_') && !known.has(name))
    .sort()
    .map((name) => {
      const guess = closest(name, [...known]);
      return `${name} is not a marathon-monkey setting${guess === undefined ? '' : `; did you mean ${guess}?`} (\`marathon-monkey help config\` lists them)`;
    });
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** Combinations convict cannot express. Each message names the keys and the fix. */
function crossChecks(c: MonkeyConfig): string[] {
  const out: string[] = [];
  const m = c.marathon;
  if ((m.username === '') !== (m.password === '')) {
    out.push('marathon.username and marathon.password (MONKEY_MARATHON_USERNAME / MONKEY_MARATHON_PASSWORD) go together: set both or neither');
  }
  const authKinds = [m.username !== '', m.token !== '', m.serviceAccount.uid !== ''].filter(Boolean).length;
  if (authKinds > 1) {
    out.push('choose one way to authenticate to Marathon: basic auth (username/password), a token (MONKEY_MARATHON_TOKEN) or a service account (MONKEY_DCOS_SERVICE_ACCOUNT)');
  }
  const sa = m.serviceAccount;
  if (sa.uid !== '' && sa.privateKey === '' && sa.privateKeyFile === '') {
    out.push('marathon.serviceAccount.uid is set but no private key: set MONKEY_DCOS_PRIVATE_KEY_FILE (path to the PEM) or MONKEY_DCOS_PRIVATE_KEY');
  }
  if (sa.privateKeyFile !== '' && !existsSync(sa.privateKeyFile)) {
    out.push(`marathon.serviceAccount.privateKeyFile=${sa.privateKeyFile}: no such file`);
  }
  if (m.caFile !== '' && !existsSync(m.caFile)) out.push(`marathon.caFile=${m.caFile}: no such file (MONKEY_CA_FILE)`);
  for (const url of m.urls) {
    if (new URL(url).search !== '') out.push(`marathon.urls: "${safeUrl(url)}" has a query string; give only the base URL, e.g. http://marathon.mesos:8080`);
  }
  if (c.chaos.rackAttribute.trim() === '') out.push('chaos.rackAttribute (MONKEY_RACK_ATTRIBUTE) must name a Mesos agent attribute, e.g. rack');
  return out;
}

/** Turns convict's newline-joined message into one problem per line, with the env var named. */
function convictProblems(message: string): string[] {
  const sensitiveKeys = new Set(configReference().filter((k) => k.sensitive).map((k) => k.path));
  const envOf = new Map(envKeys(schema, '').map((k) => [k.path, k.env]));
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const key = /^([\w.]+):/.exec(line)?.[1];
      // Credentials in URLs and sensitive values never reach an error message.
      if (key !== undefined && sensitiveKeys.has(key)) line = line.replace(/: value was .*$/, ': value was [Sensitive]');
      line = maskUrlCredentials(line);
      // A ZooKeeper password holding a `/` escapes the URL mask: such a value is not repeated at all.
      if (key === 'state.zk' && /: value was .*@/.test(line)) line = line.replace(/: value was .*$/, ': value was [not shown: it holds credentials]');
      const envName = key === undefined ? undefined : envOf.get(key);
      if (line.includes('not declared in the schema')) {
        return `${line} — unknown keys are errors; check the spelling against README "Configuration"`;
      }
      return envName === undefined ? line : `${line} (environment: ${envName})`;
    });
}

interface EnvKey {
  path: string;
  env: string;
}

function envKeys(node: Record<string, unknown>, prefix: string): EnvKey[] {
  const out: EnvKey[] = [];
  for (const [name, value] of Object.entries(node)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (value !== null && typeof value === 'object' && 'doc' in value && 'default' in value) {
      const env = (value as { env?: string }).env;
      if (env !== undefined) out.push({ path, env });
    } else if (value !== null && typeof value === 'object') {
      out.push(...envKeys(value as Record<string, unknown>, path));
    }
  }
  return out;
}

/** Every documented key with its env var, doc and default, for `marathon-monkey help config` and the README. */
export function configReference(): { path: string; env: string; doc: string; default: unknown; sensitive: boolean }[] {
  const out: { path: string; env: string; doc: string; default: unknown; sensitive: boolean }[] = [];
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(node)) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      if (value !== null && typeof value === 'object' && 'doc' in value && 'default' in value) {
        const v = value as { env: string; doc: string; default: unknown; sensitive?: boolean };
        out.push({ path, env: v.env, doc: v.doc, default: v.default, sensitive: v.sensitive === true });
      } else if (value !== null && typeof value === 'object') {
        walk(value as Record<string, unknown>, path);
      }
    }
  };
  walk(schema, '');
  return out;
}

function collectKeys(obj: Record<string, unknown>, prefix: string, into: Set<string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) collectKeys(v as Record<string, unknown>, path, into);
    else into.add(path);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

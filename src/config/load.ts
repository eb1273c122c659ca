import { readFileSync, existsSync } from 'node:fs';
import convict from 'convict';
import { ConfigError } from '../errors.js';
import { schema, safeUrl } from './schema.js';
import { maskUrlCredentialsIn, maskUrlCredentials } from '../http/url.js';

/** The validated configuration downstream code receives: typed, frozen, loaded once. */
export interface MonkeyConfig {
  readonly marathon: {
    readonly urls: readonly string[];
    readonly username: string;
    readonly password: string;
    readonly token: string;
    readonly serviceAccount: { readonly uid: string; readonly privateKeyFile: string; readonly privateKey: string; readonly loginUrl: string };
    readonly caFile: string;
    readonly timeoutMs: number;
    readonly retries: number;
    readonly maxResponseMb: number;
  };
  readonly mesos: { readonly url: string; readonly trustDiscovered: boolean };
  readonly chaos: {
    readonly dryRun: boolean;
    readonly seed: string;
    readonly strategy: 'task' | 'fraction' | 'host' | 'rack';
    readonly fraction: number;
    readonly maxKills: number;
    readonly optIn: boolean;
    readonly include: readonly string[];
    readonly exclude: readonly string[];
    readonly minHealthy: number;
    readonly minTaskAgeSeconds: number;
    readonly recentFailureMinutes: number;
    readonly minKillIntervalMinutes: number;
    readonly rackAttribute: string;
    readonly haltOnWeakness: boolean;
    readonly selfAppId: string;
    readonly allowFrameworks: boolean;
    readonly allowPersistentVolumes: boolean;
  };
  readonly recovery: { readonly timeout: number; readonly pollMs: number };
  readonly journal: { readonly path: string };
  readonly schedule: {
    readonly cron: string;
    readonly timezone: string;
    readonly officeHours: string;
    readonly holidays: readonly string[];
    readonly holidayCalendar: string;
    readonly jitterSeconds: number;
  };
  readonly server: { readonly port: number; readonly host: string; readonly controlToken: string };
  readonly shutdown: { readonly graceMs: number };
  readonly log: { readonly level: string };
}

export interface LoadedConfig {
  config: MonkeyConfig;
  /** The effective configuration as JSON with secrets masked (convict's toString), for logs and /status. */
  masked: Record<string, unknown>;
  /** Keys that were set explicitly (by file or environment), not left at their default. */
  explicit: ReadonlySet<string>;
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
  // Under Marathon the port assigned to the monkey arrives as PORT0.
  if (env.MONKEY_PORT === undefined && env.PORT0 !== undefined) env.MONKEY_PORT = env.PORT0;

  const problems: string[] = [];
  const explicit = new Set<string>();
  const conf = convict(schema, { env, args: [] });

  const file = env.MONKEY_CONFIG;
  if (file !== undefined && file !== '') {
    if (!existsSync(file)) {
      throw new ConfigError([`MONKEY_CONFIG=${file}: no such file`], 'point MONKEY_CONFIG at a JSON config file, or unset it');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError([`MONKEY_CONFIG=${file} is not valid JSON: ${(err as Error).message}`], 'fix the JSON syntax (config/example.json is a valid example)');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError([`MONKEY_CONFIG=${file} must contain a JSON object`]);
    }
    collectKeys(parsed as Record<string, unknown>, '', explicit);
    try {
      conf.load(parsed);
    } catch (err) {
      problems.push(`MONKEY_CONFIG=${file}: ${(err as Error).message}`);
    }
  }
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
    problems.push(...convictProblems((err as Error).message));
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config = deepFreeze(conf.getProperties() as unknown as MonkeyConfig);
  problems.push(...crossChecks(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, masked: maskUrlCredentialsIn(JSON.parse(conf.toString()) as Record<string, unknown>), explicit };
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

import { isIP } from 'node:net';
import convict from 'convict';
import { parseBoolean } from '../platform/booleans.js';
import { parseHostAllowList } from '../platform/host-allow.js';
import { parseStatusRanges } from '../platform/status-ranges.js';

/**
 * The one configuration schema. Every key has doc, format, default and env; the env names are
 * public interface (README "Configuration"). Formats that convict would coerce loosely (any
 * string but 'false' is true; 'abc' becomes NaN) have strict custom formats here, so a typo in an
 * environment variable fails start-up with a message instead of silently meaning something else.
 */

convict.addFormat({
  name: 'strict-boolean',
  validate(value: unknown) {
    if (typeof value !== 'boolean') throw new Error('must be true or false');
  },
  coerce(value: string) {
    return parseBoolean(value) ?? value;
  },
});

function intFormat(name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  convict.addFormat({
    name,
    validate(value: unknown) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new Error(`must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
      }
    },
    coerce(value: string) {
      return /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    },
  });
}
intFormat('int>=0', 0);
intFormat('int>=1', 1);
intFormat('tcp-port', 0, 65535);
// ZooKeeper grants a session timeout within 2 to 20 of its ticks (2 s ticks by default: 4 to 40 s); below a second a GC pause or a slow disk would depose a healthy leader.
intFormat('zk-session-ms', 1000, 600_000);

convict.addFormat({
  name: 'fraction',
  validate(value: unknown) {
    if (typeof value !== 'number' || !(value > 0 && value <= 1)) throw new Error('must be a number greater than 0 and at most 1');
  },
  coerce(value: string) {
    const n = Number(value);
    return value.trim() !== '' && Number.isFinite(n) ? n : value;
  },
});

function listCoerce(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

convict.addFormat({
  name: 'string-list',
  validate(value: unknown) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error('must be a list of strings (comma-separated in the environment)');
  },
  coerce: listCoerce,
});

convict.addFormat({
  name: 'status-ranges',
  validate(value: unknown) {
    if (typeof value !== 'string') throw new Error('must be HTTP statuses and ranges, e.g. 200-299,503');
    const parsed = parseStatusRanges(value);
    if (!parsed.ok) throw new Error(parsed.problem);
  },
});

convict.addFormat({
  name: 'host-allow-list',
  validate(value: unknown) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error('must be a list of host-name globs and CIDRs (comma-separated in the environment)');
    const parsed = parseHostAllowList(value as string[]);
    if (!parsed.ok) throw new Error(parsed.problem);
  },
  coerce: listCoerce,
});

convict.addFormat({
  name: 'url-list',
  validate(value: unknown) {
    if (!Array.isArray(value)) throw new Error('must be a list of http(s) URLs (comma-separated in the environment)');
    for (const v of value) {
      if (typeof v !== 'string') throw new Error('must be a list of http(s) URLs');
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        throw new Error(`"${safeUrl(v)}" is not a URL; write it like http://marathon.mesos:8080`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error(`"${safeUrl(v)}" must start with http:// or https://`);
      }
    }
  },
  coerce: listCoerce,
});

convict.addFormat({
  name: 'optional-url',
  validate(value: unknown) {
    if (value === '') return;
    if (typeof value !== 'string') throw new Error('must be an http(s) URL');
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new Error(`"${safeUrl(value)}" is not an http(s) URL; write it like http://leader.mesos:5050`);
    }
  },
});

/** Credentials in a URL never reach an error message (a raw `@` may sit inside the password: mask up to the last one). */
export function safeUrl(value: string): string {
  return value.replace(/\/\/[^/?#\s"'<>\\]*@/g, '//***@');
}

/**
 * What is wrong with a ZooKeeper URL (`zk://[user:password@]host:port[,host:port…]/path`, the form
 * Mesos and Marathon take with --zk), or undefined when it is well formed. Messages never repeat the
 * credentials. A first check, so that a typo fails when the configuration loads; the zk module's
 * parseZkUrl (which the configuration layer may not import) judges the details (percent-encoded
 * credentials, reserved paths) in `validate` and when the daemon connects.
 */
export function zkUrlProblem(value: string): string | undefined {
  const masked = safeUrl(value);
  // A password holding a `/` escapes the mask: then the value is not shown at all.
  const shown = masked.includes('@') ? 'the ZooKeeper URL (not shown: it holds credentials)' : `"${masked}"`;
  if (!value.startsWith('zk://')) return `${shown} is not a ZooKeeper URL; write it like zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/marathon-monkey`;
  // The credentials run up to the last `@`, as URL parsers read them.
  const rest = value.slice('zk://'.length);
  const at = rest.lastIndexOf('@');
  const auth = at < 0 ? undefined : rest.slice(0, at);
  const afterAuth = rest.slice(at + 1);
  const slash = afterAuth.indexOf('/');
  const hosts = slash < 0 ? afterAuth : afterAuth.slice(0, slash);
  const path = slash < 0 ? undefined : afterAuth.slice(slash);
  if (auth !== undefined && !/^[^:/]+:[^/]+$/.test(auth)) return `${shown}: the credentials must be user:password (digest auth), without a /`;
  for (const h of hosts.split(',')) {
    const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(h);
    if (hp === null || (hp[2] !== undefined && (Number(hp[2]) < 1 || Number(hp[2]) > 65535))) return `${shown}: "${h}" must be host or host:port, e.g. zk-1.zk:2181`;
  }
  if (path === undefined || path === '/' || !/^(\/[^/\s]+)+$/.test(path)) return `${shown}: needs a path (the monkey's node), e.g. /marathon-monkey`;
  return undefined;
}

convict.addFormat({
  name: 'zk-url',
  validate(value: unknown) {
    if (value === '') return;
    const problem = typeof value === 'string' ? zkUrlProblem(value) : 'must be a zk:// URL';
    if (problem !== undefined) throw new Error(problem);
  },
});

/**
 * The address the HTTP server binds: an IP literal or a hostname of RFC 1123 labels. Anything else
 * (`😀`, `http://0.0.0.0`, `[::1]`) would pass start-up checks and fail only at listen time, or bind
 * somewhere nobody meant.
 */
export function hostProblem(value: string): string | undefined {
  if (isIP(value) !== 0) return undefined;
  if (/^\[.*\]$/.test(value) && isIP(value.slice(1, -1)) !== 0) return 'write an IPv6 address without brackets, e.g. :: or ::1';
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  const labels = name.split('.');
  // An all-digit last label is a mistyped IP address (1.2.3.999), never a name: no top-level domain is numeric.
  if (name !== '' && name.length <= 253 && labels.every((l) => label.test(l)) && !/^\d+$/.test(labels.at(-1) ?? '')) return undefined;
  return 'must be an IP address (0.0.0.0, 127.0.0.1, ::) or a hostname of letters, digits, hyphens and dots';
}

/**
 * A URL that is itself a secret (a Slack webhook's path is its token): empty, or an http(s) URL.
 * Unlike optional-url, no message ever repeats any part of the value.
 */
convict.addFormat({
  name: 'secret-url',
  validate(value: unknown) {
    if (value === '') return;
    let url: URL;
    try {
      if (typeof value !== 'string') throw new Error('not a string');
      url = new URL(value);
    } catch {
      throw new Error('is not a URL; write it like https://hooks.slack.com/services/… (the value is secret and not shown)');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must start with http:// or https:// (the value is secret and not shown)');
  },
});

convict.addFormat({
  name: 'host',
  validate(value: unknown) {
    const problem = typeof value === 'string' ? hostProblem(value) : 'must be an IP address or a hostname';
    if (problem !== undefined) throw new Error(problem);
  },
});

/**
 * An enumerated format: convict wants a mutable array, and the config type wants the literal union,
 * so the values are kept as literals without `readonly`.
 */
function oneOf<const L extends string>(...values: L[]): L[] {
  return values;
}

export const schema = {
  marathon: {
    urls: {
      doc: 'Marathon base URLs (an HA Marathon has several). Empty: `start` runs the built-in simulated cluster.',
      format: 'url-list',
      default: [] as string[],
      env: 'MONKEY_MARATHON_URLS',
    },
    username: { doc: 'HTTP basic auth user for Marathon (OSS --http_credentials).', format: String, default: '', env: 'MONKEY_MARATHON_USERNAME' },
    password: { doc: 'HTTP basic auth password.', format: String, default: '', env: 'MONKEY_MARATHON_PASSWORD', sensitive: true },
    token: { doc: 'A DC/OS auth token, sent as `Authorization: token=...`.', format: String, default: '', env: 'MONKEY_MARATHON_TOKEN', sensitive: true },
    serviceAccount: {
      uid: { doc: 'DC/OS service account id; with a private key, the monkey logs in and refreshes its token itself.', format: String, default: '', env: 'MONKEY_DCOS_SERVICE_ACCOUNT' },
      privateKeyFile: { doc: 'Path to the service account RSA private key (PEM).', format: String, default: '', env: 'MONKEY_DCOS_PRIVATE_KEY_FILE' },
      privateKey: { doc: 'The service account RSA private key itself (PEM), e.g. from a DC/OS secret.', format: String, default: '', env: 'MONKEY_DCOS_PRIVATE_KEY', sensitive: true },
      loginUrl: { doc: 'DC/OS login endpoint; default: <origin of the first Marathon URL>/acs/api/v1/auth/login.', format: 'optional-url', default: '', env: 'MONKEY_DCOS_LOGIN_URL' },
    },
    caFile: { doc: 'PEM file with the CA that signed Marathon/Mesos certificates (DC/OS strict mode: /run/dcos/pki/CA/ca-bundle.crt).', format: String, default: '', env: 'MONKEY_CA_FILE' },
    timeoutMs: { doc: 'Timeout of one HTTP request to Marathon or Mesos, in milliseconds.', format: 'int>=1', default: 10000, env: 'MONKEY_HTTP_TIMEOUT_MS' },
    retries: { doc: 'Retries of a read across all Marathon URLs before giving up (kills are never retried).', format: 'int>=0', default: 3, env: 'MONKEY_HTTP_RETRIES' },
    maxResponseMb: {
      doc: 'Largest Marathon or Mesos answer read, in MB (a 50,000-task listing is ~60 MB); a bigger or endless answer fails the request with E_MARATHON_RESPONSE_TOO_LARGE / E_MESOS_RESPONSE_TOO_LARGE.',
      format: 'int>=1',
      default: 256,
      env: 'MONKEY_MARATHON_MAX_RESPONSE_MB',
    },
  },
  mesos: {
    url: {
      doc: "Mesos master base URL (for agent attributes: racks). Empty: taken from Marathon's /v2/info.",
      format: 'optional-url',
      default: '',
      env: 'MONKEY_MESOS_URL',
    },
    trustDiscovered: {
      doc: "Send the Marathon credentials to a Mesos master that was not configured: the one named by Marathon's /v2/info (MONKEY_MESOS_URL empty) or by a master's redirect. Off: such a master is queried without credentials.",
      format: 'strict-boolean',
      default: false,
      env: 'MONKEY_MESOS_TRUST_DISCOVERED',
    },
  },
  chaos: {
    dryRun: { doc: 'Do everything but the kill. On by default; set MONKEY_DRY_RUN=false to kill for real.', format: 'strict-boolean', default: true, env: 'MONKEY_DRY_RUN' },
    seed: { doc: 'Seed of the victim picker; each cycle derives its generator from (seed, scheduled instant). Empty: a random seed chosen at start and logged.', format: String, default: '', env: 'MONKEY_SEED' },
    strategy: { doc: 'How victims are chosen: task, fraction, host or rack.', format: oneOf('task', 'fraction', 'host', 'rack'), default: 'task', env: 'MONKEY_STRATEGY' },
    fraction: { doc: 'With strategy fraction: the share of one app\'s instances to kill (rounded up).', format: 'fraction', default: 0.5, env: 'MONKEY_FRACTION' },
    maxKills: { doc: 'Global cap on tasks killed per cycle.', format: 'int>=1', default: 1, env: 'MONKEY_MAX_KILLS' },
    optIn: { doc: 'Only apps labelled monkey.enabled=true are targets (monkey.enabled=false always excludes).', format: 'strict-boolean', default: true, env: 'MONKEY_OPT_IN' },
    include: { doc: 'App-id globs that may be targeted (empty: all), e.g. /prod/**.', format: 'string-list', default: [] as string[], env: 'MONKEY_INCLUDE' },
    exclude: { doc: 'App-id globs that are never targeted, e.g. /infra/*.', format: 'string-list', default: [] as string[], env: 'MONKEY_EXCLUDE' },
    minHealthy: { doc: 'Healthy instances an app keeps after a kill (label monkey.min-healthy overrides per app).', format: 'int>=0', default: 1, env: 'MONKEY_MIN_HEALTHY' },
    minTaskAgeSeconds: { doc: 'Tasks younger than this are never victims.', format: 'int>=0', default: 60, env: 'MONKEY_MIN_TASK_AGE' },
    recentFailureMinutes: { doc: 'An app whose last task failure is this recent is not in steady state.', format: 'int>=0', default: 10, env: 'MONKEY_RECENT_FAILURE_MINUTES' },
    minKillIntervalMinutes: { doc: 'Minimum time between two kills in the same app (read back from the journal, survives restarts).', format: 'int>=0', default: 60, env: 'MONKEY_MIN_KILL_INTERVAL' },
    rackAttribute: { doc: 'Mesos agent attribute that names the rack (strategy rack); falls back to the fault-domain zone.', format: String, default: 'rack', env: 'MONKEY_RACK_ATTRIBUTE' },
    haltOnWeakness: { doc: 'Stop all chaos when an app does not recover, until POST /resume.', format: 'strict-boolean', default: true, env: 'MONKEY_HALT_ON_WEAKNESS' },
    selfAppId: { doc: "The monkey's own Marathon app id, never a target (Marathon sets MARATHON_APP_ID).", format: String, default: '', env: 'MARATHON_APP_ID' },
    allowFrameworks: { doc: 'Allow DC/OS framework apps (label DCOS_PACKAGE_FRAMEWORK_NAME) as targets.', format: 'strict-boolean', default: false, env: 'MONKEY_ALLOW_FRAMEWORKS' },
    allowPersistentVolumes: { doc: 'Allow apps with persistent volumes as targets.', format: 'strict-boolean', default: false, env: 'MONKEY_ALLOW_PERSISTENT' },
  },
  recovery: {
    timeout: { doc: 'Seconds an app has to come back to steady state after a kill (label monkey.recovery-timeout overrides).', format: 'int>=1', default: 300, env: 'MONKEY_RECOVERY_TIMEOUT' },
    pollMs: { doc: 'Milliseconds between two reads of a recovering app.', format: 'int>=1', default: 2000, env: 'MONKEY_RECOVERY_POLL_MS' },
    events: {
      doc: "Time recovery reads from Marathon's event stream (GET /v2/events): read an app right after an event about it, polling only while the stream is unavailable. false: always poll.",
      format: 'strict-boolean',
      default: true,
      env: 'MONKEY_RECOVERY_EVENTS',
    },
  },
  journal: {
    path: { doc: 'Append-only JSON-lines audit journal.', format: String, default: 'marathon-monkey-journal.jsonl', env: 'MONKEY_JOURNAL' },
  },
  state: {
    zk: {
      doc: 'ZooKeeper for several instances: zk://[user:password@]host:port[,host:port…]/path (the form Mesos and Marathon take). The instances elect one leader, which alone runs cycles; last kills, quarantines, halt and pause live there. Empty: one instance, its state in the journal.',
      format: 'zk-url',
      default: '',
      env: 'MONKEY_ZK',
    },
    zkSessionTimeoutMs: {
      doc: 'ZooKeeper session timeout in milliseconds: how long a leader that lost ZooKeeper stays leader (it kills nothing meanwhile) before a standby takes over. The server grants 2 to 20 of its ticks (4 to 40 s with the default 2 s tick).',
      format: 'zk-session-ms',
      default: 10000,
      env: 'MONKEY_ZK_SESSION_TIMEOUT_MS',
    },
  },
  schedule: {
    cron: { doc: 'When cycles fire, a cron expression evaluated in UTC.', format: String, default: '*/10 * * * *', env: 'MONKEY_CRON' },
    timezone: { doc: 'IANA time zone in which office hours and holidays are judged.', format: String, default: 'UTC', env: 'MONKEY_TIMEZONE' },
    officeHours: { doc: 'Windows in which chaos may act, e.g. "Mon-Thu 09:00-17:00, Fri 09:00-12:00", or "always".', format: String, default: 'Mon-Fri 09:00-17:00', env: 'MONKEY_OFFICE_HOURS' },
    holidays: { doc: 'Dates (YYYY-MM-DD, local to the time zone) without chaos.', format: 'string-list', default: [] as string[], env: 'MONKEY_HOLIDAYS' },
    holidayCalendar: { doc: 'Public-holiday calendar by country/region (date-holidays), e.g. DE, US-NY. Empty: none.', format: String, default: '', env: 'MONKEY_HOLIDAY_CALENDAR' },
    jitterSeconds: { doc: 'Random delay (seeded) added to each cycle start so kills do not land on predictable minutes.', format: 'int>=0', default: 120, env: 'MONKEY_JITTER' },
  },
  server: {
    port: { doc: 'Port of /health, /ready, /metrics, /status, /pause, /resume (falls back to PORT0 under Marathon).', format: 'tcp-port', default: 8000, env: 'MONKEY_PORT' },
    host: { doc: 'Address the HTTP server binds: an IP address or a hostname.', format: 'host', default: '0.0.0.0', env: 'MONKEY_HOST' },
    controlToken: { doc: 'Bearer token for POST /pause and /resume; empty: they are disabled.', format: String, default: '', env: 'MONKEY_CONTROL_TOKEN', sensitive: true },
  },
  shutdown: {
    graceMs: { doc: 'On SIGTERM, how long an in-flight recovery watch may finish (keep below the taskKillGracePeriodSeconds Marathon gives the monkey).', format: 'int>=0', default: 20000, env: 'MONKEY_SHUTDOWN_GRACE_MS' },
  },
  notify: {
    webhook: {
      doc: 'URL that receives a JSON POST per event: kill, recovery, weakness, halt, pause, resume (README "Notifications"). Empty: none.',
      format: 'secret-url',
      default: '',
      env: 'MONKEY_NOTIFY_WEBHOOK',
      sensitive: true,
    },
    slack: {
      doc: 'Slack incoming-webhook URL (https://hooks.slack.com/services/…): one message per event. Empty: none.',
      format: 'secret-url',
      default: '',
      env: 'MONKEY_NOTIFY_SLACK',
      sensitive: true,
    },
    dryRun: { doc: 'Also notify dry-run cycles, as dry-run-kill events (the tasks that would have been killed). Off: dry runs notify nothing.', format: 'strict-boolean', default: false, env: 'MONKEY_NOTIFY_DRY_RUN' },
    timeoutMs: { doc: 'Timeout of one notification request, in milliseconds.', format: 'int>=1', default: 5000, env: 'MONKEY_NOTIFY_TIMEOUT_MS' },
    retries: { doc: 'Retries of a notification that failed (no answer, 5xx, 408, 429), with backoff from 1 s doubling to 30 s.', format: 'int>=0', default: 3, env: 'MONKEY_NOTIFY_RETRIES' },
    queueSize: { doc: 'Notifications waiting per receiver; when full, the oldest is dropped (and counted).', format: 'int>=1', default: 100, env: 'MONKEY_NOTIFY_QUEUE_SIZE' },
  },
  probe: {
    intervalMs: { doc: 'Milliseconds between two probes of the service during a kill (label monkey.probe.interval-ms overrides).', format: 'int>=1', default: 500, env: 'MONKEY_PROBE_INTERVAL_MS' },
    timeoutMs: { doc: "Timeout of one probe of the service, in milliseconds (label monkey.probe.timeout-ms overrides).", format: 'int>=1', default: 2000, env: 'MONKEY_PROBE_TIMEOUT_MS' },
    tolerance: { doc: 'HTTP statuses an HTTP probe counts as healthy: statuses and ranges, e.g. 200-299,503 (label monkey.probe.tolerance overrides).', format: 'status-ranges', default: '200-399', env: 'MONKEY_PROBE_TOLERANCE' },
    allow: {
      doc: "Hosts probes may connect to: host-name globs (*.svc.example.com) and CIDRs (10.0.0.0/8), comma-separated; a probed task's own host is always allowed. Empty: any host.",
      format: 'host-allow-list',
      default: [] as string[],
      env: 'MONKEY_PROBE_ALLOW',
    },
  },
  log: {
    level: { doc: 'Log level.', format: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), default: 'info', env: 'MONKEY_LOG_LEVEL' },
    format: { doc: 'Log lines: json (one JSON object a line), pretty (human-readable), or auto: pretty only when the output is a terminal.', format: oneOf('auto', 'json', 'pretty'), default: 'auto', env: 'MONKEY_LOG_FORMAT' },
  },
} as const;

export type Schema = typeof schema;

/**
 * The value type of each format: the one place that knows what a format means as a type, so the
 * configuration type below is read off the schema instead of being written a second time.
 */
type FormatValue<F> = F extends 'strict-boolean'
  ? boolean
  : F extends 'int>=0' | 'int>=1' | 'tcp-port' | 'zk-session-ms' | 'fraction'
    ? number
    : F extends 'url-list' | 'string-list' | 'host-allow-list'
      ? readonly string[]
      : F extends 'optional-url' | 'secret-url' | 'zk-url' | 'host' | 'status-ranges' | StringConstructor
        ? string
        : F extends (infer L)[]
          ? L
          : never;

/** A leaf of the schema: a key with a format and a default. */
interface SchemaKey {
  readonly format: unknown;
  readonly default: unknown;
}

/** The configuration a schema describes: every leaf replaced by its format's value type. */
export type ConfigOf<S> = { readonly [K in keyof S]: S[K] extends SchemaKey ? FormatValue<S[K]['format']> : ConfigOf<S[K]> };

/** The validated configuration downstream code receives (loadConfig's result; MonkeyConfig is this). */
export type Config = ConfigOf<Schema>;

/**
 * Paths of keys whose default does not fit their format's type, or whose format has no type here
 * (a new custom format must be added to FormatValue): `never` when every default fits.
 */
type BadDefaults<S, P extends string = ''> = {
  [K in keyof S & string]: S[K] extends SchemaKey
    ? [FormatValue<S[K]['format']>] extends [never]
      ? `${P}${K}`
      : S[K]['default'] extends FormatValue<S[K]['format']>
        ? never
        : `${P}${K}`
    : BadDefaults<S[K], `${P}${K}.`>;
}[keyof S & string];

/** Fails to compile, naming the key, when a default and its format disagree. */
const defaultsFitFormats: [BadDefaults<Schema>] extends [never] ? true : BadDefaults<Schema> = true;
void defaultsFitFormats;

/**
 * The configuration with every key at its schema default: what production runs with when nothing
 * is set, and where tests start from. A fresh, frozen copy each call.
 */
export function schemaDefaults(): Config {
  const walk = (node: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node)) {
      const v = value as Record<string, unknown>;
      const d = 'default' in v ? v.default : undefined;
      out[name] = 'default' in v ? Object.freeze(Array.isArray(d) ? [...(d as unknown[])] : d) : walk(v);
    }
    return Object.freeze(out);
  };
  return walk(schema) as unknown as Config;
}

/**
 * Checks a Marathon app definition the way Marathon would refuse it, and the monkey's own
 * deployment rules. Two layers:
 *  - schemaProblems: Marathon's published JSON schema for app definitions (AppDefinition.json,
 *    copied into test/fixtures/marathon-schema with its origin in SOURCES): field names, types,
 *    enums, bounds (upgradeStrategy 0..1, ports 0..65535), secrets and env shapes.
 *  - ruleProblems: rules Marathon documents and enforces in code that no schema expresses:
 *    id path segments, references between health/readiness checks and ports, persistent volumes
 *    (single-level containerPath, upgrade and unreachable strategies), secret references.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SCHEMA_FILE = new URL('../fixtures/marathon-schema/AppDefinition.json', import.meta.url);

/**
 * Marathon's id rule for one path segment (PathId validation since Marathon 1.5; the 1.4 schema's
 * pattern is looser): lowercase letters, digits and dashes, dots between such labels, no dash at
 * either end of a label.
 */
export const ID_SEGMENT = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

let compiled: ReturnType<Ajv['compile']> | undefined;

function validator(): ReturnType<Ajv['compile']> {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Json;
    // "http://json-schema.org/schema#" names no draft Ajv knows; the keywords used are draft-04
    // ones that draft-07 reads the same (items arrays with additionalItems, patternProperties).
    delete schema.$schema;
    // strict: false because the published schema has keywords in odd places (additionalProperties
    // on an integer, items on an object) that Ajv's strict mode would refuse to compile; formats
    // (date-time of read-only version fields) are not checked.
    compiled = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  }
  return compiled;
}

function explain(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(root)' : e.instancePath;
  const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
  return `${where}: ${e.message ?? e.keyword}${extra}`;
}

/** What Marathon's published schema says is wrong with `def`; empty when nothing. */
export function schemaProblems(def: unknown): string[] {
  const validate = validator();
  return validate(def) ? [] : (validate.errors ?? []).map(explain);
}

/** Problems with an app id: absolute or relative path of valid segments. */
export function idProblems(id: unknown): string[] {
  if (typeof id !== 'string' || id === '' || id === '/') return [`id: must name an app, got ${JSON.stringify(id)}`];
  const segments = (id.startsWith('/') ? id.slice(1) : id).split('/');
  return segments.flatMap((s, i) =>
    ID_SEGMENT.test(s) ? [] : [`id: segment ${i + 1} ${JSON.stringify(s)} of ${id} must be lowercase letters, digits and dashes (not at either end), dot-separated`],
  );
}

function portNames(def: Json): { count: number; names: string[] } {
  const mappings = (def.container?.portMappings ?? def.container?.docker?.portMappings) as Json[] | undefined;
  const ports = mappings ?? (def.portDefinitions as Json[] | undefined) ?? [];
  return { count: ports.length, names: ports.map((p) => p.name as unknown).filter((n): n is string => typeof n === 'string') };
}

/** Rules Marathon documents and enforces beyond its schema. */
export function ruleProblems(def: Json): string[] {
  const out = idProblems(def.id);

  const { count, names } = portNames(def);
  const duplicate = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicate.length > 0) out.push(`port names must be unique: ${[...new Set(duplicate)].join(', ')}`);
  for (const [i, hc] of ((def.healthChecks as Json[] | undefined) ?? []).entries()) {
    const protocol = (hc.protocol as string | undefined) ?? 'HTTP';
    if (hc.port !== undefined && hc.portIndex !== undefined) out.push(`healthChecks[${i}]: give port or portIndex, not both`);
    if (protocol === 'COMMAND') continue;
    if (hc.port === undefined && hc.portIndex === undefined && count === 0) out.push(`healthChecks[${i}]: a ${protocol} check needs a port, and the app has none`);
    if (typeof hc.portIndex === 'number' && hc.portIndex >= count) {
      out.push(`healthChecks[${i}].portIndex ${hc.portIndex} is out of range: the app has ${count} port(s)`);
    }
  }
  for (const [i, rc] of ((def.readinessChecks as Json[] | undefined) ?? []).entries()) {
    if (!names.includes(rc.portName as string)) out.push(`readinessChecks[${i}].portName ${JSON.stringify(rc.portName)} names no port (ports: ${names.join(', ') || 'none'})`);
    if (typeof rc.timeoutSeconds === 'number' && typeof rc.intervalSeconds === 'number' && rc.timeoutSeconds >= rc.intervalSeconds) {
      out.push(`readinessChecks[${i}]: timeoutSeconds must be smaller than intervalSeconds`);
    }
  }

  const upgrade = (def.upgradeStrategy as Json | undefined) ?? {};
  for (const k of ['minimumHealthCapacity', 'maximumOverCapacity']) {
    const v = upgrade[k] as unknown;
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) out.push(`upgradeStrategy.${k} must be between 0 and 1, got ${JSON.stringify(v)}`);
  }

  const volumes = ((def.container?.volumes as Json[] | undefined) ?? []);
  const persistent = volumes.filter((v) => v.persistent !== undefined);
  for (const v of persistent) {
    if (typeof v.containerPath !== 'string' || v.containerPath.includes('/')) {
      out.push(`persistent volume containerPath ${JSON.stringify(v.containerPath)} must be a single relative path segment (mount it elsewhere with a second volume whose hostPath names it)`);
    }
  }
  for (const v of volumes) {
    if (v.persistent === undefined && typeof v.hostPath === 'string' && !v.hostPath.startsWith('/') && !persistent.some((p) => p.containerPath === v.hostPath)) {
      out.push(`volume ${JSON.stringify(v.containerPath)}: relative hostPath ${JSON.stringify(v.hostPath)} names no persistent volume`);
    }
  }
  if (persistent.length > 0) {
    // A resident task holds its reserved volume: a second instance could not start beside it, and
    // Marathon must not replace an unreachable one elsewhere (the volume stays on the lost agent).
    if (upgrade.minimumHealthCapacity !== 0 || upgrade.maximumOverCapacity !== 0) {
      out.push('an app with persistent volumes needs upgradeStrategy {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}');
    }
    if (def.unreachableStrategy !== 'disabled') out.push('an app with persistent volumes needs "unreachableStrategy": "disabled"');
  }

  const secrets = (def.secrets as Json | undefined) ?? {};
  const referenced = new Set<string>();
  for (const [name, value] of Object.entries((def.env as Json | undefined) ?? {})) {
    if (value !== null && typeof value === 'object') {
      const secret = (value as Json).secret as string;
      referenced.add(secret);
      if (!(secret in secrets)) out.push(`env.${name} refers to secret ${JSON.stringify(secret)}, which "secrets" does not declare`);
    }
  }
  for (const name of Object.keys(secrets)) if (!referenced.has(name)) out.push(`secrets.${name} is declared but nothing refers to it`);
  return out;
}

/**
 * Open-source Marathon refuses `secrets` (and env values that refer to one) unless started with
 * --enable_features secrets and given a secrets plugin, which only DC/OS Enterprise ships.
 */
export function ossProblems(def: Json): string[] {
  const out: string[] = [];
  if (def.secrets !== undefined) out.push('"secrets" needs DC/OS Enterprise (--enable_features secrets and a secrets plugin): open-source Marathon refuses it');
  for (const [name, value] of Object.entries((def.env as Json | undefined) ?? {})) {
    if (typeof value !== 'string') out.push(`env.${name} must be a plain string on open-source Marathon (secret references need DC/OS Enterprise)`);
  }
  return out;
}

/**
 * Peak RSS of the cycle benchmark's daemon process with a 50,000-task listing (README,
 * "Benchmarks": 184-188 MB over the runs). Mesos kills a task that exceeds `mem`, and the kernel
 * counts the journal's page cache too, so the definitions give twice that.
 */
export const MEASURED_PEAK_RSS_MB = 188;
export const MEM_HEADROOM = 2;

import type { MarathonApp } from '../domain/marathon.js';
import { PROBE_LABELS } from '../domain/probe-labels.js';
import { parseBoolean } from '../platform/booleans.js';
import { badLabel as bad, findLabel as find, type LabelProblem, monkeyLabels, unknownLabel, unquote } from '../platform/labels.js';
import { LABEL_ENABLED, LABEL_MIN_HEALTHY, LABEL_RECOVERY_TIMEOUT } from './settings.js';

export { echoLabelValue, MAX_ECHOED_LABEL_CHARS, type LabelProblem } from '../platform/labels.js';

/** Per-app chaos settings read from the app's labels, validated. */
export interface AppLabels {
  /** `monkey.enabled`: undefined when the app has no such label (or an empty one). */
  enabled?: boolean;
  minHealthy?: number;
  recoveryTimeoutSeconds?: number;
}

export type LabelParse = { ok: true; labels: AppLabels } | LabelProblem;

export type EnabledParse = { ok: true; enabled: boolean | undefined } | LabelProblem;

const INTEGER = /^\s*\d+\s*$/;

// The probe labels are known names here; their values are the probe engine's to judge (through
// the ServiceProber port, in the labels guard).
const KNOWN: ReadonlySet<string> = new Set([LABEL_ENABLED, LABEL_MIN_HEALTHY, LABEL_RECOVERY_TIMEOUT, ...Object.values(PROBE_LABELS)]);

/**
 * Reads and validates the `monkey.*` labels: `monkey.enabled` (a boolean, the words the
 * configuration accepts), `monkey.min-healthy` (integer ≥ 0) and `monkey.recovery-timeout`
 * (integer seconds ≥ 1). A bad value skips the app rather than falling back to a default: a typo
 * in a safety setting must not silently make the app easier to kill.
 *
 * Keys starting with `monkey.` are matched regardless of case and surrounding spaces
 * (`Monkey.Enabled=false` opts out as surely as `monkey.enabled=false`); two spellings of one key
 * with different values are a bad label, and so is any other `monkey.*` key (a misspelling). Values are trimmed and one pair of surrounding straight quotes is dropped (`"false"`
 * reads as false), since that is how values pasted from JSON or YAML look.
 */
export function parseAppLabels(app: MarathonApp): LabelParse {
  return parsedOf(app).all;
}

/** Just `monkey.enabled`, so opting out works even when another monkey.* label is bad. */
export function enabledLabel(app: MarathonApp): EnabledParse {
  return parsedOf(app).enabled;
}

interface Parsed {
  enabled: EnabledParse;
  all: LabelParse;
}

// Several guards ask per app and cycle; the labels object of a listed app is never mutated.
const cache = new WeakMap<Record<string, string>, Parsed>();

function parsedOf(app: MarathonApp): Parsed {
  const cached = cache.get(app.labels);
  if (cached) return cached;
  const parsed = parseLabels(app.labels);
  cache.set(app.labels, parsed);
  return parsed;
}

function parseLabels(raw: Record<string, string>): Parsed {
  const found = monkeyLabels(raw);
  const labels: AppLabels = {};

  let enabled: EnabledParse = { ok: true, enabled: undefined };
  const e = find(found, LABEL_ENABLED);
  if (e !== undefined && 'ok' in e) {
    enabled = e;
  } else if (e !== undefined) {
    const text = unquote(e.value);
    // An empty value is Marathon's "label without a value": the same as no label.
    const b = text === '' ? undefined : parseBoolean(text);
    if (text !== '' && b === undefined) enabled = bad(e.key, e.value, 'must be true or false (also yes/no, on/off, 1/0)');
    else enabled = { ok: true, enabled: b };
  }
  if (!enabled.ok) return { enabled, all: enabled };
  if (enabled.enabled !== undefined) labels.enabled = enabled.enabled;

  const minHealthy = find(found, LABEL_MIN_HEALTHY);
  if (minHealthy !== undefined) {
    if ('ok' in minHealthy) return { enabled, all: minHealthy };
    const text = unquote(minHealthy.value);
    if (!INTEGER.test(text)) return { enabled, all: bad(minHealthy.key, minHealthy.value, 'must be a whole number ≥ 0') };
    labels.minHealthy = Number.parseInt(text, 10);
  }
  const timeout = find(found, LABEL_RECOVERY_TIMEOUT);
  if (timeout !== undefined) {
    if ('ok' in timeout) return { enabled, all: timeout };
    const text = unquote(timeout.value);
    const seconds = INTEGER.test(text) ? Number.parseInt(text, 10) : NaN;
    if (!(seconds >= 1)) return { enabled, all: bad(timeout.key, timeout.value, 'must be a whole number of seconds ≥ 1') };
    labels.recoveryTimeoutSeconds = seconds;
  }
  // A misspelt key (`monkey.enable=false`) would otherwise be ignored without a word, like a
  // misspelt config key: the app is not a target until the label is fixed.
  for (const [name, list] of found) {
    if (!KNOWN.has(name)) {
      const { key, value } = list[0]!;
      return { enabled, all: unknownLabel(key, value, KNOWN) };
    }
  }
  return { enabled, all: { ok: true, labels } };
}

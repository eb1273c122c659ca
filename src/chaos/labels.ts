import type { MarathonApp } from '../marathon/types.js';
import { LABEL_MIN_HEALTHY, LABEL_RECOVERY_TIMEOUT } from './settings.js';

/** Per-app chaos settings read from the app's labels, validated. */
export interface AppLabels {
  minHealthy?: number;
  recoveryTimeoutSeconds?: number;
}

export type LabelParse = { ok: true; labels: AppLabels } | { ok: false; label: string; value: string; problem: string };

const INTEGER = /^\s*\d+\s*$/;

/**
 * Reads and validates `monkey.min-healthy` (integer ≥ 0) and `monkey.recovery-timeout`
 * (integer seconds ≥ 1). A bad value skips the app rather than falling back to a default: a typo
 * in a safety setting must not silently make the app easier to kill.
 */
export function parseAppLabels(app: MarathonApp): LabelParse {
  // Several guards ask per app and cycle; the labels object of a listed app is never mutated.
  const cached = cache.get(app.labels);
  if (cached) return cached;
  const parsed = parseLabels(app);
  cache.set(app.labels, parsed);
  return parsed;
}

const cache = new WeakMap<Record<string, string>, LabelParse>();

function parseLabels(app: MarathonApp): LabelParse {
  const labels: AppLabels = {};
  const minHealthy = app.labels[LABEL_MIN_HEALTHY];
  if (minHealthy !== undefined) {
    if (!INTEGER.test(minHealthy)) {
      return { ok: false, label: LABEL_MIN_HEALTHY, value: minHealthy, problem: 'must be a whole number ≥ 0' };
    }
    labels.minHealthy = Number.parseInt(minHealthy, 10);
  }
  const timeout = app.labels[LABEL_RECOVERY_TIMEOUT];
  if (timeout !== undefined) {
    const seconds = INTEGER.test(timeout) ? Number.parseInt(timeout, 10) : NaN;
    if (!(seconds >= 1)) {
      return { ok: false, label: LABEL_RECOVERY_TIMEOUT, value: timeout, problem: 'must be a whole number of seconds ≥ 1' };
    }
    labels.recoveryTimeoutSeconds = seconds;
  }
  return { ok: true, labels };
}

import type { Strategy } from '../domain/record.js';
/**
 * The chaos cycle's settings. Each field mirrors one public config key; app/wiring.ts
 * (chaosSettingsFrom) maps the loaded config onto this frozen object once, so the cycle never reads
 * config at call time (kube-monkey's lesson). There are no defaults here: they live in the config
 * schema alone, so tests (test/helpers/settings.ts) run with the values production gets.
 */

export interface ChaosSettings {
  /** Plan and record, but never send the kill request. On by default: chaos is opt-in twice. */
  readonly dryRun: boolean;
  /** Configured seed; each cycle derives its own generator from it and the scheduled instant. */
  readonly seed: string;
  readonly strategy: Strategy;
  /** `fraction` strategy: share of the app's target instances to kill, 0..1 (rounded up). */
  readonly fraction: number;
  /** Global cap on tasks killed per cycle, whatever the strategy. */
  readonly maxKills: number;
  /**
   * Only apps labelled `monkey.enabled=true` (or yes/on/1) are victims. `monkey.enabled=false`
   * (or no/off/0) always excludes, and so does any value that is not a boolean (bad-label).
   */
  readonly optIn: boolean;
  /** App-id globs (picomatch, e.g. `/prod/**`); empty = every app. */
  readonly include: readonly string[];
  /** App-id globs that are never victims. */
  readonly exclude: readonly string[];
  /** Healthy instances each app keeps after the kill (label `monkey.min-healthy` overrides). */
  readonly minHealthy: number;
  /** Tasks started less than this long ago are never victims. */
  readonly minTaskAgeSeconds: number;
  /** An app whose last task failure is this recent is not in steady state. */
  readonly recentFailureMinutes: number;
  /** Per-app minimum time between kills, judged from the journal. */
  readonly minKillIntervalMinutes: number;
  /** Mesos agent attribute that names the rack (the `rack` strategy's failure domain). */
  readonly rackAttribute: string;
  /** A weakness (an app that did not recover) halts further chaos until resumed. */
  readonly haltOnWeakness: boolean;
  /** The daemon's own Marathon app id (MARATHON_APP_ID); never a victim. Empty outside Marathon. */
  readonly selfAppId: string;
  /** Allow killing tasks of DC/OS framework apps (label DCOS_PACKAGE_FRAMEWORK_NAME). */
  readonly allowFrameworks: boolean;
  /** Allow killing tasks of apps with persistent or external volumes. */
  readonly allowPersistentVolumes: boolean;
  /** How long an app may take to return to steady state (label `monkey.recovery-timeout` overrides). */
  readonly recoveryTimeoutSeconds: number;
  /** Interval between recovery reads of one affected app. */
  readonly recoveryPollMs: number;
}

/** App labels the cycle reads: chaos settings live on the app itself (kube-monkey's idea). */
export const LABEL_ENABLED = 'monkey.enabled';
export const LABEL_MIN_HEALTHY = 'monkey.min-healthy';
export const LABEL_RECOVERY_TIMEOUT = 'monkey.recovery-timeout';
export const LABEL_FRAMEWORK = 'DCOS_PACKAGE_FRAMEWORK_NAME';

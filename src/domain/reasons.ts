/**
 * Every "no" has a reason. These codes appear in the journal, logs, `/status`, metrics labels and
 * `explain`, so they are stable: add new ones, never rename.
 */
export const REASONS = {
  // Who may be a victim at all (configuration and labels).
  optedOut: 'opted-out',
  notOptedIn: 'not-opted-in',
  notIncluded: 'not-included',
  excluded: 'excluded',
  self: 'self',
  framework: 'framework',
  persistentVolumes: 'persistent-volumes',
  badLabel: 'bad-label',
  // What the journal remembers.
  quarantined: 'quarantined',
  recentlyKilled: 'recently-killed',
  // Steady state (the hypothesis).
  deploying: 'deploying',
  underReplicated: 'under-replicated',
  unhealthy: 'unhealthy',
  recentFailure: 'recent-failure',
  /** The app's service probes (monkey.probe.* labels) fail now: users already see errors. */
  probeFailed: 'probe-failed',
  // Tasks.
  noTasks: 'no-tasks',
  tooYoung: 'too-young',
  // Blast radius.
  belowMinHealthy: 'below-min-healthy',
  maxKills: 'max-kills',
  noRack: 'no-rack',
  // Between plan and kill.
  taskGone: 'task-gone',
  appGone: 'app-gone',
  // Whole-cycle gates.
  halted: 'halted',
  killVetoed: 'kill-vetoed',
  // After the kill.
  notRecovered: 'not-recovered',
  /** Marathon recovered, but the service probes exceeded the app's error budget or never passed again. */
  serviceDegraded: 'service-degraded',
} as const;

export type Reason = (typeof REASONS)[keyof typeof REASONS];

/** Why an app (or one of its tasks) was not a victim. */
export interface Skip {
  appId: string;
  reason: Reason;
  detail: string;
  taskId?: string;
}

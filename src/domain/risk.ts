/**
 * Placement risk: what one failure (a host, a rack, a fault-domain zone) would take from each app,
 * and the apps that are fragile whatever their placement. Computed by assessRisk (src/chaos/risk.ts)
 * from one listing; rendered by `marathon-monkey risk`, the daemon's /status and the report, so it
 * lives here, where every one of them may import it.
 */

/** The failure domains a placement is judged against. */
export type FailureDomain = 'host' | 'rack' | 'zone';

/** What losing one domain would do to one app (its worst domain of that kind). */
export interface DomainLoss {
  appId: string;
  /** Whether chaos may target the app (opt-in/opt-out labels, include/exclude, self). */
  chaosTarget: boolean;
  /** The host name, rack or zone whose failure hurts most (most instances lost; ties by name). */
  domain: string;
  /** How many domains of this kind would each cause this risk (the app's exposure). */
  domainsAtRisk: number;
  /** Live (non-terminal) tasks in `domain`. */
  lost: number;
  /** Live tasks of the app. */
  total: number;
  /**
   * Healthy instances left: the app's healthy count (health-checked: tasksHealthy, else
   * tasksRunning, as the guards count) minus its running tasks in `domain`. Conservative: the
   * listing does not say which tasks are the healthy ones, so every running task lost counts.
   */
  healthyLeft: number;
  /** The healthy floor (monkey.min-healthy, else chaos.minHealthy); null when the label is bad. */
  floor: number | null;
  /** `all`: every live instance is in the domain; `below-floor`: some survive, fewer than the floor. */
  severity: 'all' | 'below-floor';
}

/** An app flagged whatever its placement. */
export interface AppFlag {
  appId: string;
  chaosTarget: boolean;
  instances: number;
}

export interface RiskReport {
  /** True when any list below is non-empty (`marathon-monkey risk` exits 2). */
  risky: boolean;
  /** Apps and live tasks assessed (every app in the listing; apps with 0 instances are skipped). */
  apps: number;
  tasks: number;
  /** Losses per failure domain, sorted by app id; apps with one instance are only in singleInstance. */
  host: DomainLoss[];
  rack: DomainLoss[];
  zone: DomainLoss[];
  /** Apps configured with exactly one instance. */
  singleInstance: AppFlag[];
  /** Apps with instances and no health check: their failures are seen only when the process dies. */
  noHealthChecks: AppFlag[];
  placement: {
    /** Whether the Mesos agents were known (rack attributes, agent zones). */
    agentsKnown: boolean;
    /** Why not, when they were not (unreachable, not listed by this strategy). */
    agentsNote: string | null;
    /** The agent attribute read as the rack (chaos.rackAttribute). */
    rackAttribute: string;
    /** Live tasks whose rack came from the attribute (the rest from a zone, or unknown). */
    rackFromAttribute: number;
    /** Live tasks with no rack / no zone known: left out of those assessments. */
    withoutRack: number;
    withoutZone: number;
  };
}

/** One row of a loss table, the same in `marathon-monkey risk` and the report: app, target, domain, lost, healthy left / floor, risk. */
export function lossRow(l: DomainLoss): string[] {
  return [
    l.appId,
    l.chaosTarget ? 'yes' : 'no',
    l.domainsAtRisk > 1 ? `${l.domain} (+${l.domainsAtRisk - 1} more)` : l.domain,
    `${l.lost} of ${l.total}`,
    `${l.healthyLeft} / ${l.floor ?? 'bad label'}`,
    l.severity === 'all' ? 'all instances lost' : 'below the healthy floor',
  ];
}

import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { parseHostAllowList, type HostAllowList } from '../platform/host-allow.js';
import { parseStatusRanges } from '../platform/status-ranges.js';
import type { ProbeDefaults } from '../probe/labels.js';

/** What the probe engine takes from the configuration: the labels' defaults and the allow-list. */
export interface ProbeSettings {
  defaults: ProbeDefaults;
  allow: HostAllowList;
}

/**
 * The one builder of the probe settings from the validated configuration (`probe.*`). The schema
 * already refused bad values at load; a ConfigError here means a configuration that skipped it.
 */
export function probeSettingsFrom(config: Pick<Config, 'probe'>): ProbeSettings {
  const tolerance = parseStatusRanges(config.probe.tolerance);
  if (!tolerance.ok) throw new ConfigError([`probe.tolerance: ${tolerance.problem}`]);
  const allow = parseHostAllowList(config.probe.allow);
  if (!allow.ok) throw new ConfigError([`probe.allow: ${allow.problem}`]);
  return {
    defaults: Object.freeze({ intervalMs: config.probe.intervalMs, timeoutMs: config.probe.timeoutMs, tolerance: tolerance.ranges }),
    allow: allow.list,
  };
}

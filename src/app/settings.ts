/**
 * The configuration turned into the settings the chaos core and the scheduler take, and the one
 * line of effective safety settings. Light on purpose: `validate` and every command load it; the
 * clients and the notifier (src/app/wiring.ts) load only where they are used.
 */
import { randomBytes } from 'node:crypto';
import type { ChaosSettings } from '../chaos/settings.js';
import type { MonkeyConfig } from '../config/load.js';
import { compileSchedule, type CompiledSchedule } from '../schedule/settings.js';

/** A seed for this process when none is configured: logged and journaled, so runs stay replayable. */
export function effectiveSeed(config: MonkeyConfig): { seed: string; generated: boolean } {
  if (config.chaos.seed !== '') return { seed: config.chaos.seed, generated: false };
  return { seed: randomBytes(8).toString('hex'), generated: true };
}

/**
 * The chaos core's view of the configuration, in the units the core uses: the one builder of
 * ChaosSettings. Every field is filled from the config (the object literal is checked against the
 * interface, so a new field cannot be left out), and every default comes from the schema.
 */
export function chaosSettingsFrom(config: MonkeyConfig, seed: string): ChaosSettings {
  const c = config.chaos;
  const settings: ChaosSettings = {
    dryRun: c.dryRun,
    seed,
    strategy: c.strategy,
    fraction: c.fraction,
    maxKills: c.maxKills,
    optIn: c.optIn,
    include: Object.freeze([...c.include]),
    exclude: Object.freeze([...c.exclude]),
    minHealthy: c.minHealthy,
    minTaskAgeSeconds: c.minTaskAgeSeconds,
    recentFailureMinutes: c.recentFailureMinutes,
    minKillIntervalMinutes: c.minKillIntervalMinutes,
    rackAttribute: c.rackAttribute,
    haltOnWeakness: c.haltOnWeakness,
    selfAppId: c.selfAppId,
    allowFrameworks: c.allowFrameworks,
    allowPersistentVolumes: c.allowPersistentVolumes,
    recoveryTimeoutSeconds: config.recovery.timeout,
    recoveryPollMs: config.recovery.pollMs,
  };
  return Object.freeze(settings);
}

export function scheduleFrom(config: MonkeyConfig): CompiledSchedule {
  const s = config.schedule;
  return compileSchedule({
    cron: s.cron,
    timezone: s.timezone,
    officeHours: s.officeHours,
    holidays: [...s.holidays],
    holidayCalendar: s.holidayCalendar,
    jitterSeconds: s.jitterSeconds,
  });
}

/** The one line of effective safety settings logged at start (and printed by `validate`). */
export function safetySummary(config: MonkeyConfig, seed: string, schedule: CompiledSchedule): Record<string, unknown> {
  const c = config.chaos;
  return {
    dryRun: c.dryRun,
    optIn: c.optIn,
    strategy: c.strategy,
    maxKillsPerCycle: c.maxKills,
    minHealthy: c.minHealthy,
    include: c.include,
    exclude: c.exclude,
    haltOnWeakness: c.haltOnWeakness,
    seed,
    cron: config.schedule.cron,
    timezone: config.schedule.timezone,
    officeHours: schedule.description,
    selfAppId: c.selfAppId === '' ? null : c.selfAppId,
  };
}

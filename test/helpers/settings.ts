/**
 * Chaos settings for tests, built the way production builds them: the schema's defaults through
 * the one builder (chaosSettingsFrom), then the test's overrides. A test that depends on a value
 * says so in its overrides; nothing here has defaults of its own that could drift from the schema.
 */
import { chaosSettingsFrom } from '../../src/app/wiring.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import { schemaDefaults } from '../../src/config/schema.js';

/** What production runs with when nothing is configured, with the seed left as configured (''). */
export function defaultSettings(): ChaosSettings {
  const config = schemaDefaults();
  return chaosSettingsFrom(config, config.chaos.seed);
}

/** The schema's defaults overlaid with the given fields, frozen. */
export function testSettings(overrides: Partial<ChaosSettings> = {}): ChaosSettings {
  return Object.freeze({ ...defaultSettings(), ...overrides });
}

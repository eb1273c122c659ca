import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Marathon's and Mesos' published payloads, copied into the repository (test/fixtures/marathon,
 * origins and licence in its SOURCES.md) so a lone clone and `docker build .` run the contract
 * tests with nothing beside the checkout.
 */
const FIXTURES = new URL('../fixtures/marathon/', import.meta.url);

export function marathonFixturesDir(): string {
  return fileURLToPath(FIXTURES).replace(/[\\/]$/, '');
}

export function fixtureText(relative: string): string {
  return readFileSync(new URL(relative, FIXTURES), 'utf8');
}

export function fixture(relative: string): unknown {
  return JSON.parse(fixtureText(relative)) as unknown;
}

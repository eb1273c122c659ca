import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared fixtures live next to the repository (`<repo>/../shared/fixtures/marathon`). Walks up
 * from this file so a checkout at another depth (or a worktree) still finds them.
 */
export function marathonFixturesDir(): string {
  const configured = process.env.MARATHON_FIXTURES_DIR;
  if (configured !== undefined && configured !== '') {
    if (existsSync(join(configured, 'SOURCES.md'))) return resolve(configured);
    throw new Error(`MARATHON_FIXTURES_DIR=${configured} holds no SOURCES.md: point it at shared/fixtures/marathon`);
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    for (const candidate of [join(dir, 'shared', 'fixtures', 'marathon'), join(dir, '..', 'shared', 'fixtures', 'marathon')]) {
      if (existsSync(join(candidate, 'SOURCES.md'))) return resolve(candidate);
    }
    dir = dirname(dir);
  }
  // No silent skip: the contract tests are part of the suite.
  throw new Error(
    'shared/fixtures/marathon (Marathon\'s published payloads for the contract tests) was not found next to the repository: ' +
      'clone the repository beside shared/ (as CI does) or set MARATHON_FIXTURES_DIR=/path/to/shared/fixtures/marathon',
  );
}

export function fixtureText(relative: string): string {
  return readFileSync(join(marathonFixturesDir(), relative), 'utf8');
}

export function fixture(relative: string): unknown {
  return JSON.parse(fixtureText(relative)) as unknown;
}

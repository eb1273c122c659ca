import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared fixtures live next to the repository (`<repo>/../shared/fixtures/marathon`). Walks up
 * from this file so a checkout at another depth (or a worktree) still finds them.
 */
export function marathonFixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    for (const candidate of [join(dir, 'shared', 'fixtures', 'marathon'), join(dir, '..', 'shared', 'fixtures', 'marathon')]) {
      if (existsSync(join(candidate, 'SOURCES.md'))) return resolve(candidate);
    }
    dir = dirname(dir);
  }
  throw new Error('shared/fixtures/marathon not found next to the repository');
}

export function fixtureText(relative: string): string {
  return readFileSync(join(marathonFixturesDir(), relative), 'utf8');
}

export function fixture(relative: string): unknown {
  return JSON.parse(fixtureText(relative)) as unknown;
}

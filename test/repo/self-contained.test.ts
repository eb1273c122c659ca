import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marathonFixturesDir } from '../contract/fixtures.js';
import { parseDockerfile } from '../deploy/dockerfile.js';

/**
 * A clone on its own must test and build: nothing in it may read a `shared/` folder beside the
 * checkout (it once did, and `npm ci && npm test` and `docker build .` failed before any test ran
 * for anyone who cloned the repository alone). docs/ is left out: the notes for people working on
 * the project may point at their reference material.
 */
const ROOT = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
const SELF = relative(ROOT, fileURLToPath(import.meta.url)).split(sep).join('/');

/**
 * Ways a file can reach for a folder outside the repository named shared. The descriptions are
 * built from parts so that this file does not itself spell the paths it forbids.
 */
const SHARED = 'shared';
const OUTSIDE_READS: [RegExp, string][] = [
  [/\.\.[\\/]+shared\b/, `a parent folder's ${SHARED} (.. then ${SHARED})`],
  [/\/work\/shared\b/, `an absolute path to a ${SHARED} folder`],
  [/['"]shared['"]\s*,/, `a '${SHARED}' path segment (join(..., '${SHARED}', ...))`],
  [/\bshared\/fixtures\b/, `${SHARED} fixtures beside the checkout`],
  [/--build-context\b/, 'a named build context (--build-context)'],
  [/--from=shared\b/, 'COPY --from=shared'],
];

const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'dist', 'coverage']);

/**
 * The repository's files: tracked and about-to-be-added ones in a git checkout; in a copy without
 * .git (CI tests `git archive` output, the image's build stage has no .git) every file there.
 */
function repositoryFiles(): string[] {
  let top: string | undefined;
  try {
    top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    top = undefined;
  }
  if (top !== undefined && realpathSync(top) === ROOT) {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return out.split('\0').filter((f) => f !== '');
  }
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(rel);
      } else if (entry.isFile()) files.push(rel);
    }
  };
  walk('');
  return files;
}

describe('repository: self-contained', () => {
  it('no file outside docs/ reads a shared/ folder beside the checkout', () => {
    const files = repositoryFiles().filter((f) => !f.startsWith('docs/') && f !== SELF);
    // In the image's build stage only what the Dockerfile copies is there (no .git, no .ci).
    for (const f of ['package.json', 'Dockerfile', 'README.md', 'test/contract/fixtures.ts']) assert.ok(files.includes(f), `the scan saw ${f}`);
    const found: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        continue; // listed but deleted in the work tree: nothing to read
      }
      if (text.includes('\0')) continue;
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        for (const [pattern, what] of OUTSIDE_READS) if (pattern.test(line)) found.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
      });
    }
    assert.deepEqual(found, [], 'the repository must carry what its tests and image read (copy it into test/fixtures/)');
  });

  it('the contract fixtures are inside the repository, with their sources and licence', () => {
    const dir = realpathSync(marathonFixturesDir());
    assert.ok(dir.startsWith(ROOT + sep), `${dir} is outside ${ROOT}`);
    const sources = readFileSync(join(dir, 'SOURCES.md'), 'utf8');
    assert.match(sources, /Apache License 2\.0/);
    for (const folder of ['raml-examples', 'raml-inline', 'events', 'legacy-rest-api-md', 'captures-marathon-lb', 'mesos']) {
      assert.ok(sources.includes(`## ${folder}/`), `SOURCES.md names the origin of ${folder}/`);
    }
  });

  it('the Dockerfile builds from the repository alone: every COPY --from names an earlier stage', () => {
    const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const named = new Set<string>();
    for (const stage of stages) {
      for (const ins of stage.instructions) {
        const from = /(?:^|\s)--from=(\S+)/.exec(ins.args);
        if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && from !== null) {
          assert.ok(named.has(from[1]!), `line ${ins.line}: ${ins.keyword} --from=${from[1]} is no earlier stage (a build context from outside the repository?)`);
        }
      }
      if (stage.name !== undefined) named.add(stage.name);
    }
    const build = stages.find((s) => s.name === 'build');
    assert.ok(build?.instructions.some((i) => i.keyword === 'COPY' && /^test\s/.test(i.args)), 'the build stage copies test/ (the fixtures included)');
  });
});

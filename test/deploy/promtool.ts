/**
 * Runs Prometheus's own linter, `promtool check metrics`, on exposition text. promtool is a Go
 * binary, not an npm package: CI installs Debian's `prometheus` package (apt-get install -y
 * prometheus), which ships /usr/bin/promtool. PROMTOOL overrides the binary.
 */
import { spawnSync } from 'node:child_process';

export const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

export const PROMTOOL_MISSING =
  'promtool is not installed, so the exposition was not linted: install Debian\'s "prometheus" package (apt-get install -y prometheus; it ships /usr/bin/promtool) or set PROMTOOL=/path/to/promtool';

/** True when promtool can be run. */
export function havePromtool(): boolean {
  const r = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

/** promtool's verdict: exit status and what it printed (one line per problem). */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

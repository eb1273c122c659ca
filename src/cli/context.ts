import { readFileSync } from 'node:fs';
import type { Clock } from '../platform/clock.js';

/**
 * What every command gets from the entry point. Kept apart from main.ts (the dispatch) and from the
 * commands, so both can import it without importing each other, and without loading anything.
 */

/** Exit codes: part of the public interface (README "Exit codes"). */
export const EXIT = { ok: 0, error: 1, weakness: 2 } as const;

export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stdout / stderr is a terminal: human-readable logs and progress lines there. */
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  /** Resolves with the signal name when the process is asked to stop (first SIGTERM/SIGINT). */
  stopRequested: Promise<string>;
  clock?: Clock;
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Where the simulator a test or benchmark started answers. */
export interface SimUrls {
  marathonUrl: string;
  mesosUrl: string;
}

/** The environment without the developer's MONKEY_* settings, nor what Marathon or Mesos would set. */
export function cleanEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
/** A one-shot command (once, plan, explain) against the simulator: always office hours, no minimum task age. */
export function simEnv(sim: SimUrls, journal: string, extra?: Record<string, string>): NodeJS.ProcessEnv;
/** The daemon against the simulator: a slot every second, real kills, a free port on 127.0.0.1. */
export function daemonEnv(sim: SimUrls, journal: string, extra?: Record<string, string>): NodeJS.ProcessEnv;
/** The journal's records (empty when the file does not exist yet); `skipTorn` skips a line kill -9 tore instead of throwing. */
export function journalRecords(path: string, opts?: { skipTorn?: boolean }): Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
export function sleep(ms: number): Promise<void>;
/** Calls `f` every `everyMs` (50) until it returns something other than undefined, and returns that; fails after `timeoutMs` naming `what`. */
export function until<T>(f: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, everyMs?: number): Promise<T>;
/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number>;
export function median(xs: readonly number[]): number;
/** The next IPC message of `type` from a forked child (its `value`); rejects if the child exits first. */
export function receive(child: import('node:child_process').ChildProcess, type: string): Promise<unknown>;

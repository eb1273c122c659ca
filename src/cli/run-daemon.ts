import type { Logger } from 'pino';
import { chaosSettingsFrom, clientsFrom, effectiveSeed, notifierFrom, safetySummary, scheduleFrom } from '../app/wiring.js';
import type { CycleRecord } from '../domain/record.js';
import type { LoadedConfig } from '../config/load.js';
import { hostname } from 'node:os';
import { Daemon, type HaOptions } from '../daemon/daemon.js';
import { HeapKeeper, v8HeapAccess } from '../daemon/heap-keeper.js';
import { MonkeyMetrics } from '../daemon/metrics.js';
import { createLogger } from '../log.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { EXIT, packageVersion, type CliContext } from './context.js';

/** The daemon against a configured Marathon, until a stop signal (`run`, `start`, the demo). */
export async function runDaemon(
  loaded: LoadedConfig,
  ctx: CliContext,
  extras: { logger?: Logger; onCycle?: (r: CycleRecord) => void; onStarted?: (url: string) => void } = {},
): Promise<number> {
  const { config } = loaded;
  const clock = ctx.clock ?? systemClock;
  const logger =
    extras.logger ??
    createLogger({ level: config.log.level, format: config.log.format, tty: ctx.stdoutIsTTY === true, destination: { write: (s: string) => ctx.stdout(s) } });
  const schedule = scheduleFrom(config);
  const { seed, generated } = effectiveSeed(config);
  const settings = chaosSettingsFrom(config, seed);
  const metrics = new MonkeyMetrics({ version: packageVersion() });
  const clients = clientsFrom(config, { clock, logger, onRequest: Daemon.requestRecorder(metrics) });
  // Only when the launcher exposed gc (node --expose-gc, as the image runs it); none otherwise.
  const heap = v8HeapAccess();
  const notifier = notifierFrom(config, { clock, logger, version: packageVersion(), seed });
  const daemon = new Daemon({
    metrics,
    settings,
    schedule,
    clients,
    journalPath: config.journal.path,
    clock,
    logger,
    server: { host: config.server.host, port: config.server.port, controlToken: config.server.controlToken },
    maskedConfig: loaded.masked,
    version: packageVersion(),
    shutdownGraceMs: config.shutdown.graceMs,
    ...(extras.onCycle ? { onCycle: extras.onCycle } : {}),
    ...(heap ? { heapKeeper: new HeapKeeper(heap) } : {}),
    ...(notifier ? { notifier } : {}),
    ...(config.state.zk === '' ? {} : { ha: await haOptions(config.state, { port: config.server.port, env: ctx.env, logger, clock }) }),
  });
  logger.info({ safety: safetySummary(config, seed, schedule), seedGenerated: generated, notify: notifier?.channels ?? [] }, 'effective safety settings');
  if (!config.chaos.dryRun) logger.warn({}, 'dry-run is OFF: kills are real');
  const { url } = await daemon.start();
  extras.onStarted?.(url);
  const signal = await ctx.stopRequested;
  await daemon.shutdown(signal);
  return EXIT.ok;
}

/**
 * Several instances on ZooKeeper: this one joins the election once its journal is open. Its name
 * among its peers is Marathon's task id when it runs under Marathon (what an operator finds in the
 * Marathon UI), else host, port and pid.
 */
export async function haOptions(
  state: { zk: string; zkSessionTimeoutMs: number },
  deps: { port: number; env: NodeJS.ProcessEnv; logger: Logger; clock: Clock },
): Promise<HaOptions> {
  // Loaded only with ZooKeeper configured: a single instance starts without the client library.
  const { ZkCoordinator, maskZkUrl } = await import('../zk/index.js');
  const identity = zkIdentity(deps.env, deps.port);
  return {
    maskedUrl: maskZkUrl(state.zk),
    sessionTimeoutMs: state.zkSessionTimeoutMs,
    identity,
    connect: () => ZkCoordinator.start({ url: state.zk, sessionTimeoutMs: state.zkSessionTimeoutMs, identity, logger: deps.logger, clock: deps.clock }),
  };
}

export function zkIdentity(env: NodeJS.ProcessEnv, port: number): string {
  const task = env.MESOS_TASK_ID?.trim();
  if (task !== undefined && task !== '') return task;
  return `${hostname()}${port === 0 ? '' : `:${port}`} pid ${process.pid}`;
}

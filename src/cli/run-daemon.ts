import type { Logger } from 'pino';
import { chaosSettingsFrom, clientsFrom, effectiveSeed, notifierFrom, safetySummary, scheduleFrom } from '../app/wiring.js';
import type { CycleRecord } from '../domain/record.js';
import type { LoadedConfig } from '../config/load.js';
import { Daemon } from '../daemon/daemon.js';
import { HeapKeeper, v8HeapAccess } from '../daemon/heap-keeper.js';
import { MonkeyMetrics } from '../daemon/metrics.js';
import { createLogger } from '../log.js';
import { systemClock } from '../platform/clock.js';
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
  });
  logger.info({ safety: safetySummary(config, seed, schedule), seedGenerated: generated, notify: notifier?.channels ?? [] }, 'effective safety settings');
  if (!config.chaos.dryRun) logger.warn({}, 'dry-run is OFF: kills are real');
  const { url } = await daemon.start();
  extras.onStarted?.(url);
  const signal = await ctx.stopRequested;
  await daemon.shutdown(signal);
  return EXIT.ok;
}

import { summarizeCycle } from '../chaos/record.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { runSimCommand } from '../sim/command.js';
import type { CliContext } from './context.js';
import { withProbeLines } from './probe-output.js';
import { runDaemon } from './run-daemon.js';
import type { CycleRecord } from '../domain/record.js';

/**
 * Demo settings for `npm start` without a Marathon: real kills, but only in the simulated
 * cluster, on a fast schedule so something happens within seconds. Any key the operator set
 * explicitly (file or environment) wins over these.
 */
export const DEMO_OVERRIDES: Record<string, unknown> = {
  'chaos.dryRun': false,
  'chaos.seed': 'demo',
  'chaos.minTaskAgeSeconds': 0,
  'chaos.minKillIntervalMinutes': 0,
  'chaos.haltOnWeakness': false,
  'recovery.timeout': 8,
  'recovery.pollMs': 200,
  'schedule.cron': '*/3 * * * * *',
  'schedule.officeHours': 'always',
  'schedule.jitterSeconds': 0,
  'server.port': 0,
  'server.host': '127.0.0.1',
  'journal.path': 'marathon-monkey-demo-journal.jsonl',
};

export async function runDemo(ctx: CliContext): Promise<number> {
  const first = loadConfig({ env: ctx.env });
  const out = (line: string): void => ctx.stdout(`${line}\n`);
  out('marathon-monkey demo: no MONKEY_MARATHON_URLS, so starting the built-in simulated cluster');
  const sim = await runSimCommand({ port: 0, log: (line) => out(`  ${line}`) });
  try {
    const overrides: Record<string, unknown> = {
      'marathon.urls': sim.marathonUrls,
      'mesos.url': sim.mesosUrl,
    };
    for (const [key, value] of Object.entries(DEMO_OVERRIDES)) if (!first.explicit.has(key)) overrides[key] = value;
    const loaded = loadConfig({ env: ctx.env, overrides });
    const c = loaded.config;
    // JSON logs go to stderr (warnings and errors unless MONKEY_LOG_LEVEL is set); stdout tells the story.
    const level = first.explicit.has('log.level') ? c.log.level : 'warn';
    const logger = createLogger({ level, format: c.log.format, tty: ctx.stderrIsTTY === true, destination: { write: (s: string) => ctx.stderr(s) } });
    out(
      `chaos: strategy ${c.chaos.strategy}, ${c.chaos.dryRun ? 'DRY RUN' : 'real kills in the simulation'}, cron "${c.schedule.cron}", ` +
        `seed "${c.chaos.seed}", journal ${c.journal.path}`,
    );
    return await runDaemon(loaded, ctx, {
      logger,
      onStarted: (url) => {
        out(`status page: ${url}/ (open it in a browser)`);
        out(`control endpoints: ${url}/status ${url}/metrics ${url}/health — stop with Ctrl-C`);
      },
      onCycle: (record: CycleRecord) => {
        if (record.outcome === 'nothing-to-do' && record.victims.length === 0) {
          out(`cycle ${record.cycleId}: nothing to do (${Object.entries(record.counts.skippedByReason).map(([r, n]) => `${r} ${n}`).join(', ')})`);
        } else {
          // With the service figures of probed apps: /demo/session-cache's balancer lags behind Marathon.
          out(withProbeLines(summarizeCycle(record), record));
        }
      },
    });
  } finally {
    await sim.close();
  }
}

import { checkClientSettings } from '../app/auth.js';
import { chaosSettingsFrom, effectiveSeed, safetySummary, scheduleFrom } from '../app/settings.js';
import { checkJournalWritable } from '../config/journal-path.js';
import { loadConfig } from '../config/load.js';
import { MonkeyError } from '../errors.js';
import { systemClock } from '../platform/clock.js';
import { EXIT, type CliContext } from './context.js';

export async function validate(ctx: CliContext): Promise<number> {
  const loaded = loadConfig({ env: ctx.env });
  const { config } = loaded;
  const schedule = scheduleFrom(config);
  const { seed, generated } = effectiveSeed(config);
  chaosSettingsFrom(config, seed);
  // What building the clients would reject, without loading them (HTTP client, parsers, logger).
  if (config.marathon.urls.length > 0) checkClientSettings(config, systemClock);
  const journalProblem = checkJournalWritable(config.journal.path);
  if (journalProblem !== null) {
    throw new MonkeyError('E_CONFIG', `invalid configuration: ${journalProblem}`, { hint: 'every kill is journaled before it is sent: the journal must be writable before anything runs' });
  }
  ctx.stdout('configuration is valid\n');
  ctx.stdout(`${JSON.stringify(safetySummary(config, generated ? '(random at each start: set MONKEY_SEED to fix it)' : seed, schedule), null, 2)}\n`);
  if (config.marathon.urls.length === 0) ctx.stdout('note: no MONKEY_MARATHON_URLS: `start` runs the demo on the simulated cluster; `run` and `once` need a Marathon\n');
  if (!config.chaos.dryRun) ctx.stdout('note: dry-run is OFF: kills are real\n');
  if (config.state.zk !== '') {
    // Loaded only when configured: the rest of validate stays free of the ZooKeeper client.
    const { parseZkUrl, maskZkUrl } = await import('../zk/url.js');
    const target = parseZkUrl(config.state.zk);
    ctx.stdout(
      `note: several instances share ZooKeeper ${maskZkUrl(config.state.zk)} (servers ${target.servers}, node ${target.root}${target.auth ? `, digest auth as ${target.auth.user}` : ''}, session timeout ${config.state.zkSessionTimeoutMs} ms): one leader runs the cycles; last kills, quarantines, halt and pause live there\n`,
    );
  }
  ctx.stdout(`note: run serves HTTP on ${config.server.host}:${config.server.port} (port from ${loaded.origin?.('server.port') ?? 'configuration'})\n`);
  return EXIT.ok;
}

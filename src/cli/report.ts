import type { Logger } from 'pino';
import type { ReportFormat } from './args.js';
import { loadConfig, type MonkeyConfig } from '../config/load.js';
import { streamJournal } from '../journal/journal.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { ReportBuilder, type PlacementRiskSection, type Report } from '../report/compute.js';
import { EXIT, type CliContext } from './context.js';
import { assertReadable, writeOutput } from './files.js';

export interface ReportCommand {
  format: ReportFormat;
  since?: Date | undefined;
  out?: string | undefined;
}

/**
 * `marathon-monkey report`: the journal (MONKEY_JOURNAL) as a report for a post-mortem. Reads the
 * journal without its lock (it only reads, and a running daemon only appends: a torn last line is
 * skipped and counted), streamed one record at a time. With a Marathon configured it adds the
 * cluster's placement risk now; a cluster that cannot be read leaves that section saying why, and
 * the report still comes out (the journal is what the report is about).
 */
export async function report(command: ReportCommand, ctx: CliContext): Promise<number> {
  const { config } = loadConfig({ env: ctx.env });
  const clock = ctx.clock ?? systemClock;
  const path = config.journal.path;
  await assertReadable(path);
  const builder = new ReportBuilder({ journal: path, generatedAt: new Date(clock.now()).toISOString(), since: command.since });
  // The reader's warnings (torn or malformed lines) become a count in the report, not log noise.
  const counter = { warn: () => builder.ignoredLine() } as unknown as Logger;
  for await (const record of streamJournal(path, { logger: counter })) builder.add(record);
  const result = builder.finish();
  if (config.marathon.urls.length > 0) result.placementRisk = await placementRisk(config, clock, ctx);
  const text = await render(result, command.format);
  if (command.out === undefined) {
    ctx.stdout(text);
    return EXIT.ok;
  }
  await writeOutput(command.out, text, 'E_REPORT_OUT', 'the report');
  ctx.stdout(`report written to ${command.out} (${command.format}: ${result.totals.tasksKilled} tasks killed, ${result.totals.weaknesses} weaknesses, ${result.totals.cycles} cycles)\n`);
  return EXIT.ok;
}

async function render(r: Report, format: ReportFormat): Promise<string> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(r, null, 2)}\n`;
    case 'html':
      return (await import('../report/render-html.js')).renderHtml(r);
    case 'md':
      return (await import('../report/render-md.js')).renderMarkdown(r);
  }
}

/** The same assessment as `marathon-monkey risk`, from one listing and the Mesos agents. */
async function placementRisk(config: MonkeyConfig, clock: Clock, ctx: CliContext): Promise<PlacementRiskSection> {
  const assessedAt = new Date(clock.now()).toISOString();
  try {
    const [{ chaosSettingsFrom, clientsFrom, effectiveSeed }, { assessRisk }, { indexAgents }, { createLogger }] = await Promise.all([
      import('../app/wiring.js'),
      import('../chaos/risk.js'),
      import('../chaos/select.js'),
      import('../log.js'),
    ]);
    const logger = createLogger({ level: 'error', format: config.log.format, tty: ctx.stderrIsTTY === true, destination: { write: (s: string) => ctx.stderr(s) } });
    const clients = clientsFrom(config, { clock, logger });
    const agents = clients.agents.listAgents().then(
      (list) => ({ index: indexAgents(list), note: undefined }),
      (err: unknown) => ({ index: null, note: `Mesos agents unavailable (${(err as Error).message})` }),
    );
    const apps = await clients.marathon.listApps();
    const a = await agents;
    return { assessedAt, risk: assessRisk(apps, a.index, chaosSettingsFrom(config, effectiveSeed(config).seed), a.note === undefined ? {} : { agentsNote: a.note }) };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    return { assessedAt, unavailable: `${typeof e.code === 'string' ? `${e.code}: ` : ''}${String(e.message ?? err)}` };
  }
}

import { chaosSettingsFrom, clientsFrom, effectiveSeed } from '../app/wiring.js';
import { assessRisk } from '../chaos/risk.js';
import { indexAgents, type AgentIndex } from '../chaos/select.js';
import { loadConfig } from '../config/load.js';
import { lossRow, type AppFlag, type DomainLoss, type RiskReport } from '../domain/risk.js';
import { createLogger } from '../log.js';
import { systemClock } from '../platform/clock.js';
import { EXIT, type CliContext } from './context.js';

/**
 * `marathon-monkey risk [--json]`: placement risk from one listing and the Mesos agents. Exits 2
 * when a risk is found, 0 when none, 1 when Marathon cannot be read (no verdict without a listing).
 * Mesos agents that cannot be read are not an error: hosts come from the tasks, racks and zones
 * from the tasks' zones, and the output says so.
 */
export async function risk(json: boolean, ctx: CliContext): Promise<number> {
  const { config } = loadConfig({ env: ctx.env });
  const clock = ctx.clock ?? systemClock;
  const level = ctx.env.MONKEY_LOG_LEVEL === undefined ? 'warn' : config.log.level;
  const logger = createLogger({ level, format: config.log.format, tty: ctx.stderrIsTTY === true, destination: { write: (s: string) => ctx.stderr(s) } });
  const clients = clientsFrom(config, { clock, logger });
  const settings = chaosSettingsFrom(config, effectiveSeed(config).seed);
  // Both at once: the agents' answer does not depend on the listing. A listing error ends the command.
  const agentsRead = clients.agents.listAgents().then(
    (agents): { index: AgentIndex } => ({ index: indexAgents(agents) }),
    (err: unknown): { note: string } => ({ note: `Mesos agents unavailable (${(err as Error).message})` }),
  );
  const apps = await clients.marathon.listApps();
  const agents = await agentsRead;
  const report = assessRisk(apps, 'index' in agents ? agents.index : null, settings, 'note' in agents ? { agentsNote: agents.note } : {});
  ctx.stdout(json ? `${JSON.stringify(report)}\n` : formatRisk(report));
  return report.risky ? EXIT.weakness : EXIT.ok;
}

/** The report as an operator reads it: one table per kind of risk, then the verdict. */
export function formatRisk(r: RiskReport): string {
  const out: string[] = [];
  const p = r.placement;
  if (!p.agentsKnown) {
    out.push(`note: ${p.agentsNote ?? 'Mesos agents unknown'}; hosts from the tasks, racks and zones from the tasks' zones only`);
  } else if (p.rackFromAttribute === 0 && r.tasks > 0) {
    out.push(`note: no agent has the attribute "${p.rackAttribute}" (chaos.rackAttribute): racks are the fault-domain zones`);
  }
  if (p.withoutRack > 0 || p.withoutZone > 0) {
    out.push(`note: ${p.withoutRack} of ${r.tasks} tasks have no known rack, ${p.withoutZone} no known zone: left out of those assessments`);
  }
  const domains: [string, DomainLoss[], string][] = [
    ['host', r.host, 'If one host fails'],
    ['rack', r.rack, 'If one rack fails'],
    ['zone', r.zone, 'If one zone fails'],
  ];
  for (const [kind, losses, title] of domains) {
    if (losses.length === 0) continue;
    out.push('', `${title} (${losses.length} app${losses.length === 1 ? '' : 's'}):`);
    out.push(
      ...table(
        ['APP', 'TARGET', kind.toUpperCase(), 'LOST', 'HEALTHY LEFT / FLOOR', 'RISK'],
        losses.map(lossRow),
      ),
    );
  }
  const flags: [AppFlag[], string][] = [
    [r.singleInstance, 'Single instance (lost with any failure)'],
    [r.noHealthChecks, 'No health checks (failures seen only when the process dies)'],
  ];
  for (const [list, title] of flags) {
    if (list.length === 0) continue;
    out.push('', `${title} (${list.length} app${list.length === 1 ? '' : 's'}):`);
    out.push(...table(['APP', 'TARGET', 'INSTANCES'], list.map((f) => [f.appId, f.chaosTarget ? 'yes' : 'no', String(f.instances)])));
  }
  out.push(
    '',
    r.risky
      ? `RISK: ${countLine(r)} (${r.apps} apps, ${r.tasks} tasks assessed)`
      : `no placement risk: ${r.apps} apps, ${r.tasks} tasks survive the loss of any one host, rack or zone above their healthy floor`,
  );
  while (out[0] === '') out.shift();
  return `${out.join('\n')}\n`;
}

function countLine(r: RiskReport): string {
  const parts: string[] = [];
  if (r.host.length > 0) parts.push(`${r.host.length} at risk from one host`);
  if (r.rack.length > 0) parts.push(`${r.rack.length} from one rack`);
  if (r.zone.length > 0) parts.push(`${r.zone.length} from one zone`);
  if (r.singleInstance.length > 0) parts.push(`${r.singleInstance.length} single-instance`);
  if (r.noHealthChecks.length > 0) parts.push(`${r.noHealthChecks.length} without health checks`);
  return parts.join(', ');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`;
  return [line(header), ...rows.map(line)];
}

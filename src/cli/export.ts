import { arch, hostname, release, type } from 'node:os';
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import { toChaosToolkitJournal } from '../export/chaostoolkit.js';
import { CycleFinder } from '../export/find.js';
import { streamJournal } from '../journal/journal.js';
import { EXIT, packageVersion, type CliContext } from './context.js';
import { assertReadable, writeOutput } from './files.js';

export interface ExportCommand {
  format: 'chaostoolkit';
  cycle?: string | undefined;
  out?: string | undefined;
}

/**
 * `marathon-monkey export --format chaostoolkit`: one journaled cycle (the one named by --cycle, or
 * the last that killed) as a Chaos Toolkit journal. Reads the journal without its lock, like
 * `report`: it only reads, and a torn last line is skipped.
 */
export async function exportCycle(command: ExportCommand, ctx: CliContext): Promise<number> {
  const { config } = loadConfig({ env: ctx.env });
  const path = config.journal.path;
  await assertReadable(path);
  const finder = new CycleFinder(path, command.cycle);
  const quiet = { warn: () => undefined } as unknown as Logger;
  for await (const record of streamJournal(path, { logger: quiet })) if (finder.add(record)) break;
  const record = finder.result();
  const marathonUrl = withoutCredentials(config.marathon.urls[0]);
  const journal = toChaosToolkitJournal(record, {
    producer: `marathon-monkey ${packageVersion()}`,
    platform: `${type()}-${release()}-${arch()}`,
    node: hostname(),
    ...(marathonUrl === undefined ? {} : { marathonUrl }),
  });
  const text = `${JSON.stringify(journal, null, 2)}\n`;
  if (command.out === undefined) {
    ctx.stdout(text);
    return EXIT.ok;
  }
  await writeOutput(command.out, text, 'E_EXPORT_OUT', 'the journal');
  ctx.stdout(`cycle ${record.cycleId} written to ${command.out} as a Chaos Toolkit journal (status ${journal.status}${journal.deviated ? ', deviated' : ''})\n`);
  return EXIT.ok;
}

/** The configured Marathon URL as the experiment's default, never with a user or password in it. */
function withoutCredentials(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

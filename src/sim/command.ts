import { fileURLToPath } from 'node:url';
import { loadScenario } from './scenario.js';
import { startSimulator, type RunningSim } from './server.js';

/**
 * `marathon-monkey sim [--port N] [--scenario FILE]`: runs the simulated cluster in the
 * foreground and prints the settings that point the daemon at it.
 */

/** config/demo-scenario.json of the installed package: two levels up from src/sim/ or dist/sim/. */
export const DEFAULT_SCENARIO_FILE = fileURLToPath(new URL('../../config/demo-scenario.json', import.meta.url));

export async function runSimCommand(args: { port?: number; scenarioFile?: string; log?: (line: string) => void }): Promise<RunningSim> {
  const file = args.scenarioFile ?? DEFAULT_SCENARIO_FILE;
  const scenario = loadScenario(file);
  const sim = await startSimulator({ scenario, port: args.port ?? 8080 });
  const log = args.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const tasks = [...sim.cluster.apps.values()].reduce((n, a) => n + a.instances.length, 0);
  log(`simulated Marathon ${scenario.marathon.version} (${sim.marathonUrls.length} instance(s)) + Mesos master from ${file}`);
  log(`  ${sim.cluster.apps.size} apps, ${tasks} tasks on ${sim.cluster.agents.length} agents`);
  log(`  Marathon: ${sim.marathonUrls.join(', ')} (leader ${sim.marathonUrl})`);
  log(`  Mesos master: ${sim.mesosUrl} (also served on the Marathon port)`);
  for (const app of sim.cluster.apps.values()) {
    if (app.serviceAddress !== undefined) log(`  service of ${app.id}: ${app.serviceAddress} (its tasks at host:ports[0])`);
  }
  log('point marathon-monkey at it with:');
  log(`  MONKEY_MARATHON_URLS=${sim.marathonUrls.join(',')}`);
  log(`  MONKEY_MESOS_URL=${sim.mesosUrl}`);
  // Names, never secrets: the password and tokens stay in the scenario file.
  const auth = scenario.auth;
  if (auth.kind === 'basic') {
    log(`  MONKEY_MARATHON_USERNAME=${auth.username} and MONKEY_MARATHON_PASSWORD=<auth.basic.password of the scenario>`);
  } else if (auth.kind === 'dcos') {
    if (auth.tokens.length > 0) log('  MONKEY_MARATHON_TOKEN=<one of auth.dcos.tokens of the scenario>');
    for (const a of auth.serviceAccounts) {
      log(`  or MONKEY_DCOS_SERVICE_ACCOUNT=${a.uid} with MONKEY_DCOS_PRIVATE_KEY_FILE=<its private key> (login at ${sim.marathonUrl}/acs/api/v1/auth/login)`);
    }
  }
  return sim;
}

import type { Logger } from 'pino';
import type { AgentsReader } from '../domain/ports.js';
import type { MonkeyConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { authFrom } from './auth.js';
import { MarathonClient, type MarathonRequestEvent } from '../marathon/client.js';
import { MarathonEvents } from '../marathon/events.js';
import { MesosClient, resolveMesosUrl } from '../mesos/client.js';
import { parseBaseUrl } from '../http/url.js';
import type { MesosAgent } from '../domain/agent.js';
import type { Clock } from '../platform/clock.js';
import type { Clients } from '../domain/ports.js';
import { Notifier, slackChannel, webhookChannel, type Channel } from '../notify/notifier.js';
import { ServiceProbes } from '../probe/prober.js';
import { probeSettingsFrom } from './probe.js';

export { chaosSettingsFrom, effectiveSeed, safetySummary, scheduleFrom } from './settings.js';

/**
 * Turns the validated configuration into the objects the commands and the daemon use. The one
 * place that knows both the config shape and the components' option shapes.
 */

export function clientsFrom(
  config: MonkeyConfig,
  deps: { clock: Clock; logger: Logger; onRequest?: (e: MarathonRequestEvent) => void },
): Clients & { marathon: MarathonClient; prober: ServiceProbes } {
  const m = config.marathon;
  if (m.urls.length === 0) {
    throw new ConfigError(['marathon.urls is empty'], 'set MONKEY_MARATHON_URLS=http://marathon.mesos:8080 (or run `marathon-monkey start` with none to use the simulated cluster)');
  }
  const auth = authFrom(config, deps.clock);
  const common = {
    timeoutMs: m.timeoutMs,
    retries: m.retries,
    maxResponseBytes: m.maxResponseMb * 1024 * 1024,
    clock: deps.clock,
    logger: deps.logger,
    ...(auth === undefined ? {} : { auth }),
    ...(m.caFile === '' ? {} : { caFile: m.caFile }),
  };
  const marathon = new MarathonClient({ urls: m.urls, ...common, ...(deps.onRequest ? { onRequest: deps.onRequest } : {}) });
  // Credentials only go to configured origins: a master discovered through /v2/info gets them when it
  // is served by a configured Marathon origin (DC/OS: `/mesos` behind Admin Router) or when the
  // operator trusts discovered masters; a configured master's redirect to another one likewise.
  const mesosOptions = (url: string, credentialOrigins?: readonly string[]) => ({
    url,
    ...common,
    trustAnyMaster: config.mesos.trustDiscovered,
    ...(credentialOrigins === undefined ? {} : { credentialOrigins }),
    ...(deps.onRequest ? { onRequest: (e: MarathonRequestEvent) => deps.onRequest?.({ ...e, endpoint: `mesos ${e.endpoint}` }) } : {}),
  });
  let mesos: MesosClient | undefined = config.mesos.url === '' ? undefined : new MesosClient(mesosOptions(config.mesos.url));
  const marathonOrigins = m.urls.map((u) => parseBaseUrl(u).origin);
  const agents: AgentsReader = {
    async listAgents(): Promise<MesosAgent[]> {
      mesos ??= new MesosClient(mesosOptions(await resolveMesosUrl(marathon), marathonOrigins));
      return mesos.listAgents();
    },
  };
  // The event stream takes the same URLs, credentials and CA as the client, and tries its leader first.
  const events =
    config.recovery.events
      ? new MarathonEvents({
          urls: m.urls,
          clock: deps.clock,
          logger: deps.logger,
          preferred: () => marathon.baseUrl(),
          ...(auth === undefined ? {} : { auth }),
          ...(m.caFile === '' ? {} : { caFile: m.caFile }),
        })
      : undefined;
  // The service probes (monkey.probe.* labels): defaults and allow-list from probe.*, never the
  // Marathon credentials (a probe is a plain GET or TCP connect built on node:http/net).
  const prober = new ServiceProbes({ ...probeSettingsFrom(config), clock: deps.clock });
  return { marathon, agents, ...(events === undefined ? {} : { events }), prober };
}

/**
 * The notifier for the configured receivers (notify.webhook, notify.slack); undefined when there
 * is none, so a daemon without receivers carries no queue. The URLs stay inside the channels: the
 * notifier logs their origin only.
 */
export function notifierFrom(config: MonkeyConfig, deps: { clock: Clock; logger: Logger; version: string; seed: string }): Notifier | undefined {
  const n = config.notify;
  const channels: Channel[] = [];
  if (n.webhook !== '') channels.push(webhookChannel(n.webhook));
  if (n.slack !== '') channels.push(slackChannel(n.slack));
  if (channels.length === 0) return undefined;
  return new Notifier({
    channels,
    clock: deps.clock,
    logger: deps.logger,
    version: deps.version,
    seed: deps.seed,
    includeDryRun: n.dryRun,
    timeoutMs: n.timeoutMs,
    retries: n.retries,
    queueSize: n.queueSize,
  });
}

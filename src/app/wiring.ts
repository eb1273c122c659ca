import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AgentsReader } from '../domain/ports.js';
import type { ChaosSettings } from '../chaos/settings.js';
import type { MonkeyConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { dcosLoginUrl, ServiceAccountAuth } from '../marathon/auth.js';
import { MarathonClient, type MarathonRequestEvent } from '../marathon/client.js';
import { MarathonEvents } from '../marathon/events.js';
import { MesosClient, resolveMesosUrl } from '../mesos/client.js';
import { parseBaseUrl } from '../http/url.js';
import type { MesosAgent } from '../domain/agent.js';
import type { Clock } from '../platform/clock.js';
import { compileSchedule, type CompiledSchedule } from '../schedule/settings.js';
import { basicAuth, staticTokenAuth, type AuthProvider } from '../http/auth.js';
import type { Clients } from '../domain/ports.js';
import { Notifier, slackChannel, webhookChannel, type Channel } from '../notify/notifier.js';

/**
 * Turns the validated configuration into the objects the commands and the daemon use. The one
 * place that knows both the config shape and the components' option shapes.
 */

/** A seed for this process when none is configured: logged and journaled, so runs stay replayable. */
export function effectiveSeed(config: MonkeyConfig): { seed: string; generated: boolean } {
  if (config.chaos.seed !== '') return { seed: config.chaos.seed, generated: false };
  return { seed: randomBytes(8).toString('hex'), generated: true };
}

/**
 * The chaos core's view of the configuration, in the units the core uses: the one builder of
 * ChaosSettings. Every field is filled from the config (the object literal is checked against the
 * interface, so a new field cannot be left out), and every default comes from the schema.
 */
export function chaosSettingsFrom(config: MonkeyConfig, seed: string): ChaosSettings {
  const c = config.chaos;
  const settings: ChaosSettings = {
    dryRun: c.dryRun,
    seed,
    strategy: c.strategy,
    fraction: c.fraction,
    maxKills: c.maxKills,
    optIn: c.optIn,
    include: Object.freeze([...c.include]),
    exclude: Object.freeze([...c.exclude]),
    minHealthy: c.minHealthy,
    minTaskAgeSeconds: c.minTaskAgeSeconds,
    recentFailureMinutes: c.recentFailureMinutes,
    minKillIntervalMinutes: c.minKillIntervalMinutes,
    rackAttribute: c.rackAttribute,
    haltOnWeakness: c.haltOnWeakness,
    selfAppId: c.selfAppId,
    allowFrameworks: c.allowFrameworks,
    allowPersistentVolumes: c.allowPersistentVolumes,
    recoveryTimeoutSeconds: config.recovery.timeout,
    recoveryPollMs: config.recovery.pollMs,
  };
  return Object.freeze(settings);
}

export function scheduleFrom(config: MonkeyConfig): CompiledSchedule {
  const s = config.schedule;
  return compileSchedule({
    cron: s.cron,
    timezone: s.timezone,
    officeHours: s.officeHours,
    holidays: [...s.holidays],
    holidayCalendar: s.holidayCalendar,
    jitterSeconds: s.jitterSeconds,
  });
}

function authFrom(config: MonkeyConfig, clock: Clock): AuthProvider | undefined {
  const m = config.marathon;
  if (m.username !== '') return basicAuth(m.username, m.password);
  if (m.token !== '') return staticTokenAuth(m.token);
  const sa = m.serviceAccount;
  if (sa.uid === '') return undefined;
  let privateKey = sa.privateKey;
  if (privateKey === '') {
    try {
      privateKey = readFileSync(sa.privateKeyFile, 'utf8');
    } catch (err) {
      throw new ConfigError([`marathon.serviceAccount.privateKeyFile=${sa.privateKeyFile}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
  }
  const firstUrl = m.urls[0];
  const loginUrl = sa.loginUrl !== '' ? sa.loginUrl : firstUrl === undefined ? '' : dcosLoginUrl(firstUrl);
  if (loginUrl === '') throw new ConfigError(['a DC/OS service account needs MONKEY_MARATHON_URLS or MONKEY_DCOS_LOGIN_URL']);
  try {
    return new ServiceAccountAuth({
      uid: sa.uid,
      privateKey,
      loginUrl,
      timeoutMs: m.timeoutMs,
      clock,
      ...(m.caFile === '' ? {} : { caFile: m.caFile }),
    });
  } catch (err) {
    // The key is never echoed: only what is wrong with it.
    throw new ConfigError([`marathon.serviceAccount: ${(err as Error).message}`], 'give the PEM-encoded RSA private key of the service account');
  }
}

export function clientsFrom(
  config: MonkeyConfig,
  deps: { clock: Clock; logger: Logger; onRequest?: (e: MarathonRequestEvent) => void },
): Clients & { marathon: MarathonClient } {
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
  return { marathon, agents, ...(events === undefined ? {} : { events }) };
}

/** The one line of effective safety settings logged at start (and printed by `validate`). */
export function safetySummary(config: MonkeyConfig, seed: string, schedule: CompiledSchedule): Record<string, unknown> {
  const c = config.chaos;
  return {
    dryRun: c.dryRun,
    optIn: c.optIn,
    strategy: c.strategy,
    maxKillsPerCycle: c.maxKills,
    minHealthy: c.minHealthy,
    include: c.include,
    exclude: c.exclude,
    haltOnWeakness: c.haltOnWeakness,
    seed,
    cron: config.schedule.cron,
    timezone: config.schedule.timezone,
    officeHours: schedule.description,
    selfAppId: c.selfAppId === '' ? null : c.selfAppId,
  };
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

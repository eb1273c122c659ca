/**
 * Credentials and transport settings from the configuration: the auth provider the clients take,
 * and the checks `validate` makes of the client settings without building (and loading) clients.
 */
import { readFileSync } from 'node:fs';
import type { MonkeyConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { basicAuth, staticTokenAuth, type AuthProvider } from '../http/auth.js';
import { HttpTransport } from '../http/transport.js';
import { parseBaseUrl } from '../http/url.js';
import { dcosLoginUrl, ServiceAccountAuth } from '../marathon/auth.js';
import type { Clock } from '../platform/clock.js';

export function authFrom(config: MonkeyConfig, clock: Clock): AuthProvider | undefined {
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

/**
 * What building the clients would reject, without building them: the credentials (a service
 * account's key is parsed), the CA file (read), and every URL (parsed). Throws ConfigError.
 */
export function checkClientSettings(config: MonkeyConfig, clock: Clock): void {
  const m = config.marathon;
  authFrom(config, clock);
  if (m.caFile !== '') new HttpTransport({ caFile: m.caFile, clock });
  for (const url of [...m.urls, ...(config.mesos.url === '' ? [] : [config.mesos.url])]) parseBaseUrl(url);
}

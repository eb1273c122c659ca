/**
 * Ways to authenticate against Marathon (docs/marathon-api.md §2). Secrets live in private
 * class fields (#…) so that logging a provider, or an object holding one, cannot print them.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../platform/clock.js';
import { ResponseTooLargeError, TransportError } from '../http/errors.js';
import { HttpTransport } from '../http/transport.js';
import { parseBaseUrl } from '../http/url.js';
import { parseJsonText } from '../http/json.js';
import { MarathonError } from './errors.js';
import { type AuthProvider } from '../http/auth.js';

/** The DC/OS login endpoint of the cluster a Marathon URL points at (Admin Router serves both). */
export function dcosLoginUrl(marathonUrl: string): string {
  return `${parseBaseUrl(marathonUrl, 'the Marathon URL').origin}/acs/api/v1/auth/login`;
}

export interface ServiceAccountOptions {
  uid: string;
  /** PEM-encoded RSA private key of the service account. */
  privateKey: string;
  /** `https://<cluster>/acs/api/v1/auth/login` (see dcosLoginUrl). */
  loginUrl: string;
  timeoutMs: number;
  caFile?: string;
  clock?: Clock;
  /** Renew this long before the token expires (default 5 min, at most half the token's lifetime). */
  refreshMarginMs?: number;
  /** Lifetime assumed when the returned token's `exp` cannot be read (default 1 h). */
  fallbackLifetimeMs?: number;
  transport?: HttpTransport;
}

const LOGIN_TOKEN_LIFETIME_S = 300;

/**
 * DC/OS service account: signs a short-lived RS256 service login token with the account's
 * private key, trades it at the ACS login endpoint for an auth token, caches that token and
 * renews it before it expires. Concurrent callers share one login.
 */
export class ServiceAccountAuth implements AuthProvider {
  readonly renewable = true;
  readonly #uid: string;
  readonly #key: KeyObject;
  readonly #loginUrl: URL;
  readonly #loginOrigin: string;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #transport: HttpTransport;
  readonly #marginMs: number;
  readonly #fallbackMs: number;
  #token: string | undefined;
  #refreshAt = 0;
  #inflight: Promise<string> | undefined;

  constructor(options: ServiceAccountOptions) {
    this.#uid = options.uid;
    this.#key = readRsaKey(options.privateKey);
    const base = parseBaseUrl(options.loginUrl, 'the DC/OS login URL');
    this.#loginUrl = new URL(base.href);
    this.#loginOrigin = base.origin;
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock ?? systemClock;
    this.#transport = options.transport ?? new HttpTransport({ ...(options.caFile === undefined ? {} : { caFile: options.caFile }), clock: this.#clock });
    this.#marginMs = options.refreshMarginMs ?? 5 * 60_000;
    this.#fallbackMs = options.fallbackLifetimeMs ?? 60 * 60_000;
  }

  async header(): Promise<string> {
    if (this.#token !== undefined && this.#clock.now() < this.#refreshAt) return `token=${this.#token}`;
    this.#inflight ??= this.#login().finally(() => {
      this.#inflight = undefined;
    });
    return `token=${await this.#inflight}`;
  }

  invalidate(): void {
    this.#token = undefined;
    this.#refreshAt = 0;
  }

  toJSON(): string {
    return `[DC/OS service account ${this.#uid}]`;
  }

  async #login(): Promise<string> {
    const now = this.#clock.now();
    const loginToken = serviceLoginToken(this.#uid, this.#key, now);
    const endpoint = this.#loginUrl.pathname;
    let response;
    try {
      response = await this.#transport.request({
        method: 'POST',
        url: this.#loginUrl,
        json: { uid: this.#uid, token: loginToken },
        // A login answer is a few hundred bytes.
        limit: { maxBytes: 1024 * 1024, code: 'E_HTTP_RESPONSE_TOO_LARGE', hint: 'check the DC/OS login URL: it should point at /acs/api/v1/auth/login' },
        timeoutMs: this.#timeoutMs,
      });
    } catch (e) {
      throw new MarathonError(
        'E_MARATHON_AUTH',
        `DC/OS service-account login at ${this.#loginOrigin} failed: ${e instanceof TransportError || e instanceof ResponseTooLargeError ? e.message : 'request failed'}`,
        { method: 'POST', endpoint, ...(e instanceof TransportError || e instanceof ResponseTooLargeError ? { cause: e } : {}) },
        'check the login URL (https://<cluster>/acs/api/v1/auth/login), the network path and the CA file',
      );
    }
    const parsed = parseJsonText(response.body, undefined);
    const body = parsed.ok && typeof parsed.value === 'object' && parsed.value !== null ? (parsed.value as Record<string, unknown>) : {};
    if (response.status !== 200 || typeof body.token !== 'string' || body.token === '') {
      // ACS errors are {title, description, code}; title and code are fixed strings, safe to show.
      const detail = [body.code, body.title].filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, 120)).join(': ');
      throw new MarathonError(
        'E_MARATHON_AUTH',
        `DC/OS service-account login for uid ${JSON.stringify(this.#uid)} at ${this.#loginOrigin} was refused: status ${response.status}${detail === '' ? '' : ` (${detail})`}`,
        { method: 'POST', endpoint, status: response.status },
        'check that the service account exists, that its public key matches the configured private key, and that the uid is spelled right',
      );
    }
    const token = body.token;
    const expMs = jwtExpiry(token);
    const lifetime = expMs === undefined ? this.#fallbackMs : Math.max(0, expMs - now);
    this.#token = token;
    this.#refreshAt = now + lifetime - Math.min(this.#marginMs, lifetime / 2);
    return token;
  }
}

function readRsaKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    // No cause: crypto errors are harmless today, but the input is key material.
    throw new MarathonError('E_MARATHON_AUTH', 'the DC/OS service-account private key cannot be read', {}, 'configure the PEM-encoded RSA private key of the service account (-----BEGIN PRIVATE KEY----- …)');
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new MarathonError('E_MARATHON_AUTH', `the DC/OS service-account private key is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key, not RSA`, {}, 'DC/OS service accounts use RSA keys (dcos security org service-accounts keypair)');
  }
  return key;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** The RS256 service login token `{uid, exp: now + 300 s}` that ACS trades for an auth token. */
export function serviceLoginToken(uid: string, key: KeyObject, nowMs: number): string {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ uid, exp: Math.floor(nowMs / 1000) + LOGIN_TOKEN_LIFETIME_S }));
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), key).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

/** A JWT's `exp` in epoch milliseconds, or undefined when the token is not a readable JWT. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof claims !== 'object' || claims === null) return undefined;
    const exp = (claims as Record<string, unknown>).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

import { createPublicKey, generateKeyPair, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import { jettyError, json, message, type Reply } from './http-util.js';
import type { SimAuthConfig } from './scenario.js';

/**
 * Authentication and authorisation of the simulated cluster (docs/marathon-api.md §2): OSS
 * basic auth, or DC/OS tokens with the ACS service-account login. Tokens are judged with the
 * injected Clock, so tests expire them by moving a ManualClock.
 */

export const ACS_LOGIN_PATH = '/acs/api/v1/auth/login';

/** Marathon's answer when the credentials are valid but lack a permission. */
export const FORBIDDEN_MESSAGE = 'Not Authorized to perform this action!';
/** Marathon's DC/OS auth plugin answer when no valid token came with the request. */
export const UNAUTHENTICATED_MESSAGE = 'Invalid username or password.';

/** One attempt at the ACS login endpoint. `code` is the ACS error code of a refused login. */
export interface LoginRecord {
  uid: string;
  ok: boolean;
  code?: string;
  at: number;
}

/** Keeps memory bounded when `marathon-monkey sim` runs for days. */
const LOGIN_LOG_MAX = 10_000;

interface Signer {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export class SimAuth {
  readonly config: SimAuthConfig;
  readonly logins: LoginRecord[] = [];
  readonly #clock: Clock;
  readonly #accounts = new Map<string, KeyObject>();
  readonly #basic: Buffer | undefined;
  /** The key issued tokens are signed with; replaced (lazily, at the next login) by revokeTokens(). */
  #signer: Promise<Signer> | undefined;
  #current: Signer | undefined;

  constructor(config: SimAuthConfig, clock: Clock) {
    this.config = config;
    this.#clock = clock;
    if (config.kind === 'basic') this.#basic = Buffer.from(`${config.username}:${config.password}`, 'utf8');
    if (config.kind === 'dcos') for (const a of config.serviceAccounts) this.#accounts.set(a.uid, createPublicKey(a.publicKey));
  }

  /** The 401 to answer to a Marathon request without valid credentials, or undefined to let it through. */
  authenticate(authorization: string | undefined, path: string): Reply | undefined {
    const cfg = this.config;
    if (cfg.kind === 'none') return undefined;
    if (cfg.kind === 'basic') {
      if (this.#basicOk(authorization)) return undefined;
      // Jetty's BasicAuthenticator answers before Marathon sees the request: its HTML page and a challenge.
      return { ...jettyError(401, 'Unauthorized', path), headers: { 'WWW-Authenticate': `Basic realm="${cfg.realm}"` } };
    }
    const token = /^token=(\S+)$/.exec(authorization?.trim() ?? '')?.[1];
    if (token !== undefined && (cfg.tokens.includes(token) || this.#issuedTokenOk(token))) return undefined;
    return json(401, { message: UNAUTHENTICATED_MESSAGE }, { 'WWW-Authenticate': 'acsjwt' });
  }

  /** Whether the scenario's credentials may read and kill this app (DC/OS `forbiddenApps`). */
  canAccess(appId: string): boolean {
    if (this.config.kind !== 'dcos') return true;
    return !this.config.forbiddenApps.some((p) => (p.endsWith('/*') ? appId.startsWith(p.slice(0, -1)) : appId === p));
  }

  get restrictsApps(): boolean {
    return this.config.kind === 'dcos' && this.config.forbiddenApps.length > 0;
  }

  /**
   * `POST /acs/api/v1/auth/login` with `{"uid", "token"}`: the service login token must be an RS256
   * JWT signed with the account's key, for that uid, not expired. Answers `{"token"}` or an ACS error.
   */
  async login(body: string): Promise<Reply> {
    const cfg = this.config;
    if (cfg.kind !== 'dcos') return message(404, 'HTTP 404 Not Found');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const req = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    if (req === undefined || typeof req.uid !== 'string' || req.uid === '') {
      return acsError(400, 'Bad Request', 'Request data is invalid: expected a JSON object with "uid" and "token" (or "password").', 'ERR_INVALID_DATA');
    }
    const uid = req.uid;
    const refuse = (code: string, description: string): Reply => {
      this.#record({ uid, ok: false, code, at: this.#clock.now() });
      return acsError(401, 'Unauthorized', description, code);
    };
    if (typeof req.token !== 'string') {
      // Human users log in with a password; the simulator knows no users, only service accounts.
      return refuse('ERR_INVALID_CREDENTIALS', 'The simulator has no user accounts; log in as a service account with a service login token.');
    }
    const key = this.#accounts.get(uid);
    if (key === undefined) return refuse('ERR_INVALID_CREDENTIALS', 'The uid is not a known service account.');
    const claims = verifiedClaims(req.token, key);
    if (claims === undefined) return refuse('ERR_INVALID_SERVICE_LOGIN_TOKEN', 'Service login token validation failed: not an RS256 JWT signed with the key of this service account.');
    if (claims.uid !== uid) return refuse('ERR_INVALID_SERVICE_LOGIN_TOKEN', 'Service login token validation failed: its uid claim does not match the uid of the request.');
    if (!this.#live(claims)) return refuse('ERR_INVALID_SERVICE_LOGIN_TOKEN', 'Service login token validation failed: it has no exp claim or has expired.');

    const signer = await this.#signerNow();
    const exp = Math.floor(this.#clock.now() / 1000) + cfg.tokenLifetimeSeconds;
    this.#record({ uid, ok: true, at: this.#clock.now() });
    return json(200, { token: signJwt({ uid, exp }, signer.privateKey) });
  }

  /**
   * Like IAM rotating its signing key: every token issued so far fails verification from now on,
   * and the next login signs with a new key. Static tokens from the scenario stay valid.
   */
  revokeTokens(): void {
    this.#signer = undefined;
    this.#current = undefined;
  }

  #basicOk(authorization: string | undefined): boolean {
    const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (!m || this.#basic === undefined) return false;
    const given = Buffer.from(m[1] as string, 'base64');
    return given.length === this.#basic.length && timingSafeEqual(given, this.#basic);
  }

  #issuedTokenOk(token: string): boolean {
    const signer = this.#current;
    if (signer === undefined) return false;
    const claims = verifiedClaims(token, signer.publicKey);
    return claims !== undefined && typeof claims.uid === 'string' && this.#live(claims);
  }

  #live(claims: Record<string, unknown>): boolean {
    return typeof claims.exp === 'number' && claims.exp * 1000 > this.#clock.now();
  }

  /** Generated at the first login (not at start-up): most scenarios never need it, and RSA key generation is slow. */
  async #signerNow(): Promise<Signer> {
    for (;;) {
      const pending = (this.#signer ??= newSigner());
      let signer: Signer;
      try {
        signer = await pending;
      } catch (err) {
        if (this.#signer === pending) this.#signer = undefined;
        throw err;
      }
      // A revokeTokens() while the key was being generated wins: that key is never used.
      if (this.#signer === pending) {
        this.#current = signer;
        return signer;
      }
    }
  }

  #record(entry: LoginRecord): void {
    if (this.logins.length >= LOGIN_LOG_MAX) this.logins.splice(0, LOGIN_LOG_MAX / 2);
    this.logins.push(entry);
  }
}

function newSigner(): Promise<Signer> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })));
  });
}

function acsError(status: number, title: string, description: string, code: string): Reply {
  return json(status, { title, description, code }, status === 401 ? { 'WWW-Authenticate': 'acsjwt' } : undefined);
}

function signJwt(claims: Record<string, unknown>, key: KeyObject): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${header}.${body}`), key).toString('base64url');
  return `${header}.${body}.${signature}`;
}

/** The claims of an RS256 JWT whose signature `key` verifies, else undefined. */
export function verifiedClaims(token: string, key: KeyObject): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, c, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null || (header as Record<string, unknown>).alg !== 'RS256') return undefined;
    if (!verify('sha256', Buffer.from(`${h}.${c}`), key, Buffer.from(s, 'base64url'))) return undefined;
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

import { MonkeyError } from '../errors.js';

/** A base URL with any userinfo removed, plus the credentials that were in it (if any). */
export interface BaseUrl {
  /** Scheme, host, port and path prefix without a trailing slash, never with credentials. */
  readonly href: string;
  /** `scheme://host:port` without credentials: what logs and error messages may show. */
  readonly origin: string;
  readonly credentials?: { username: string; password: string };
}

export class UrlConfigError extends MonkeyError {
  override readonly name = 'UrlConfigError';
  constructor(what: string, reason: string) {
    super('E_CONFIG_URL', `${what} is not a usable URL: ${reason}`, {
      hint: 'use an absolute http:// or https:// URL such as http://marathon.example.com:8080',
    });
  }
}

/**
 * Parses a configured base URL and moves `user:pass@` out of it. Credentials left in a URL end up
 * in got's error messages and in every log line that prints the URL, so nothing downstream ever
 * sees the URL with them. The message of a failure never repeats the input (it may hold a password).
 */
export function parseBaseUrl(raw: string, what = 'a configured URL'): BaseUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlConfigError(what, 'it cannot be parsed');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlConfigError(what, `scheme ${url.protocol.replace(/:$/, '')} is not http or https`);
  }
  const credentials =
    url.username !== '' || url.password !== ''
      ? { username: safeDecode(url.username), password: safeDecode(url.password) }
      : undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  const href = url.href.replace(/\/+$/, '');
  return credentials === undefined
    ? { href, origin: url.origin }
    : { href, origin: url.origin, credentials };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `scheme://host:port` of any URL string with credentials removed; '<invalid url>' if unparsable. */
export function safeOrigin(raw: string): string {
  try {
    return new URL(raw).origin;
  } catch {
    return '<invalid url>';
  }
}

/**
 * Every `scheme://user:pass@` in a text with the userinfo replaced by `***`, for anything that may
 * echo a configured URL (the masked configuration, messages). The userinfo runs up to the LAST `@`
 * before the path: URL parsers accept a raw `@` inside a password.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(/\/\/[^/?#\s"'<>\\]*@/g, '//***@');
}

/** A JSON-like value with maskUrlCredentials applied to every string in it. */
export function maskUrlCredentialsIn<T>(value: T): T {
  if (typeof value === 'string') return maskUrlCredentials(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskUrlCredentialsIn(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskUrlCredentialsIn(v)])) as T;
  }
  return value;
}

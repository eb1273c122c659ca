import { MonkeyError } from '../errors.js';

export type MarathonErrorCode =
  | 'E_MARATHON_UNREACHABLE'
  | 'E_MARATHON_NO_LEADER'
  | 'E_MARATHON_AUTH'
  | 'E_MARATHON_HTTP'
  | 'E_MARATHON_BAD_RESPONSE'
  | 'E_APP_NOT_FOUND'
  | 'E_APP_ID_INVALID'
  | 'E_KILL_REJECTED'
  | 'E_KILL_UNCERTAIN';

const HINTS: Record<MarathonErrorCode, string> = {
  E_MARATHON_UNREACHABLE:
    'check the Marathon URLs, that Marathon is running and that this host can reach it (firewall, DNS, TLS CA file)',
  E_MARATHON_NO_LEADER:
    'chaos is paused until Marathon elects a leader; check the Marathon instances and ZooKeeper, no action needed if an election is in progress',
  E_MARATHON_AUTH:
    'check the credentials (basic user/password, DC/OS token or service account uid and private key) and that the account has permission on the apps it may kill',
  E_MARATHON_HTTP: 'see Marathon’s message above and its log; retry later if it is a transient server error',
  E_MARATHON_BAD_RESPONSE:
    'the URL may point at something that is not Marathon (a proxy or login page), or the Marathon version is not supported; check the URL and any proxy in between',
  E_APP_NOT_FOUND: 'the app was removed or renamed; nothing to do',
  E_APP_ID_INVALID: 'app ids are absolute paths like /shop/cart without "." or ".." segments',
  E_KILL_REJECTED: 'Marathon refused the kill and nothing was killed; see its message above',
  E_KILL_UNCERTAIN:
    'the kill may or may not have happened: it is not retried; re-read the app to see whether its tasks were replaced before doing anything else',
};

export interface MarathonErrorFields {
  method?: string;
  /** Path only: no query string, no scheme/host/credentials. */
  endpoint?: string;
  status?: number;
  cause?: MonkeyError;
}

/**
 * Everything the Marathon client throws. Carries only safe fields (method, endpoint path, status,
 * code); `cause`, when set, is one of our own errors, never a raw got error (that one holds the
 * Authorization header). Callers branch on `code`.
 */
export class MarathonError extends MonkeyError {
  override readonly name = 'MarathonError';
  override readonly code: MarathonErrorCode;
  readonly method: string | undefined;
  readonly endpoint: string | undefined;
  readonly status: number | undefined;

  constructor(code: MarathonErrorCode, message: string, fields: MarathonErrorFields = {}, hint?: string) {
    super(code, message, fields.cause === undefined ? { hint: hint ?? HINTS[code] } : { hint: hint ?? HINTS[code], cause: fields.cause });
    this.code = code;
    this.method = fields.method;
    this.endpoint = fields.endpoint;
    this.status = fields.status;
  }
}

export function isMarathonError(e: unknown, code?: MarathonErrorCode): e is MarathonError {
  return e instanceof MarathonError && (code === undefined || e.code === code);
}

import { MonkeyError } from '../errors.js';

export type MesosErrorCode =
  | 'E_MESOS_UNREACHABLE'
  | 'E_MESOS_NO_LEADER'
  | 'E_MESOS_AUTH'
  | 'E_MESOS_HTTP'
  | 'E_MESOS_BAD_RESPONSE'
  | 'E_MESOS_URL_UNKNOWN';

const HINTS: Record<MesosErrorCode, string> = {
  E_MESOS_UNREACHABLE: 'check the Mesos master URL and that this host can reach it (firewall, DNS, TLS CA file)',
  E_MESOS_NO_LEADER: 'the Mesos masters have no elected leader; rack and host chaos is paused until one is elected',
  E_MESOS_AUTH: 'the Mesos master requires HTTP authentication: configure credentials that may read /master/slaves',
  E_MESOS_HTTP: 'see the status above and the Mesos master log',
  E_MESOS_BAD_RESPONSE: 'the URL may not point at a Mesos master (on DC/OS use https://<cluster>/mesos); check it and any proxy in between',
  E_MESOS_URL_UNKNOWN: 'configure the Mesos master URL explicitly (e.g. http://mesos-master:5050)',
};

/** Everything the Mesos client throws; only safe fields (method, endpoint path, status, code). */
export class MesosError extends MonkeyError {
  override readonly name = 'MesosError';
  override readonly code: MesosErrorCode;
  readonly endpoint: string | undefined;
  readonly status: number | undefined;

  constructor(code: MesosErrorCode, message: string, fields: { endpoint?: string; status?: number; cause?: MonkeyError } = {}) {
    super(code, message, fields.cause === undefined ? { hint: HINTS[code] } : { hint: HINTS[code], cause: fields.cause });
    this.code = code;
    this.endpoint = fields.endpoint;
    this.status = fields.status;
  }
}

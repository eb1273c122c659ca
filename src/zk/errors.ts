import { MonkeyError } from '../errors.js';

/**
 * ZooKeeper trouble the operator can act on. Codes:
 *   E_ZK_CONNECT      no session within the connect timeout (hosts, ports, ZooKeeper down)
 *   E_ZK_AUTH         the monkey's nodes exist with an ACL our credentials do not satisfy
 *   E_ZK_UNAVAILABLE  the session is suspended or lost, or an operation failed or timed out
 *   E_ZK_CONFLICT     the shared state kept changing under us (too many concurrent writers)
 *   E_ZK_STATE        <root>/state holds data we cannot read (fail closed: nothing is killed)
 *   E_ZK_FENCED       this instance is not (or no longer) the leader: the kill is not sent
 */
export class ZkError extends MonkeyError {
  override readonly name: string = 'ZkError';
  /** ZooKeeper's own error code (e.g. -101 NO_NODE), when ZooKeeper answered with one. */
  readonly zkCode: number | undefined;
  constructor(code: string, message: string, options: { hint?: string; cause?: unknown; zkCode?: number } = {}) {
    super(code, message, { ...(options.hint === undefined ? {} : { hint: options.hint }), ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.zkCode = options.zkCode;
  }
}

/** An operation ZooKeeper did not answer in time (E_ZK_UNAVAILABLE): it may still be applied later. */
export class ZkTimeoutError extends ZkError {
  override readonly name = 'ZkTimeoutError';
  constructor(what: string, ms: number) {
    super('E_ZK_UNAVAILABLE', `cannot ${what}: ZooKeeper did not answer within ${ms} ms`, { hint: 'check that ZooKeeper is up and reachable' });
  }
}

/** The leader's fencing refused the kill: deposed, session not connected, or the fencing step timed out. */
export class ZkFencedError extends ZkError {
  override readonly name = 'ZkFencedError';
  constructor(detail: string, cause?: unknown) {
    super('E_ZK_FENCED', detail, {
      hint: 'nothing was killed; only the elected leader with a live ZooKeeper session kills (another instance leads, or ZooKeeper is unreachable)',
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/**
 * The shared state in ZooKeeper forbids this kill (halted, paused, quarantined, killed recently).
 * Same code as the journal's KillVetoedError, so the cycle ends it as a skipped kill, not an error.
 */
export class SharedVetoError extends MonkeyError {
  override readonly name = 'SharedVetoError';
  constructor(detail: string) {
    super('E_KILL_VETOED', detail, { hint: 'nothing was killed; the shared state in ZooKeeper forbids this kill' });
  }
}

import type { KillLedger } from '../../src/domain/ports.js';
import { emptyShared, type SharedState, type ZkRole, type ZkSessionState } from '../../src/zk/index.js';

/**
 * A hand-written coordinator: role, session and the shared state are set by the test; updateShared
 * is compare-and-set on a version, retried, like the real one; `failWrites` makes writes throw.
 */
export class FakeCoordinator {
  roleNow: ZkRole = 'leader';
  session: ZkSessionState = 'connected';
  state: SharedState = emptyShared();
  version = 0;
  failWrites: Error | undefined;
  failReads: Error | undefined;
  /** Runs between an update's read and its write: another instance's write landing first. */
  interleave: (() => void) | undefined;
  private readonly changes = new Set<(e: { role: ZkRole; session: ZkSessionState }) => void>();
  private readonly shared = new Set<(s: SharedState) => void>();

  role(): ZkRole {
    return this.roleNow;
  }
  sessionState(): ZkSessionState {
    return this.session;
  }
  isLeader(): boolean {
    return this.roleNow === 'leader' && this.session === 'connected';
  }
  onChange(fn: (e: { role: ZkRole; session: ZkSessionState }) => void): () => void {
    this.changes.add(fn);
    return () => this.changes.delete(fn);
  }
  onShared(fn: (s: SharedState) => void): () => void {
    this.shared.add(fn);
    return () => this.shared.delete(fn);
  }
  members(): Promise<{ self: string; leader: string | undefined; count: number }> {
    return Promise.resolve({ self: 'me', leader: this.roleNow === 'leader' ? 'me' : 'other', count: 2 });
  }
  readShared(): Promise<{ state: SharedState; version: number }> {
    if (this.failReads) return Promise.reject(this.failReads);
    return Promise.resolve({ state: structuredClone(this.state), version: this.version });
  }
  async updateShared(fn: (s: SharedState) => SharedState | undefined): Promise<SharedState> {
    for (;;) {
      if (this.failWrites) throw this.failWrites;
      const seen = this.version;
      const next = fn(structuredClone(this.state));
      const interleave = this.interleave;
      this.interleave = undefined;
      interleave?.();
      if (next === undefined) return structuredClone(this.state);
      if (seen !== this.version) continue;
      this.write(next);
      await Promise.resolve();
      return structuredClone(this.state);
    }
  }
  fencedLedger(local: KillLedger): KillLedger {
    return local;
  }
  closed = false;
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  /** A write by this or another instance: every listener hears of it. */
  write(next: SharedState): void {
    this.state = structuredClone(next);
    this.version++;
    for (const fn of this.shared) fn(structuredClone(this.state));
  }
  set(role: ZkRole, session: ZkSessionState): void {
    this.roleNow = role;
    this.session = session;
    for (const fn of this.changes) fn({ role, session });
  }
}

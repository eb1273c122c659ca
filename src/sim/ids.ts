import { seededRandom, type Random } from '../platform/random.js';

/**
 * Deterministic identifiers: the same scenario seed gives the same agent, instance and deployment
 * ids run after run, so a demo or a test failure can be replayed exactly.
 */
export class IdFactory {
  private readonly random: Random;

  constructor(seed: string) {
    this.random = seededRandom(`${seed}\u241fsim-ids`);
  }

  /** An RFC 4122 version-4 UUID drawn from the seeded stream. */
  uuid(): string {
    const bytes: number[] = [];
    for (let i = 0; i < 16; i++) bytes.push(Math.floor(this.random.next() * 256) & 0xff);
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/** `/shop/cart` → `shop_cart`, as Marathon encodes app ids inside task and instance ids. */
export function safeAppId(appId: string): string {
  return appId.replace(/^\//, '').replace(/\//g, '_');
}

export function instanceIdOf(appId: string, uuid: string): string {
  return `${safeAppId(appId)}.instance-${uuid}`;
}

export function taskIdOf(instanceId: string, incarnation: number): string {
  return `${instanceId}._app.${incarnation}`;
}

/** What Marathon's Task.Id parser extracts from an id it accepts. */
export type ParsedTaskId =
  | { ok: true; safeRunSpecId: string; uuid: string }
  | { ok: false; status: 400 | 422; message: string };

// Marathon 1.8+ accepts these shapes (Task.Id.parse): with incarnation, the 1.4–1.7 form with a
// container name, and the legacy `<app>.<uuid>` / `<app>_<uuid>` form. Anything else is a MatchError (400).
const WITH_INCARNATION = /^(.+)\.(instance-|marathon-)([^_.]+)\.(_app|[^_.]+)\.(\d+)$/;
const WITH_CONTAINER = /^(.+)\.(instance-|marathon-)([^_.]+)[._]([^_.]+)$/;
const LEGACY = /^(.+)([._])([^_.]+)$/;
// java.util.UUID.fromString is lenient about group lengths; mirror that, not RFC 4122.
const JVM_UUID = /^[0-9a-fA-F]{1,8}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,12}$/;

export function parseTaskId(id: string): ParsedTaskId {
  let m = WITH_INCARNATION.exec(id) ?? WITH_CONTAINER.exec(id);
  let safe: string | undefined;
  let uuid: string | undefined;
  if (m) {
    safe = m[1];
    uuid = m[3];
  } else {
    m = LEGACY.exec(id);
    if (m) {
      safe = m[1];
      uuid = m[3];
    }
  }
  if (safe === undefined || uuid === undefined) {
    return { ok: false, status: 400, message: `Invalid task id '${id}'. [${id} (of class java.lang.String)]` };
  }
  if (!JVM_UUID.test(uuid)) return { ok: false, status: 422, message: `Invalid UUID string: ${uuid}` };
  return { ok: true, safeRunSpecId: safe, uuid: uuid.toLowerCase() };
}

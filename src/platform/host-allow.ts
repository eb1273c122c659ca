import { BlockList, isIP } from 'node:net';

/**
 * The hosts a probe may connect to: host-name globs (`*.svc.example.com`, `*` any run of
 * characters, case-insensitive) and CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses. An
 * empty list allows any host. Checked on the host as written in the target (no DNS lookup: a name
 * is matched by the globs, an address by the CIDRs).
 */
export interface HostAllowList {
  /** The entries as configured. */
  readonly entries: readonly string[];
  allows(host: string): boolean;
}

export type HostAllowParse = { ok: true; list: HostAllowList } | { ok: false; problem: string };

const GLOB = /^[a-z0-9*]([a-z0-9*.-]*[a-z0-9*])?$/i;

export function parseHostAllowList(entries: readonly string[]): HostAllowParse {
  const blocks = new BlockList();
  const globs: RegExp[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) {
        blocks.addAddress(address, type);
        continue;
      }
      const bits = entry.slice(slash + 1);
      const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) return { ok: false, problem: `${JSON.stringify(entry.slice(0, 64))} has a bad prefix length (0-${family === 4 ? 32 : 128})` };
      blocks.addSubnet(address, prefix, type);
      continue;
    }
    if (!GLOB.test(entry)) return { ok: false, problem: `${JSON.stringify(entry.slice(0, 64))} is neither a host-name glob (letters, digits, -, . and *) nor a CIDR (10.0.0.0/8)` };
    const pattern = entry
      .toLowerCase()
      .split('*')
      .map((part) => part.replace(/[.-]/g, (c) => `\\${c}`))
      .join('.*');
    globs.push(new RegExp(`^${pattern}$`));
  }
  const frozen = Object.freeze(entries.map((e) => e.trim()));
  return {
    ok: true,
    list: {
      entries: frozen,
      allows(host: string): boolean {
        if (frozen.length === 0) return true;
        const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
        const family = isIP(h);
        if (family !== 0) return blocks.check(h, family === 4 ? 'ipv4' : 'ipv6');
        const name = h.toLowerCase().replace(/\.$/, '');
        return globs.some((g) => g.test(name));
      },
    },
  };
}

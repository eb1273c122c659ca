/**
 * Compares the *shape* of two JSON values: same keys and value types, recursively. Used to hold the
 * simulator to real Marathon/Mesos payloads (test/fixtures/marathon) without comparing data.
 */
export interface ShapeOptions {
  /** Keys that may be present on one side only (fixtures are trimmed; Marathon omits empty collections). */
  optional?: readonly string[];
  /** Keys whose value is a free-form map (labels, attributes, env): only "is an object" is checked. */
  maps?: readonly string[];
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function shapeDiff(actual: unknown, expected: unknown, opts: ShapeOptions = {}, path = '$'): string[] {
  const out: string[] = [];
  const ka = kind(actual);
  const ke = kind(expected);
  // null marks a nullable field on either side (e.g. `args: null`, `lastFailure: null`).
  if (ka === 'null' || ke === 'null') return out;
  if (ka !== ke) {
    out.push(`${path}: expected ${ke}, got ${ka}`);
    return out;
  }
  if (ka === 'array') {
    const a = actual as unknown[];
    const e = expected as unknown[];
    if (a.length > 0 && e.length > 0) {
      a.forEach((item, i) => out.push(...shapeDiff(item, e[0], opts, `${path}[${i}]`)));
    }
    return out;
  }
  if (ka === 'object') {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const optional = new Set(opts.optional ?? []);
    const maps = new Set(opts.maps ?? []);
    for (const key of Object.keys(e)) {
      if (!(key in a)) {
        if (!optional.has(key)) out.push(`${path}.${key}: missing`);
        continue;
      }
      if (maps.has(key)) {
        if (kind(a[key]) !== 'object') out.push(`${path}.${key}: expected a map, got ${kind(a[key])}`);
        continue;
      }
      out.push(...shapeDiff(a[key], e[key], opts, `${path}.${key}`));
    }
    for (const key of Object.keys(a)) {
      if (!(key in e) && !optional.has(key)) out.push(`${path}.${key}: not in the reference payload`);
    }
  }
  return out;
}

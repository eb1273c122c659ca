/**
 * HTTP status lists with ranges (`200-299,503`): the probe's tolerance, read from the
 * configuration and from app labels alike, so both accept and refuse the same texts.
 */

/** Inclusive ranges of HTTP statuses. */
export type StatusRanges = readonly (readonly [number, number])[];

export type StatusRangesParse = { ok: true; ranges: StatusRanges } | { ok: false; problem: string };

const STATUS_RANGES_RULE = 'must be HTTP statuses (100-599) and ranges, comma-separated, e.g. 200-299,503';

const ITEM = /^(\d{3})(?:\s*-\s*(\d{3}))?$/;

export function parseStatusRanges(text: string): StatusRangesParse {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.every((s) => s === '')) return { ok: false, problem: STATUS_RANGES_RULE };
  const ranges: [number, number][] = [];
  for (const item of items) {
    const m = ITEM.exec(item);
    if (!m) return { ok: false, problem: STATUS_RANGES_RULE };
    const low = Number(m[1]);
    const high = m[2] === undefined ? low : Number(m[2]);
    if (low < 100 || high > 599 || high < low) return { ok: false, problem: STATUS_RANGES_RULE };
    ranges.push([low, high]);
  }
  return { ok: true, ranges };
}

export function statusIn(ranges: StatusRanges, status: number): boolean {
  return ranges.some(([low, high]) => status >= low && status <= high);
}

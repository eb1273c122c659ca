/**
 * The `monkey.*` label key rule every reader of app labels follows (the chaos labels, the probe
 * labels): keys starting with `monkey.` match regardless of case and surrounding spaces, two
 * spellings of one key with different values are a problem, values are trimmed and lose one pair
 * of surrounding straight quotes, and bad values are echoed shortened.
 */

/** A bad label: which key, its value, and what is wrong with it. */
export interface LabelProblem {
  ok: false;
  /** The label key as written on the app. */
  label: string;
  /** The value as written (whole; echo it only through echoLabelValue). */
  value: string;
  problem: string;
  /** One line for skip records and `explain`, with the value shortened. */
  detail: string;
}

/** One label as written on the app. */
export interface FoundLabel {
  key: string;
  value: string;
}

/** Longest label value echoed into records, logs and `explain`; the rest is counted, not copied. */
export const MAX_ECHOED_LABEL_CHARS = 64;

/**
 * A label value as it may be echoed: JSON-quoted, at most MAX_ECHOED_LABEL_CHARS characters, the
 * rest summarised with the value's size. A 500 KB label echoed in full every cycle made every
 * journal record 1 MB.
 */
export function echoLabelValue(value: string): string {
  if (value.length <= MAX_ECHOED_LABEL_CHARS) return JSON.stringify(value);
  let head = value.slice(0, MAX_ECHOED_LABEL_CHARS);
  // Never cut a surrogate pair in half.
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `${JSON.stringify(head)}… (${Buffer.byteLength(value, 'utf8')} bytes)`;
}

/** The normalised form of a label key: trimmed and lower-cased. */
export function labelName(key: string): string {
  return key.trim().toLowerCase();
}

/** The monkey.* labels by normalised key, each with every spelling found on the app. */
export function monkeyLabels(labels: Record<string, string>): Map<string, FoundLabel[]> {
  const out = new Map<string, FoundLabel[]>();
  for (const key of Object.keys(labels)) {
    const name = labelName(key);
    if (!name.startsWith('monkey.')) continue;
    const value = labels[key];
    if (typeof value !== 'string') continue;
    const list = out.get(name);
    if (list) list.push({ key, value });
    else out.set(name, [{ key, value }]);
  }
  return out;
}

/** The label `name` (normalised), undefined when absent, a problem when spelt twice with different values. */
export function findLabel(found: Map<string, FoundLabel[]>, name: string): FoundLabel | LabelProblem | undefined {
  const list = found.get(name);
  if (list === undefined) return undefined;
  const first = list[0]!;
  if (list.every((l) => l.value === first.value)) return first;
  const keys = list.map((l) => l.key).join(', ');
  const problem = 'are one label in different case with different values; keep one';
  return { ok: false, label: keys, value: first.value, problem, detail: `labels ${list.map((l) => `${l.key}=${echoLabelValue(l.value)}`).join(', ')} ${problem}` };
}

/** A problem with the value of one label. */
export function badLabel(key: string, value: string, problem: string): LabelProblem {
  return { ok: false, label: key, value, problem, detail: `label ${key}=${echoLabelValue(value)} ${problem}` };
}

/** A `monkey.*` key that no reader knows (a misspelling). */
export function unknownLabel(key: string, value: string, known: Iterable<string>): LabelProblem {
  const problem = `is not a marathon-monkey label (they are ${[...known].join(', ')})`;
  return { ok: false, label: key, value, problem, detail: `label ${echoLabelValue(key)} ${problem}` };
}

/** Trimmed, with one pair of surrounding straight quotes (`"…"` or `'…'`) removed. */
export function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1).trim();
  return v;
}

/**
 * Marathon's label selector for `GET /v2/apps?label=`: comma-separated terms, all must hold.
 * `key` (exists), `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`; `\` escapes a special
 * character. A selector that does not parse is a 422 in Marathon, so parsing throws.
 */
export type LabelTerm =
  | { kind: 'exists'; key: string }
  | { kind: 'eq' | 'ne'; key: string; value: string }
  | { kind: 'in' | 'notin'; key: string; values: string[] };

export class SelectorSyntaxError extends Error {}

export function parseLabelSelector(input: string): LabelTerm[] {
  const p = new SelectorParser(input);
  const terms: LabelTerm[] = [p.term()];
  p.ws();
  while (p.peek() === ',') {
    p.pos++;
    terms.push(p.term());
    p.ws();
  }
  if (!p.done()) p.fail('unexpected text');
  return terms;
}

export function matchesSelector(labels: Record<string, string>, terms: readonly LabelTerm[]): boolean {
  for (const t of terms) {
    const has = Object.prototype.hasOwnProperty.call(labels, t.key);
    const v = has ? labels[t.key] : undefined;
    switch (t.kind) {
      case 'exists':
        if (!has) return false;
        break;
      case 'eq':
        if (v !== t.value) return false;
        break;
      case 'ne':
        if (v === t.value) return false;
        break;
      case 'in':
        if (v === undefined || !t.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && t.values.includes(v)) return false;
        break;
    }
  }
  return true;
}

const SPECIAL = new Set([',', '(', ')', '=', '!', ' ', '\t']);

class SelectorParser {
  pos = 0;
  constructor(private readonly s: string) {}

  peek(): string | undefined {
    return this.s[this.pos];
  }

  done(): boolean {
    return this.pos >= this.s.length;
  }

  ws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  fail(why: string): never {
    throw new SelectorSyntaxError(`Invalid label selector '${this.s}': ${why} at position ${this.pos}`);
  }

  word(): string {
    this.ws();
    let out = '';
    while (!this.done()) {
      const ch = this.s[this.pos] as string;
      if (ch === '\\') {
        const next = this.s[this.pos + 1];
        if (next === undefined) this.fail('dangling escape');
        out += next;
        this.pos += 2;
        continue;
      }
      if (SPECIAL.has(ch)) break;
      out += ch;
      this.pos++;
    }
    return out;
  }

  term(): LabelTerm {
    const key = this.word();
    if (key === '') this.fail('expected a label name');
    this.ws();
    if (this.s.startsWith('==', this.pos) || this.s.startsWith('!=', this.pos)) {
      const kind = this.s[this.pos] === '=' ? 'eq' : 'ne';
      this.pos += 2;
      const value = this.word();
      if (value === '') this.fail('expected a value');
      return { kind, key, value };
    }
    const save = this.pos;
    const op = this.word();
    if (op === 'in' || op === 'notin') {
      this.ws();
      if (this.peek() !== '(') this.fail(`expected "(" after ${op}`);
      this.pos++;
      const values: string[] = [];
      for (;;) {
        const v = this.word();
        if (v === '') this.fail('expected a value');
        values.push(v);
        this.ws();
        const ch = this.peek();
        if (ch === ',') {
          this.pos++;
          continue;
        }
        if (ch === ')') {
          this.pos++;
          break;
        }
        this.fail('expected "," or ")"');
      }
      return { kind: op, key, values };
    }
    this.pos = save;
    if (op !== '') this.fail(`unknown operator "${op}"`);
    return { kind: 'exists', key };
  }
}

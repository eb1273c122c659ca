/**
 * Tiny hand-written validators for JSON answers. Each failure names the JSON path
 * (`$.apps[3].tasks[0].state`) and what was expected, so an operator can see exactly which part of a
 * server's answer is off. The `fail` callback decides which typed error is thrown (Marathon or Mesos).
 */
import { isAscii } from 'node:buffer';

export type Fail = (path: string, problem: string) => never;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = Record<string, unknown>;

/** What a value is, for error messages; strings are shortened (an answer may hold anything). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return typeof v;
}

export class JsonReader {
  constructor(readonly fail: Fail) {}

  object(v: unknown, path: string): JsonObject {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `expected an object, got ${describeValue(v)}`);
    return v as JsonObject;
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `expected an array, got ${describeValue(v)}`);
    return v as unknown[];
  }

  /** Absent or null means empty (Marathon 1.5+ omits empty collections). */
  optArray(v: unknown, path: string): unknown[] {
    return v === undefined || v === null ? [] : this.array(v, path);
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, `expected a string, got ${describeValue(v)}`);
    return v;
  }

  nonEmptyString(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (s === '') this.fail(path, 'expected a non-empty string, got ""');
    return s;
  }

  /** Absent or null → undefined. */
  optString(v: unknown, path: string): string | undefined {
    return v === undefined || v === null ? undefined : this.string(v, path);
  }

  number(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, `expected a number, got ${describeValue(v)}`);
    return v;
  }

  optNumber(v: unknown, path: string): number | undefined {
    return v === undefined || v === null ? undefined : this.number(v, path);
  }

  count(v: unknown, path: string): number {
    const n = this.number(v, path);
    if (!Number.isInteger(n) || n < 0) this.fail(path, `expected a non-negative integer, got ${describeValue(v)}`);
    return n;
  }

  boolean(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${describeValue(v)}`);
    return v;
  }

  optBoolean(v: unknown, path: string): boolean | undefined {
    return v === undefined || v === null ? undefined : this.boolean(v, path);
  }

  numbers(v: unknown, path: string): number[] {
    return this.optArray(v, path).map((x, i) => this.number(x, `${path}[${i}]`));
  }

  strings(v: unknown, path: string): string[] {
    return this.optArray(v, path).map((x, i) => this.string(x, `${path}[${i}]`));
  }

  /** Absent or null → {}; every value must be a string. */
  stringMap(v: unknown, path: string): Record<string, string> {
    if (v === undefined || v === null) return {};
    const o = this.object(v, path);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) out[k] = this.string(val, `${path}${key(k)}`);
    return out;
  }
}

/**
 * The same checks as JsonReader for big answers (a 50,000-task listing has over a million fields):
 * the JSON path is a stack of segments that is only turned into text when a check fails, and each
 * check names the field it reads instead of taking a ready-made path string. `at` is the last
 * segment (a key or an index) below the current position; omitted, the check is about the
 * position itself.
 */
export class PathReader {
  private readonly segments: (string | number)[] = [];

  constructor(private readonly failAt: Fail) {}

  enter(segment: string | number): void {
    this.segments.push(segment);
  }

  leave(): void {
    this.segments.pop();
  }

  path(at?: string | number): string {
    let p = '$';
    for (const s of this.segments) p += segment(s);
    return at === undefined ? p : p + segment(at);
  }

  fail(at: string | number | undefined, problem: string): never {
    return this.failAt(this.path(at), problem);
  }

  object(v: unknown, at?: string | number): JsonObject {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(at, `expected an object, got ${describeValue(v)}`);
    return v as JsonObject;
  }

  array(v: unknown, at?: string | number): unknown[] {
    if (!Array.isArray(v)) this.fail(at, `expected an array, got ${describeValue(v)}`);
    return v as unknown[];
  }

  /** Absent or null means empty (Marathon 1.5+ omits empty collections). */
  optArray(v: unknown, at?: string | number): unknown[] {
    return v === undefined || v === null ? [] : this.array(v, at);
  }

  string(v: unknown, at?: string | number): string {
    if (typeof v !== 'string') this.fail(at, `expected a string, got ${describeValue(v)}`);
    return v;
  }

  nonEmptyString(v: unknown, at?: string | number): string {
    if (typeof v !== 'string') this.fail(at, `expected a string, got ${describeValue(v)}`);
    if (v === '') this.fail(at, 'expected a non-empty string, got ""');
    return v;
  }

  /** Absent or null → undefined. */
  optString(v: unknown, at?: string | number): string | undefined {
    return v === undefined || v === null ? undefined : this.string(v, at);
  }

  number(v: unknown, at?: string | number): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(at, `expected a number, got ${describeValue(v)}`);
    return v;
  }

  optNumber(v: unknown, at?: string | number): number | undefined {
    return v === undefined || v === null ? undefined : this.number(v, at);
  }

  count(v: unknown, at?: string | number): number {
    const n = this.number(v, at);
    if (!Number.isInteger(n) || n < 0) this.fail(at, `expected a non-negative integer, got ${describeValue(v)}`);
    return n;
  }

  boolean(v: unknown, at?: string | number): boolean {
    if (typeof v !== 'boolean') this.fail(at, `expected true or false, got ${describeValue(v)}`);
    return v;
  }

  optBoolean(v: unknown, at?: string | number): boolean | undefined {
    return v === undefined || v === null ? undefined : this.boolean(v, at);
  }

  /**
   * Absent or null → []; otherwise the array itself once every element is checked: it comes from
   * JSON.parse and belongs to the caller, and a copy per task field adds up on big answers.
   */
  numbers(v: unknown, at: string): number[] {
    const a = this.optArray(v, at);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        this.enter(at);
        this.fail(i, `expected a number, got ${describeValue(x)}`);
      }
    }
    return a as number[];
  }

  /** Absent or null → []; otherwise the array itself once every element is checked (as numbers). */
  strings(v: unknown, at: string | number): string[] {
    const a = this.optArray(v, at);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== 'string') {
        this.enter(at);
        this.fail(i, `expected a string, got ${describeValue(x)}`);
      }
    }
    return a as string[];
  }

  /** Absent or null → {}; every value must be a string. */
  stringMap(v: unknown, at: string): Record<string, string> {
    if (v === undefined || v === null) return {};
    const o = this.object(v, at);
    const out: Record<string, string> = {};
    for (const k in o) {
      if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
      const val = o[k];
      if (typeof val !== 'string') {
        this.enter(at);
        this.fail(k, `expected a string, got ${describeValue(val)}`);
      }
      out[k] = val;
    }
    return out;
  }
}

function segment(s: string | number): string {
  return typeof s === 'number' ? `[${s}]` : key(s);
}

/** Path segment for an object key: `.name`, or `["odd key"]` when it is not an identifier. */
export function key(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/**
 * A body as UTF-8 text, decoded once. An all-ASCII body (the usual JSON) is decoded as latin1,
 * which Node turns into an external string for big bodies: the text never passes through the
 * garbage-collected heap, and JSON.parse reads it in place.
 */
export function decodeText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

export type BodyProblem = { kind: 'html' } | { kind: 'empty' } | { kind: 'invalid'; detail: string };

/**
 * Parses a response body as JSON. HTML error pages (Jetty's no-leader page, proxy and login pages)
 * and truncated answers are reported as a problem, not thrown, so each client picks its error type.
 */
export function parseJsonText(text: string, contentType: string | undefined): { ok: true; value: unknown } | { ok: false; problem: BodyProblem } {
  const trimmed = text.trimStart();
  if (trimmed === '') return { ok: false, problem: { kind: 'empty' } };
  if (/^<(!doctype|html|\?xml|head|body)/i.test(trimmed) || (contentType?.includes('text/html') === true && !/^[[{]/.test(trimmed))) {
    return { ok: false, problem: { kind: 'html' } };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, problem: { kind: 'invalid', detail: jsonErrorDetail((e as Error).message, text.length) } };
  }
}

/**
 * V8's JSON.parse messages quote part of the input; the body is not ours to print (it may echo
 * anything), so only the position survives.
 */
function jsonErrorDetail(message: string, length: number): string {
  if (/end of (JSON )?input|Unterminated/i.test(message)) return `it ends unexpectedly after ${length} characters`;
  const at = /position (\d+)/.exec(message);
  return at ? `unexpected character at position ${at[1]}` : 'not valid JSON';
}

export function describeBodyProblem(p: BodyProblem, status: number): string {
  switch (p.kind) {
    case 'html':
      return `answered ${status} with an HTML page instead of JSON`;
    case 'empty':
      return `answered ${status} with an empty body instead of JSON`;
    case 'invalid':
      return `answered ${status} with invalid or truncated JSON (${p.detail})`;
  }
}

/**
 * Byte ranges of the elements of the one array in a document of exactly the form
 * `{"<key>": [ {…}, {…} ]}` (any JSON whitespace between tokens), found without parsing; undefined
 * for anything else (other or repeated keys, escapes in the key, elements that are not objects,
 * trailing bytes). Lets a big listing be parsed and normalised element by element, so the whole
 * tree never exists at once. Elements are not validated here: JSON.parse of each range does that,
 * and a range that does not parse means the document is not valid JSON. Inside strings only `"`
 * and `\` matter, so ranges can be cut between UTF-8 bytes safely.
 */
export function objectArrayRanges(bytes: Uint8Array, key: string): { starts: number[]; ends: number[] } | undefined {
  const n = bytes.length;
  let i = skipWhitespace(bytes, 0);
  if (bytes[i] !== 0x7b) return undefined;
  i = skipWhitespace(bytes, i + 1);
  if (bytes[i] !== 0x22) return undefined;
  for (let k = 0; k < key.length; k++) if (bytes[i + 1 + k] !== key.charCodeAt(k)) return undefined;
  i += key.length + 1;
  if (bytes[i] !== 0x22) return undefined;
  i = skipWhitespace(bytes, i + 1);
  if (bytes[i] !== 0x3a) return undefined;
  i = skipWhitespace(bytes, i + 1);
  if (bytes[i] !== 0x5b) return undefined;
  i = skipWhitespace(bytes, i + 1);
  const starts: number[] = [];
  const ends: number[] = [];
  if (bytes[i] === 0x5d) {
    i++;
  } else {
    for (;;) {
      if (bytes[i] !== 0x7b) return undefined;
      const end = objectEnd(bytes, i);
      if (end < 0) return undefined;
      starts.push(i);
      ends.push(end);
      i = skipWhitespace(bytes, end);
      if (bytes[i] === 0x2c) {
        i = skipWhitespace(bytes, i + 1);
        continue;
      }
      if (bytes[i] !== 0x5d) return undefined;
      i++;
      break;
    }
  }
  i = skipWhitespace(bytes, i);
  if (bytes[i] !== 0x7d) return undefined;
  return skipWhitespace(bytes, i + 1) === n ? { starts, ends } : undefined;
}

function skipWhitespace(b: Uint8Array, i: number): number {
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index after the bracket that closes the one at `start`, counting only outside strings; -1 if it never closes. */
function objectEnd(b: Uint8Array, start: number): number {
  const n = b.length;
  let depth = 0;
  let inString = false;
  for (let i = start; i < n; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

// States of ObjectArrayScanner, in document order.
const S_OPEN = 0; // before `{`
const S_KEY_QUOTE = 1; // before the key's opening quote
const S_KEY = 2; // inside the key (exact characters, no escapes)
const S_KEY_END = 3; // the key's closing quote, right after it
const S_COLON = 4;
const S_BRACKET = 5; // before `[`
const S_FIRST = 6; // after `[`: `]` or the first element
const S_ELEMENT = 7; // inside an element
const S_SEPARATOR = 8; // after an element: `,` or `]`
const S_NEXT = 9; // after `,`: the next element
const S_CLOSE = 10; // after `]`: `}`
const S_TRAILING = 11; // after `}`: whitespace only
const S_NOT_PLAIN = 12;

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * objectArrayRanges for a body that arrives in pieces: `write` each piece as it comes and each
 * element's range is reported as soon as its closing bracket is in, so the elements can be parsed
 * while the rest is still on the wire. Accepts exactly the documents objectArrayRanges accepts and
 * reports exactly its ranges, however the body is cut (a test holds the two together). `end` says
 * whether the whole body had the form; until then, reported ranges are provisional (the document
 * may still turn out to be something else, e.g. trailing bytes).
 */
export class ObjectArrayScanner {
  private state = S_OPEN;
  private keyIndex = 0;
  private offset = 0;
  private depth = 0;
  private inString = false;
  /** A backslash in a string was the last byte of the previous piece: skip the next byte. */
  private escape = false;
  private start = 0;

  constructor(
    private readonly key: string,
    private readonly onElement: (start: number, end: number) => void,
  ) {}

  /** False once the body can no longer be of the form (further pieces are then ignored). */
  get plain(): boolean {
    return this.state !== S_NOT_PLAIN;
  }

  write(piece: Uint8Array): boolean {
    const n = piece.length;
    const base = this.offset;
    this.offset += n;
    let state = this.state;
    let i = 0;
    while (i < n && state !== S_NOT_PLAIN) {
      if (state === S_ELEMENT) {
        let depth = this.depth;
        let inString = this.inString;
        if (this.escape) {
          this.escape = false;
          i++;
        }
        // The hot loop: most of a listing is element bytes. Only `"`, `\` inside strings and
        // brackets outside them matter.
        element: for (; i < n; i++) {
          let c = piece[i] as number;
          if (inString) {
            while (c !== 0x22 && c !== 0x5c) {
              if (++i === n) break element;
              c = piece[i] as number;
            }
            if (c === 0x5c) {
              if (++i === n) {
                this.escape = true;
                break element;
              }
              continue;
            }
            inString = false;
            continue;
          }
          while (c !== 0x22 && c !== 0x7b && c !== 0x7d && c !== 0x5b && c !== 0x5d) {
            if (++i === n) break element;
            c = piece[i] as number;
          }
          if (c === 0x22) {
            inString = true;
          } else if (c === 0x7b || c === 0x5b) {
            depth++;
          } else if (--depth === 0) {
            i++;
            state = S_SEPARATOR;
            this.onElement(this.start, base + i);
            break;
          }
        }
        this.depth = depth;
        this.inString = inString;
        continue;
      }
      const c = piece[i] as number;
      if (state === S_KEY) {
        if (c !== this.key.charCodeAt(this.keyIndex)) state = S_NOT_PLAIN;
        else if (++this.keyIndex === this.key.length) state = S_KEY_END;
        i++;
        continue;
      }
      if (state === S_KEY_END) {
        state = c === 0x22 ? S_COLON : S_NOT_PLAIN;
        i++;
        continue;
      }
      if (isJsonWhitespace(c)) {
        i++;
        continue;
      }
      switch (state) {
        case S_OPEN:
          state = c === 0x7b ? S_KEY_QUOTE : S_NOT_PLAIN;
          break;
        case S_KEY_QUOTE:
          state = c !== 0x22 ? S_NOT_PLAIN : this.key.length === 0 ? S_KEY_END : S_KEY;
          break;
        case S_COLON:
          state = c === 0x3a ? S_BRACKET : S_NOT_PLAIN;
          break;
        case S_BRACKET:
          state = c === 0x5b ? S_FIRST : S_NOT_PLAIN;
          break;
        case S_FIRST:
        case S_NEXT:
          if (c === 0x7b) {
            // The opening bracket is counted by the element loop, which starts on it.
            state = S_ELEMENT;
            this.start = base + i;
            this.depth = 0;
            this.inString = false;
            continue;
          }
          state = c === 0x5d && state === S_FIRST ? S_CLOSE : S_NOT_PLAIN;
          break;
        case S_SEPARATOR:
          state = c === 0x2c ? S_NEXT : c === 0x5d ? S_CLOSE : S_NOT_PLAIN;
          break;
        case S_CLOSE:
          state = c === 0x7d ? S_TRAILING : S_NOT_PLAIN;
          break;
        default:
          state = S_NOT_PLAIN;
      }
      i++;
    }
    this.state = state;
    return state !== S_NOT_PLAIN;
  }

  /** Whether the whole body, now that it is in, was of the form. */
  end(): boolean {
    return this.state === S_TRAILING;
  }
}

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

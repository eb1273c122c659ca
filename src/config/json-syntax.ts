/**
 * Where a JSON text first breaks the grammar (RFC 8259, what JSON.parse accepts), as line, column
 * and a description that quotes none of the text. V8's own message quotes the text around the error
 * (`..."assword": CFGSECRET4"...`), and a config file's syntax error often sits right next to a
 * secret, so the loader reports this instead. Iterative (an explicit stack): a file of a million
 * `[` must not overflow the call stack.
 */
export interface JsonSyntaxError {
  /** 1-based. */
  line: number;
  /** 1-based, in characters of that line. */
  column: number;
  problem: string;
}

export function locateJsonError(text: string): JsonSyntaxError | null {
  const at = scan(text);
  if (at === null) return null;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at.offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at.offset - lineStart + 1, problem: at.problem };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const VALUE = 'expected a value (a "string", a number, true, false, null, an object or an array)';

function scan(text: string): { offset: number; problem: string } | null {
  let pos = 0;
  const stack: ('{' | '[')[] = [];
  const fail = (problem: string, offset = pos): { offset: number; problem: string } => ({ offset, problem });
  const skipWs = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      pos++;
    }
  };
  /** At a `"`: moves past the string, or returns what is wrong with it. */
  const string = (): { offset: number; problem: string } | null => {
    const start = pos++;
    for (;;) {
      if (pos >= text.length) return fail('a string is not closed (missing ")', start);
      const c = text.charCodeAt(pos);
      if (c === 34) {
        pos++;
        return null;
      }
      if (c < 32) return fail('a line break or control character inside a string (write it as \\n, \\t, …)');
      if (c === 92) {
        const e = text[pos + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) pos += 2;
        else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(pos + 2, pos + 6))) pos += 6;
        else return fail('an invalid escape sequence in a string');
      } else {
        pos++;
      }
    }
  };
  /** After `{` or `,` in an object: a property name and its colon. */
  const key = (afterComma: boolean): { offset: number; problem: string } | null => {
    skipWs();
    if (text[pos] !== '"') {
      return fail(afterComma ? 'expected a property name in double quotes (JSON allows no comma before })' : 'expected a property name in double quotes');
    }
    const bad = string();
    if (bad) return bad;
    skipWs();
    if (text[pos] !== ':') return fail('expected : after the property name');
    pos++;
    return null;
  };

  for (;;) {
    // A value is expected here.
    skipWs();
    if (pos >= text.length) return fail(stack.length === 0 && text.trim() === '' ? 'the file is empty' : 'the text ends where a value is expected');
    const c = text[pos]!;
    if (c === '{' || c === '[') {
      pos++;
      skipWs();
      if (text[pos] === (c === '{' ? '}' : ']')) {
        pos++;
      } else {
        stack.push(c);
        if (c === '{') {
          const bad = key(false);
          if (bad) return bad;
        }
        continue;
      }
    } else if (c === '"') {
      const bad = string();
      if (bad) return bad;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = pos;
      const m = NUMBER.exec(text);
      if (m === null) return fail('a malformed number');
      pos += m[0].length;
    } else if (text.startsWith('true', pos)) {
      pos += 4;
    } else if (text.startsWith('false', pos)) {
      pos += 5;
    } else if (text.startsWith('null', pos)) {
      pos += 4;
    } else {
      return fail(c === ']' || c === '}' ? `${VALUE} (JSON allows no comma before ${c})` : VALUE);
    }
    // A value ended: close containers, or find the comma before the next one.
    for (;;) {
      skipWs();
      const top = stack.at(-1);
      if (top === undefined) return pos < text.length ? fail('more text after the end of the JSON value') : null;
      const close = top === '{' ? '}' : ']';
      if (pos >= text.length) return fail(`the text ends before the closing ${close}`);
      const d = text[pos];
      if (d === close) {
        pos++;
        stack.pop();
        continue;
      }
      if (d !== ',') return fail(top === '{' ? 'expected , or } after a property value' : 'expected , or ] after an array element');
      pos++;
      if (top === '{') {
        const bad = key(true);
        if (bad) return bad;
      }
      break;
    }
  }
}

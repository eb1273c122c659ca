import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { MonkeyError } from '../errors.js';

/** Any journal line: a cycle record, or a small control record (pause, resume, halt, …). */
export interface JournalRecord {
  type: string;
  [key: string]: unknown;
}

export const LOG_TORN_LINE = 'journal line is not valid JSON (torn write?); ignored';
export const LOG_UNTYPED_LINE = 'journal line has no string "type"; ignored';

export class JournalError extends MonkeyError {
  override readonly name = 'JournalError';
  constructor(path: string, action: 'append to' | 'read', cause: unknown) {
    const code = (cause as { code?: unknown }).code;
    super('E_JOURNAL', `cannot ${action} the journal ${path}${typeof code === 'string' ? ` (${code})` : ''}`, {
      hint: 'check that the journal directory exists or can be created and is writable by the monkey’s user, and that the disk is not full',
      cause,
    });
  }
}

/**
 * The append-only audit journal: one JSON object per line. Each append opens the file with 'a',
 * writes the whole line in one write and syncs it, so a crash can at worst tear the last line.
 * A torn tail is never glued to the next record: an append after one starts on a new line.
 * Appends from one process are serialised.
 */
export class Journal {
  private tail: Promise<void> = Promise.resolve();
  private dirReady = false;

  constructor(readonly path: string) {}

  append<T extends { type: string }>(record: T): Promise<void> {
    const line = JSON.stringify(record);
    const next = this.tail.then(() => this.write(line));
    // Keep the chain alive after a failure; the caller still sees its own rejection.
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async write(line: string): Promise<void> {
    try {
      if (!this.dirReady) {
        await mkdir(dirname(this.path), { recursive: true });
        this.dirReady = true;
      }
      const fh = await open(this.path, 'a+');
      try {
        const { size } = await fh.stat();
        let prefix = '';
        if (size > 0) {
          const last = Buffer.alloc(1);
          await fh.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) prefix = '\n';
        }
        await fh.write(`${prefix}${line}\n`);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new JournalError(this.path, 'append to', err);
    }
  }
}

export interface ReadOptions {
  logger?: Logger | undefined;
}

/**
 * Streams the journal's records one at a time (a long journal is never held in memory as text).
 * Lines that are not JSON objects with a string `type` are skipped with a warning naming the line
 * number; they never hide the records before or after them. A missing file is an empty journal.
 */
export async function* streamJournal(path: string, options: ReadOptions = {}): AsyncGenerator<JournalRecord> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let carry = '';
  let lineNo = 0;
  const parse = (line: string): JournalRecord | undefined => {
    lineNo++;
    if (line.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      options.logger?.warn({ path, line: lineNo, length: line.length }, LOG_TORN_LINE);
      return undefined;
    }
    if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
      options.logger?.warn({ path, line: lineNo }, LOG_UNTYPED_LINE);
      return undefined;
    }
    return value as JournalRecord;
  };
  try {
    for await (const chunk of stream) {
      const text = carry + (chunk as string);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const rec = parse(text.slice(start, nl));
        if (rec) yield rec;
        start = nl + 1;
      }
      carry = text.slice(start);
    }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return;
    throw new JournalError(path, 'read', err);
  } finally {
    stream.destroy();
  }
  if (carry !== '') {
    const rec = parse(carry);
    if (rec) yield rec;
  }
}

/** Every record of the journal, in order. Prefer `loadJournalState` for big journals. */
export async function readJournal(path: string, options: ReadOptions = {}): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  for await (const rec of streamJournal(path, options)) out.push(rec);
  return out;
}

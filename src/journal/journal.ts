import { createReadStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { MonkeyError } from '../errors.js';
import { recordProblem } from './validate.js';

/** Any journal line: a cycle record, or a small control record (pause, resume, halt, …). */
export interface JournalRecord {
  type: string;
  [key: string]: unknown;
}

export const LOG_TORN_LINE = 'journal line is not valid JSON (torn write?); ignored';
export const LOG_UNTYPED_LINE = 'journal line has no string "type"; ignored';
export const LOG_INVALID_RECORD = 'journal record is malformed; ignored';

export class JournalError extends MonkeyError {
  override readonly name = 'JournalError';
  constructor(path: string, action: 'append to' | 'read' | 'write to a closed', cause: unknown) {
    const code = (cause as { code?: unknown }).code;
    super('E_JOURNAL', `cannot ${action} the journal ${path}${typeof code === 'string' ? ` (${code})` : ''}`, {
      hint: 'check that the journal directory exists or can be created and is writable by the monkey’s user, and that the disk is not full',
      cause,
    });
  }
}

/**
 * The append-only audit journal: one JSON object per line. Each append opens the file with 'a',
 * writes the whole line in one write and syncs it (and, for a new file, its directory), so a
 * resolved append is on disk and a crash can at worst tear the last line. A torn tail is never
 * glued to the next record: an append after one starts on a new line. Appends from one process
 * are serialised.
 *
 * The journal remembers how long the file was after its own last append, so a caller holding the
 * lock can tell whether anybody else wrote to it since (see `changedBehindOurBack`).
 */
export class Journal {
  private tail: Promise<void> = Promise.resolve();
  private dirReady = false;
  private closed = false;
  /** File size after our last append or read; undefined until known. */
  private knownSize: number | undefined;

  constructor(readonly path: string) {}

  append<T extends { type: string }>(record: T): Promise<void> {
    const line = JSON.stringify(record);
    const next = this.tail.then(() => this.write(line));
    // Keep the chain alive after a failure; the caller still sees its own rejection.
    this.tail = next.catch(() => undefined);
    return next;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** No append is accepted after this (a cycle abandoned at shutdown must not write unlocked). */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }

  /** Records the size the caller has read up to (after folding the file into its state). */
  async markRead(): Promise<void> {
    this.knownSize = await this.currentSize();
  }

  /** True when the file's size is not what our own reads and appends left it at. */
  async changedBehindOurBack(): Promise<boolean> {
    if (this.knownSize === undefined) return false;
    return (await this.currentSize()) !== this.knownSize;
  }

  private async currentSize(): Promise<number> {
    try {
      return (await stat(this.path)).size;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return 0;
      throw new JournalError(this.path, 'read', err);
    }
  }

  private async write(line: string): Promise<void> {
    if (this.closed) throw new JournalError(this.path, 'write to a closed', new Error('the journal was closed at shutdown'));
    try {
      if (!this.dirReady) {
        await mkdir(dirname(this.path), { recursive: true });
        this.dirReady = true;
      }
      const fh = await open(this.path, 'a+');
      let created = false;
      try {
        const { size } = await fh.stat();
        created = size === 0;
        let prefix = '';
        if (size > 0) {
          const last = Buffer.alloc(1);
          await fh.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) prefix = '\n';
        }
        const text = `${prefix}${line}\n`;
        await fh.write(text);
        await fh.datasync();
        if (this.knownSize === undefined || this.knownSize === size) this.knownSize = size + Buffer.byteLength(text);
      } finally {
        await fh.close();
      }
      if (created) await syncDirectory(dirname(this.path));
    } catch (err) {
      throw new JournalError(this.path, 'append to', err);
    }
  }
}

/** A new file's name is durable only once its directory is synced. */
async function syncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    // Some file systems refuse fsync on directories (EINVAL/EISDIR); the data itself is synced.
    const code = (err as { code?: unknown }).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    await fh?.close();
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
    const problem = recordProblem(value);
    if (problem !== null) {
      options.logger?.warn({ path, line: lineNo, type: (value as { type: string }).type, problem }, LOG_INVALID_RECORD);
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

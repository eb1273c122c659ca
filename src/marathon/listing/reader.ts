import { PathReader } from '../../http/json.js';
import type { BodySink } from '../../http/transport.js';
import { parseApp } from '../parse.js';
import type { MarathonApp } from '../../domain/marathon.js';
import { ReceivedBody } from './body.js';

/** The only opening a listing is read from while it arrives; anything else goes to the whole-body parse. */
const OPENING = Buffer.from('{"apps":[', 'latin1');
/** Index in OPENING of the byte after `{"apps"`: whitespace may come before `{`, `"apps"`, `:` and `[`, not inside the key. */
const KEY_END = 7;
/** Where an app starts in compact JSON: `,{"id":"/`. Task and deployment ids never start with `/`. */
const APP_START = Buffer.from(',{"id":"/', 'latin1');
/**
 * Parse in batches of about this much (measured: 32–64 KB beat 16 KB and 1 MB): a cut is one
 * search in the latest piece instead of a byte-by-byte scan, and each batch's parsed tree is small
 * enough to die young.
 */
export const BATCH_BYTES = 64 * 1024;

/** Thrown by the reader's checks: any problem stops the streamed read, and the whole-body parse reports it. */
const STOP = new Error('not a plain listing');
function stop(): never {
  throw STOP;
}

/**
 * Reads `GET /v2/apps` while it arrives: fed as a transport BodySink, it parses and normalises
 * the apps as their bytes come in, so the parse overlaps the transfer (a 50,000-task listing is
 * ~40 MB), and the parsed tree of the whole listing (larger than the body) never exists at once.
 *
 * Only the plain form `{"apps": [{…}, …]}` is read this way. The opening `{"apps":[` (whitespace
 * between tokens allowed) is matched byte by byte. After it the apps go in batches of about
 * 64 KB: a batch runs from the separator that opens it (the array's `[`, then the `,` after the
 * last app parsed) to a later `,{"id":"/`, read as an array (`[` for the first byte, `]` for the
 * last) by one JSON.parse, with no byte-by-byte scan. A cut that is not between two apps cannot
 * pass for one: JSON is read left to right without lookahead, so if `[` + bytes + `]` parses, the
 * real document, which is in the same state after the separator, is back at the level of the apps
 * array at the cut, right after a complete element. At the end, the rest must be one last batch,
 * then `]`, `}` and whitespace only.
 *
 * At the first sign of anything else (another opening, a batch that does not parse, an app that
 * does not normalise) the reader stops parsing, keeps receiving, and `finish` answers undefined:
 * the caller then parses the whole body, which reports every error as it always has.
 */
export class ListingReader implements BodySink {
  /** The body as received; the whole-body parse reads it when the streamed read stops. */
  readonly body = new ReceivedBody();
  private readonly apps: MarathonApp[] = [];
  /** Equal strings are kept once across a listing (agent names and ids, versions, zones). */
  private readonly shared = new Map<string, string>();
  private readonly r = new PathReader(stop);
  /** Bytes of OPENING matched so far. */
  private matched = 0;
  /** Offset of the separator that opens the next batch (`[` or `,`); -1 until the opening is in. */
  private next = -1;
  private stopped = false;

  /** `batchBytes` is for tests, which need batches on small bodies. */
  constructor(private readonly batchBytes = BATCH_BYTES) {
    this.r.enter('apps');
  }

  /** Whether the read is still streamed (false once it stopped: the whole-body parse answers). */
  get streaming(): boolean {
    return !this.stopped;
  }

  write(piece: Buffer): void {
    const body = this.body;
    body.append(piece);
    if (this.stopped) return;
    if (this.next < 0 && !this.opening(piece, body.length - piece.length)) return;
    if (body.length - this.next < this.batchBytes) return;
    const cut = body.lastIndexOf(APP_START, this.next);
    if (cut > this.next) this.batch(cut);
  }

  /**
   * The apps, when the whole body (now that it is in) was a plain listing that all parsed and
   * normalised; otherwise undefined, and the read is over (`streaming` is false).
   */
  finish(): MarathonApp[] | undefined {
    if (!this.stopped && this.next >= 0 && this.last()) return this.apps;
    this.stopped = true;
    return undefined;
  }

  /** Reads the rest: one last batch (none for an empty listing), then `]`, `}` and whitespace only. */
  private last(): boolean {
    const body = this.body;
    const next = this.next;
    let end = body.length;
    while (end > next && isJsonWhitespace(body.at(end - 1))) end--;
    let close = end - 2;
    while (close > next && isJsonWhitespace(body.at(close))) close--;
    if (close <= next || body.at(end - 1) !== 0x7d || body.at(close) !== 0x5d) return false;
    if (body.at(next) === 0x5b) {
      let i = next + 1;
      while (i < close && isJsonWhitespace(body.at(i))) i++;
      if (i === close) return true;
    }
    this.batch(close);
    return !this.stopped;
  }

  /** Matches the opening in `piece` (at `base` in the body); true once all of it is in. */
  private opening(piece: Buffer, base: number): boolean {
    let matched = this.matched;
    for (let i = 0; i < piece.length; i++) {
      const c = piece[i] as number;
      if (c === OPENING[matched]) {
        if (++matched === OPENING.length) {
          this.next = base + i;
          return true;
        }
      } else if (!(isJsonWhitespace(c) && (matched <= 1 || matched >= KEY_END))) {
        this.stopped = true;
        return false;
      }
    }
    this.matched = matched;
    return false;
  }

  /** The apps between the separator at `this.next` and the one at `cut` (a `,` or the closing `]`). */
  private batch(cut: number): void {
    try {
      const items: unknown = JSON.parse(this.body.bracketedText(this.next, cut + 1));
      // `[ ]` would pass for `, ,` or `[ ,`: a batch holds at least one app.
      if (!Array.isArray(items) || items.length === 0) stop();
      for (let i = 0; i < items.length; i++) this.add(items[i]);
      this.next = cut;
    } catch {
      this.stopped = true;
    }
  }

  private add(app: unknown): void {
    // The plain form has objects only; anything else goes to the whole-body parse.
    if (typeof app !== 'object' || app === null || Array.isArray(app)) stop();
    const r = this.r;
    r.enter(this.apps.length);
    this.apps.push(parseApp(r, app, this.shared));
    r.leave();
  }
}

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

import { isAscii } from 'node:buffer';

/**
 * A listing body as it arrives, kept outside the JS heap in the pieces the socket delivered, never
 * held twice: they are joined only if the whole body is asked for (the whole-body parse).
 * (Copying each piece into one buffer of the announced length cost more than the rest of the
 * receive: every page of a fresh 40 MB buffer is faulted in on first write, ~25 ms on the cycle
 * benchmark.)
 */
export class ReceivedBody {
  /** Bytes received so far. */
  length = 0;
  private pieces: Buffer[] = [];
  /** Offset of each piece in the body. */
  private offsets: number[] = [];
  /** Index of the piece the last read started in: reads move forward through the body. */
  private cursor = 0;

  append(piece: Buffer): void {
    this.pieces.push(piece);
    this.offsets.push(this.length);
    this.length += piece.length;
  }

  /** Byte `i` (received). */
  at(i: number): number {
    const k = this.pieceOf(i);
    return (this.pieces[k] as Buffer)[i - (this.offsets[k] as number)] as number;
  }

  /**
   * Offset of the last occurrence of `pattern` lying wholly in the latest piece at or after `from`,
   * or -1. Callers use this to find a recent cut point, and a miss only delays it.
   */
  lastIndexOf(pattern: Uint8Array, from: number): number {
    const last = this.pieces.length - 1;
    const piece = this.pieces[last];
    if (piece === undefined || piece.length < pattern.length) return -1;
    const i = piece.lastIndexOf(pattern, piece.length - pattern.length);
    const found = i >= 0 ? (this.offsets[last] as number) + i : -1;
    return found >= from ? found : -1;
  }

  /**
   * Bytes [start, end) as text with the first byte read as `[` and the last as `]`: the elements
   * between two separators of a JSON array, as an array. The body itself is left as it was.
   */
  bracketedText(start: number, end: number): string {
    const b = Buffer.allocUnsafeSlow(end - start);
    this.copy(start, end, b);
    b[0] = 0x5b;
    b[b.length - 1] = 0x5d;
    // Pure ASCII (the usual JSON) is copied as latin1, which is the same text and cheaper.
    return isAscii(b) ? b.toString('latin1') : b.toString('utf8');
  }

  /** The whole body as one buffer; pieces are joined once and then dropped. */
  bytes(): Buffer {
    if (this.pieces.length !== 1) {
      const all = Buffer.concat(this.pieces, this.length);
      this.pieces = [all];
      this.offsets = [0];
      this.cursor = 0;
    }
    return this.pieces[0] ?? Buffer.alloc(0);
  }

  private pieceOf(i: number): number {
    const { offsets } = this;
    let k = this.cursor < offsets.length && (offsets[this.cursor] as number) <= i ? this.cursor : 0;
    while (k + 1 < offsets.length && (offsets[k + 1] as number) <= i) k++;
    this.cursor = k;
    return k;
  }

  /** Copies bytes [start, end) (received) into `target` at 0. */
  private copy(start: number, end: number, target: Buffer): void {
    let k = this.pieceOf(start);
    let at = (this.pieces[k] as Buffer).copy(target, 0, start - (this.offsets[k] as number), end - (this.offsets[k] as number));
    while (at < end - start) at += (this.pieces[++k] as Buffer).copy(target, at, 0, end - start - at);
  }
}

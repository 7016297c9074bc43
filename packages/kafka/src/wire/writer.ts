/**
 * A growable big-endian byte writer for Kafka protocol fields. One is reused for every request a
 * process encodes (encoding is synchronous); {@link Writer.take} copies the result out.
 */
export class Writer {
  buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  off = 0;

  /** Makes room for `n` more bytes. */
  room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  int8(v: number): void {
    this.room(1);
    this.buf[this.off++] = v & 0xff;
  }

  int16(v: number): void {
    this.room(2);
    this.buf.writeInt16BE(v, this.off);
    this.off += 2;
  }

  int32(v: number): void {
    this.room(4);
    this.buf.writeInt32BE(v, this.off);
    this.off += 4;
  }

  /** Writes `v` (already an unsigned 32-bit value) at `at`, not moving the end. */
  uint32At(v: number, at: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  int32At(v: number, at: number): void {
    this.buf.writeInt32BE(v, at);
  }

  int64(v: bigint): void {
    this.room(8);
    this.buf.writeBigInt64BE(v, this.off);
    this.off += 8;
  }

  /** Zig-zag varint (Kafka's signed VARINT) of a 32-bit value. */
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  uvarint(v: number): void {
    this.room(5);
    const b = this.buf;
    while (v > 0x7f) {
      b[this.off++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.off++] = v;
  }

  /** INT16 length + UTF-8 (-1 for null). */
  string(s: string | null | undefined): void {
    if (s == null) return this.int16(-1);
    const n = Buffer.byteLength(s, 'utf8');
    this.int16(n);
    this.room(n);
    this.off += this.buf.write(s, this.off, n, 'utf8');
  }

  /** VARINT length + UTF-8 of a string, or + the bytes of a buffer (-1 for null). */
  varBytes(v: string | Buffer | null | undefined): void {
    if (v == null) return this.varint(-1);
    if (typeof v === 'string') {
      // Short ASCII strings (header names and values) byte by byte: Buffer.byteLength plus
      // buffer.write cost ~0.2 µs a string in native calls, 45 % of encoding a CloudEvent record.
      const len = v.length;
      if (len < 64) {
        this.room(1 + len);
        const b = this.buf;
        const at = this.off + 1;
        let i = 0;
        while (i < len) {
          const c = v.charCodeAt(i);
          if (c > 0x7f) break;
          b[at + i++] = c;
        }
        if (i === len) {
          b[this.off] = len << 1; // zig-zag varint, one byte below 64
          this.off = at + len;
          return;
        }
      }
      const n = Buffer.byteLength(v, 'utf8');
      this.varint(n);
      this.room(n);
      this.off += this.buf.write(v, this.off, n, 'utf8');
      return;
    }
    this.varint(v.length);
    this.room(v.length);
    this.off += v.copy(this.buf, this.off);
  }

  /** Moves `buf[from, off)` to start at `to` (to < from), shortening the written bytes. */
  shiftDown(from: number, to: number): void {
    this.buf.copyWithin(to, from, this.off);
    this.off -= from - to;
  }

  /** A copy of what was written since `start`, and resets the writer to `start`. */
  take(start = 0): Buffer {
    const out = Buffer.allocUnsafe(this.off - start);
    this.buf.copy(out, 0, start, this.off);
    this.off = start;
    return out;
  }
}

/** Bytes of the zig-zag varint of `v`. */
export function varintSize(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u > 0x7f) {
    u >>>= 7;
    n++;
  }
  return n;
}

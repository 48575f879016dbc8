// The buffer the message encoder (message-encoder.ts) writes into: kept and
// reused from one message to the next, grown when a message needs more, with
// the varints, length prefixes and UTF-8 of the protobuf binary format.

/** Thrown by a writer for a value it leaves to toBinary; caught by MessageEncoder. */
export const UNSUPPORTED = Symbol("left to toBinary");

/** The buffer one encoder writes into; it grows as needed and is reused. */
export class Scratch {
  buf: Buffer;
  view: DataView;
  pos = 0;

  constructor(
    size: number,
    /** Whether the unknown fields a message carries are written. */
    readonly writeUnknown: boolean,
  ) {
    this.buf = Buffer.allocUnsafeSlow(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  ensure(more: number): void {
    const needed = this.pos + more;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** An unsigned varint of up to 32 bits. */
  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** A signed 32-bit varint: negative numbers take ten bytes, sign-extended to 64 bits. */
  int32(value: number): void {
    if (value >= 0) {
      this.uint32(value);
      return;
    }
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 9; i++) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>= 7;
    }
    buf[pos++] = 1;
    this.pos = pos;
  }

  /** A 64-bit varint from its two's complement halves (unsigned 32-bit numbers). */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** Reserves one byte for a length, to be written by join(); returns where. */
  fork(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of what was written since fork(), moving it along if the length takes more than a byte. */
  join(at: number): void {
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buf[at] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    const end = this.pos + size - 1;
    this.pos = at;
    this.uint32(length);
    this.pos = end;
  }

  /** Length-delimited bytes. */
  bytes(value: Uint8Array): void {
    this.uint32(value.byteLength);
    this.raw(value);
  }

  /** Bytes as they are (an unknown field's, after its tag). */
  raw(value: Uint8Array): void {
    this.ensure(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  string(value: string): void {
    const length = value.length;
    if (length < 0x80) {
      // Most strings are short and ASCII: one byte of length, one per character.
      this.ensure(length + 1);
      const buf = this.buf;
      let pos = this.pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buf[pos++] = code;
      }
      if (i === length) {
        buf[this.pos] = length;
        this.pos = pos;
        return;
      }
    }
    // UTF-8 takes at most three bytes per UTF-16 unit (a surrogate pair four for two);
    // unpaired surrogates become U+FFFD, as TextEncoder makes them.
    const guess = varintSize(length);
    this.ensure(guess + length * 3);
    const start = this.pos;
    const written = this.buf.write(value, start + guess, "utf8");
    const size = varintSize(written);
    if (size !== guess) {
      this.ensure(size - guess);
      this.buf.copyWithin(start + size, start + guess, start + guess + written);
    }
    this.uint32(written);
    this.pos = start + size + written;
  }
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

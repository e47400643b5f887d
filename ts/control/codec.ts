// Binary encoding of the controller <-> node protocol over WebSocket.
//
// Frame: magic "NM" (2 bytes), protocol version (u8), message type (u8), then the body,
// written field by field with the Writer below (big-endian integers, u32-length-prefixed
// strings and byte strings, u32-counted arrays). A version mismatch is detected from the
// first four bytes alone, so even an old peer can answer it clearly.
import { NextminiError } from '../errors.js';

// 5: hello's node id 0 asks for one (and carries node_id_offset), answered by `assigned`;
// welcome carries the node's endpoints as handed to peers; flow-start, flow-stop,
// flow-report and flow-weights carry the controller's traffic flows.
// 6: flow-start's transport may be "stream" (index 2), which a version 5 node cannot decode.
export const CONTROL_VERSION = 6;
const MAGIC0 = 0x4e; // 'N'
const MAGIC1 = 0x4d; // 'M'
/** Upper bound on any length field, so a corrupt frame cannot make us allocate gigabytes. */
const MAX_FIELD = 64 * 1024 * 1024;
/** Fatal: invalid UTF-8 is refused (as MALFORMED_PACKET), never replaced. No BOM stripping, so a string decodes to exactly what was encoded. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class Writer {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
    this.#view = new DataView(grown.buffer);
  }
  u8(v: number): this {
    this.#reserve(1);
    this.#view.setUint8(this.#len, v);
    this.#len += 1;
    return this;
  }
  u16(v: number): this {
    this.#reserve(2);
    this.#view.setUint16(this.#len, v);
    this.#len += 2;
    return this;
  }
  u32(v: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.#len, v);
    this.#len += 4;
    return this;
  }
  f64(v: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#len, v);
    this.#len += 8;
    return this;
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }
  str(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }
  array<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.u32(items.length);
    for (const it of items) each(this, it);
    return this;
  }
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

export class Reader {
  #view: DataView;
  #bytes: Uint8Array;
  #pos: number;

  constructor(bytes: Uint8Array, pos = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = pos;
  }
  #need(n: number): void {
    if (this.#pos + n > this.#bytes.length) {
      throw new NextminiError('MALFORMED_PACKET', `control message truncated at byte ${this.#pos} (needs ${n} more)`);
    }
  }
  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.#pos++);
  }
  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }
  f64(): number {
    this.#need(8);
    const v = this.#view.getFloat64(this.#pos);
    this.#pos += 8;
    return v;
  }
  /** Strict: 0 or 1, so every value has one encoding. */
  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new NextminiError('MALFORMED_PACKET', `control boolean at byte ${this.#pos - 1} is ${v}, not 0 or 1`);
    return v === 1;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    if (n > MAX_FIELD) throw new NextminiError('MALFORMED_PACKET', `control field of ${n} bytes exceeds the limit`);
    this.#need(n);
    const b = this.#bytes.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }
  str(): string {
    const at = this.#pos;
    const b = this.bytes();
    try {
      return UTF8.decode(b);
    } catch {
      throw new NextminiError('MALFORMED_PACKET', `control string at byte ${at} is not valid UTF-8`);
    }
  }
  /** One of `values`, by its u8 index; anything else is malformed. */
  enumU8<T>(values: readonly T[], what: string): T {
    const i = this.u8();
    if (i >= values.length) throw new NextminiError('MALFORMED_PACKET', `unknown ${what} ${i} in a control message`);
    return values[i]!;
  }
  /** `max`: more elements than this are refused before any is decoded. */
  array<T>(each: (r: this) => T, max = Infinity): T[] {
    const n = this.u32();
    // Every element takes at least one byte: a count beyond what is left is corrupt.
    if (n > this.#bytes.length - this.#pos) throw new NextminiError('MALFORMED_PACKET', `control array count ${n} exceeds the message`);
    if (n > max) throw new NextminiError('MALFORMED_PACKET', `control array of ${n} elements, more than the ${max} allowed here`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
  end(): void {
    if (this.#pos !== this.#bytes.length) {
      throw new NextminiError('MALFORMED_PACKET', `control message has ${this.#bytes.length - this.#pos} trailing bytes`);
    }
  }
}

/** Starts a frame of the given message type. */
export function frame(type: number): Writer {
  return new Writer().u8(MAGIC0).u8(MAGIC1).u8(CONTROL_VERSION).u8(type);
}

export interface FrameHead {
  version: number;
  type: number;
  body: Reader;
}

/** Reads the frame head. A foreign version is returned (not thrown) so it can be answered. */
export function openFrame(bytes: Uint8Array): FrameHead {
  if (bytes.length < 4 || bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) {
    throw new NextminiError('MALFORMED_PACKET', 'not a nextmini control frame');
  }
  return { version: bytes[2]!, type: bytes[3]!, body: new Reader(bytes, 4) };
}

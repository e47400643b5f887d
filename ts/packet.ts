import { NextminiError } from './errors.js';

/** Anything that holds bytes. Whether it is copied or shared depends on the call. */
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView;

/** Views `data` as a Uint8Array without copying. */
export function asUint8(data: BytesLike): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new NextminiError('INVALID_ARGUMENT', 'expected a Uint8Array, ArrayBuffer or ArrayBufferView');
}

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new NextminiError('OUT_OF_RANGE', `${name} ${value} is outside 0..${max}`);
  }
}

// Set only for the duration of `shareView`: lets the SDK build views over memory it owns
// without the public constructor losing its "always copies" promise.
let sharing = false;

/** @internal A view over `bytes` without copying. The caller must not write to them again. */
export function shareView(bytes: Uint8Array): PacketView {
  sharing = true;
  try {
    return new PacketView(bytes);
  } finally {
    sharing = false;
  }
}

/**
 * An immutable payload: what the send and receive APIs take and give.
 *
 * Memory: `new PacketView(data)` copies; `PacketView.fromBuffer(data, { copy: false })`,
 * `slice()` and `PacketBuilder.freeze()` share memory, so they cost nothing however large
 * the payload.
 */
export class PacketView {
  readonly #bytes: Uint8Array;

  /** Copies `data`, so later changes to it do not show through. */
  constructor(data: BytesLike) {
    const bytes = asUint8(data);
    this.#bytes = sharing ? bytes : bytes.slice();
  }

  /** Wraps `data`; with `copy: false` the view shares its memory (do not mutate it afterwards). */
  static fromBuffer(data: BytesLike, options: { copy?: boolean } = {}): PacketView {
    return options.copy ?? true ? new PacketView(data) : shareView(asUint8(data));
  }

  /** Payload length in bytes. */
  get length(): number {
    return this.#bytes.byteLength;
  }

  /**
   * The payload bytes WITHOUT copying: the array shares memory with this view (and with
   * whatever it was built from when that was shared) and must be treated as read-only.
   * Use `toBytes()` for a private, mutable copy.
   */
  read(): Uint8Array {
    return this.#bytes;
  }

  /** A private, mutable copy of the payload. */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /**
   * `length` bytes from `start` (to the end when omitted), sharing memory with this view.
   * Throws `NextminiError` `OUT_OF_RANGE` unless the range lies inside the view.
   */
  slice(start: number, length?: number): PacketView {
    const total = this.#bytes.byteLength;
    checkRange('slice start', start, total);
    const len = length ?? total - start;
    checkRange('slice length', len, total - start);
    return shareView(this.#bytes.subarray(start, start + len));
  }

  /** Byte-wise equality with another view or byte array. */
  equals(other: PacketView | BytesLike): boolean {
    const a = this.#bytes;
    const b = other instanceof PacketView ? other.read() : asUint8(other);
    if (a.byteLength !== b.byteLength) return false;
    for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  get [Symbol.toStringTag](): string {
    return 'PacketView';
  }
}

const utf8 = new TextEncoder();

/**
 * A growable staging buffer for assembling a payload in pieces. `freeze()` hands the bytes
 * to a PacketView without copying and leaves the builder empty, ready for the next payload.
 */
export class PacketBuilder {
  #buf: Uint8Array;
  #len = 0;
  readonly #initial: number;

  /** `size` is the initial capacity in bytes (default 4096); the buffer grows as needed. */
  constructor(options: { size?: number } = {}) {
    const size = options.size ?? 4096;
    if (!Number.isInteger(size) || size < 0) {
      throw new NextminiError('INVALID_ARGUMENT', `PacketBuilder size must be a whole number >= 0, got ${size}`);
    }
    this.#initial = size;
    this.#buf = new Uint8Array(size);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** Current capacity before the next growth. */
  get capacity(): number {
    return this.#buf.byteLength;
  }

  /** Appends bytes (a string is written as UTF-8) and returns how many were written. */
  write(data: BytesLike | string): number {
    const bytes = typeof data === 'string' ? utf8.encode(data) : asUint8(data);
    const need = this.#len + bytes.byteLength;
    if (need > this.#buf.byteLength) {
      // Doubling keeps appends amortised O(1).
      const grown = new Uint8Array(Math.max(need, this.#buf.byteLength * 2, 64));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#len);
    this.#len = need;
    return bytes.byteLength;
  }

  /** Returns the bytes written as a PacketView (no copy) and empties the builder. */
  freeze(): PacketView {
    const view = shareView(this.#buf.subarray(0, this.#len));
    // The frozen view owns the old buffer now; never write into it again.
    this.#buf = new Uint8Array(this.#initial);
    this.#len = 0;
    return view;
  }
}

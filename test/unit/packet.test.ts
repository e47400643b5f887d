import { describe, expect, it } from 'vitest';
import { NextminiError, PacketBuilder, PacketView, isNextminiError } from 'nextmini';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isNextminiError(err) ? err.code : `not a NextminiError: ${String(err)}`;
  }
  return undefined;
}

describe('PacketView', () => {
  it('copies in the constructor and shares with fromBuffer({copy:false})', () => {
    const src = new Uint8Array([1, 2, 3, 4]);
    const copied = new PacketView(src);
    const shared = PacketView.fromBuffer(src, { copy: false });
    const defaulted = PacketView.fromBuffer(src);
    src[0] = 99;
    expect(copied.read()[0]).toBe(1);
    expect(defaulted.read()[0]).toBe(1);
    expect(shared.read()[0]).toBe(99);
    expect(copied.length).toBe(4);
  });

  it('accepts ArrayBuffer and other views', () => {
    const ab = new Uint16Array([0x0102, 0x0304]).buffer;
    expect(new PacketView(ab).length).toBe(4);
    const dv = new DataView(new ArrayBuffer(8), 2, 3);
    expect(new PacketView(dv).length).toBe(3);
  });

  it('slices share memory and check their range', () => {
    const src = new Uint8Array([10, 11, 12, 13, 14]);
    const v = PacketView.fromBuffer(src, { copy: false });
    const s = v.slice(1, 3);
    expect([...s.read()]).toEqual([11, 12, 13]);
    src[2] = 0;
    expect(s.read()[1]).toBe(0);
    expect([...v.slice(3).read()]).toEqual([13, 14]);
    expect(v.slice(5).length).toBe(0);
    expect(code(() => v.slice(6))).toBe('OUT_OF_RANGE');
    expect(code(() => v.slice(2, 4))).toBe('OUT_OF_RANGE');
    expect(code(() => v.slice(-1))).toBe('OUT_OF_RANGE');
    expect(code(() => v.slice(1.5))).toBe('OUT_OF_RANGE');
    expect(code(() => s.slice(0, 4))).toBe('OUT_OF_RANGE');
  });

  it('toBytes copies, equals compares content', () => {
    const v = new PacketView(new Uint8Array([1, 2]));
    const c = v.toBytes();
    c[0] = 7;
    expect(v.read()[0]).toBe(1);
    expect(v.equals(new Uint8Array([1, 2]))).toBe(true);
    expect(v.equals(new PacketView(new Uint8Array([1, 3])))).toBe(false);
  });

  it('rejects non-byte input with INVALID_ARGUMENT', () => {
    expect(code(() => new PacketView('nope' as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
  });
});

describe('PacketBuilder', () => {
  it('grows, counts and freezes without copying, then starts empty', () => {
    const b = new PacketBuilder({ size: 4 });
    expect(b.write(new Uint8Array([1, 2, 3]))).toBe(3);
    expect(b.write('héllo')).toBe(6);
    expect(b.length).toBe(9);
    expect(b.capacity).toBeGreaterThanOrEqual(9);
    const frozen = b.freeze();
    expect(frozen.length).toBe(9);
    expect([...frozen.read().subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(new TextDecoder().decode(frozen.read().subarray(3))).toBe('héllo');
    expect(b.length).toBe(0);
    // Writing after freeze must not change the frozen view.
    b.write(new Uint8Array([9, 9, 9]));
    expect([...frozen.read().subarray(0, 3)]).toEqual([1, 2, 3]);
  });

  it('defaults to 4096 bytes and rejects a bad size', () => {
    expect(new PacketBuilder().capacity).toBe(4096);
    expect(code(() => new PacketBuilder({ size: -1 }))).toBe('INVALID_ARGUMENT');
  });

  it('NextminiError is an Error with a stable code', () => {
    const e = new NextminiError('OUT_OF_RANGE', 'x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('NextminiError');
    expect(e.code).toBe('OUT_OF_RANGE');
  });
});

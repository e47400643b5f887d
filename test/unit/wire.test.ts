import { describe, expect, it } from 'vitest';
import { decodeHeader, encodeDatagram, isNextminiError, PacketKind, wireHeaderLength, type WireHeader } from 'nextmini';

const base: Omit<WireHeader, 'payloadLen'> = {
  kind: PacketKind.Multicast,
  hopLimit: 7,
  srcNode: 0x01020304,
  dst: 9,
  srcPort: 45535,
  dstPort: 8888,
  messageId: 42,
  fragIndex: 0,
  fragCount: 1,
  totalLen: 3,
  sessionId: 5,
  treeId: 2,
};

function errCode(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isNextminiError(err) ? err.code : `foreign error: ${String(err)}`;
  }
}

describe('wire header through the wasm core', () => {
  it('encodes the documented layout and decodes it back', () => {
    const dg = encodeDatagram(base, new Uint8Array([0xaa, 0xbb, 0xcc]));
    expect(wireHeaderLength()).toBe(40);
    expect(dg.length).toBe(43);
    expect(dg[0]).toBe(1); // version
    expect(dg[1]).toBe(1); // kind multicast
    expect([...dg.subarray(4, 8)]).toEqual([1, 2, 3, 4]); // src node, big-endian
    expect([...dg.subarray(12, 14)]).toEqual([0xb1, 0xdf]); // 45535
    expect([...dg.subarray(38, 40)]).toEqual([0, 3]); // payload length
    expect([...dg.subarray(40)]).toEqual([0xaa, 0xbb, 0xcc]);
    expect(decodeHeader(dg)).toEqual({ ...base, payloadLen: 3 });
  });

  it('rejects malformed datagrams with MALFORMED_PACKET, never a crash', () => {
    const dg = encodeDatagram(base, new Uint8Array([1, 2, 3]));
    expect(errCode(() => decodeHeader(dg.subarray(0, 39)))).toBe('MALFORMED_PACKET');
    const wrongVersion = dg.slice();
    wrongVersion[0] = 2;
    expect(errCode(() => decodeHeader(wrongVersion))).toBe('MALFORMED_PACKET');
    const reserved = dg.slice();
    reserved[2] = 1;
    expect(errCode(() => decodeHeader(reserved))).toBe('MALFORMED_PACKET');
    expect(errCode(() => decodeHeader(dg.subarray(0, 42)))).toBe('MALFORMED_PACKET');
    // Random garbage: each call either decodes or throws our error type.
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(rnd() % 80).map(() => rnd());
      const c = errCode(() => decodeHeader(junk));
      expect(['no error', 'MALFORMED_PACKET']).toContain(c);
    }
  });

  it('names every kind the core has: lossless-group frames and stream frames round-trip with their names', () => {
    for (const kind of [PacketKind.Unicast, PacketKind.Multicast, PacketKind.Lossless, PacketKind.LosslessGroup, PacketKind.Stream]) {
      expect(decodeHeader(encodeDatagram({ ...base, kind }, new Uint8Array(3))).kind).toBe(kind);
    }
    expect([PacketKind.LosslessGroup, PacketKind.Stream]).toEqual([3, 4]);
  });

  it('refuses to encode inconsistent headers', () => {
    expect(errCode(() => encodeDatagram({ ...base, kind: 9 as PacketKind }, new Uint8Array(1)))).toBe('MALFORMED_PACKET');
    expect(errCode(() => encodeDatagram({ ...base, fragCount: 2, fragIndex: 2, totalLen: 10 }, new Uint8Array(1)))).toBe('MALFORMED_PACKET');
    expect(errCode(() => encodeDatagram(base, new Uint8Array(70_000)))).toBe('MALFORMED_PACKET');
  });
});

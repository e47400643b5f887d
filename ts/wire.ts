import { callCore } from './errors.js';
import { assertCoreReady } from './core/state.js';
import * as core from '../wasm/nextmini_core.js';
import { asUint8, type BytesLike } from './packet.js';

/** Packet kinds of the dataplane header. */
export const PacketKind = { Unicast: 0, Multicast: 1, Lossless: 2, LosslessGroup: 3, Stream: 4 } as const;
export type PacketKind = (typeof PacketKind)[keyof typeof PacketKind];

/** The fields of the dataplane header (see core-rs/src/wire.rs for the byte layout). */
export interface WireHeader {
  kind: PacketKind;
  hopLimit: number;
  srcNode: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  messageId: number;
  fragIndex: number;
  fragCount: number;
  totalLen: number;
  sessionId: number;
  treeId: number;
  payloadLen: number;
}

/** Size of the dataplane header in bytes. */
export function wireHeaderLength(): number {
  assertCoreReady();
  return core.wireHeaderLen();
}

/**
 * Encodes a datagram: the header followed by `payload`. `payloadLen` (and `totalLen` for a
 * single fragment) are taken from the payload. Inconsistent fields throw `MALFORMED_PACKET`.
 */
export function encodeDatagram(header: Omit<WireHeader, 'payloadLen'> & { payloadLen?: number }, payload: BytesLike = new Uint8Array(0)): Uint8Array {
  assertCoreReady();
  return callCore(() => {
    const h = new core.WireHeader();
    try {
      h.kind = header.kind;
      h.hopLimit = header.hopLimit;
      h.srcNode = header.srcNode;
      h.dst = header.dst;
      h.srcPort = header.srcPort;
      h.dstPort = header.dstPort;
      h.messageId = header.messageId;
      h.fragIndex = header.fragIndex;
      h.fragCount = header.fragCount;
      h.totalLen = header.totalLen;
      h.sessionId = header.sessionId;
      h.treeId = header.treeId;
      return core.encodeDatagram(h, asUint8(payload));
    } finally {
      h.free();
    }
  });
}

/** Decodes and validates a datagram's header; malformed input throws `MALFORMED_PACKET`. */
export function decodeHeader(datagram: BytesLike): WireHeader {
  assertCoreReady();
  return callCore(() => {
    const h = core.decodeHeader(asUint8(datagram));
    try {
      return {
        kind: h.kind as PacketKind,
        hopLimit: h.hopLimit,
        srcNode: h.srcNode,
        dst: h.dst,
        srcPort: h.srcPort,
        dstPort: h.dstPort,
        messageId: h.messageId,
        fragIndex: h.fragIndex,
        fragCount: h.fragCount,
        totalLen: h.totalLen,
        sessionId: h.sessionId,
        treeId: h.treeId,
        payloadLen: h.payloadLen,
      };
    } finally {
      h.free();
    }
  });
}

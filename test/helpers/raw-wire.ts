// Raw clients written from the wire formats alone (no SDK internals), for tests that play a
// misbehaving or hostile peer: a control-protocol hello, and a UDP socket bound to a chosen port.
import { createSocket, type Socket } from 'node:dgram';

/**
 * A control-protocol hello, version 6: node id, a list of one endpoint (link protocol: 0 udp,
 * 1 tcp, 2 relay; data host and port), the relay token (empty = none), a 32-byte client nonce
 * an empty proof (a controller without auth_token) and node_id_offset 0.
 */
export function helloBytes(nodeId: number, o: { protocol: 0 | 1 | 2; host: string; port: number; relayToken?: string }): Uint8Array {
  const enc = new TextEncoder();
  const host = enc.encode(o.host);
  const tok = enc.encode(o.relayToken ?? '');
  const b = new Uint8Array(4 + 4 + 4 + 1 + 4 + host.length + 2 + 4 + tok.length + 4 + 32 + 4 + 4);
  const v = new DataView(b.buffer);
  b.set([0x4e, 0x4d, 6, 1]); // "NM", version 6, type hello
  let at = 4;
  v.setUint32(at, nodeId);
  v.setUint32((at += 4), 1); // one endpoint
  v.setUint8((at += 4), o.protocol);
  v.setUint32((at += 1), host.length);
  b.set(host, (at += 4));
  v.setUint16((at += host.length), o.port);
  at += 2;
  v.setUint32(at, tok.length);
  b.set(tok, (at += 4));
  at += tok.length;
  v.setUint32(at, 32);
  v.setUint32(at + 4 + 32, 0);
  return b;
}

/** A relay node's hello (protocol "relay", placeholder address) with its binding token. */
export const relayHelloBytes = (nodeId: number, token: string): Uint8Array => helloBytes(nodeId, { protocol: 2, host: 'relay', port: 0, relayToken: token });

/** A UDP socket bound to 127.0.0.1:`port` (e.g. a departed node's data port); closed by `cleanup`. */
export async function bindUdp(port: number, cleanup: (() => Promise<unknown>)[]): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve());
  });
  cleanup.push(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

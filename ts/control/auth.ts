// Challenge-response for the control channel and the admin endpoint, and the wrapping of link
// keys sent to nodes. Everything uses WebCrypto (HMAC-SHA256), which every runtime we support
// has, so browsers, Deno and Bun nodes prove their secret the same way Node does. The secret
// itself never crosses the wire: only HMACs over fresh nonces do.
//
// Node hello:    proof  = HMAC(token, "nextmini/node-hello/1"  | serverNonce | clientNonce | nodeId)
// Controller:    proof  = HMAC(token, "nextmini/controller/1"  | serverNonce | clientNonce | nodeId)
// Key wrapping:  kek    = HMAC(token, "nextmini/link-keys/1"   | serverNonce | clientNonce | nodeId)
//                pad_i  = HMAC(kek, seq | neighbour)            (32 bytes, one per wrapped key)
// Admin:         proof  = HMAC(adminToken, "nextmini/admin/1"  | serverNonce)
// The labels keep the three uses of one token apart: a node's proof is never a valid
// controller proof, and neither reveals the key-wrapping key.
import { NextminiError } from '../errors.js';

export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
export const LINK_KEY_BYTES = 32;

const enc = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s) throw new NextminiError('CONFIG_INVALID', 'authentication needs WebCrypto (crypto.subtle), which this runtime does not offer (browsers offer it only on https:// or localhost pages)');
  return s;
}

/** Fresh random bytes from the platform's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
};

export async function hmac(key: Uint8Array | string, data: Uint8Array): Promise<Uint8Array> {
  const raw = typeof key === 'string' ? enc.encode(key) : key;
  const k = await subtle().importKey('raw', raw as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, data as BufferSource));
}

/** Compares in time independent of where the bytes differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export interface HelloBinding {
  serverNonce: Uint8Array;
  clientNonce: Uint8Array;
  nodeId: number;
}

const bound = (label: string, b: HelloBinding) => concat(enc.encode(label), b.serverNonce, b.clientNonce, u32(b.nodeId));

export const nodeProof = (token: string, b: HelloBinding) => hmac(token, bound('nextmini/node-hello/1', b));
export const controllerProof = (token: string, b: HelloBinding) => hmac(token, bound('nextmini/controller/1', b));
export const keyWrappingKey = (token: string, b: HelloBinding) => hmac(token, bound('nextmini/link-keys/1', b));
export const adminProof = (token: string, serverNonce: Uint8Array) => hmac(token, concat(enc.encode('nextmini/admin/1'), serverNonce));

/**
 * Wraps (or unwraps: it is its own inverse) one 32-byte link key with a pad that is unique to
 * this connection (kek), this keys message (seq) and this neighbour.
 */
export async function wrapKey(kek: Uint8Array, seq: number, neighbor: number, key: Uint8Array): Promise<Uint8Array> {
  const pad = await hmac(kek, concat(u32(seq), u32(neighbor)));
  const out = new Uint8Array(LINK_KEY_BYTES);
  for (let i = 0; i < LINK_KEY_BYTES; i++) out[i] = key[i]! ^ pad[i]!;
  return out;
}

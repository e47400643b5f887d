// Deterministic pseudo-random payloads (xorshift32), the same in every bench process, so a
// receiver's SHA-256 can be compared with the sender's.
import { createHash } from 'node:crypto';

const cache = new Map();

/** `size` bytes from `seed`; cached per (size, seed) with its SHA-256. */
export function payload(size, seed) {
  const key = `${size}/${seed}`;
  if (cache.has(key)) return cache.get(key);
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  const bytes = new Uint8Array(words.buffer, 0, size);
  const v = { bytes, sha256: sha256(bytes) };
  cache.clear(); // one payload at a time: 64 MiB each
  cache.set(key, v);
  return v;
}

export const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// The controller's synchronous HMAC-SHA256 (link-key wrapping) must equal WebCrypto's, which
// the nodes use to unwrap: every length around the block boundaries, and keys longer than a block.
import { describe, expect, it } from 'vitest';
import { hmac, wrapKey } from '../../ts/control/auth.js';
import { hmacSha256Sync, sha256 } from '../../ts/control/hmac-sync.js';
import { wrapKeySync } from '../../ts/controller/link-keys.js';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);

describe('hmacSha256Sync', () => {
  it('sha256 of the FIPS examples', () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('equals WebCrypto for message lengths 0..200 and keys of 1..130 bytes', async () => {
    for (const keyLen of [1, 32, 63, 64, 65, 130]) {
      for (let n = 0; n <= 200; n += n < 70 ? 1 : 13) {
        const key = bytes(keyLen, n);
        const data = bytes(n, keyLen);
        expect(hmacSha256Sync(key, data)).toEqual(await hmac(key, data));
      }
    }
  });

  it('wrapKeySync is the twin of wrapKey', async () => {
    const kek = bytes(32, 1);
    const key = bytes(32, 2);
    expect(wrapKeySync(kek, 7, 4_000_000_000, key)).toEqual(await wrapKey(kek, 7, 4_000_000_000, key));
  });
});

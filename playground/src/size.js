// The multicast size as typed, in MiB: decimals allowed, down to a single byte, up to 64 MiB
// (the whole payload and every receiver's copy live in this tab's memory).

export const MiB = 1024 * 1024;
export const MAX_MIB = 64;

/** Bytes for `raw` MiB, or an Error naming what was typed and what is valid. */
export function parseMiB(raw) {
  const t = String(raw).trim();
  const mib = Number(t);
  const bytes = Math.round(mib * MiB);
  if (t === '' || !Number.isFinite(mib) || bytes < 1 || mib > MAX_MIB) {
    throw new Error(`MiB must be a number from 0.000001 (one byte) to ${MAX_MIB}, e.g. 4 or 0.5; got ${JSON.stringify(String(raw))}`);
  }
  return bytes;
}

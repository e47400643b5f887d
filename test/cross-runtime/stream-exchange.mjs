// One full-duplex exchange over a NextminiStream, the same in every runtime (Node, Deno, the
// browser): write `data` in 64 KiB chunks and half-close, while reading the peer's bytes to
// their end; then wait for `closed`. Returns what was read (length and SHA-256 via WebCrypto)
// so the receiving side's hash can be checked against what the peer sent.

const hex = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');

export async function exchange(s, data) {
  const writing = (async () => {
    const w = s.writable.getWriter();
    for (let o = 0; o < data.length; o += 64 * 1024) await w.write(data.subarray(o, o + 64 * 1024));
    await w.close();
  })();
  const reading = (async () => {
    const parts = [];
    let total = 0;
    for await (const chunk of s.readable) {
      parts.push(chunk);
      total += chunk.length;
    }
    const all = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return all;
  })();
  const [, got] = await Promise.all([writing, reading]);
  // Both directions half-closed: `closed` must resolve (it rejects if the connection failed).
  await s.closed;
  return { length: got.length, sha256: await hex(got), sentSha256: await hex(data), remoteNodeId: s.remoteNodeId, remotePort: s.remotePort };
}

// Edges of the stream API that a user meets by mistake or in a hurry: close() while a write is
// still going, a write of the wrong type, a node connecting to itself. Two nodes of an
// in-process network on memory links.
import { afterEach, describe, expect, it } from 'vitest';
import type { Network, NextminiStream } from 'nextmini';
import { connectedPair, twoNodesOnMemory, countAll } from './stream-pair.js';
import { codeOf, within } from './harness.js';

let net: Network | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

let nextPort = 7100;
/** A connected pair on a fresh port: `s` on node 1, `t` its peer on node 2. */
async function pair(): Promise<{ s: NextminiStream; t: NextminiStream }> {
  net ??= await twoNodesOnMemory();
  return connectedPair(net, nextPort++);
}



describe('stream edges', () => {
  it('close() while a large write is in progress delivers the whole write, then the end', async () => {
    const { s, t } = await pair();
    const w = s.writable.getWriter();
    // Larger than the send buffer: the write is still going when close() is called.
    const big = new Uint8Array(3_000_000).fill(7);
    const written = w.write(big).then(
      () => 'written',
      (e: Error) => `failed: ${e.message}`,
    );
    const received = countAll(t);
    await new Promise((r) => setTimeout(r, 0));
    const closing = codeOf(s.close());
    expect(await within(received, 10_000)).toBe(big.length);
    expect(await within(written, 5000)).toBe('written');
    // A write after close() fails with CLOSED.
    expect(await codeOf(w.write(new Uint8Array(1)))).toMatch(/^CLOSED: /);
    await t.writable.close();
    expect(await within(closing, 5000)).toBe('resolved');
    expect(await within(codeOf(t.closed), 5000)).toBe('resolved');
  });

  it('a write of a string ends the connection with INVALID_ARGUMENT, and the peer sees the reset', async () => {
    const { s, t } = await pair();
    const w = s.writable.getWriter();
    expect(await codeOf(w.write('text' as unknown as Uint8Array))).toMatch(/^INVALID_ARGUMENT: stream writes take bytes, not strings/);
    // The writable cannot be used any more: the connection must not stay open half-dead.
    expect(await within(codeOf(s.closed), 5000)).toMatch(/^INVALID_ARGUMENT: /);
    expect(await within(codeOf(t.closed), 5000)).toMatch(/^CONNECTION_RESET: /);
  });

  it('a node connects to its own listener (the core loops the frames back): bytes echo, and a port nobody listens on is refused at once', async () => {
    net = await twoNodesOnMemory();
    const a = net.node(1);
    const l = a.listen({ port: 7200 });
    const echo = (async () => {
      const t = await l.accept();
      await t!.readable.pipeTo(t!.writable);
      await t!.closed;
    })();
    const s = await within(a.connect({ dstNodeId: 1, dstPort: 7200 }), 5000);
    expect(s).not.toBe('hung');
    const st = s as NextminiStream;
    expect([st.remoteNodeId, st.remotePort]).toEqual([1, 7200]);
    const w = st.writable.getWriter();
    await w.write(new Uint8Array(300_000).fill(3));
    await w.close();
    expect(await within(countAll(st), 5000)).toBe(300_000);
    expect(await within(codeOf(st.closed), 5000)).toBe('resolved');
    await echo;
    l.close();
    expect(await within(codeOf(a.connect({ dstNodeId: 1, dstPort: 7201 })), 5000)).toMatch(/^CONNECTION_REFUSED: /);
  });
});

// Streams in the states a hostile application puts them in: connect timeouts at the edges,
// source-port collisions, a full accept queue, a listener closed with streams waiting, the same
// port listened on again, many connects at once, a reader that never reads, tiny writes by the
// thousand, the node closed with streams connecting, open and half-closed. Memory links.
import { afterEach, describe, expect, it } from 'vitest';
import type { Network, NextminiStream } from 'nextmini';
import { countAll, twoNodesOnMemory } from './stream-pair.js';
import { codeOf, within } from './harness.js';

let net: Network | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

async function network(backlog?: number): Promise<Network> {
  net = await twoNodesOnMemory(backlog ? { stream: { backlog } } : {});
  return net;
}



describe('stream lifecycle, hostile', () => {
  it('timeoutMs beyond what a timer holds (2^31 ms and more, Infinity) does not fire at once', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    for (const timeoutMs of [2 ** 31, 1e12, Number.POSITIVE_INFINITY]) {
      const r = await within(codeOf(n.node(1).connect({ dstNodeId: 2, dstPort: 80, timeoutMs }).then((s) => s.abort())), 5000);
      expect([timeoutMs, r]).toEqual([timeoutMs, 'resolved']);
    }
    l.close();
  });

  it('bad timeoutMs values are INVALID_ARGUMENT naming the value', async () => {
    const n = await network();
    for (const timeoutMs of [0, -1, Number.NaN, '100' as unknown as number]) {
      expect(await codeOf(n.node(1).connect({ dstNodeId: 2, dstPort: 80, timeoutMs }))).toMatch(/^INVALID_ARGUMENT: connect: timeoutMs must be/);
    }
  });

  it('a srcPort already used towards the same (node, port) is refused with a clear error, and the first stream is untouched', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    const s = await n.node(1).connect({ dstNodeId: 2, dstPort: 80, srcPort: 5000 });
    const t = (await l.accept())!;
    const r = await within(codeOf(n.node(1).connect({ dstNodeId: 2, dstPort: 80, srcPort: 5000 })), 5000);
    expect(r).toMatch(/^INVALID_ARGUMENT: .*5000/);
    const w = s.writable.getWriter();
    await w.write(new Uint8Array(1000));
    await w.close();
    expect(await within(countAll(t), 5000)).toBe(1000);
    l.close();
  });

  it('a burst of 200 connects beyond the default backlog: those refused say the backlog may be full, not only that nothing listens', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    const rs = await Promise.all(Array.from({ length: 200 }, () => within(codeOf(n.node(1).connect({ dstNodeId: 2, dstPort: 80 })), 5000)));
    const refused = rs.filter((r) => r !== 'resolved');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r).toMatch(/^CONNECTION_REFUSED: node 2 refused the connection: nothing listens on port 80, or its listener's backlog of half-open connections is full \(the \[stream\] backlog key/);
    l.close();
  });

  it('with [stream] backlog = 256, 200 connects at once all succeed and each carries its own bytes', async () => {
    const n = await network(256);
    const l = n.node(2).listen({ port: 80 });
    const serving = (async () => {
      for await (const t of l) void t.readable.pipeTo(t.writable).catch(() => {});
    })();
    const one = async (i: number): Promise<number> => {
      const s = await n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
      const w = s.writable.getWriter();
      await w.write(new Uint8Array(1000 + i).fill(i & 0xff));
      await w.close();
      const got = await countAll(s);
      await s.closed;
      return got;
    };
    const got = await within(Promise.all(Array.from({ length: 200 }, (_, i) => one(i))), 20_000);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => 1000 + i));
    l.close();
    await serving;
  });

  it('beyond 128 waiting streams new ones are reset; the waiting ones still work; close() resets those not taken; the port can be listened on again', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    const streams = await Promise.all(Array.from({ length: 140 }, () => n.node(1).connect({ dstNodeId: 2, dstPort: 80 }).then((s) => s, (e: Error) => e)));
    const outcomes = await Promise.all(
      streams.map((s) => (s instanceof Error ? Promise.resolve('refused') : within(codeOf(s.closed), 3000).then((r) => (r === 'hung' ? 'open' : r.split(':')[0])))),
    );
    const count = (k: string) => outcomes.filter((o) => o === k).length;
    expect(count('open')).toBe(128);
    expect(count('open') + count('CONNECTION_RESET') + count('refused')).toBe(140);
    expect(l.overflowed + count('refused')).toBe(12);
    // One taken from the queue still carries bytes.
    const t = (await l.accept())!;
    const first = streams.find((s) => !(s instanceof Error) && s.localPort === t.remotePort) as NextminiStream;
    const w = first.writable.getWriter();
    await w.write(new Uint8Array(10));
    await w.close();
    expect(await within(countAll(t), 5000)).toBe(10);
    // Closing resets the 127 still waiting.
    l.close();
    const rest = streams.filter((s): s is NextminiStream => !(s instanceof Error) && s !== first);
    const after = await Promise.all(rest.map((s) => within(codeOf(s.closed), 5000)));
    expect(after.filter((r) => r === 'hung')).toEqual([]);
    // The port is free again.
    const l2 = n.node(2).listen({ port: 80 });
    const again = n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
    expect(await within(codeOf(again), 5000)).toBe('resolved');
    l2.close();
  });

  it('a reader that never reads stalls the writer with bounded buffering, and it resumes when the reader reads', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    const s = await n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
    const t = (await l.accept())!;
    const w = s.writable.getWriter();
    const big = new Uint8Array(8 * 1024 * 1024);
    let done = false;
    const writing = w.write(big).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 1000));
    expect(done).toBe(false);
    // Send buffer plus the peer's receive window plus the readable's queue, with slack.
    expect(s.stats().bytesSent).toBeLessThanOrEqual(2.5 * 1024 * 1024);
    const reading = countAll(t);
    expect(await within(writing, 10_000)).toBe(true);
    await w.close();
    expect(await within(reading, 10_000)).toBe(big.length);
    l.close();
  });

  it('10 000 one-byte writes arrive in order, quickly', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    const s = await n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
    const t = (await l.accept())!;
    const w = s.writable.getWriter();
    const t0 = performance.now();
    const reading = (async () => {
      const out: number[] = [];
      for await (const c of t) out.push(...c);
      return out;
    })();
    for (let i = 0; i < 10_000; i++) void w.write(new Uint8Array([i & 0xff]));
    await w.close();
    const got = await within(reading, 10_000);
    expect(got).not.toBe('hung');
    expect((got as number[]).length).toBe(10_000);
    expect((got as number[]).every((b, i) => b === (i & 0xff))).toBe(true);
    expect(performance.now() - t0).toBeLessThan(8000);
    l.close();
  });

  it('a connector that resets at once (before the listening node dispatched its accept) does not crash that node', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    const serving = (async () => {
      for await (const t of l) void t.readable.pipeTo(t.writable).catch(() => {});
    })();
    for (let i = 0; i < 20; i++) (await n.node(1).connect({ dstNodeId: 2, dstPort: 80 })).abort();
    // A connect that finds its stream already reset when it is dispatched: CONNECTION_RESET, not a throw.
    await new Promise((r) => setTimeout(r, 200));
    const s = await n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
    const w = s.writable.getWriter();
    await w.write(new Uint8Array(1000));
    await w.close();
    expect(await within(countAll(s), 5000)).toBe(1000);
    l.close();
    await serving;
  });

  it('data and a reset arriving together at a stream that is throwing its input away (cancelled reader) do not crash the node', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    for (let i = 0; i < 10; i++) {
      const accepted = l.accept();
      const s = await n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
      const t = (await accepted)!;
      await t.readable.cancel();
      const w = s.writable.getWriter();
      await w.write(new Uint8Array(100));
      s.abort();
      expect(await within(codeOf(t.closed), 3000)).toMatch(/^CONNECTION_RESET: /);
    }
    l.close();
  });

  it('data and a reset arriving together at a stream whose reader is waiting do not crash the node', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    for (let i = 0; i < 10; i++) {
      const accepted = l.accept();
      const s = await n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
      const t = (await accepted)!;
      const reading = codeOf(countAll(t));
      const w = s.writable.getWriter();
      await w.write(new Uint8Array(100));
      s.abort();
      expect(await within(reading, 3000)).toMatch(/^(CONNECTION_RESET: |resolved)/);
      expect(await within(codeOf(t.closed), 3000)).toMatch(/^CONNECTION_RESET: /);
    }
    l.close();
  });

  it('dp.close() with streams connecting, open and half-closed: all settle with CLOSED, peers are reset', async () => {
    const n = await network();
    const l = n.node(2).listen({ port: 80 });
    const open = await n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
    const openPeer = (await l.accept())!;
    const half = await n.node(1).connect({ dstNodeId: 2, dstPort: 80 });
    const halfPeer = (await l.accept())!;
    await half.writable.close();
    const connecting = codeOf(n.node(1).connect({ dstNodeId: 2, dstPort: 81 /* nobody: refused, or CLOSED if the close wins */ }));
    const connecting2 = codeOf(n.node(1).connect({ dstNodeId: 2, dstPort: 80 }));
    await n.node(1).close();
    expect(await within(codeOf(open.closed), 3000)).toMatch(/^CLOSED: /);
    expect(await within(codeOf(half.closed), 3000)).toMatch(/^CLOSED: /);
    expect(await within(connecting, 3000)).toMatch(/^(CLOSED|CONNECTION_REFUSED): /);
    expect(await within(connecting2, 3000)).toMatch(/^(CLOSED|resolved)/);
    expect(await within(codeOf(openPeer.closed), 3000)).toMatch(/^CONNECTION_RESET: /);
    expect(await within(codeOf(halfPeer.closed), 3000)).toMatch(/^CONNECTION_RESET: /);
    expect(await codeOf(n.node(1).connect({ dstNodeId: 2, dstPort: 80 }))).toMatch(/^CLOSED: /);
  });
});

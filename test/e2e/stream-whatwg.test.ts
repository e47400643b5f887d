// The WHATWG streams contract as an application leans on it: cancel, abort, releaseLock and
// re-acquire, pipeThrough with text and compression streams, tee, odd write types, close()
// twice, abort() after close, stats() after the end. Two nodes on memory links.
import { afterEach, describe, expect, it } from 'vitest';
import type { Network, NextminiStream } from 'nextmini';
import { connectedPair, twoNodesOnMemory } from './stream-pair.js';
import { codeOf, within } from './harness.js';

let net: Network | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

let nextPort = 7300;
/** A connected pair on a fresh port: `s` on node 1, `t` its peer on node 2. */
async function pair(): Promise<{ s: NextminiStream; t: NextminiStream }> {
  net ??= await twoNodesOnMemory();
  return connectedPair(net, nextPort++);
}

async function readAll(r: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of r as unknown as AsyncIterable<Uint8Array>) parts.push(c);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}


describe('streams under the WHATWG contract', () => {
  it('a reader that cancels does not stall the writer: 3 MB more still goes through, and both sides close', async () => {
    const { s, t } = await pair();
    await t.readable.cancel('not interested');
    const w = s.writable.getWriter();
    expect(await within(w.write(new Uint8Array(3_000_000)), 10_000)).toBeUndefined();
    await w.close();
    await t.writable.close();
    expect(await within(codeOf(s.closed), 5000)).toBe('resolved');
    expect(await within(codeOf(t.closed), 5000)).toBe('resolved');
  });

  it('writer.abort() resets: this side ABORTED, the peer CONNECTION_RESET', async () => {
    const { s, t } = await pair();
    const w = s.writable.getWriter();
    await w.write(new Uint8Array(10));
    await w.abort(new Error('changed my mind'));
    expect(await within(codeOf(s.closed), 5000)).toMatch(/^ABORTED: /);
    expect(await within(codeOf(t.closed), 5000)).toMatch(/^CONNECTION_RESET: /);
    expect(await codeOf(t.readable.getReader().read())).toMatch(/^CONNECTION_RESET: /);
  });

  it('releaseLock and a new reader: nothing is lost; an early break from for-await keeps the rest readable', async () => {
    const { s, t } = await pair();
    const data = new Uint8Array(500_000).map((_, i) => i & 0xff);
    const w = s.writable.getWriter();
    const writing = w.write(data).then(() => w.close());
    const r1 = t.readable.getReader();
    const first = await r1.read();
    r1.releaseLock();
    let second: Uint8Array | undefined;
    for await (const c of t) {
      second = c;
      break;
    }
    const rest = await readAll(t.readable);
    const got = new Uint8Array([...first.value!, ...second!, ...rest]);
    expect(got.length).toBe(data.length);
    expect(Buffer.compare(got, data)).toBe(0);
    await writing;
    await t.writable.close();
    expect(await within(codeOf(s.closed), 5000)).toBe('resolved');
  });

  it('text through TextEncoderStream/TextDecoderStream, and gzip through CompressionStream/DecompressionStream', async () => {
    const { s, t } = await pair();
    const text = 'héllo wörld ✓ '.repeat(5000);
    const sending = new ReadableStream<string>({
      start(c) {
        c.enqueue(text);
        c.close();
      },
    })
      .pipeThrough(new TextEncoderStream())
      .pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>)
      .pipeTo(s.writable);
    let got = '';
    const reading = t.readable
      .pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>)
      .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
      .pipeTo(new WritableStream({ write: (c) => void (got += c) }));
    expect(await within(sending, 5000)).toBeUndefined();
    expect(await within(reading, 5000)).toBeUndefined();
    expect(got).toBe(text);
    await t.writable.close();
    expect(await within(codeOf(s.closed), 5000)).toBe('resolved');
  });

  it('tee() gives both branches every byte', async () => {
    const { s, t } = await pair();
    const data = new Uint8Array(300_000).fill(5);
    const w = s.writable.getWriter();
    void w.write(data).then(() => w.close());
    const [a, b] = t.readable.tee();
    const [ga, gb] = await Promise.all([readAll(a), readAll(b)]);
    expect(ga.length).toBe(data.length);
    expect(gb.length).toBe(data.length);
  });

  it('writes of zero bytes, ArrayBuffer, DataView, Buffer and a Uint16Array view arrive as their bytes', async () => {
    const { s, t } = await pair();
    const w = s.writable.getWriter();
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).buffer;
    await w.write(new Uint8Array(0));
    await w.write(backing.slice(0, 2) as unknown as Uint8Array);
    await w.write(new DataView(backing, 2, 2) as unknown as Uint8Array);
    await w.write(Buffer.from([4, 5]));
    await w.write(new Uint16Array(backing, 6, 1) as unknown as Uint8Array);
    await w.write(new Uint8Array(backing, 8, 2));
    await w.close();
    expect([...(await readAll(t.readable))]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await within(codeOf(t.close()), 5000)).toBe('resolved');
  });

  it('close() twice, abort() after close, writes after close: one settlement, no throw, CLOSED', async () => {
    const { s, t } = await pair();
    void t.readable.pipeTo(t.writable);
    const c1 = codeOf(s.close());
    const c2 = codeOf(s.close());
    expect(await within(c1, 5000)).toBe('resolved');
    expect(await within(c2, 5000)).toBe('resolved');
    expect(() => s.abort(new Error('late'))).not.toThrow();
    expect(await codeOf(s.closed)).toBe('resolved');
    expect(await codeOf(s.close())).toBe('resolved');
    const st = s.stats();
    expect(st.bytesInFlight).toBe(0);
    expect(await within(codeOf(t.closed), 5000)).toBe('resolved');
  });

  it('close() while both sides are stuck writing to each other: what arrives is thrown away at once, so neither waits for the other', async () => {
    const { s, t } = await pair();
    const big = () => new Uint8Array(3_000_000);
    // s queues a large write and lets go of the writable (close() takes it from there).
    const ws = s.writable.getWriter();
    const sWrite = codeOf(ws.write(big()));
    ws.releaseLock();
    // t writes its whole answer before it reads: it needs s to take t's bytes.
    const tSide = (async () => {
      const wt = t.writable.getWriter();
      await wt.write(big());
      await wt.close();
      let n = 0;
      for await (const c of t) n += c.length;
      return n;
    })();
    await new Promise((r) => setTimeout(r, 100));
    const closing = codeOf(s.close());
    expect(await within(tSide, 10_000)).toBe(3_000_000);
    expect(await within(sWrite, 5000)).toBe('resolved');
    expect(await within(closing, 5000)).toBe('resolved');
  });

  it('a write of a detached (transferred) ArrayBuffer is INVALID_ARGUMENT saying so, like any bad write', async () => {
    const { s, t } = await pair();
    const ab = new ArrayBuffer(8);
    structuredClone(ab, { transfer: [ab] });
    const w = s.writable.getWriter();
    expect(await codeOf(w.write(ab as unknown as Uint8Array))).toMatch(/^INVALID_ARGUMENT: .*detached/);
    expect(await within(codeOf(s.closed), 5000)).toMatch(/^INVALID_ARGUMENT: .*detached/);
    expect(await within(codeOf(t.closed), 5000)).toMatch(/^CONNECTION_RESET: /);
  });

  it('stats() after the end keeps the counts: bytes each way exact', async () => {
    const { s, t } = await pair();
    const echo = t.readable.pipeTo(t.writable);
    const w = s.writable.getWriter();
    await w.write(new Uint8Array(123_456));
    await w.close();
    const back = await readAll(s.readable);
    expect(back.length).toBe(123_456);
    await echo;
    expect(await within(codeOf(s.closed), 5000)).toBe('resolved');
    expect(await within(codeOf(t.closed), 5000)).toBe('resolved');
    expect(s.stats()).toMatchObject({ bytesSent: 123_456, bytesReceived: 123_456, bytesInFlight: 0 });
    expect(t.stats()).toMatchObject({ bytesSent: 123_456, bytesReceived: 123_456, bytesInFlight: 0 });
  });
});

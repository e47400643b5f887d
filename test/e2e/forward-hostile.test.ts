// forward/expose as a hostile user drives them: closing the forwarder or exposer with
// connections open, clients that half-close or reset, targets that refuse, many connections at
// once, bad arguments. Real TCP sockets on 127.0.0.1; the two nodes on memory links.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { execFile } from 'node:child_process';
import { startNetwork, forward, expose, type Network } from 'nextmini';
import { codeOf, within } from './harness.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await Promise.resolve(f()).catch(() => {});
});


async function network(): Promise<Network> {
  const net = await startNetwork({ topology: { n_nodes: 2, edges: [[1, 2]] } }, { protocol: 'memory' });
  cleanup.push(() => net.close());
  expect(await net.ready({ timeoutMs: 5000 })).toBe(true);
  return net;
}

/** A TCP server on 127.0.0.1; `handle` gets each socket (allowHalfOpen). */
async function tcpServer(handle: (s: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    s.on('error', () => {});
    handle(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0, sockets };
}

/** Connects to 127.0.0.1:port (allowHalfOpen), sends `data`, half-closes, and collects the answer until the end. */
function request(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = tcpConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const parts: Buffer[] = [];
    c.on('data', (b: Buffer) => parts.push(b));
    c.on('end', () => {
      c.end();
      resolve(Buffer.concat(parts));
    });
    c.on('error', reject);
    c.on('connect', () => c.end(data));
  });
}

/** Resolves when `s` emitted 'close'. */
const closedSocket = (s: Socket): Promise<void> => new Promise((r) => (s.destroyed && s.closed ? r() : s.once('close', () => r())));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** An echo server that answers only after the client half-closed: what it read, reversed in order of chunks is not needed; it sends the bytes back once the end came. */
function echoAfterEnd(s: Socket): void {
  const parts: Buffer[] = [];
  s.on('data', (b: Buffer) => parts.push(b));
  s.on('end', () => s.end(Buffer.concat(parts)));
}

describe('forward/expose, hostile', () => {
  it('a client that sends, half-closes, and still reads the answer gets it all; stats are exact', async () => {
    const net = await network();
    const { port } = await tcpServer(echoAfterEnd);
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const data = Buffer.alloc(200_000, 9);
    const got = await within(request(fw.address.port, data), 10_000);
    expect(got).not.toBe('hung');
    expect(Buffer.compare(got as Buffer, data)).toBe(0);
    expect(await until(() => fw.stats().open === 0 && ex.stats().open === 0, 5000)).toBe(true);
    expect(fw.stats()).toMatchObject({ connections: 1, open: 0, failed: 0, bytesToNetwork: data.length, bytesFromNetwork: data.length });
    expect(ex.stats()).toMatchObject({ connections: 1, open: 0, failed: 0, bytesToNetwork: data.length, bytesFromNetwork: data.length });
  });

  it('20 clients at once through one forwarder each get their own bytes back', async () => {
    const net = await network();
    const { port } = await tcpServer(echoAfterEnd);
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const datas = Array.from({ length: 20 }, (_, i) => Buffer.alloc(20_000 + i * 1000, i + 1));
    const got = await within(Promise.all(datas.map((d) => request(fw.address.port, d))), 15_000);
    expect(got).not.toBe('hung');
    (got as Buffer[]).forEach((g, i) => expect(Buffer.compare(g, datas[i]!)).toBe(0));
    const total = datas.reduce((a, d) => a + d.length, 0);
    expect(await until(() => fw.stats().open === 0 && ex.stats().open === 0, 5000)).toBe(true);
    expect(fw.stats()).toMatchObject({ connections: 20, failed: 0, bytesToNetwork: total, bytesFromNetwork: total });
  });

  it('forwarder.close() with a connection open ends it on the far side too (the target sees its connection close)', async () => {
    const net = await network();
    const { port, sockets } = await tcpServer((s) => s.pipe(s)); // a live echo: the connection stays open
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const c = tcpConnect({ host: '127.0.0.1', port: fw.address.port });
    c.on('error', () => {});
    cleanup.push(() => void c.destroy());
    c.write('ping');
    await new Promise<void>((r) => c.once('data', () => r()));
    expect(sockets.length).toBe(1);
    expect(await within(fw.close(), 5000)).not.toBe('hung');
    expect(await within(closedSocket(c), 5000)).not.toBe('hung');
    // The stream is reset, so the exposer tears down its side: the target's socket closes.
    expect(await within(closedSocket(sockets[0]!), 5000)).not.toBe('hung');
    expect(await until(() => fw.stats().open === 0 && ex.stats().open === 0, 5000)).toBe(true);
  });

  it('exposer.close() with a connection open ends it on the forwarding side too (the client sees its connection close)', async () => {
    const net = await network();
    const { port, sockets } = await tcpServer((s) => s.pipe(s));
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const c = tcpConnect({ host: '127.0.0.1', port: fw.address.port });
    c.on('error', () => {});
    cleanup.push(() => void c.destroy());
    c.write('ping');
    await new Promise<void>((r) => c.once('data', () => r()));
    expect(await within(ex.close(), 5000)).not.toBe('hung');
    expect(await within(closedSocket(sockets[0]!), 5000)).not.toBe('hung');
    expect(await within(closedSocket(c), 5000)).not.toBe('hung');
    expect(await until(() => fw.stats().open === 0 && ex.stats().open === 0, 5000)).toBe(true);
  });

  it('a client that resets its connection resets the target connection; counted as failed', async () => {
    const net = await network();
    const { port, sockets } = await tcpServer((s) => s.pipe(s));
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const c = tcpConnect({ host: '127.0.0.1', port: fw.address.port });
    c.on('error', () => {});
    c.write('ping');
    await new Promise<void>((r) => c.once('data', () => r()));
    c.resetAndDestroy();
    expect(await within(closedSocket(sockets[0]!), 5000)).not.toBe('hung');
    expect(await until(() => fw.stats().open === 0 && ex.stats().open === 0, 5000)).toBe(true);
    expect(fw.stats().failed).toBe(1);
  });

  it('a target that refuses: the client sees its connection closed, both sides count a failure and tell onError', async () => {
    const net = await network();
    const { port, server } = await tcpServer(() => {});
    await new Promise<void>((r) => server.close(() => r())); // nothing listens there now
    const told: string[] = [];
    const ex = expose({ dataplane: net.node(2), port: 80, target: port, onError: (e) => told.push(`expose: ${e.message}`) });
    cleanup.push(() => ex.close());
    const fw = await forward({
      dataplane: net.node(1),
      listen: 0,
      to: { nodeId: 2, port: 80 },
      onError: (e) => {
        told.push(`forward: ${e.message}`);
        throw new Error('a callback that throws changes nothing');
      },
    });
    cleanup.push(() => fw.close());
    const got = await within(request(fw.address.port, Buffer.from('hello')).catch((e: Error) => e), 5000);
    expect(got).not.toBe('hung');
    expect(await until(() => fw.stats().failed === 1 && ex.stats().failed === 1, 5000)).toBe(true);
    expect(ex.stats().lastError).toMatch(/ECONNREFUSED/);
    expect(told.sort()).toEqual([expect.stringMatching(/^expose: .*ECONNREFUSED/), expect.stringMatching(/^forward: .*reset/)]);
  });

  it('a server that speaks and half-closes first still gets what the client sends afterwards', async () => {
    const net = await network();
    let heard: Promise<string> = Promise.resolve('');
    const { port } = await tcpServer((s) => {
      s.end('bye\n'); // greet and end its side at once, as some protocols do
      heard = new Promise((r) => {
        let got = '';
        s.on('data', (b: Buffer) => (got += b.toString()));
        s.on('end', () => r(got));
      });
    });
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const got = await within(
      new Promise<string>((resolve, reject) => {
        const c = tcpConnect({ host: '127.0.0.1', port: fw.address.port, allowHalfOpen: true });
        let text = '';
        c.on('data', (b: Buffer) => (text += b.toString()));
        // Only once the server's end came does the client answer, then end its side.
        c.on('end', () => c.end('late reply\n', () => resolve(text)));
        c.on('error', reject);
      }),
      5000,
    );
    expect(got).toBe('bye\n');
    expect(await within(heard, 5000)).toBe('late reply\n');
    expect(await until(() => fw.stats().open === 0 && ex.stats().open === 0, 5000)).toBe(true);
    expect(fw.stats().failed + ex.stats().failed).toBe(0);
  });

  it('4 MB each way at once through an echo (full duplex, both directions under backpressure)', async () => {
    const net = await network();
    const { port } = await tcpServer((s) => s.pipe(s));
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const data = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const got = await within(request(fw.address.port, data), 20_000);
    expect(got).not.toBe('hung');
    expect((got as Buffer).length).toBe(data.length);
    expect(Buffer.compare(got as Buffer, data)).toBe(0);
  });

  it('a client that resets while its stream is still connecting (300 ms link) leaves nothing open on either side', async () => {
    const net = await startNetwork(
      { topology: { n_nodes: 2, edges: [[1, 2]] }, links: [{ src_node_id: 1, dst_node_id: 2, delay_ms: 300, bidirectional: true }] },
      { protocol: 'memory' },
    );
    cleanup.push(() => net.close());
    expect(await net.ready({ timeoutMs: 5000 })).toBe(true);
    const { port, sockets } = await tcpServer((s) => s.pipe(s));
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const c = tcpConnect({ host: '127.0.0.1', port: fw.address.port });
    c.on('error', () => {});
    await new Promise<void>((r) => c.once('connect', () => r()));
    c.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await until(() => fw.stats().open === 0 && ex.stats().open === 0 && sockets.every((s) => s.destroyed), 3000)).toBe(true);
  });

  it('a forwarder on a closed node is CLOSED at once; one whose node closes later stops accepting', async () => {
    const net = await network();
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    await net.node(1).close();
    const told: string[] = [];
    expect(await codeOf(forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 }, onError: (e) => told.push(e.message) }))).toMatch(/^CLOSED: /);
    // The first connection after the close fails (CLOSED) and the forwarder stops listening.
    const first = await within(request(fw.address.port, Buffer.from('x')).then(() => 'closed', (e: Error) => e.message), 3000);
    expect(first).not.toBe('hung');
    expect(fw.stats()).toMatchObject({ connections: 1, failed: 1, lastError: expect.stringMatching(/closed/) });
    expect(await until(() => false, 200)).toBe(false);
    const second = await within(request(fw.address.port, Buffer.from('x')).then(() => 'accepted', (e: Error) => e.message), 3000);
    expect(second).toMatch(/ECONNREFUSED/);
  });

  it('20 curl processes at once through one forwarder each fetch their own 1 MB, byte for byte', async () => {
    const net = await network();
    const bodies = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1_000_000 + i, i + 1));
    const server = createHttpServer((req, res) => {
      const b = bodies[Number(req.url!.slice(1))];
      if (!b) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': b.length }).end(b);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const ex = expose({ dataplane: net.node(2), port: 80, target: (server.address() as { port: number }).port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const curl = (i: number) =>
      new Promise<Buffer>((resolve, reject) =>
        execFile('curl', ['-sS', '--fail', '--max-time', '20', `http://127.0.0.1:${fw.address.port}/${i}`], { encoding: 'buffer', maxBuffer: 4e6 }, (err, out, stderr) =>
          err ? reject(new Error(`curl ${i}: ${err.message} ${stderr.toString()}`)) : resolve(out),
        ),
      );
    const got = await within(Promise.all(bodies.map((_, i) => curl(i))), 25_000);
    expect(got).not.toBe('hung');
    (got as Buffer[]).forEach((g, i) => expect([i, g.length, Buffer.compare(g, bodies[i]!)]).toEqual([i, bodies[i]!.length, 0]));
    expect(await until(() => fw.stats().open === 0, 5000)).toBe(true);
    expect(fw.stats()).toMatchObject({ connections: 20, failed: 0 });
  });

  it('a target that hangs up at once while the client is still sending 2 MB: the client connection ends, nothing stays open', async () => {
    const net = await network();
    const { port } = await tcpServer((s) => s.destroy());
    const ex = expose({ dataplane: net.node(2), port: 80, target: port });
    cleanup.push(() => ex.close());
    const fw = await forward({ dataplane: net.node(1), listen: 0, to: { nodeId: 2, port: 80 } });
    cleanup.push(() => fw.close());
    const ended = await within(
      new Promise<string>((resolve) => {
        const c = tcpConnect({ host: '127.0.0.1', port: fw.address.port, allowHalfOpen: true });
        c.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
        c.on('close', () => resolve('closed'));
        c.on('end', () => c.end());
        c.on('connect', () => c.write(Buffer.alloc(2_000_000)));
        c.resume();
      }),
      5000,
    );
    expect(ended).not.toBe('hung');
    expect(await until(() => fw.stats().open === 0 && ex.stats().open === 0, 5000)).toBe(true);
  });

  it('bad arguments are refused at once with what was wrong', async () => {
    const net = await network();
    const dp = net.node(1);
    expect(await codeOf(forward({ dataplane: dp, listen: 0, to: { nodeId: 2, port: 70000 } }))).toMatch(/^INVALID_ARGUMENT: .*to\.port.*1\.\.65535.*70000/);
    expect(await codeOf(forward({ dataplane: dp, listen: 0, to: { nodeId: 2, port: 0 } }))).toMatch(/^INVALID_ARGUMENT: .*to\.port/);
    expect(await codeOf(forward({ dataplane: dp, listen: 0, to: { nodeId: 0, port: 80 } }))).toMatch(/^INVALID_ARGUMENT: .*to\.nodeId/);
    // A busy local port.
    const { port: busy } = await tcpServer(() => {});
    expect(await codeOf(forward({ dataplane: dp, listen: busy, to: { nodeId: 2, port: 80 } }))).toMatch(new RegExp(`^INVALID_ARGUMENT: forward: cannot listen on 127.0.0.1:${busy}: .*EADDRINUSE`));
    // A stream port already listened on.
    const l = net.node(2).listen({ port: 81 });
    cleanup.push(() => l.close());
    expect(await codeOf(Promise.resolve().then(() => expose({ dataplane: net.node(2), port: 81, target: busy })))).toMatch(/^INVALID_ARGUMENT: .*81/);
    // What the caller named: expose's port, not the listen() inside it.
    expect(await codeOf(Promise.resolve().then(() => expose({ dataplane: net.node(2), port: 0, target: busy })))).toMatch(/^INVALID_ARGUMENT: expose: port must be a stream port in 1\.\.65535, got 0$/);
  });
});

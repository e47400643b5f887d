// Hostile tests of UDP flow control (ts/node/udp-flow.ts, ts/node/transport-udp.ts) at the
// transport level, on loopback: forged credits from strangers and from a peer's own socket,
// a peer that never reads, a peer that moves to a new port, and close() with a dead peer.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpTransport } from '../../ts/node/transport-udp.js';
import { CREDIT_LEN, decodeCredit, encodeCredit, encodeCreditRequest, INITIAL_WINDOW, windowFor } from '../../ts/node/udp-flow.js';

const H = '127.0.0.1';
const MiB = 1024 * 1024;
const opened: { close(): unknown }[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function raw(): Promise<Socket & { got: Uint8Array[] }> {
  const s = createSocket('udp4') as Socket & { got: Uint8Array[] };
  s.got = [];
  s.on('message', (m) => s.got.push(new Uint8Array(m)));
  await new Promise<void>((r) => s.bind(0, H, () => r()));
  opened.push({ close: () => s.close() });
  return s;
}
async function udp(onDatagram: (d: Uint8Array, from: number) => void = () => {}): Promise<UdpTransport> {
  const t = await UdpTransport.bind(H, 0, onDatagram);
  opened.push(t);
  return t;
}
const send = (s: Socket, d: Uint8Array, port: number) => new Promise<void>((r) => s.send(d, port, H, () => r()));

afterEach(async () => {
  for (const o of opened.splice(0)) {
    try {
      await o.close();
    } catch {
      /* closed */
    }
  }
});

describe('hostile UDP flow control', () => {
  it('credits from a stranger are ignored; a peer cannot break the sender with 1e300, Infinity, NaN, -1 or wrong lengths', async () => {
    const peer = await raw(); // a peer that never credits
    const stranger = await raw();
    const a = await udp();
    const pa = { host: H, port: peer.address().port };
    a.setPeers(new Map([[2, pa]]));
    const d = new Uint8Array(1200);
    for (let i = 0; i < 200; i++) a.send(pa, d, 2); // 240 000 bytes > INITIAL_WINDOW
    const waiting = a.flowStats().waitingBytes;
    expect(waiting).toBeGreaterThan(0);
    await send(stranger, encodeCredit(1e12), a.local.port);
    await sleep(5);
    expect(a.flow.creditsTaken).toBe(0);
    // From the peer's own address: bad limits decode as nothing, so are not credits (they go to the core as data).
    const inf = new Uint8Array(encodeCredit(1));
    new DataView(inf.buffer).setFloat64(8, Infinity);
    expect(decodeCredit(inf)).toBeUndefined();
    expect(decodeCredit(encodeCredit(-5))).toBeUndefined();
    expect(decodeCredit(encodeCredit(NaN))).toBeUndefined();
    const long = new Uint8Array(CREDIT_LEN + 1);
    long.set(encodeCredit(1e12));
    expect(decodeCredit(long)).toBeUndefined();
    for (const c of [inf, encodeCredit(-5), encodeCredit(NaN), long, encodeCredit(1e12).subarray(0, 15)]) await send(peer, c, a.local.port);
    await sleep(5);
    expect(a.flow.creditsTaken).toBe(0);
    // 1e300 from the peer: it opens the flow (the peer's choice) and arithmetic stays finite.
    await send(peer, encodeCredit(1e300), a.local.port);
    await sleep(20);
    expect(a.flow.creditsTaken).toBe(1);
    expect(a.flowStats().waitingBytes).toBe(0);
    for (let i = 0; i < 100; i++) a.send(pa, d, 2);
    expect(a.flowStats().waitingBytes).toBe(0);
    expect(a.stats.backlogDrops).toBe(0);
  });

  it('a UDP node credits only known peers: data from a stranger brings no credit back', async () => {
    const a = await udp();
    const stranger = await raw();
    for (let i = 0; i < 100; i++) await send(stranger, new Uint8Array(1200), a.local.port);
    await sleep(20);
    expect(stranger.got.length).toBe(0);
    expect(a.flow.creditsSent).toBe(0);
  });

  it('a peer that rejoins on a new port is credited from zero, not from what its old socket sent', async () => {
    const r = await udp();
    const oldS = await raw();
    r.setPeers(new Map([[2, { host: H, port: oldS.address().port }]]));
    for (let i = 0; i < 1000; i++) await send(oldS, new Uint8Array(1000), r.local.port); // 1 MB read from the old socket
    await send(oldS, encodeCreditRequest(), r.local.port); // its credit now: all it read plus the window
    await sleep(20);
    const oldMax = Math.max(...oldS.got.map(decodeCredit).filter((x): x is number => x !== undefined));
    // The receiver's window for one peer. (Not oldMax - 1 MB: on a busy machine the kernel may
    // drop some of the old socket's 1000 datagrams, and then it read less than 1 MB.)
    const window = windowFor(r.flowStats().recvBufferBytes, 1);
    expect(oldMax).toBeGreaterThan(500_000 + window); // the old socket was credited for what it sent
    const newS = await raw();
    r.setPeers(new Map([[2, { host: H, port: newS.address().port }]]));
    await send(newS, new Uint8Array(1000), r.local.port);
    await send(newS, encodeCreditRequest(), r.local.port);
    await sleep(20);
    const credits = newS.got.map(decodeCredit).filter((x): x is number => x !== undefined);
    expect(credits.length).toBeGreaterThan(0);
    // The new socket has sent 1000 bytes: its limit is that plus the window, not 1 MB more.
    expect(Math.max(...credits)).toBe(1000 + window);
  });

  it('a peer that never reads: the queue is capped at 64 MiB, probes stay at ~1 per 25 ms, whenWritable waits without spinning, close() is bounded and wakes waiters', async () => {
    const dead = await raw();
    const pa = { host: H, port: dead.address().port };
    dead.close(); // nobody reads at that port
    opened.pop();
    const a = await udp();
    a.setPeers(new Map([[2, pa]]));
    const d = new Uint8Array(1400);
    const n = Math.ceil((80 * MiB) / d.length);
    for (let i = 0; i < n; i++) a.send(pa, d, 2);
    const st = a.flowStats();
    expect(st.waitingBytes).toBeLessThanOrEqual(64 * MiB);
    expect(a.stats.backlogDrops).toBeGreaterThan(0);
    // whenWritable must wait (the queue is over high water), and must not spin the event loop meanwhile.
    const w = a.whenWritable();
    expect(w).not.toBeNull();
    let woke = false;
    void w!.then(() => (woke = true));
    const cpu0 = process.cpuUsage();
    const p0 = a.flow.probes;
    const t0 = performance.now();
    await sleep(500);
    const cpu = process.cpuUsage(cpu0);
    const probes = a.flow.probes - p0;
    const el = performance.now() - t0;
    expect(probes).toBeLessThanOrEqual(Math.ceil(el / 25) + 2);
    // A probe is one datagram per 25 ms to a dead peer.
    expect(st.waitingBytes - a.flowStats().waitingBytes).toBeLessThanOrEqual((probes + 2) * 1400);
    expect((cpu.user + cpu.system) / 1000, 'CPU ms spent waiting 500 ms').toBeLessThan(250);
    const c0 = performance.now();
    await a.close();
    opened.pop();
    expect(performance.now() - c0).toBeLessThan(2300);
    await sleep(50);
    expect(woke, 'a writer waiting on whenWritable is woken by close()').toBe(true);
  }, 20_000);

  it('a sender whose peer restarts on the same address is not held at the probe rate by its old count', async () => {
    // Receiver 1 reads 4 MiB, then its socket is replaced by a new one on the same port (a restart).
    const a = await udp();
    let got = 0;
    const r1 = await udp(() => got++);
    const port = r1.local.port;
    a.setPeers(new Map([[2, { host: H, port }]]));
    r1.setPeers(new Map([[1, a.local]]));
    const d = new Uint8Array(1400);
    for (let i = 0; i < (4 * MiB) / 1400; i++) a.send({ host: H, port }, d, 2);
    for (let i = 0; i < 200 && a.flowStats().waitingBytes > 0; i++) await sleep(10);
    expect(a.flowStats().waitingBytes).toBe(0);
    await r1.close();
    opened.splice(opened.indexOf(r1), 1);
    let got2 = 0;
    const r2 = await UdpTransport.bind(H, port, () => got2++);
    opened.push(r2);
    r2.setPeers(new Map([[1, a.local]]));
    const p0 = a.flow.probes;
    const t0 = performance.now();
    for (let i = 0; i < (4 * MiB) / 1400; i++) a.send({ host: H, port }, d, 2);
    for (let i = 0; i < 400 && a.flowStats().waitingBytes > 0; i++) await sleep(10);
    const el = performance.now() - t0;
    expect({ waiting: a.flowStats().waitingBytes, probes: a.flow.probes - p0 }).toEqual({ waiting: 0, probes: expect.any(Number) });
    expect(a.flow.probes - p0, `${el.toFixed(0)} ms`).toBeLessThan(5);
  }, 20_000);
});

describe('hostile UDP bridge credits', () => {
  it('a face credits only sources that map to a node, and a node that moved to a new port is credited from zero', async () => {
    const { UdpBridge } = await import('../../ts/controller/udp-bridge.js');
    const oldS = await raw();
    const newS = await raw();
    const stranger = await raw();
    const known = new Set([oldS.address().port, newS.address().port]);
    const b = new UdpBridge(H, { nodeAt: (_h, port) => (known.has(port) ? 5 : undefined), toRelay: () => true });
    opened.push({ close: () => b.closeAll() });
    const face = (await b.open(9))!;
    for (let i = 0; i < 50; i++) await send(stranger, new Uint8Array(1200), face);
    for (let i = 0; i < 1000; i++) await send(oldS, new Uint8Array(1000), face);
    await send(oldS, encodeCreditRequest(), face);
    await send(stranger, encodeCreditRequest(), face);
    await sleep(20);
    expect(stranger.got.length, 'credits to a stranger').toBe(0);
    expect(b.counters.dropsUnknownSource).toBe(51); // 50 datagrams and a credit request
    const oldMax = Math.max(...oldS.got.map(decodeCredit).filter((x): x is number => x !== undefined));
    const window = oldMax - 1_000_000;
    expect(window).toBeGreaterThan(0);
    // Node 5 comes back on a new port (the old one is still known here: the controller's table is not the point).
    await send(newS, new Uint8Array(1000), face);
    await send(newS, encodeCreditRequest(), face);
    await sleep(20);
    const credits = newS.got.map(decodeCredit).filter((x): x is number => x !== undefined);
    expect(Math.max(...credits)).toBe(1000 + window);
  });
});

// A baseline process: raw node:dgram and node:net on 127.0.0.1, no nextmini. Same loop
// shapes as agent.mjs so the two are measured the same way.
import { createSocket } from 'node:dgram';
import { createServer, connect } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import { serve, wallMs } from './lib/proc.mjs';
import { rssHandlers } from './lib/rss.mjs';
import { payload as payloadFor, sha256 } from './lib/payload.mjs';

// The same kernel buffer request as nextmini's UDP transport, so neither side gets more.
const SOCKET_BUFFER = 8 * 1024 * 1024;
const HOST = '127.0.0.1';

let udp; // one UDP socket per process
let flowSocks = []; // udpBindFlows: one more socket per concurrent flow
let onUdp = () => {};
let server;
const sockets = new Set();
const jobs = new Map();

const handlers = {
  ...rssHandlers(),
  async udpBind() {
    udp = createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
    await new Promise((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, HOST, resolve);
    });
    udp.on('message', (m, r) => onUdp(m, r));
    udp.on('error', () => {});
    return udp.address().port;
  },

  /** What the kernel granted the main UDP socket (Linux reports twice the payload it holds). */
  async udpBuffers() {
    return { recvBufferBytes: udp.getRecvBufferSize(), sendBufferBytes: udp.getSendBufferSize() };
  },

  /**
   * `n` more UDP sockets, one per concurrent flow, each asking the kernel for the same buffers
   * as the main one; what arrives on any of them goes to the armed sink. Returns their ports.
   */
  async udpBindFlows({ n }) {
    await closeFlowSocks();
    for (let i = 0; i < n; i++) {
      const s = createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.bind(0, HOST, resolve);
      });
      s.on('message', (m, r) => onUdp(m, r));
      s.on('error', () => {});
      flowSocks.push(s);
    }
    return flowSocks.map((s) => s.address().port);
  },

  /**
   * Concurrent paced flows: flow i sends its share of `totalBytes` from this process's i-th
   * flow socket to `ports[i]`, each flow in bursts of `burst` with setImmediate between bursts
   * (so the flows interleave burst by burst, like independent senders on one event loop).
   */
  async udpFlowsSource({ ports, totalBytes, burst, dgramSize = 1400 }) {
    if (flowSocks.length < ports.length) throw new Error(`udpFlowsSource: ${ports.length} flows, ${flowSocks.length} flow sockets (udpBindFlows first)`);
    const buf = Buffer.alloc(dgramSize, 0x5a);
    let errors = 0;
    const onSent = (err) => {
      if (err) errors++;
    };
    const share = Math.floor(totalBytes / ports.length);
    const tStart = wallMs();
    await Promise.all(
      ports.map(async (port, i) => {
        const s = flowSocks[i];
        let left = i === ports.length - 1 ? totalBytes - share * (ports.length - 1) : share;
        while (left > 0) {
          for (let j = 0; j < burst && left > 0; j++) {
            const n = Math.min(left, dgramSize);
            s.send(n === dgramSize ? buf : buf.subarray(0, n), port, HOST, onSent);
            left -= n;
          }
          await new Promise((r) => setImmediate(r));
        }
      }),
    );
    return { tStart, tEnd: wallMs(), errors };
  },

  /**
   * The in-process baseline of scenario 1's memory-link cases: `count` messages of `size` bytes
   * from one loop to another in this process through a MessageChannel (one structured-clone
   * copy per message, each delivered in a task of its own), with the goodput loops' window
   * and cumulative acks (every `ackEvery` messages, back over the same channel).
   */
  async channelGoodput({ count, size, window, ackEvery, deadlineMs = 60_000 }) {
    const { port1: tx, port2: rx } = new MessageChannel();
    const payload = new Uint8Array(size).fill(0x5a); // its own ArrayBuffer: a clone copies just it
    let acked = 0;
    let wake = null;
    tx.on('message', (n) => {
      acked = Math.max(acked, n);
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
    });
    let got = 0;
    let bytes = 0;
    let tLast = NaN;
    let timer;
    const done = new Promise((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
      rx.on('message', (m) => {
        got++;
        bytes += m.length;
        tLast = wallMs();
        if (got % ackEvery === 0 || got === count) rx.postMessage(got);
        if (got === count) resolve();
      });
    });
    const tStart = wallMs();
    try {
      for (let sent = 0; sent < count && wallMs() - tStart < deadlineMs; ) {
        if (sent - acked >= window) {
          await new Promise((r) => (wake = r));
          continue;
        }
        tx.postMessage(payload);
        sent++;
      }
      await done;
    } finally {
      clearTimeout(timer);
      tx.close();
      rx.close();
    }
    return { messages: got, bytes, tStart, tLast };
  },

  /** Counts datagrams until `expectedBytes` arrived or the socket is idle for `idleMs`. */
  async udpArmSink({ key, expectedBytes, firstWaitMs = 15_000, idleMs = 500, deadlineMs = 60_000 }) {
    jobs.set(
      key,
      sink(expectedBytes, firstWaitMs, idleMs, deadlineMs, (h) => (onUdp = h), (m) => m.length),
    );
    return true;
  },

  /** Sends `totalBytes` as `dgramSize`-byte datagrams in bursts of `burst`, yielding (setImmediate) between bursts. */
  async udpSource({ port, totalBytes, dgramSize = 1400, burst = 16 }) {
    const buf = Buffer.alloc(dgramSize, 0x5a);
    let left = totalBytes;
    let sent = 0;
    let errors = 0;
    const onSent = (err) => {
      if (err) errors++;
    };
    const tStart = wallMs();
    while (left > 0) {
      for (let i = 0; i < burst && left > 0; i++) {
        const n = Math.min(left, dgramSize);
        udp.send(n === dgramSize ? buf : buf.subarray(0, n), port, HOST, onSent);
        left -= n;
        sent++;
      }
      await new Promise((r) => setImmediate(r));
    }
    return { tStart, tEnd: wallMs(), datagrams: sent, errors };
  },

  async tcpListen() {
    server = createServer((s) => {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.on('data', (c) => onTcp(c));
      s.on('end', () => onTcpEnd());
    });
    await new Promise((resolve) => server.listen(0, HOST, resolve));
    return server.address().port;
  },

  async tcpArmSink({ key, expectedBytes, firstWaitMs = 15_000, idleMs = 1000, deadlineMs = 60_000 }) {
    jobs.set(
      key,
      sink(expectedBytes, firstWaitMs, idleMs, deadlineMs, (h) => (onTcp = h), (c) => c.length),
    );
    return true;
  },

  /** Writes `count` messages of `size` bytes on one connection, honouring write() backpressure. */
  async tcpSource({ port, count, size }) {
    return handlers.tcpSourceFlows({ port, flows: 1, count, size });
  },

  /**
   * Writes `count` messages of `size` bytes split across `flows` connections opened before
   * the clock starts, all writing at once, each honouring write() backpressure.
   */
  async tcpSourceFlows({ port, flows, count, size }) {
    const socks = await Promise.all(
      Array.from(
        { length: flows },
        () =>
          new Promise((resolve, reject) => {
            const s = connect({ host: HOST, port });
            s.setNoDelay(true);
            s.once('connect', () => {
              s.on('error', () => {});
              resolve(s);
            });
            s.once('error', reject);
          }),
      ),
    );
    const buf = Buffer.alloc(size, 0x5a);
    const share = Math.floor(count / flows);
    const tStart = wallMs();
    await Promise.all(
      socks.map(async (s, f) => {
        const n = f === flows - 1 ? count - share * (flows - 1) : share;
        for (let i = 0; i < n; i++) {
          if (!s.write(buf)) await new Promise((r) => s.once('drain', r));
        }
      }),
    );
    const tEnd = wallMs();
    await Promise.all(socks.map((s) => new Promise((r) => s.end(r))));
    return { tStart, tEnd };
  },

  /**
   * Receives one transfer of `expectedBytes` into a buffer allocated up front (as a lossless
   * receiver does); the time of the last byte (with `untilEof`, of the sender's FIN, as a
   * stream reader sees its end) is recorded before hashing it.
   */
  async tcpArmBuffer({ key, expectedBytes, untilEof = false, deadlineMs = 120_000 }) {
    const buf = new Uint8Array(expectedBytes);
    let at = 0;
    jobs.set(
      key,
      new Promise((resolve) => {
        const finish = (tDone) => {
          clearTimeout(timer);
          onTcp = () => {};
          onTcpEnd = () => {};
          resolve({ ok: at === expectedBytes, tDone, length: at, sha256: at === expectedBytes ? sha256(buf) : null });
        };
        const timer = setTimeout(() => finish(wallMs()), deadlineMs);
        onTcp = (c) => {
          const n = Math.min(c.length, expectedBytes - at);
          buf.set(n === c.length ? c : c.subarray(0, n), at);
          at += n;
          if (at === expectedBytes && !untilEof) finish(wallMs());
        };
        if (untilEof) onTcpEnd = () => finish(wallMs());
      }),
    );
    return true;
  },

  /**
   * Sends one payload to every port in `ports` at once, one connection each, with write()
   * backpressure. The clock starts once connected, or with `clockFromConnect` before connecting.
   */
  async tcpFanout({ ports, size, seed, chunk = 1 << 20, clockFromConnect = false }) {
    const p = payloadFor(size, seed);
    const t0 = wallMs();
    const socks = await Promise.all(
      ports.map(
        (port) =>
          new Promise((resolve, reject) => {
            const s = connect({ host: HOST, port });
            s.setNoDelay(true);
            s.once('connect', () => resolve(s));
            s.once('error', reject);
          }),
      ),
    );
    const tStart = clockFromConnect ? t0 : wallMs();
    await Promise.all(
      socks.map(async (s) => {
        for (let off = 0; off < size; off += chunk) {
          if (!s.write(p.bytes.subarray(off, Math.min(size, off + chunk)))) await new Promise((r) => s.once('drain', r));
        }
        await new Promise((r) => s.end(r));
      }),
    );
    return { tStart, tEnd: wallMs(), sha256: p.sha256 };
  },

  /** Echoes every datagram to its sender. */
  async udpEcho() {
    onUdp = (m, r) => udp.send(m, r.port, r.address);
    return true;
  },

  /** Forwards between two ports: from `a` to `b` and from anyone else to `a`. */
  async udpRelay({ a, b }) {
    onUdp = (m, r) => udp.send(m, r.port === a ? b : a, HOST);
    return true;
  },

  async udpPing({ port, count, warmup, size, timeoutMs = 2000 }) {
    const buf = Buffer.alloc(size, 0x5a);
    const rtts = [];
    let lost = 0;
    for (let i = 0; i < warmup + count && lost < 20; i++) {
      const t0 = performance.now();
      const got = await new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        onUdp = () => {
          clearTimeout(t);
          resolve(true);
        };
        udp.send(buf, port, HOST);
      });
      if (!got) lost++;
      else if (i >= warmup) rtts.push(performance.now() - t0);
    }
    onUdp = () => {};
    return { rtts, lost };
  },

  async result({ key }) {
    const j = jobs.get(key);
    if (!j) throw new Error(`no job ${key}`);
    jobs.delete(key);
    return await j;
  },

};
let onTcp = () => {};
let onTcpEnd = () => {};

/**
 * Counts arrivals (via `install(handler)`) until `expectedBytes`, `idleMs` without any after
 * the first, `firstWaitMs` without a first one, or `deadlineMs` in all.
 */
function sink(expectedBytes, firstWaitMs, idleMs, deadlineMs, install, sizeOf) {
  return new Promise((resolve) => {
    let bytes = 0;
    let arrivals = 0;
    let tFirst = NaN;
    let tLast = NaN;
    const armed = wallMs();
    const finish = () => {
      clearInterval(check);
      install(() => {});
      resolve({ bytes, arrivals, tFirst, tLast });
    };
    const check = setInterval(() => {
      const now = wallMs();
      if (now - armed > deadlineMs || (arrivals === 0 ? now - armed > firstWaitMs : now - tLast > idleMs)) finish();
    }, 20);
    install((m) => {
      bytes += sizeOf(m);
      arrivals++;
      tLast = wallMs();
      if (arrivals === 1) tFirst = tLast;
      if (bytes >= expectedBytes) finish();
    });
  });
}

serve(handlers, async () => {
  await handlers.rssStop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => (server ? server.close(() => r()) : r()));
  await new Promise((r) => (udp ? udp.close(() => r()) : r()));
  await closeFlowSocks();
});

async function closeFlowSocks() {
  await Promise.all(flowSocks.map((s) => new Promise((r) => s.close(() => r()))));
  flowSocks = [];
}

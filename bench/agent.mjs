// A bench node process: hosts one or more nextmini Dataplanes and runs measurement loops
// inside the process (the bench process only sends commands and collects results over IPC,
// so IPC latency never enters a measurement). Imports the built package (dist/).
import { Dataplane, PacketView, startNetwork } from '../dist/node.js';
import { serve, wallMs } from './lib/proc.mjs';
import { rssHandlers } from './lib/rss.mjs';
import { payload as payloadFor, sha256 } from './lib/payload.mjs';
import { controllerAlone, multicastProbe, unicastProbe } from './lib/scale-probes.mjs';

const nodes = new Map(); // nodeId -> Dataplane
const jobs = new Map(); // key -> Promise of a background loop's result
const networks = []; // startNetwork results (openNetwork), closed with their nodes

const dp = (id) => {
  const d = nodes.get(id);
  if (!d) throw new Error(`no node ${id} in this process`);
  return d;
};
const u32 = (n) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
};
const readU32 = (b) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0);

const payloads = new Map();
function payloadOf(size) {
  if (payloads.has(size)) return payloads.get(size);
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 255;
  const v = PacketView.fromBuffer(b, { copy: false });
  payloads.set(size, v);
  return v;
}

const handlers = {
  ...rssHandlers(),
  /** Opens every config in parallel; returns how long it took. */
  async open({ configs }) {
    const t0 = wallMs();
    const opened = await Promise.all(configs.map((c) => Dataplane.open(c, { connectTimeoutMs: 20_000 })));
    for (const d of opened) nodes.set(d.nodeId, d);
    return { ms: wallMs() - t0 };
  },

  /** Waits for TopologyReady on every hosted node; returns the wall time at which the last one saw it. */
  async ready({ timeoutMs }) {
    const ok = await Promise.all([...nodes.values()].map((d) => d.waitForTopologyReady({ timeoutMs })));
    return { ok: ok.every(Boolean), at: wallMs() };
  },

  /**
   * A whole network in this process (startNetwork over memory): ms from the call to every node
   * ready, RSS and heap before and after (after a GC when --expose-gc), then the optional
   * probes (a unicast across the diameter, a lossless multicast), then closes it.
   */
  async network({ topology, timeoutMs = 120_000, unicast, multicast }) {
    if (globalThis.gc) globalThis.gc();
    const before = process.memoryUsage();
    const t0 = wallMs();
    const net = await startNetwork({ topology });
    try {
      const ok = await net.ready({ timeoutMs });
      const ms = wallMs() - t0;
      if (globalThis.gc) globalThis.gc();
      const after = process.memoryUsage();
      const r = { ok, ms, nodes: net.nodes.length, rssBefore: before.rss, rssAfter: after.rss, heapBefore: before.heapUsed, heapAfter: after.heapUsed };
      if (ok && unicast) r.unicast = await unicastProbe(net, unicast).catch((e) => ({ ok: false, error: e.message }));
      if (ok && multicast) r.multicast = await multicastProbe(net, multicast).catch((e) => ({ ok: false, error: e.message }));
      return r;
    } finally {
      await net.close();
    }
  },

  /** A controller alone on a topology: what it adds to a process (bench/lib/scale-probes.mjs). */
  async controllerAlone(args) {
    return controllerAlone(args);
  },

  /**
   * A whole network in this process over `protocol` (memory links for scenario 1's in-process
   * cases): its nodes join `nodes`, so the goodput loops below drive them like any others.
   */
  async openNetwork({ topology, protocol, timeoutMs = 30_000 }) {
    const net = await startNetwork({ topology }, { protocol });
    networks.push(net);
    if (!(await net.ready({ timeoutMs }))) throw new Error(`network not ready within ${timeoutMs} ms`);
    for (const d of net.nodes) nodes.set(d.nodeId, d);
    return { nodes: net.nodes.map((d) => d.nodeId) };
  },

  async closeAll() {
    const owned = new Set(networks.flatMap((n) => n.nodes));
    await Promise.all([...nodes.values()].filter((d) => !owned.has(d)).map((d) => d.close()));
    await Promise.all(networks.splice(0).map((n) => n.close()));
    nodes.clear();
    return true;
  },

  /** CLOCK_MONOTONIC in µs: the time base of --cpu-prof samples, to window a profile. */
  async mono() {
    return Number(process.hrtime.bigint() / 1000n);
  },

  async stats({ node }) {
    return dp(node).stats();
  },


  /**
   * Receiver loop for a goodput run: counts deliveries of one flow until `count` arrived,
   * the flow is idle for `idleMs`, or `deadlineMs` passes. Acks (a cumulative count, 4 B)
   * go back to the source every `ackEvery` deliveries on port `ackPort`.
   */
  async armSink({ key, node, src, srcPort, dstPort, count, ackEvery, ackPort, firstWaitMs = 15_000, idleMs = 1000, deadlineMs = 60_000 }) {
    const d = dp(node);
    const rx = d.registerReceiverFromNode({ srcNodeId: src, srcPort, dstPort });
    const deadline = wallMs() + deadlineMs;
    const loop = (async () => {
      let n = 0;
      let bytes = 0;
      let tFirst = NaN;
      let tLast = NaN;
      try {
        while (n < count && wallMs() < deadline) {
          const m = await rx.recv({ timeoutMs: n === 0 ? firstWaitMs : idleMs });
          if (!m) break;
          n++;
          bytes += m.payload.length;
          tLast = wallMs();
          if (n === 1) tFirst = tLast;
          if (n % ackEvery === 0 || n === count) await d.sendToNode({ dstNodeId: src, frozen: u32(n), srcPort: ackPort, dstPort: ackPort });
        }
      } finally {
        rx.close();
      }
      return { messages: n, bytes, tFirst, tLast, receiverDropped: rx.dropped };
    })();
    jobs.set(key, loop);
    return true;
  },

  async result({ key }) {
    const j = jobs.get(key);
    if (!j) throw new Error(`no job ${key}`);
    jobs.delete(key);
    return await j;
  },

  /**
   * Source loop for a goodput run: sends `count` messages of `size` bytes with at most
   * `window` messages unacknowledged. A window stalled for `stallMs` (a message or ack lost)
   * is opened by one message and counted.
   */
  async source({ node, dst, srcPort, dstPort, count, size, window, ackPort, stallMs = 300, maxStalls = 50, deadlineMs = 60_000 }) {
    const d = dp(node);
    const acks = d.registerReceiverFromNode({ srcNodeId: dst, srcPort: ackPort, dstPort: ackPort });
    const payload = payloadOf(size);
    let sent = 0;
    let acked = 0;
    let forgiven = 0;
    let stalls = 0;
    const tStart = wallMs();
    const deadline = tStart + deadlineMs;
    try {
      while (sent < count && wallMs() < deadline && stalls <= maxStalls) {
        while (acks.pending > 0) acked = Math.max(acked, readU32((await acks.recv()).payload));
        if (sent - acked - forgiven >= window) {
          const a = await acks.recv({ timeoutMs: stallMs });
          if (a) acked = Math.max(acked, readU32(a.payload));
          else {
            stalls++;
            forgiven++;
          }
          continue;
        }
        await d.sendToNode({ dstNodeId: dst, frozen: payload, srcPort, dstPort });
        sent++;
      }
    } finally {
      acks.close();
    }
    return { sent, tStart, tEnd: wallMs(), stalls };
  },

  /** Runs one `source` loop per entry of `flows` at once (concurrent flows); returns each one's result. */
  async sources({ flows }) {
    return Promise.all(flows.map((f) => handlers.source(f)));
  },

  /** Echoes every delivery of a flow back to its source until `count` or idle. */
  async armEcho({ key, node, peer, srcPort, dstPort, count, idleMs = 5000 }) {
    const d = dp(node);
    const rx = d.registerReceiverFromNode({ srcNodeId: peer, srcPort, dstPort });
    const loop = (async () => {
      let n = 0;
      try {
        while (n < count) {
          const m = await rx.recv({ timeoutMs: idleMs });
          if (!m) break;
          n++;
          await d.sendToNode({ dstNodeId: peer, frozen: m.frozenPayload, srcPort: dstPort, dstPort: srcPort });
        }
      } finally {
        rx.close();
      }
      return { echoed: n };
    })();
    jobs.set(key, loop);
    return true;
  },

  /** Sequential round trips of `size`-byte messages; returns RTTs in ms (after `warmup`). */
  async ping({ node, peer, srcPort, dstPort, count, warmup, size, timeoutMs = 2000 }) {
    const d = dp(node);
    const rx = d.registerReceiverFromNode({ srcNodeId: peer, srcPort: dstPort, dstPort: srcPort });
    const payload = payloadOf(size);
    const rtts = [];
    let lost = 0;
    try {
      for (let i = 0; i < warmup + count && lost < 20; i++) {
        const t0 = performance.now();
        await d.sendToNode({ dstNodeId: peer, frozen: payload, srcPort, dstPort });
        const m = await rx.recv({ timeoutMs });
        if (!m) {
          lost++;
          continue;
        }
        if (i >= warmup) rtts.push(performance.now() - t0);
      }
    } finally {
      rx.close();
    }
    return { rtts, lost };
  },
};

// ---- lossless sessions (scenario 3) ----
Object.assign(handlers, {
  /** Creates a group on `node` (the source) and installs its tree. */
  async lxGroup({ node, label, edges }) {
    const d = dp(node);
    const g = await d.createGroup(label);
    await d.setGroupRoutes(g.groupId, edges);
    await d.waitForGroupRoutes(g.groupId, g.srcNodeId, { timeoutMs: 30_000 });
    return { groupId: g.groupId, groupIp: g.groupIp };
  },

  async lxJoin({ node, groupId }) {
    const d = dp(node);
    await d.joinGroup(groupId);
    return d.waitForLocalMembership(groupId, { timeoutMs: 30_000 });
  },

  /**
   * Arms a lossless receive; the background job records the wall time at which the SDK
   * reported completion, then (outside that time) hashes the buffer and releases it.
   */
  async lxArmReceive({ key, node, groupId, destIp, sourceNodeId, expectedBytes, timeoutMs = 60_000 }) {
    const d = dp(node);
    const rid = d.receiveData({ ...(groupId !== undefined ? { groupId } : {}), destIp, sourceNodeId, expectedBytes });
    jobs.set(
      key,
      (async () => {
        const ok = await d.losslessWait(rid, { timeoutMs });
        const tDone = wallMs();
        if (!ok) return { ok, tDone, outcome: d.sessionOutcome(rid), sha256: null };
        const v = d.getDataBuffer(rid);
        return { ok, tDone, outcome: d.sessionOutcome(rid), length: v.length, sha256: sha256(v.read()) };
      })(),
    );
    return true;
  },

  /** Starts every session in `sessions` at once on one buffer; waits for all of them. */
  async lxSend({ node, sessions, size, seed, timeoutMs = 60_000 }) {
    const d = dp(node);
    const p = payloadFor(size, seed);
    const buffer = PacketView.fromBuffer(p.bytes, { copy: false });
    // Bytes each emulated egress link carried during the transfer (link use over a limited link).
    const linkBytes = () => Object.fromEntries((d.stats().links ?? []).map((l) => [l.neighbor, l.bytesSent]));
    const before = linkBytes();
    const tStart = wallMs();
    const sids = sessions.map((s) => d.sendData({ ...s, buffer }));
    const oks = await Promise.all(sids.map((sid) => d.losslessWait(sid, { timeoutMs })));
    const tEnd = wallMs();
    const after = linkBytes();
    const linkSent = Object.fromEntries(Object.entries(after).map(([n, b]) => [n, b - (before[n] ?? 0)]));
    const progress = sids.map((sid) => d.sessionProgress(sid));
    return {
      tStart,
      tEnd,
      ok: oks.every(Boolean),
      outcomes: sids.map((sid) => d.sessionOutcome(sid)),
      sha256: p.sha256,
      repairSymbols: progress.reduce((a, x) => a + (x.repairSymbols ?? 0), 0),
      retransmitted: progress.reduce((a, x) => a + (x.retransmitted ?? 0), 0),
      linkSent,
    };
  },
});

// ---- reliable streams (scenario 8) ----
/** Median of a list (NaN when empty). */
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

Object.assign(handlers, {
  /**
   * Accepts one stream on `port` and reads it to EOF into a buffer allocated up front (as a
   * lossless receiver does). The job records the wall time of EOF, then (outside that time)
   * hashes what arrived. At `deadlineMs` after the accept it stops: the stream is aborted and
   * the bytes read so far are reported (`cut`), so a slow stream cannot stall the bench.
   */
  async streamArmReceive({ key, node, port, expectedBytes, deadlineMs = 60_000, acceptWaitMs = 15_000 }) {
    const d = dp(node);
    const listener = d.listen({ port });
    jobs.set(
      key,
      (async () => {
        let timer;
        const s = await Promise.race([listener.accept(), new Promise((r) => (timer = setTimeout(() => r(null), acceptWaitMs)))]);
        clearTimeout(timer);
        listener.close();
        if (!s) return { ok: false, error: `no connection within ${acceptWaitMs} ms`, bytes: 0 };
        const cpu0 = cpuMs();
        const buf = new Uint8Array(expectedBytes);
        let at = 0;
        let extra = 0;
        let tEnd = NaN;
        let cut = false;
        const stop = setTimeout(() => {
          cut = true;
          tEnd = wallMs();
          s.abort(new Error('bench deadline'));
        }, deadlineMs);
        let error = null;
        try {
          for await (const chunk of s.readable) {
            const n = Math.min(chunk.length, expectedBytes - at);
            buf.set(n === chunk.length ? chunk : chunk.subarray(0, n), at);
            at += n;
            extra += chunk.length - n;
          }
          tEnd = wallMs();
        } catch (err) {
          if (!cut) error = `${err?.code ?? ''} ${err?.message ?? err}`.trim();
        } finally {
          clearTimeout(stop);
        }
        const cpu = cpuMs() - cpu0;
        // Our side's FIN, so that the sender's `closed` resolves (it waits for both).
        if (!cut && !error) await s.close().catch(() => {});
        const ok = !cut && !error && at === expectedBytes && extra === 0;
        return { ok, cut, error, tEnd, bytes: at, extra, cpuMs: cpu, sha256: ok ? sha256(buf) : null };
      })(),
    );
    return true;
  },

  /**
   * Connects to `dst`:`port` and writes `size` bytes (the deterministic payload of `seed`) in
   * `chunk`-byte writes, then closes. The clock starts before connect(). Every `sampleMs` it
   * samples the stream's stats, to tell a window-limited sender (bytes in flight at the
   * congestion window) from one held back by something else (CPU, the application).
   */
  async streamSend({ node, dst, port, size, seed, chunk, recvWindow, sampleMs = 20, deadlineMs = 60_000, keepSamples = false }) {
    const d = dp(node);
    const p = payloadFor(size, seed);
    const samples = [];
    const cpu0 = cpuMs();
    const tStart = wallMs();
    const s = await d.connect({ dstNodeId: dst, dstPort: port, timeoutMs: 10_000 });
    const tConnected = wallMs();
    const sampler = setInterval(() => {
      const st = s.stats();
      samples.push(st);
    }, sampleMs);
    const stop = setTimeout(() => s.abort(new Error('bench deadline')), deadlineMs);
    let error = null;
    let tWritten = NaN;
    try {
      const w = s.writable.getWriter();
      for (let off = 0; off < size; off += chunk) await w.write(p.bytes.subarray(off, Math.min(size, off + chunk)));
      await w.close();
      tWritten = wallMs();
      await s.closed;
    } catch (err) {
      error = `${err?.code ?? ''} ${err?.message ?? err}`.trim();
    } finally {
      clearInterval(sampler);
      clearTimeout(stop);
    }
    const tClosed = wallMs();
    const cpu = cpuMs() - cpu0;
    const st = s.stats();
    // "Window-limited": less than two full-size segments of room left in the window.
    const limited = samples.filter((x) => x.cwndBytes - x.bytesInFlight < 2 * 1400).length;
    // The same against the receiver's window (the core's default; stats() does not report the peer's).
    const rwndLimited = samples.filter((x) => recvWindow - x.bytesInFlight < 2 * 1400).length;
    return {
      tStart,
      tConnected,
      tWritten,
      tClosed,
      error,
      sha256: p.sha256,
      cpuMs: cpu,
      stats: st,
      samples: samples.length,
      cwndMedian: median(samples.map((x) => x.cwndBytes)),
      inFlightMedian: median(samples.map((x) => x.bytesInFlight)),
      rttMsMedian: median(samples.map((x) => x.rttMs ?? NaN)),
      windowLimitedPct: samples.length ? (100 * limited) / samples.length : NaN,
      recvWindowLimitedPct: samples.length && recvWindow ? (100 * rwndLimited) / samples.length : NaN,
      // For looking into one transfer by hand: [ms since connect, cwnd, in flight, rtt ms, retransmits, bytes sent].
      ...(keepSamples ? { series: samples.map((x, i) => [i * sampleMs, x.cwndBytes, x.bytesInFlight, x.rttMs, x.retransmits, x.bytesSent]) } : {}),
    };
  },
});

serve(handlers, async () => {
  await handlers.rssStop();
  await handlers.closeAll();
});

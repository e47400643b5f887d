// Ping and unicast between two nodes. The SDK has no ping, so the page times an echo of its
// own: the target answers each 16-byte probe on port 7007 back to the sender's port 7008;
// the RTT is the time from sendToNode to the answer's arrival (both nodes in this tab).

const ECHO_PORT = 7007;
const REPLY_PORT = 7008;
const TEXT_PORT = 7001;
const MAX_PAYLOAD = 16 * 1024 * 1024;
/** How long a probe's answer is waited for before the next probe goes (a later answer still counts, as late). */
export const WAIT_MS = 2000;

/** Per network: echo and text receivers already registered ("src>dst"), and pending probes. */
export class Pinger {
  constructor(net, log) {
    this.net = net;
    this.log = log;
    this.echoes = new Set();
    this.replies = new Map(); // "dst>src" -> receiver of answers at src
    this.texts = new Set();
  }

  #echo(src, dst) {
    const key = `${src}>${dst}`;
    if (this.echoes.has(key)) return;
    this.echoes.add(key);
    const target = this.net.node(dst);
    const rx = target.registerReceiverFromNode({ srcNodeId: src, dstPort: ECHO_PORT });
    (async () => {
      for await (const d of rx) await target.sendToNode({ dstNodeId: src, frozen: d.payload, dstPort: REPLY_PORT }).catch(() => {});
    })().catch(() => {});
    this.replies.set(key, this.net.node(src).registerReceiverFromNode({ srcNodeId: dst, dstPort: REPLY_PORT }));
  }

  /**
   * `count` probes, one at a time, each waited for WAIT_MS. Resolves with { rtts } (ms, null:
   * no answer in time) and { late: [[i, ms]] }: answers that came after their wait (a probe
   * queued behind a transfer is slow, not lost), reported as they arrive through onLate(i, ms)
   * and, for the last probes, for one more WAIT_MS after the fifth.
   */
  async ping(src, dst, count, onSample, onLate = () => {}) {
    if (src === dst) throw new Error(`ping: choose two different nodes (both are ${src})`);
    this.#echo(src, dst);
    const replies = this.replies.get(`${src}>${dst}`);
    // Sequence numbers run on across pings, so an answer to an earlier ping is never taken for one of this one.
    const base = this.nextSeq ?? 0;
    this.nextSeq = base + count;
    const sentAt = new Map();
    const rtts = [];
    const late = [];
    /** Waits until `deadline` for the answer to probe `want` (or none), noting late answers to earlier probes. */
    const await_ = async (want, deadline) => {
      for (;;) {
        const d = await replies.recv({ timeoutMs: Math.max(1, deadline - performance.now()) });
        if (!d) return null;
        const i = new DataView(d.payload.buffer, d.payload.byteOffset).getUint32(0) - base;
        const rtt = performance.now() - (sentAt.get(i) ?? NaN);
        if (i === want) return rtt;
        if (rtts[i] === null && !late.some(([j]) => j === i)) {
          late.push([i, rtt]);
          onLate(i, rtt);
        }
      }
    };
    for (let i = 0; i < count; i++) {
      const probe = new Uint8Array(16);
      new DataView(probe.buffer).setUint32(0, base + i);
      const t = performance.now();
      sentAt.set(i, t);
      await this.net.node(src).sendToNode({ dstNodeId: dst, frozen: probe, dstPort: ECHO_PORT });
      const rtt = await await_(i, t + WAIT_MS);
      rtts.push(rtt);
      onSample(i, rtt);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (rtts.some((r) => r === null)) await await_(-1, performance.now() + WAIT_MS);
    return { rtts, late };
  }

  /** Sends `bytes` from src to dst; the receiving side logs what arrives. */
  async send(src, dst, bytes, label) {
    if (src === dst) throw new Error(`send: choose two different nodes (both are ${src})`);
    if (bytes.length > MAX_PAYLOAD) throw new Error(`send: at most 16 MiB in one message here, got ${bytes.length} bytes`);
    const key = `${src}>${dst}`;
    if (!this.texts.has(key)) {
      this.texts.add(key);
      const rx = this.net.node(dst).registerReceiverFromNode({ srcNodeId: src, dstPort: TEXT_PORT });
      (async () => {
        const dec = new TextDecoder();
        for await (const d of rx) this.log(`node ${dst} received from ${src}: ${d.payload.length <= 120 ? JSON.stringify(dec.decode(d.payload)) : `${d.payload.length} bytes`}`, 'ok');
      })().catch(() => {});
    }
    const id = await this.net.node(src).sendToNode({ dstNodeId: dst, frozen: bytes, dstPort: TEXT_PORT });
    this.log(`node ${src} sent #${id} to ${dst}: ${label}`);
  }
}

// Ping and unicast between two nodes. The SDK has no ping, so the page times an echo of its
// own: the target answers each 16-byte probe on port 7007 back to the sender's port 7008;
// the RTT is the time from sendToNode to the answer's arrival (both nodes in this tab).

const ECHO_PORT = 7007;
const REPLY_PORT = 7008;
const TEXT_PORT = 7001;
const MAX_PAYLOAD = 16 * 1024 * 1024;

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

  /** `count` probes, one at a time; resolves with RTTs in ms (null: no answer within 2 s). */
  async ping(src, dst, count, onSample) {
    if (src === dst) throw new Error(`ping: choose two different nodes (both are ${src})`);
    this.#echo(src, dst);
    const replies = this.replies.get(`${src}>${dst}`);
    const out = [];
    for (let seq = 0; seq < count; seq++) {
      const probe = new Uint8Array(16);
      new DataView(probe.buffer).setUint32(0, seq);
      const t = performance.now();
      await this.net.node(src).sendToNode({ dstNodeId: dst, frozen: probe, dstPort: ECHO_PORT });
      // Skip stale answers to earlier probes that timed out.
      let rtt = null;
      for (;;) {
        const d = await replies.recv({ timeoutMs: 2000 });
        if (!d) break;
        if (new DataView(d.payload.buffer, d.payload.byteOffset).getUint32(0) === seq) {
          rtt = performance.now() - t;
          break;
        }
      }
      out.push(rtt);
      onSample(seq, rtt);
      await new Promise((r) => setTimeout(r, 100));
    }
    return out;
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

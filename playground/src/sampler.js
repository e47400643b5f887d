// Samples every node's link counters twice a second (dp.stats().links, per direction) and
// turns them into per-link rates and loss, kept as a short history for the charts.

export const SAMPLE_MS = 500;
export const HISTORY_S = 60;

export class Sampler {
  /** @param net the Network from startNetwork; onSample(sampler) after each sample */
  constructor(net, onSample) {
    this.net = net;
    this.onSample = onSample;
    this.prev = new Map(); // "a>b" -> { bytes, t }
    this.dir = new Map(); // "a>b" -> { rate, bytesSent, packetsSent, dropsLoss, dropsQueue, queueDepth, inFlight, measuredRate, dropping }
    this.history = new Map(); // "a>b" -> [[t, rate]]
    this.t0 = performance.now();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  sample() {
    const now = performance.now();
    const t = (now - this.t0) / 1000;
    for (const node of this.net.nodes) {
      let links;
      try {
        links = node.stats().links;
      } catch {
        continue; // closing
      }
      for (const l of links) {
        const key = `${node.nodeId}>${l.neighbor}`;
        const p = this.prev.get(key);
        const rate = p ? Math.max(0, ((l.bytesSent - p.bytes) * 1000) / (now - p.t)) : 0;
        const dropping = p ? l.dropsLoss > p.drops : false;
        this.prev.set(key, { bytes: l.bytesSent, drops: l.dropsLoss, t: now });
        this.dir.set(key, { ...l, rate, dropping });
        const h = this.history.get(key) ?? [];
        h.push([t, rate]);
        while (h.length && h[0][0] < t - HISTORY_S) h.shift();
        this.history.set(key, h);
      }
    }
    this.now = t;
    this.onSample(this);
  }

  /** Both directions of the link a — b summed: { rate, dropsLoss, dropping }. */
  link(a, b) {
    const x = this.dir.get(`${a}>${b}`);
    const y = this.dir.get(`${b}>${a}`);
    return { rate: (x?.rate ?? 0) + (y?.rate ?? 0), dropsLoss: (x?.dropsLoss ?? 0) + (y?.dropsLoss ?? 0), dropping: Boolean(x?.dropping || y?.dropping) };
  }

  stop() {
    clearInterval(this.timer);
  }
}

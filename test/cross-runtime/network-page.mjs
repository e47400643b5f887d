// The browser side of the in-tab network test: startNetwork from dist/browser.js (through the
// installed package) runs a controller and a whole fat tree in this page, with no server, and
// moves a unicast message and a lossless multicast across it. Driven through window.network.
import * as nm from 'nextmini';
import { payloadFor } from '/payload.mjs';

const hex = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');
const errorOf = (p) => p.then(() => 'resolved', (e) => `${e.code}: ${e.message}`);

/** The k-ary fat tree's links and hosts, numbered as the core numbers them (core-rs FatTreeIds). */
function fatTree(k) {
  const h = k / 2;
  const core = (g, m) => 1 + g * h + m;
  const agg = (p, i) => 1 + h * h + p * h + i;
  const edge = (p, i) => 1 + h * h + k * h + p * h + i;
  const host = (p, e, x) => 1 + h * h + k * k + (p * h + e) * h + x;
  const edges = [];
  const hosts = [];
  for (let p = 0; p < k; p++) {
    for (let i = 0; i < h; i++) for (let j = 0; j < h; j++) edges.push([core(i, j), agg(p, i)], [agg(p, i), edge(p, j)]);
    for (let e = 0; e < h; e++) {
      for (let x = 0; x < h; x++) {
        edges.push([edge(p, e), host(p, e, x)]);
        hosts.push(host(p, e, x));
      }
    }
  }
  return { edges, hosts };
}

/** A shortest-path tree from `src` to `members` (parent -> child links). */
function tree(edges, src, members) {
  const adj = new Map();
  for (const [a, b] of edges) {
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
  }
  const parent = new Map([[src, 0]]);
  const queue = [src];
  for (let i = 0; i < queue.length; i++) {
    for (const n of adj.get(queue[i]) ?? []) {
      if (!parent.has(n)) {
        parent.set(n, queue[i]);
        queue.push(n);
      }
    }
  }
  const out = new Map();
  for (let m of members) {
    while (m !== src) {
      const p = parent.get(m);
      out.set(`${p}>${m}`, [p, m]);
      m = p;
    }
  }
  return [...out.values()];
}

window.network = {
  async run(k, secret) {
    const t0 = performance.now();
    await nm.init();
    const cfg = { topology: { type: 'fat_tree', fat_tree_config: { k } }, ...(secret ? { auth_token: secret } : {}) };
    const refusals = {
      path: await errorOf(nm.startNetwork('controller.toml')),
      udp: await errorOf(nm.startNetwork(cfg, { protocol: 'udp' })),
    };
    const net = await nm.startNetwork(cfg);
    try {
      const ready = await net.ready({ timeoutMs: 15_000 });
      const readyMs = performance.now() - t0;
      const { edges, hosts } = fatTree(k);
      const src = hosts[0];
      const far = hosts[hosts.length - 1];

      // Unicast across the diameter.
      const text = `hello from ${src}`;
      const rx = net.node(far).registerReceiverFromNode({ srcNodeId: src, dstPort: 7001 });
      await net.node(src).sendToNode({ dstNodeId: far, frozen: new TextEncoder().encode(text), dstPort: 7001 });
      const d = await rx.recv({ timeoutMs: 5000 });
      const unicast = d ? new TextDecoder().decode(d.payload) : null;

      // A lossless multicast from one host to every other host.
      const members = hosts.slice(1);
      const sender = net.node(src);
      const g = await sender.createGroup('in-tab');
      await sender.setGroupRoutes(g.groupId, tree(edges, src, members));
      await Promise.all(members.map((m) => net.node(m).joinGroup(g.groupId)));
      const joined = await Promise.all(members.map((m) => net.node(m).waitForLocalMembership(g.groupId, { timeoutMs: 5000 })));
      const data = payloadFor(200_000, 5);
      const rxs = members.map((m) => net.node(m).receiveData({ groupId: g.groupId, destIp: g.groupIp, sourceNodeId: src, expectedBytes: data.length }));
      const s = sender.sendData({ groupId: g.groupId, destIp: g.groupIp, receiverIds: members, buffer: new nm.PacketView(data) });
      const sent = await sender.losslessWait(s, { timeoutMs: 15_000 });
      const want = await hex(data);
      let delivered = 0;
      for (const [i, m] of members.entries()) {
        const node = net.node(m);
        if ((await node.losslessWait(rxs[i], { timeoutMs: 5000 })) && (await hex(node.getDataBuffer(rxs[i]).read())) === want) delivered++;
      }
      return {
        refusals,
        nodes: net.nodes.length,
        protocols: [...new Set(net.nodes.map((n) => n.getNetworkInfo().protocol))],
        controllerUrl: net.controller.url,
        authRequired: net.controller.status().authRequired,
        ready,
        readyMs: Math.round(readyMs),
        unicast,
        joined: joined.every(Boolean),
        sent,
        outcome: sender.sessionOutcome(s),
        members: members.length,
        delivered,
        drops: net.nodes.reduce((n, x) => n + Object.values(x.stats().drops).reduce((a, b) => a + b, 0), 0),
      };
    } finally {
      await net.close();
    }
  },
};
window.networkLoaded = true;

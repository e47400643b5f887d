// Probe 3 of issue 12: 1,500 slowloris connections each holding a partial 65,000-byte frame and
// sending a byte every 2 s, and 3,000 idle connections, against a TCP node with default limits.
// Held: the listener keeps at most tcp_max_connections, slowloris ones are closed within
// tcp_frame_timeout_ms, and real traffic still flows.
import { connect } from 'node:net';
import { Dataplane, PacketView, startController } from '../../dist/node.js';
import { sleep } from './util.mjs';

async function openMany(port, n, onOpen) {
  const socks = [];
  for (let i = 0; i < n; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.once('connect', () => onOpen?.(s));
    socks.push(s);
    if (i % 100 === 99) await sleep(20);
  }
  return socks;
}

export default {
  id: 'tcp-slowloris',
  issue: 3,
  title: 'TCP links: 1,500 slowloris + 3,000 idle connections',
  async run() {
    const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
    const one = await Dataplane.open({ node_id: 1, controller_addr: c.url, protocol: 'tcp' });
    const two = await Dataplane.open({ node_id: 2, controller_addr: c.url, protocol: 'tcp' });
    const all = [];
    try {
      await one.waitForTopologyReady({ timeoutMs: 10_000 });
      const port = two.getNetworkInfo().privateNetworkPort;
      const hello = Buffer.alloc(13);
      hello.writeUInt32BE(0x4e4d544c, 0);
      hello.writeUInt32BE(1, 4);
      hello.writeUInt32BE(65_000, 8);
      const slow = await openMany(port, 1500, (s) => s.write(hello));
      const drip = setInterval(() => slow.forEach((s) => s.writable && s.write(Buffer.from([1]))), 2000);
      const idle = await openMany(port, 3000);
      all.push(...slow, ...idle);
      await sleep(1500);
      const openAfter = () => all.filter((s) => !s.destroyed && s.readyState === 'open').length;
      const openEarly = openAfter();
      // Real traffic during the flood.
      const rx = two.registerReceiverFromNode({ srcNodeId: 1, srcPort: 1, dstPort: 1 });
      await one.sendToNode({ dstNodeId: 2, frozen: new PacketView(new Uint8Array(8192)), srcPort: 1, dstPort: 1 });
      const got = await rx.recv({ timeoutMs: 5000 });
      await sleep(11_000); // past tcp_frame_timeout_ms (10 s)
      clearInterval(drip);
      const slowLeft = slow.filter((s) => !s.destroyed && s.readyState === 'open').length;
      const refused = two.stats().drops.link_refused;
      const held = openEarly <= 256 && slowLeft === 0 && got !== null;
      return { held, figures: `open after 1.5 s: ${openEarly} of 4,500 (cap 256); refused or timed out ${refused}; slowloris still open after 12.5 s: ${slowLeft}; 8 KiB message during the flood: ${got ? 'delivered' : 'LOST'}` };
    } finally {
      for (const s of all) s.destroy();
      await one.close();
      await two.close();
      await c.close();
    }
  },
};

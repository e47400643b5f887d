// The browser side of the cross-runtime relay test: a Dataplane from dist/browser.js (through
// the installed package), driven by the test through window.relay.
import * as nm from 'nextmini';
import { payloadFor } from '/payload.mjs';

const hex = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');
let dp;
let rx;

window.relay = {
  /** Opens node `own` (protocol left to the browser's default: memory and the relay). */
  async open(url, own, peer, token) {
    let beforeInit = 'resolved';
    try {
      await nm.Dataplane.open({ node_id: own, controller_addr: url });
    } catch (e) {
      beforeInit = e.code;
    }
    await nm.init();
    let stringConfig = 'resolved';
    try {
      await nm.Dataplane.open('node.toml');
    } catch (e) {
      stringConfig = `${e.code}: ${e.message}`;
    }
    let udp = 'resolved';
    try {
      await nm.Dataplane.open({ node_id: own, controller_addr: url, protocol: 'udp' });
    } catch (e) {
      udp = `${e.code}: ${e.message}`;
    }
    dp = await nm.Dataplane.open({ node_id: own, controller_addr: url, ...(token ? { auth_token: token } : {}) });
    rx = dp.registerReceiverFromNode({ srcNodeId: peer });
    return { info: dp.getNetworkInfo(), stringConfig, udp, beforeInit };
  },
  async recv() {
    const d = await rx.recv({ timeoutMs: 20_000 });
    return d ? { length: d.payload.length, sha256: await hex(d.payload), srcIp: d.srcIp } : null;
  },
  async send(peer, size, seed) {
    const data = payloadFor(size, seed);
    await dp.sendToNode({ dstNodeId: peer, frozen: nm.PacketView.fromBuffer(data, { copy: false }) });
    return hex(data);
  },
  async close() {
    const drops = dp.stats().drops;
    await dp.close();
    return drops;
  },
};
window.relayLoaded = true;

// The browser side of the cross-runtime stream test: a relay node from dist/browser.js (through
// the installed package) that listens, connects and exchanges bytes, driven through window.streams.
import * as nm from 'nextmini';
import { payloadFor } from '/payload.mjs';
import { exchange } from '/stream-exchange.mjs';

let dp;
let served;

window.streams = {
  async open(url, own, token) {
    await nm.init();
    dp = await nm.Dataplane.open({ node_id: own, controller_addr: url, auth_token: token });
    return dp.waitForTopologyReady({ timeoutMs: 10_000 });
  },
  /** Listens on `port` and exchanges with the first stream accepted there (result: served()). */
  serve(port, size, seed) {
    const l = dp.listen({ port });
    served = (async () => {
      const s = await l.accept();
      l.close();
      return exchange(s, payloadFor(size, seed));
    })();
    // Keep a failure for served() instead of an unhandled rejection.
    served.catch(() => {});
  },
  served: () => served.catch((e) => ({ error: `${e.code}: ${e.message}` })),
  async connect(peer, port, size, seed) {
    try {
      return await exchange(await dp.connect({ dstNodeId: peer, dstPort: port }), payloadFor(size, seed));
    } catch (e) {
      return { error: `${e.code}: ${e.message}` };
    }
  },
  /** The code (and message) connecting to a port nobody listens on fails with. */
  async refused(peer, port) {
    try {
      const s = await dp.connect({ dstNodeId: peer, dstPort: port, timeoutMs: 10_000 });
      s.abort();
      return 'connected';
    } catch (e) {
      return `${e instanceof nm.NextminiError ? e.code : 'not a NextminiError'}: ${e.message}`;
    }
  },
  async close() {
    const drops = dp.stats().drops;
    await dp.close();
    return drops;
  },
};
window.streamsLoaded = true;

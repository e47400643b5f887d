// Found by a hostile review of issues 11/12, fixed since: with authentication on, a TCP link's
// hello proves the link key (HMAC with a fresh nonce), so only the peer itself counts as the
// peer; impostors are refused at once and cannot evict or lock out its link. What used to happen:
//
// ts/node/transport-tcp.ts #accept: a connection that sends "NMTL" + a peer's id from that peer's
// host address counts as the peer. Over tcp_max_connections_per_peer (4) the longest-silent
// connection is closed if it has been silent STALE_MS (5 s), else the newcomer is refused. A
// link with no traffic for 5 s is normal (bursty testbed traffic), so: three impostors that
// keep sending empty frames (each just a `drops.auth`), then a fourth, evict the real, idle
// link; when the real node redials, all four impostors are "active" and the real one is the
// newcomer that gets refused. Every datagram node 2 sends to node 1 is lost while the impostors
// stay. On a loopback testbed every node has the address 127.0.0.1, so any local process can
// do this; MACs do not help, the datagrams never reach the MAC check.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { Dataplane, PacketView, startController } from 'nextmini';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});
const SECRET = 'tcp-evict-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function impostor(port: number, claimedId: number): Socket {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  const hello = Buffer.alloc(8);
  hello.writeUInt32BE(0x4e4d544c, 0);
  hello.writeUInt32BE(claimedId, 4);
  s.write(hello);
  const keepAlive = setInterval(() => s.write(Buffer.alloc(4)), 1000); // an empty frame a second
  s.on('close', () => clearInterval(keepAlive));
  cleanup.push(async () => {
    clearInterval(keepAlive);
    s.destroy();
  });
  return s;
}

describe('TCP link impostors (authentication on)', () => {
  it("impostors naming node 2 can neither evict node 2's idle link to node 1 nor keep node 2 out", async () => {
    const c = await startController({ port: 0, auth_token: SECRET, topology: { n_nodes: 2, edges: [[1, 2]] } } as never);
    cleanup.push(() => c.close());
    const [n1, n2] = await Promise.all([1, 2].map((id) => Dataplane.open({ node_id: id, controller_addr: c.url, auth_token: SECRET, protocol: 'tcp', metrics_interval_ms: 0 } as never)));
    cleanup.push(() => n1!.close(), () => n2!.close());
    await n1!.waitForTopologyReady({ timeoutMs: 10_000 });
    const rx = n1!.registerReceiverFromNode({ srcNodeId: 2, srcPort: 1, dstPort: 2 });
    const say = (t: string) => n2!.sendToNode({ dstNodeId: 1, frozen: new PacketView(new TextEncoder().encode(t)), srcPort: 1, dstPort: 2 });
    await say('warm-up');
    expect(await rx.recv({ timeoutMs: 3000 })).not.toBeNull(); // node 2's link to node 1 is up

    const port = n1!.getNetworkInfo().privateNetworkPort;
    for (let i = 0; i < 3; i++) impostor(port, 2);
    await sleep(5500); // the real link has been silent for 5 s; the impostors have not
    impostor(port, 2); // the fourth: over the cap, the silent real link goes
    await sleep(500);

    let delivered = 0;
    for (let i = 0; i < 5; i++) {
      await say(`after ${i}`);
      if (await rx.recv({ timeoutMs: 600 })) delivered++;
    }
    console.log(`delivered ${delivered} of 5 after the impostors; node 1 drops`, JSON.stringify(Object.fromEntries(Object.entries(n1!.stats().drops).filter(([, v]) => v))));
    expect(delivered).toBe(5);
  }, 40_000);
});

// Found by a hostile review of issue 11, fixed since (the controller refuses a data address
// another connected node holds). What used to happen: a node with its OWN valid per-node token announces
// another node's data address (same host, other node's port). The controller vouches only for
// the host (ts/controller/admission.ts vouchDataHost), never the port, and does not refuse a
// data address that another node already holds. Node 1's UDP sender map
// (ts/node/transport-udp.ts setPeers: one id per port+host, the last wins) then attributes node
// 2's datagrams to node 3, whose key does not verify them: node 2's link to node 1 is dead
// (drops.auth), and traffic for node 3 goes to node 2's port. Per-node tokens are documented
// to stop one node from joining as another.
import { it, afterEach, expect } from 'vitest';
import { WebSocket } from 'ws';
import { Dataplane, PacketView, startController } from 'nextmini';
import { encode, decode } from '../../ts/control/messages.js';
import { nodeProof } from '../../ts/control/auth.js';
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f().catch(() => {}); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T = { 1: 'tok-1-aaaaaaaaaaaaaaaa', 2: 'tok-2-bbbbbbbbbbbbbbbb', 3: 'tok-3-cccccccccccccccc' } as Record<number, string>;
it('an insider node 3 (own token) announcing node 2\'s data port is refused; node 2 -> node 1 keeps working', async () => {
  const c = await startController({ port: 0, topology: { n_nodes: 3, edges: [[1, 2], [1, 3]] }, nodes: [1, 2, 3].map((id) => ({ node_id: id, token: T[id] })) } as never);
  cleanup.push(() => c.close());
  const n1 = await Dataplane.open({ node_id: 1, controller_addr: c.url, protocol: 'udp', auth_token: T[1], metrics_interval_ms: 0 } as never); cleanup.push(() => n1.close());
  const n2 = await Dataplane.open({ node_id: 2, controller_addr: c.url, protocol: 'udp', auth_token: T[2], metrics_interval_ms: 0 } as never); cleanup.push(() => n2.close());
  const rx = n1.registerReceiverFromNode({ srcNodeId: 2, srcPort: 1, dstPort: 2 });
  const say = () => n2.sendToNode({ dstNodeId: 1, frozen: new PacketView(new Uint8Array([1, 2, 3])), srcPort: 1, dstPort: 2 });
  await sleep(300); await say(); console.log('before', !!(await rx.recv({ timeoutMs: 1000 })));
  const p2 = n2.getNetworkInfo().privateNetworkPort;
  const got: string[] = [];
  const ws = new WebSocket(c.url); cleanup.push(async () => ws.terminate());
  ws.on('message', async (d: Buffer) => { const m: any = decode(new Uint8Array(d)); if (m.t === 'challenge') { const cn = new Uint8Array(32); ws.send(encode({ t: 'hello', nodeId: 3, endpoints: [{ protocol: 'udp', host: '127.0.0.1', port: p2 }], clientNonce: cn, proof: await nodeProof(T[3]!, { serverNonce: m.nonce, clientNonce: cn, nodeId: 3 }) } as any)); } else { got.push(m.t); console.log('node3 got', m.t); } });
  await sleep(800);
  let ok = 0; for (let i = 0; i < 3; i++) { await say(); if (await rx.recv({ timeoutMs: 500 })) ok++; }
  console.log('after insider announce: delivered', ok, 'of 3; n1 drops', JSON.stringify(Object.fromEntries(Object.entries(n1.stats().drops).filter(([, v]) => v))));
  expect(got).toEqual(['reject']); // the hostile hello reached the controller and was refused
  expect(ok).toBe(3);
});

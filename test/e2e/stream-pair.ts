// Shared by the stream tests that run two nodes of an in-process network on memory links.
import { expect } from 'vitest';
import { startNetwork, type Network, type NextminiStream, type NodeConfig } from 'nextmini';

/** Nodes 1 - 2 on memory links, ready; `node` adds keys to both nodes' configs. */
export async function twoNodesOnMemory(node: Partial<NodeConfig> = {}): Promise<Network> {
  const net = await startNetwork({ topology: { n_nodes: 2, edges: [[1, 2]] } }, { protocol: 'memory', node: () => node });
  expect(await net.ready({ timeoutMs: 5000 })).toBe(true);
  return net;
}

/** A connected pair on `port`: `s` on node 1, `t` its peer on node 2 (the listener is closed again). */
export async function connectedPair(net: Network, port: number): Promise<{ s: NextminiStream; t: NextminiStream }> {
  const l = net.node(2).listen({ port });
  const accepted = l.accept();
  const s = await net.node(1).connect({ dstNodeId: 2, dstPort: port });
  const t = await accepted;
  l.close();
  return { s, t: t! };
}

/** Reads a stream to its end; the number of bytes. */
export async function countAll(s: NextminiStream): Promise<number> {
  let n = 0;
  for await (const c of s) n += c.length;
  return n;
}

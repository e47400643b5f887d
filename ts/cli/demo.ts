import { PacketBuilder, decodeHeader, encodeDatagram, PacketKind } from '../index.node.js';

export async function runDemo(_args: string[]): Promise<number> {
  const b = new PacketBuilder({ size: 16 });
  b.write('hello from nextmini');
  const view = b.freeze();
  const dg = encodeDatagram({ kind: PacketKind.Unicast, hopLimit: 32, srcNode: 1, dst: 2, srcPort: 45535, dstPort: 8888, messageId: 1, fragIndex: 0, fragCount: 1, totalLen: view.length, sessionId: 0, treeId: 0 }, view.read());
  const h = decodeHeader(dg);
  console.log(`encoded a ${dg.length}-byte datagram from node ${h.srcNode} to node ${h.dst} carrying ${h.payloadLen} bytes`);
  return 0;
}

// A Node relay node for the playground: answers every payload with "echo: <payload>".
//   node playground/echo-node.mjs [ws://127.0.0.1:3000] [node id, default 1]
import { Dataplane } from '../dist/node.js';

const url = process.argv[2] ?? 'ws://127.0.0.1:3000';
const id = Number(process.argv[3] ?? 1);
const dp = await Dataplane.open({ node_id: id, controller_addr: url, protocol: 'relay' });
console.log(`echo node ${id} up at ${url}; answering nodes 1..3`);
const text = new TextDecoder();
for (const peer of [1, 2, 3].filter((n) => n !== id)) {
  const rx = dp.registerReceiverFromNode({ srcNodeId: peer });
  (async () => {
    for await (const d of rx) {
      console.log(`from node ${peer}: ${d.payload.length} B`);
      const reply = new Uint8Array([...new TextEncoder().encode('echo: '), ...d.payload]);
      await dp.sendToNode({ dstNodeId: peer, frozen: reply }).catch((e) => console.error(`echo to ${peer}: ${e.message}`));
    }
  })();
}
process.on('SIGINT', async () => {
  await dp.close();
  process.exit(0);
});

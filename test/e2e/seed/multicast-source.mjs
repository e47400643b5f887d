// The seed's "Multicast control" example, source side, transcribed from nextmini_py to
// nextmini's TypeScript idiom. Usage: node multicast-source.mjs /abs/path/to/source-node.toml
import { Dataplane, PacketView } from '../../../dist/node.js';

const dp = await Dataplane.open(process.argv[2]);
await dp.waitForTopologyReady({ timeoutMs: 30_000 });
await dp.createGroup('training-run');
const { groupId, groupIp, srcNodeId } = await dp.groupIsReady({ timeoutMs: 30_000 });
await dp.setGroupRoutes(groupId, [[srcNodeId, 2], [2, 3]]);
if (!(await dp.waitForGroupRoutes(groupId, srcNodeId, { minRoutes: 1, timeoutMs: 30_000 }))) {
  throw new Error('routes were not installed in time');
}
const controlRx = dp.registerReceiverForGroup({ srcNodeId, groupIp });
console.log(JSON.stringify({ role: 'source', groupId, groupIp, srcNodeId, receiver: controlRx.description }));

// Beyond the seed's snippet: send to the group until the test stops us, so receivers that
// join later still see traffic.
for (let i = 0; i < 300; i++) {
  await dp.sendToGroup({ groupId, frozen: new PacketView(new TextEncoder().encode(`hello group #${i}`)) });
  await new Promise((r) => setTimeout(r, 50));
}
await dp.close();

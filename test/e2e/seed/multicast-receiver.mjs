// The seed's receiver side: join_group, wait_for_local_membership, register_receiver_for_group.
// Usage: node multicast-receiver.mjs /abs/path/to/receiver-node.toml
import { Dataplane, isNextminiError } from '../../../dist/node.js';

const dp = await Dataplane.open(process.argv[2]);
await dp.waitForTopologyReady({ timeoutMs: 30_000 });
// The seed's receivers know the id (group_id=1). The source may not have created it yet:
// retry while the controller says the group does not exist.
for (let i = 0; ; i++) {
  try {
    await dp.joinGroup(1);
    break;
  } catch (err) {
    if (!isNextminiError(err, 'UNKNOWN_GROUP') || i > 200) throw err;
    await new Promise((r) => setTimeout(r, 50));
  }
}
if (!(await dp.waitForLocalMembership(1, { timeoutMs: 30_000 }))) throw new Error('membership not installed in time');
const { groupIp, srcNodeId } = dp.getGroup(1);
const receiver = dp.registerReceiverForGroup({ srcNodeId, groupIp });
const delivery = await receiver.recv({ timeoutMs: 10_000 });
if (delivery === null) {
  console.log(JSON.stringify({ role: 'receiver', nodeId: dp.nodeId, timedOut: true }));
} else {
  console.log(JSON.stringify({ role: 'receiver', nodeId: dp.nodeId, srcIp: delivery.srcIp, dstIp: delivery.dstIp, text: new TextDecoder().decode(delivery.payload) }));
}
// Stay up: this node may forward for others. The test stops us once everyone reported.
process.once('SIGTERM', () => dp.close().then(() => process.exit(0)));
